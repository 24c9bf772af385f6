import json
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from unittest.mock import patch

import psycopg2
import requests

from odoo import Command, api, fields, http, sql_db
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tests.common import HOST, get_db_name
from odoo.tools import config, mute_logger

from ..controllers import api as order_api


@tagged("post_install", "-at_install")
class TestQuotaRace(BaseCase):
    """Two workers process orders of one trusted reseller at the same time; the quota fits one.

    A reseller's accumulated order writes nothing on the customer, so only the lock can
    make the second worker see the first one's order.

    Runs on committed data in separate transactions, like two Odoo workers; the records
    stay in the throw-away test database.
    """

    def _env(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def test_two_orders_at_once_do_not_both_pass_the_quota(self):
        dbname = get_db_name()

        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            product = env["product.product"].create(
                {
                    "name": "Race contract",
                    "type": "service",
                    "list_price": 60.0,
                    "taxes_id": [],
                    "isp_article_type": "contract",
                }
            )
            customer = env["res.partner"].create(
                {
                    "name": "Race Reseller KG",
                    "is_company": True,
                    "isp_lifecycle": "customer",
                    "isp_customer_class": "reseller",
                    "isp_reseller_period": "monthly",
                    "isp_order_quota": 100.0,
                    "email": "race@example.com",
                }
            )
            orders = env["sale.order"].create(
                [
                    {"partner_id": customer.id, "order_line": [Command.create({"product_id": product.id})]}
                    for _i in range(2)
                ]
            )
            order_ids = orders.ids

        first_locked = threading.Event()
        errors = []
        # The test runner holds the registry lock: environments are made here, used in the threads.
        envs = [self._env(sql_db.db_connect(dbname).cursor()) for _order in order_ids]

        def work(env, order_id, hold):
            try:

                def process():
                    env["sale.order"].browse(order_id).action_isp_process()
                    # e-mails are sent after commit with a new registry handle, which the
                    # test runner's registry lock would block: leave them queued
                    env.cr.postcommit.clear()
                    if hold:
                        first_locked.set()
                        # keep the lock a moment so that the other worker runs into it
                        threading.Event().wait(1.0)

                if not hold:
                    first_locked.wait(10)
                # Odoo's own retry (odoo.service.model.retrying) reloads the registry, which the
                # test runner holds: the same loop, without that reload.
                for _attempt in range(5):
                    try:
                        process()
                        env.cr.flush()
                        env.cr.commit()
                        break
                    except psycopg2.errors.SerializationFailure:
                        env.cr.rollback()
                        env.transaction.clear()
                else:
                    raise AssertionError("order not processed after 5 attempts")
            except Exception as error:
                errors.append(error)
            finally:
                env.cr.close()

        threads = [
            threading.Thread(target=work, args=(envs[0], order_ids[0], True)),
            threading.Thread(target=work, args=(envs[1], order_ids[1], False)),
        ]
        with mute_logger("odoo.sql_db", "odoo.service.model"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        self.assertFalse(errors, errors)

        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            decisions = env["sale.order"].browse(order_ids).mapped("isp_decision")
            self.assertEqual(sorted(decisions), ["accumulated", "waiting_approval"])


@tagged("post_install", "-at_install")
class TestBillingRace(BaseCase):
    """Two invoice runs bill the same due customers at the same time, like two cron workers.

    Runs on committed data in separate transactions; the records stay in the throw-away
    test database.
    """

    def _env(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def test_two_runs_at_once_bill_every_period_once(self):
        dbname = get_db_name()
        # before the demo services' next periods: only this test's services are due
        run_date = date(2020, 1, 1)
        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            product = env["product.product"].create(
                {
                    "name": "Race database",
                    "type": "service",
                    "list_price": 5.0,
                    "taxes_id": [],
                    "isp_article_type": "database",
                    "isp_recurring": True,
                }
            )
            customers = env["res.partner"].create(
                [
                    {"name": f"Race Billing {index}", "is_company": True, "isp_lifecycle": "customer"}
                    for index in range(8)
                ]
            )
            services = env["isp.service"].create(
                [
                    {
                        "partner_id": customer.id,
                        "product_id": product.id,
                        "name": f"race_billing_{customer.id}",
                        "date_start": run_date,
                        "price_unit": 5.0,
                        "state": "active",
                    }
                    for customer in customers
                ]
            )
            service_ids = services.ids

        barrier = threading.Barrier(2, timeout=30)
        errors = []
        envs = [self._env(sql_db.db_connect(dbname).cursor()) for _worker in range(2)]

        def work(env):
            try:
                run = env["isp.billing.run"].create({"date": run_date, "trigger": "cron"})
                run._isp_start(chunk_size=2)
                env.cr.commit()
                barrier.wait()
                for _call in range(200):
                    try:
                        remaining = run._isp_run_batch()
                        env.cr.postcommit.clear()
                        env.cr.commit()
                    except psycopg2.errors.SerializationFailure:
                        # the scheduler calls again in a new transaction
                        env.cr.rollback()
                        env.transaction.clear()
                        remaining = True
                    if not remaining:
                        break
                    time.sleep(0.05)
                else:
                    raise AssertionError("the run did not finish")
            except Exception as error:
                errors.append(error)
            finally:
                env.cr.close()

        threads = [threading.Thread(target=work, args=(env,)) for env in envs]
        with mute_logger("odoo.sql_db", "odoo.addons.isp_sales.models.isp_billing_run"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        self.assertFalse(errors, errors)

        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            lines = env["account.move.line"].search([("isp_service_id", "in", service_ids)])
            self.assertEqual(sorted(lines.isp_service_id.ids), sorted(service_ids), "every service billed exactly once")
            self.assertEqual(set(lines.mapped("isp_period_start")), {run_date})
            self.assertEqual(len(lines.move_id), 8)


@tagged("post_install", "-at_install")
class TestApiOrderRace(BaseCase):
    """A reseller's shop sends its orders in parallel: real requests to the test server, each in its
    own transaction on committed data, as Odoo workers serve them. The records stay in the throw-away
    test database.

    The first request is held a moment after it processed its order (uncommitted, customer locked),
    so that the second one meets it the worst way.
    """

    HOLD_SECONDS = 1.5

    def setUp(self):
        super().setUp()
        self.dbname = get_db_name()
        tag = uuid.uuid4().hex[:8]
        with sql_db.db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            self.product_code = f"RACE-API-{tag}"
            env["product.product"].create(
                {
                    "name": "Race API contract",
                    "default_code": self.product_code,
                    "type": "service",
                    "list_price": 60.0,
                    "taxes_id": [],
                    "isp_article_type": "contract",
                }
            )
            customer = env["res.partner"].create(
                {
                    "name": f"Race API Reseller {tag}",
                    "is_company": True,
                    "isp_lifecycle": "customer",
                    "isp_customer_class": "reseller",
                    "isp_reseller_period": "monthly",
                    "isp_order_quota": 100.0,
                    "email": f"race-api-{tag}@example.com",
                }
            )
            user = new_test_user(env, login=f"race_api_{tag}", groups="base.group_portal", partner_id=customer.id)
            expiry = fields.Datetime.now() + timedelta(days=1)
            self.key = env["res.users.apikeys"].with_user(user)._generate(None, "shop", expiry)
            self.customer_id = customer.id
            env.cr.postcommit.clear()
        session = http.root.session_store.new()
        session.update(http.get_default_session(), db=self.dbname)
        http.root.session_store.save(session)
        self.session_id = session.sid

    @contextmanager
    def _server_answers(self):
        """Requests take the registry lock that the test runner holds; lift it as HttpCase does
        (`Registry.enter_test_mode`), without HttpCase's shared test cursor."""
        saved = Registry._lock
        Registry._lock = DummyRLock()
        try:
            yield
        finally:
            Registry._lock = saved

    def _post(self, body):
        return requests.post(
            f"http://{HOST}:{config['http_port']}/isp/api/v1/orders",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
            cookies={"session_id": self.session_id},
            timeout=60,
        )

    def _body(self, reference):
        return {"reference": reference, "lines": [{"product": self.product_code, "quantity": 1}]}

    def _send_while_first_is_held(self, first_body, second_body):
        """Send the first request; once it has processed its order (not committed), send the second."""
        SaleOrder = Registry(self.dbname)["sale.order"]
        process = SaleOrder._isp_process
        first_processed = threading.Event()
        held = []

        def held_process(orders):
            process(orders)
            if not held:
                held.append(orders.ids)
                first_processed.set()
                time.sleep(self.HOLD_SECONDS)

        responses = {}

        def send(role, body):
            responses[role] = self._post(body)

        first = threading.Thread(target=send, args=("first", first_body))
        second = threading.Thread(target=send, args=("second", second_body))
        with self._server_answers(), patch.object(SaleOrder, "_isp_process", held_process):
            first.start()
            self.assertTrue(first_processed.wait(30), "the first request processed its order")
            second.start()
            first.join(60)
            second.join(60)
        return responses["first"], responses["second"]

    def _orders(self, cr):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        return env["sale.order"].search([("partner_id", "=", self.customer_id)], order="id")

    def test_p16_parallel_orders_wait_for_each_other(self):
        """Issue 12, point 16: two parallel orders of one reseller both get their order, the quota decides exactly,
        no serialization failure is logged as an error."""
        with self.assertNoLogs("odoo.sql_db", "ERROR"):
            first, second = self._send_while_first_is_held(self._body("par-1"), self._body("par-2"))
        self.assertEqual((first.status_code, second.status_code), (201, 201), (first.text, second.text))
        # the quota (100.00) fits one order of 60.00: the second one saw the first
        self.assertEqual((first.json()["decision"], second.json()["decision"]), ("accumulated", "waiting_approval"))
        with sql_db.db_connect(self.dbname).cursor() as cr:
            orders = self._orders(cr)
            self.assertEqual(orders.mapped("client_order_ref"), ["par-1", "par-2"])
            self.assertEqual(orders.mapped("isp_decision"), ["accumulated", "waiting_approval"])

    def test_p14_concurrent_retries_make_one_order(self):
        """Issue 12, point 14: the same request sent twice at once (a shop's retry) creates one order."""
        with self.assertNoLogs("odoo.sql_db", "ERROR"):
            first, second = self._send_while_first_is_held(self._body("retry-1"), self._body("retry-1"))
        self.assertEqual((first.status_code, second.status_code), (201, 200), (first.text, second.text))
        self.assertEqual(first.json()["id"], second.json()["id"])
        with sql_db.db_connect(self.dbname).cursor() as cr:
            orders = self._orders(cr)
            self.assertEqual(len(orders), 1, "one order for the two deliveries")
            self.assertEqual(orders.isp_decision, "accumulated")

    def test_p16_busy_customer_answers_503_with_retry_after(self):
        """Issue 12, point 16: a customer locked longer than the API waits gets a JSON 503 with Retry-After."""
        blocker = sql_db.db_connect(self.dbname).cursor()
        done = threading.Event()

        def release_later():
            done.wait(4)
            blocker.rollback()
            blocker.close()

        # another worker busy with this customer (an order being processed, not committed)
        blocker.execute("SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE", [self.customer_id])
        releaser = threading.Thread(target=release_later)
        releaser.start()
        try:
            with self._server_answers(), patch.object(order_api, "LOCK_WAIT_SECONDS", 1.0, create=True):
                response = self._post(self._body("busy-1"))
        finally:
            done.set()
            releaser.join(10)
        self.assertEqual(response.status_code, 503, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/json")
        self.assertEqual(response.headers["Retry-After"], str(order_api.RETRY_AFTER_SECONDS))
        self.assertIn("error", response.json())
        with sql_db.db_connect(self.dbname).cursor() as cr:
            self.assertFalse(self._orders(cr), "nothing saved")
