import threading
import time
from datetime import date

import psycopg2

from odoo import Command, api, sql_db
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger


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
                run._isp_start()
                env.cr.commit()
                barrier.wait()
                for _call in range(200):
                    try:
                        remaining = run._isp_run_batch(limit=2)
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
