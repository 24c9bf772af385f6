import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.isp_customer.tests.common import IspTestMixin


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
