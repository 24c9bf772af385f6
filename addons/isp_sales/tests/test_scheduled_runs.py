from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from ..models import isp_invoice_builder
from .test_billing_run import IspBillingCase


@tagged("post_install", "-at_install")
class TestScheduledRunsIsolateRecords(IspBillingCase):
    """Issue 12, point 8: one broken record is recorded and passed over; the scheduled run goes on."""

    def _broken(self, model, method, bad, on_argument=False):
        """Patch ``model.method`` to fail like a bug (not a ``UserError``) when it handles ``bad``
        (as its records, or as its first argument with ``on_argument``)."""
        cls = type(self.env[model])
        original = getattr(cls, method)

        def broken(records, *args, **kwargs):
            handled = args[0] if on_argument else records
            if handled & bad:
                raise ValueError(f"broken data on {bad.display_name}")
            return original(records, *args, **kwargs)

        return patch.object(cls, method, broken)

    def test_p08_credit_cron_goes_on_after_a_broken_order(self):
        """Issue 12, point 8: an order that fails with a bug does not keep the other waiting orders waiting."""
        orders = self.env["sale.order"]
        for name in ("Broken KG", "Healthy KG"):
            customer = self._customer(name, isp_customer_class="credited")
            self._top_up(customer, 5.0)
            order = self._order([(self.domain, 1, f"{name.split()[0].lower()}.de")], partner=customer)
            order.with_user(self.salesman).action_isp_process()
            self.assertEqual(order.isp_decision, "waiting_credit")
            self._top_up(customer, 20.0, user=self.clerk)
            orders |= order
        bad, good = orders
        with (
            self._broken("sale.order", "_isp_process_one", bad),
            self.assertLogs("odoo.addons.isp_sales", "WARNING") as logs,
        ):
            self.env["sale.order"]._cron_isp_process_waiting_credit()
        self.assertEqual(good.isp_decision, "executed")
        self.assertEqual(good.invoice_ids.payment_state, "paid")
        self.assertEqual(good.isp_service_ids.state, "active")
        # the broken order: nothing half-done, the error on the order and in the log with its traceback
        self.assertEqual(bad.isp_decision, "waiting_credit")
        self.assertFalse(bad.invoice_ids)
        self.assertEqual(bad.isp_service_ids.state, "pending")
        self.assertIn("ValueError: broken data on", bad.message_ids[0].body)
        self.assertIn(bad.name, bad.message_ids[0].body)
        self.assertTrue(any(bad.name in line and "Traceback" in line for line in logs.output))

    def test_p08_terminate_cron_goes_on_after_a_broken_service(self):
        """Issue 12, point 8: the services that ended are terminated although one of them fails."""
        customer = self._customer("Ending GmbH")
        bad, good = (
            self._service(customer, self.database, name, date(2026, 1, 1), 5.0, date_end=date(2026, 6, 30))
            for name in ("db_broken", "db_healthy")
        )
        with (
            freeze_time("2026-07-01"),
            self._broken("isp.service", "write", bad),
            self.assertLogs("odoo.addons.isp_sales", "WARNING") as logs,
        ):
            self.env["isp.service"]._cron_terminate_ended()
        self.assertEqual(good.state, "terminated")
        self.assertEqual(bad.state, "active")
        self.assertIn("ValueError: broken data on", bad.message_ids[0].body)
        self.assertTrue(any(bad.display_name in line and "Traceback" in line for line in logs.output))

    def test_p08_invoice_e_mails_go_on_after_a_broken_invoice(self):
        """Issue 12, point 8: an invoice whose e-mail fails does not fail the other invoices of the batch."""
        customers = self._customer("Broken Mail GmbH") | self._customer("Healthy Mail GmbH")
        for customer in customers:
            self._service(customer, self.database, f"db_mail_{customer.id}", date(2027, 1, 1), 10.0)
        invoices = self._run(date(2027, 1, 1)).invoice_ids
        bad = invoices.filtered(lambda move: move.partner_id == customers[0])
        good = invoices - bad
        with (
            freeze_time("2027-01-01 02:00:00"),
            self._broken("account.move.send", "_generate_and_send_invoices", bad, on_argument=True),
            self.assertLogs("odoo.addons.isp_sales", "WARNING") as logs,
        ):
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertEqual(good.isp_email_state, "sent")
        self.assertFalse(good.isp_delivery_error)
        self.assertEqual((bad.isp_email_state, bad.isp_delivery_attempts), ("failed", 1))
        self.assertIn("ValueError: broken data on", bad.isp_delivery_error)
        self.assertTrue(any(bad.name in line and "Traceback" in line for line in logs.output))

    def test_p08_invoice_run_goes_on_after_a_broken_customer(self):
        """Issue 12, point 8: a customer who cannot be planned is recorded on the run; the others are billed."""
        bad = self._customer("Broken Plan GmbH")
        good = self._customer("Healthy Plan GmbH")
        for customer in bad | good:
            self._service(customer, self.database, f"db_plan_{customer.id}", date(2027, 1, 1), 10.0)
        original = isp_invoice_builder.InvoiceBuilder.plan_partner

        def broken(builder, partner, services):
            if partner == bad:
                raise KeyError("no price for this service")
            return original(builder, partner, services)

        with (
            patch.object(isp_invoice_builder.InvoiceBuilder, "plan_partner", broken),
            self.assertLogs("odoo.addons.isp_sales", "WARNING"),
        ):
            run = self._run(date(2027, 1, 1))
        self.assertEqual(run.state, "done")
        self.assertEqual(run.invoice_ids.partner_id, good)
        self.assertEqual(run.invoice_ids.amount_total, 10.0)
        self.assertEqual(run.error_ids.partner_id, bad)
        self.assertIn("KeyError", run.error_ids.message)
        self.assertEqual(run.error_count, 1)
