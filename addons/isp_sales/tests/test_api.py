import json
from datetime import timedelta

import psycopg2

from odoo import fields
from odoo.tests import BaseCase, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.isp_customer.tests.common import IspTestMixin

from ..engine import order_request
from ..engine.order_request import RequestError


@tagged("post_install", "-at_install")
class TestOrderApi(IspTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.domain = Product.create(
            {
                "name": "Domain .de",
                "default_code": "API-DOM",
                "type": "service",
                "list_price": 12.0,
                "taxes_id": [],
                "isp_article_type": "domain",
                "isp_recurring": True,
                "isp_billing_period": "yearly",
            }
        )
        cls.contract = Product.create(
            {
                "name": "Support contract",
                "default_code": "API-CON",
                "type": "service",
                "list_price": 5.0,
                "taxes_id": [],
                "isp_article_type": "contract",
            }
        )
        cls.shop = cls.env["res.partner"].create(
            {
                "name": "Shop Reseller GmbH",
                "is_company": True,
                "isp_lifecycle": "customer",
                "email": "shop@example.com",
                "isp_customer_class": "reseller",
                "isp_order_quota": 1000.0,
                "isp_reseller_period": "monthly",
            }
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Someone Else AG", "is_company": True, "isp_lifecycle": "customer", "email": "else@example.com"}
        )
        cls.portal_user = new_test_user(cls.env, login="shop_api", groups="base.group_portal", partner_id=cls.shop.id)
        cls.sales_user = new_test_user(
            cls.env, login="api_sales", groups="base.group_user,sales_team.group_sale_salesman_all_leads"
        )
        expiry = fields.Datetime.now() + timedelta(days=1)
        cls.portal_key = cls.env["res.users.apikeys"].with_user(cls.portal_user)._generate(None, "shop", expiry)
        cls.sales_key = cls.env["res.users.apikeys"].with_user(cls.sales_user)._generate(None, "crm", expiry)

    def _post(self, body, key=None):
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = body if isinstance(body, str) else json.dumps(body)
        return self.url_open("/isp/api/v1/orders", data=data, headers=headers)

    def _orders(self):
        return self.env["sale.order"].search_count([("isp_origin", "=", "api")])

    def test_portal_user_orders_for_own_account(self):
        response = self._post(
            {
                "reference": "shop 1234",
                "lines": [{"product": "API-DOM", "quantity": 2, "identifiers": ["a-api.de", "b-api.de"]}],
            },
            key=self.portal_key,
        )
        self.assertEqual(response.status_code, 201, response.text)
        result = response.json()
        order = self.env["sale.order"].browse(result["id"])
        self.assertEqual(result["order"], order.name)
        self.assertEqual(order.partner_id, self.shop)
        self.assertEqual(order.client_order_ref, "shop 1234")
        self.assertEqual(result["decision"], "accumulated")
        self.assertEqual(sorted(service["identifier"] for service in result["services"]), ["a-api.de", "b-api.de"])
        self.assertEqual({service["state"] for service in result["services"]}, {"active"})
        # a retry of the same request creates nothing and answers with the same order
        retry = self._post(
            {
                "reference": "shop 1234",
                "lines": [{"product": "API-DOM", "quantity": 2, "identifiers": ["a-api.de", "b-api.de"]}],
            },
            key=self.portal_key,
        )
        self.assertEqual(retry.status_code, 200, retry.text)
        self.assertEqual(retry.json()["id"], order.id)
        self.assertEqual(order.isp_origin, "api")

    def test_internal_user_orders_for_a_customer_by_number(self):
        response = self._post(
            {
                "customer": self.other.isp_customer_number,
                "lines": [{"product": self.domain.id, "identifiers": "c-api.de"}],
            },
            key=self.sales_key,
        )
        self.assertEqual(response.status_code, 201, response.text)
        result = response.json()
        self.assertEqual(result["decision"], "waiting_payment")
        self.assertEqual(len(result["invoices"]), 1)
        self.assertEqual(result["services"][0]["state"], "pending")

    def test_taken_identifier_does_not_reveal_its_owner(self):
        self.env["isp.service"].create(
            {"name": "owned-api.de", "partner_id": self.other.id, "product_id": self.domain.id}
        )
        response = self._post({"lines": [{"product": "API-DOM", "identifiers": ["owned-api.de"]}]}, key=self.portal_key)
        self.assertEqual(response.status_code, 400)
        self.assertIn("not available", response.json()["error"])
        self.assertNotIn(self.other.name, response.text)

    def test_refusals_create_nothing(self):
        before = self._orders()
        cases = [
            ({"lines": [{"product": "API-DOM", "identifiers": ["x-api.de"]}]}, None, 401),
            ({"lines": [{"product": "API-DOM", "identifiers": ["x-api.de"]}]}, "not-a-key", 401),
            ("{not json", self.portal_key, 400),
            ([1, 2], self.portal_key, 400),
            ({"lines": []}, self.portal_key, 400),
            ({"lines": [{"product": "NOPE"}]}, self.portal_key, 400),
            ({"lines": [{"product": "API-DOM", "quantity": -1, "identifiers": ["x-api.de"]}]}, self.portal_key, 400),
            ({"lines": [{"product": "API-DOM", "identifiers": ["not a domain"]}]}, self.portal_key, 400),
            ({"lines": [{"product": "API-DOM", "quantity": 2, "identifiers": ["one-api.de"]}]}, self.portal_key, 400),
            (
                {"customer": self.other.id, "lines": [{"product": "API-DOM", "identifiers": ["x-api.de"]}]},
                self.portal_key,
                403,
            ),
            (
                {"customer": "K999999", "lines": [{"product": "API-DOM", "identifiers": ["x-api.de"]}]},
                self.sales_key,
                400,
            ),
        ]
        for body, key, status in cases:
            with self.subTest(body=body, status=status):
                response = self._post(body, key=key)
                self.assertEqual(response.status_code, status, response.text)
                self.assertIn("error", response.json())
        self.assertEqual(self._orders(), before)
        self.assertFalse(self.env["isp.service"].search([("name", "in", ("x-api.de", "one-api.de"))]))

    def test_p14_malformed_numbers_ids_and_sizes_are_refused(self):
        """Issue 12, point 14: NaN / Infinity, booleans as ids, absurd sizes: 400 JSON error, nothing saved."""
        before = self._orders()
        company_partner = self.env.company.partner_id
        company_orders = self.env["sale.order"].search_count([("partner_id", "=", company_partner.id)])
        contract = {"product": "API-CON", "quantity": 1}
        cases = [
            ("quantity NaN", '{"lines": [{"product": "API-CON", "quantity": NaN}]}', self.portal_key),
            ("quantity Infinity", '{"lines": [{"product": "API-CON", "quantity": Infinity}]}', self.portal_key),
            ("quantity -Infinity", '{"lines": [{"product": "API-CON", "quantity": -Infinity}]}', self.portal_key),
            ("quantity 1e400", '{"lines": [{"product": "API-CON", "quantity": 1e400}]}', self.portal_key),
            ("quantity true", {"lines": [{"product": "API-CON", "quantity": True}]}, self.portal_key),
            ("quantity too large", {"lines": [{"product": "API-CON", "quantity": 10_001}]}, self.portal_key),
            ("product true", {"lines": [{"product": True}]}, self.portal_key),
            ("product id out of range", {"lines": [{"product": 99_999_999_999}]}, self.portal_key),
            ("customer true", {"customer": True, "lines": [contract]}, self.sales_key),
            ("customer id out of range", {"customer": 99_999_999_999, "lines": [contract]}, self.sales_key),
            ("customer false", {"customer": False, "lines": [contract]}, self.sales_key),
            ("too many lines", {"lines": [contract] * 101}, self.portal_key),
            (
                "identifier too long",
                {"lines": [{"product": "API-CON", "identifiers": ["x" * 254]}]},
                self.portal_key,
            ),
            ("reference too long", {"reference": "r" * 101, "lines": [contract]}, self.portal_key),
            ("body too large", {"lines": [contract], "note": "n" * (256 * 1024)}, self.portal_key),
        ]
        for label, body, key in cases:
            with self.subTest(label):
                response = self._post(body, key=key)
                self.assertEqual(response.status_code, 400, response.text)
                self.assertEqual(response.headers["Content-Type"], "application/json")
                self.assertIn("error", response.json())
        self.assertEqual(self._orders(), before, "nothing saved")
        self.assertEqual(
            self.env["sale.order"].search_count([("partner_id", "=", company_partner.id)]),
            company_orders,
            "`true` is not the id of the company's own partner",
        )

    def test_p14_retry_with_another_body_answers_409(self):
        """Issue 12, point 14: the same reference with another body is a conflict (409 with the order), not a 200."""
        body = {"reference": "shop 77", "lines": [{"product": "API-CON", "quantity": 1}]}
        first = self._post(body, key=self.portal_key)
        self.assertEqual(first.status_code, 201, first.text)
        order = self.env["sale.order"].browse(first.json()["id"])

        changed = {"reference": "shop 77", "lines": [{"product": "API-CON", "quantity": 2}]}
        conflict = self._post(changed, key=self.portal_key)
        self.assertEqual(conflict.status_code, 409, conflict.text)
        self.assertEqual(conflict.json()["order"], order.name)
        self.assertEqual(conflict.json()["id"], order.id)
        self.assertIn(order.name, conflict.json()["error"])
        orders = self.env["sale.order"].search([("client_order_ref", "=", "shop 77")])
        self.assertEqual(orders, order, "no second order")
        self.assertEqual(order.order_line.filtered("product_id").mapped("product_uom_qty"), [1.0], "order unchanged")

        # the same request again, written differently (key order, spacing, 1.0 for 1): the same order
        same = '{ "lines": [{"quantity": 1.0, "product": "API-CON"}], "reference": "shop 77" }'
        retry = self._post(same, key=self.portal_key)
        self.assertEqual(retry.status_code, 200, retry.text)
        self.assertEqual(retry.json()["id"], order.id)

    def test_p14_one_order_per_customer_and_reference_in_the_database(self):
        """Issue 12, point 14: exactly-once of API references rests on a unique index, not only on the lock."""
        first = self._post(
            {"reference": "shop 78", "lines": [{"product": "API-CON", "quantity": 1}]}, key=self.portal_key
        )
        self.assertEqual(first.status_code, 201, first.text)
        order = self.env["sale.order"].browse(first.json()["id"])
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation):
            order.copy({"isp_origin": "api", "client_order_ref": "shop 78"})
            self.env.flush_all()
        # staff may repeat a customer's reference on their own orders
        staff = order.copy({"client_order_ref": "shop 78"})
        self.assertEqual(staff.isp_origin, "staff")


@tagged("post_install", "-at_install")
class TestOrderRequestFormat(BaseCase):
    """The order request parser: limits and the fingerprint, without a database."""

    def _parse(self, payload):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return order_request.parse(body)

    def test_limits_are_enforced_at_the_boundary(self):
        line = {"product": "X", "quantity": order_request.MAX_QUANTITY, "identifiers": ["a" * 253]}
        self.assertEqual(len(self._parse({"lines": [line] * order_request.MAX_LINES}).lines), 100)
        identifiers = [f"d{index}.de" for index in range(order_request.MAX_IDENTIFIERS)]
        self.assertEqual(len(self._parse({"lines": [{"product": 1, "identifiers": identifiers}]}).lines), 1)
        self.assertEqual(self._parse({"lines": [{"product": 2**31 - 1}]}).lines[0].product, 2**31 - 1)
        refused = [
            {"lines": [line] * 101},
            {"lines": [{"product": 1, "identifiers": [*identifiers, "one-more.de"]}]},
            {"lines": [{"product": 2**31}]},
            {"lines": [{"product": 0}]},
            {"lines": [{"product": "X", "quantity": 0}]},
            {"lines": [{"product": "X", "quantity": "1"}]},
            {"lines": [{"product": "X", "identifiers": [""]}]},
            {"lines": [{"product": "X", "identifiers": [1]}]},
            {"lines": [{"product": ""}]},
            {"lines": [{"quantity": 1}]},
            {"customer": 1.5, "lines": [{"product": "X"}]},
            {"reference": "", "lines": [{"product": "X"}]},
            {"lines": {"product": "X"}},
            [{"product": "X"}],
        ]
        for payload in refused:
            with self.subTest(payload=str(payload)[:80]), self.assertRaises(RequestError):
                self._parse(payload)

    def test_malformed_bodies_are_refused(self):
        cases = [
            b"\xff\xfe{}",
            b"[" * 100_000,
            b'{"lines": [{"product": "X", "quantity": 1' + b"0" * 5000 + b"}]}",
            b'{"lines": [{"product": "X", "quantity": 1e400}]}',
            b'{"lines": [{"product": "X", "quantity": NaN}]}',
            b'{"lines": [{"product": "X"}], "pad": "' + b"x" * order_request.MAX_BODY_BYTES + b'"}',
        ]
        for body in cases:
            with self.subTest(body=body[:40]), self.assertRaises(RequestError):
                self._parse(body)

    def test_fingerprint_ignores_notation_not_content(self):
        base = self._parse({"reference": "r1", "lines": [{"product": "X", "quantity": 2, "identifiers": "a.de"}]})
        same = self._parse(b'{"lines":[{"identifiers":["a.de"],"quantity":2.0,"product":"X"}],"reference":"r1"}')
        self.assertEqual(base.fingerprint, same.fingerprint)
        other = self._parse({"reference": "r1", "lines": [{"product": "X", "quantity": 3, "identifiers": "a.de"}]})
        self.assertNotEqual(base.fingerprint, other.fingerprint)
