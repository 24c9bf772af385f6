from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import BaseCase, tagged

from ..engine import debit_plan
from .common import IspPaymentCase


@tagged("post_install", "-at_install")
class TestDunningHoldEngine(BaseCase):
    def test_p04_hold_ends_after_the_collection_date_and_the_return_window(self):
        """Issue 12, point 4: an invoice of 12 January collected on 26 January is held until 5 business days later."""
        self.assertEqual(debit_plan.expected_collection_date(date(2026, 1, 12), 5, 14), date(2026, 1, 26))
        # Monday 26 January + 5 TARGET2 business days: Monday 2 February
        self.assertEqual(debit_plan.dunning_hold_until(date(2026, 1, 12), 5, 14, 5), date(2026, 2, 2))
        self.assertEqual(debit_plan.dunning_hold_until(date(2026, 1, 12), 5, 14, 0), date(2026, 1, 26))
        # Good Friday and Easter Monday 2026 are no business days: collected 2 April, held until 13 April
        self.assertEqual(debit_plan.add_target_days(date(2026, 4, 2), 5), date(2026, 4, 13))
        self.assertEqual(debit_plan.first_held_invoice_date(date(2026, 1, 19), 5, 14, 5), date(2025, 12, 27))
        self.assertEqual(debit_plan.first_held_invoice_date(date(2026, 2, 2), 5, 14, 5), date(2026, 1, 10))
        self.assertEqual(debit_plan.first_held_invoice_date(date(2026, 2, 3), 5, 14, 5), date(2026, 1, 13))

    def test_p04_held_invoices_are_exactly_those_dated_from_the_first_held_date(self):
        """Issue 12, point 4: the date bound the run selects by matches the hold of every single invoice."""
        for lead, notice, window in ((5, 14, 5), (0, 0, 0), (20, 14, 2), (3, 0, 8)):
            for offset in range(0, 400, 3):
                day = date(2025, 12, 1) + timedelta(days=offset)
                first = debit_plan.first_held_invoice_date(day, lead, notice, window)
                for back in range(-45, 5):
                    invoice_date = day + timedelta(days=back)
                    held = debit_plan.dunning_hold_until(invoice_date, lead, notice, window) >= day
                    self.assertEqual(held, invoice_date >= first, (lead, notice, window, day, invoice_date))


@tagged("post_install", "-at_install")
class TestDunningHold(IspPaymentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the defaults: collected 5 days after the invoice date at the earliest, 14 days' notice
        cls.env.company.write({"isp_sepa_lead_days": 5, "isp_sepa_prenotification_days": 14})
        cls.business.isp_payment_method = "sepa"
        cls.mandate = cls.env["isp.sepa.mandate"].create(
            {"partner_id": cls.business.id, "bank_account_id": cls.business_account.id, "signature_date": "2025-01-15"}
        )
        cls.mandate.action_activate()

    def _announced_invoice(self):
        invoice = self._due_invoice(self.business, 100.0, "2026-01-12", invoice_date="2026-01-12")
        self.assertEqual(
            invoice._isp_sepa_prenotification()["debit_date"],
            date(2026, 1, 26),
            "the invoice tells the customer: debited on 26 January",
        )
        return invoice

    def test_p04_prenotified_invoice_is_not_dunned_before_its_debit_date_and_dunned_after_a_return(self):
        """Issue 12, point 4: due 12 Jan, debit announced for 26 Jan: no reminder on 19 Jan; dunned after the return."""
        # the return itself raises no level here, so that the next run's own step shows
        self.env.company.isp_sepa_return_escalate = False
        invoice = self._announced_invoice()
        run = self._run("2026-01-19")
        self.assertFalse(run.step_ids, "no reminder before the announced debit date")
        self.assertFalse(run.letter_ids)
        self.assertFalse(invoice.isp_dunning_level_id)
        batch = self._batch("2026-01-23")
        self.assertEqual(batch.collection_date, date(2026, 1, 26))
        self.assertEqual(batch.line_ids.move_id, invoice)
        batch.action_mark_sent()
        with freeze_time("2026-01-28"):
            wizard = (
                self.env["isp.debit.return.manual"]
                .with_user(self.manager)
                .create({"line_id": batch.line_ids.id, "reason_code": "AM04"})
            )
            wizard.action_return()
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("not_paid", 100.0))
        self.assertEqual(self.mandate.state, "active", "insufficient funds: the mandate stays")
        run = self._run("2026-01-29")
        self.assertEqual(run.step_ids.move_id, invoice, "returned: dunned at once, within the return window")
        self.assertEqual((run.step_ids.level_id, run.step_ids.days_overdue), (self.reminder, 17))
        self.assertEqual(run.letter_ids.move_ids, invoice)
        self.assertEqual(invoice.isp_dunning_level_id, self.reminder)

    def test_p04_uncollected_invoice_is_dunned_after_the_return_window(self):
        """Issue 12, point 4: not collected at all: held until the debit date plus the return window, then dunned."""
        invoice = self._announced_invoice()
        self.assertFalse(self._run("2026-02-02").step_ids, "26 January plus 5 business days")
        run = self._run("2026-02-03")
        self.assertEqual(run.step_ids.move_id, invoice)
        self.assertEqual((run.step_ids.level_id, run.step_ids.days_overdue), (self.reminder, 22))

    def test_p04_preview_lists_no_held_invoice_and_other_invoices_stay_dunned(self):
        """Issue 12, point 4: only announced debits are held: transfer customers and revoked mandates are dunned."""
        held = self._announced_invoice()
        transfer = self._due_invoice(self.consumer, 50.0, "2026-01-12", invoice_date="2026-01-12")
        run = self._run("2026-01-19", preview=True)
        self.assertEqual(run.preview_line_ids.move_id, transfer, "the preview does not list the held invoice")
        self.mandate.action_revoke()
        self.assertNotIn("debit_date", held._isp_sepa_prenotification(), "no debit announced any more")
        run = self._run("2026-01-19")
        self.assertEqual(run.step_ids.move_id, held | transfer)
