import threading
import uuid
from types import SimpleNamespace
from unittest.mock import patch

import psycopg2

from odoo import api, sql_db
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

AMOUNT = 42.0


@tagged("post_install", "-at_install")
class TestNotificationRace(BaseCase):
    """The same provider notification delivered twice at the same moment, like two Odoo workers
    answering the provider's retry while the first delivery is still being processed.

    Runs on committed data in separate transactions; each delivery is handled the way Odoo serves
    a request (a serialization failure rolls back and tries again). What the test
    committed is deleted at the end.
    """

    def _env(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def test_concurrent_notifications_make_one_payment(self):
        dbname = get_db_name()
        reference = f"RACE-{uuid.uuid4().hex[:12]}"
        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            provider = env.ref("payment.payment_provider_demo")
            created_method_lines = env["account.payment.method.line"]
            if not provider.journal_id:
                before = env["account.payment.method.line"].search([("payment_provider_id", "=", provider.id)])
                provider.journal_id = env["account.journal"].search(
                    [("type", "=", "bank"), ("company_id", "=", provider.company_id.id)], limit=1
                )
                created_method_lines = (
                    env["account.payment.method.line"].search([("payment_provider_id", "=", provider.id)]) - before
                )
            customer = env["res.partner"].create({"name": "Race Payer AG", "is_company": True})
            tx = env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": env.ref("payment.payment_method_unknown").id,
                    "reference": reference,
                    "amount": AMOUNT,
                    "currency_id": provider.company_id.currency_id.id,
                    "partner_id": customer.id,
                    "operation": "online_redirect",
                }
            )
            ids = SimpleNamespace(tx=tx.id, customer=customer.id, method_lines=created_method_lines.ids)
        self.addCleanup(self._delete, dbname, ids)

        attempts = self._deliver_twice_at_once(dbname, reference)

        self.assertEqual(attempts["first"], 1)
        self.assertEqual(attempts["second"], 2, "the second delivery met the first one's change and was retried")
        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            tx = env["payment.transaction"].browse(ids.tx)
            self.assertEqual(tx.state, "done")
            payments = env["account.payment"].search([("payment_transaction_id", "=", ids.tx)])
            self.assertEqual(len(payments), 1, "one payment for the two deliveries")
            self.assertEqual(payments, tx.payment_id)
            self.assertEqual((payments.amount, payments.partner_id.id), (AMOUNT, ids.customer))
            customer = env["res.partner"].browse(ids.customer)
            self.assertEqual(customer.isp_credit_balance, AMOUNT, "the top-up is the customer's credit, once")

    def _deliver_twice_at_once(self, dbname, reference):
        """Two deliveries of one "done" notification that meet the worst way: the second reads the
        transaction while the first has created its payment and not committed yet."""
        race = SimpleNamespace(
            roles={},
            attempts={"first": 0, "second": 0},
            errors=[],
            first_processed=threading.Event(),
            second_read=threading.Event(),
        )
        # The test runner holds the registry lock: environments are made here, used in the threads.
        envs = [self._env(sql_db.db_connect(dbname).cursor()) for _worker in range(2)]
        tx_class = type(envs[0]["payment.transaction"])
        find_tx = tx_class._get_tx_from_notification_data

        def ordered_find_tx(transactions, provider_code, notification_data):
            role = race.roles[threading.get_ident()]
            if role == "second" and not race.second_read.is_set():
                race.first_processed.wait(30)
                found = find_tx(transactions, provider_code, notification_data)
                race.second_read.set()
                return found
            return find_tx(transactions, provider_code, notification_data)

        def deliver(env, role):
            race.attempts[role] += 1
            data = {"reference": reference, "payment_details": "4242", "simulated_state": "done"}
            tx = env["payment.transaction"].sudo()._handle_notification_data("demo", data)
            # what the status poll or the post-processing cron does right after
            tx._post_process()
            env.flush_all()
            if role == "first" and not race.first_processed.is_set():
                race.first_processed.set()
                race.second_read.wait(30)
            # the bus and cron wake-ups after commit would need the registry lock the test runner holds
            env.cr.postcommit.clear()

        def serve(env, role):
            """Serve the delivery as Odoo serves a request (`odoo.service.model.retrying`): a serialization
            failure rolls the transaction back and the delivery is handled again. (`retrying` itself
            reloads the registry, which the test runner holds.)"""
            for _attempt in range(5):
                try:
                    deliver(env, role)
                    env.cr.commit()
                    return
                except psycopg2.errors.SerializationFailure:
                    env.cr.rollback()
                    env.transaction.clear()
            raise AssertionError("the delivery did not go through")

        def worker(env, role):
            race.roles[threading.get_ident()] = role
            try:
                serve(env, role)
            except Exception as error:  # reported by the test
                race.errors.append(error)
            finally:
                race.first_processed.set()
                race.second_read.set()
                env.cr.close()

        threads = [
            threading.Thread(target=worker, args=(env, role))
            for env, role in zip(envs, ("first", "second"), strict=True)
        ]
        with (
            patch.object(tx_class, "_get_tx_from_notification_data", ordered_find_tx),
            mute_logger("odoo.sql_db", "odoo.addons.payment.models.payment_transaction"),
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        self.assertFalse(race.errors, race.errors)
        self.assertFalse([thread for thread in threads if thread.is_alive()], "both deliveries finished")
        return race.attempts

    def _delete(self, dbname, ids):
        """Delete what the test committed: the payment, the transaction, the customer, the provider's method line."""
        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            payments = env["account.payment"].search([("payment_transaction_id", "=", ids.tx)])
            payments.move_id.line_ids.remove_move_reconcile()
            payments.action_draft()
            payments.unlink()
            env["payment.transaction"].browse(ids.tx).unlink()
            env["res.partner"].browse(ids.customer).unlink()
            env["account.payment.method.line"].browse(ids.method_lines).unlink()
            env.cr.postcommit.clear()
