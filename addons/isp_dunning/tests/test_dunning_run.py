from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import IspDunningCase


@tagged("post_install", "-at_install")
class TestDunningRun(IspDunningCase):
    def test_business_first_levels_across_the_base_rate_change(self):
        """Reminder, first and second dunning notice, final notice: fees and interest across the
        base-rate change of 1 July 2025."""
        invoice = self._due_invoice(self.business, 1000.0, "2025-05-31", invoice_date="2025-05-17")

        self.assertFalse(self._run("2025-06-06").letter_ids, "6 days overdue: nothing yet")
        run = self._run("2025-06-07")
        step = invoice.isp_dunning_step_ids
        self.assertEqual(invoice.isp_dunning_level_id, self.reminder)
        self.assertEqual((step.days_overdue, step.charge_total, step.charge_state), (7, 0.0, "none"))
        self.assertEqual(run.letter_ids.move_ids, invoice)
        self.assertFalse(run.letter_ids.charge_move_id, "the reminder is free")

        # too early for the next level (21 days overdue, 14 after the reminder)
        self.assertFalse(self._run("2025-06-20").letter_ids)
        run = self._run("2025-06-21")
        step = run.step_ids
        self.assertEqual(step.level_id, self.dunning_1)
        # 1 to 21 June: 21 days at 2.27 + 9 = 11.27 % on 1,000.00 = 6.4841
        self.assertEqual(
            (step.interest_from, step.interest_to),
            (fields.Date.to_date("2025-06-01"), fields.Date.to_date("2025-06-21")),
        )
        self.assertEqual((step.interest_days, step.interest_rate, step.interest_amount), (21, "11.27 %", 6.48))
        self.assertEqual(step.flat_fee_amount, 40.0, "§288(5) BGB: business debtors owe EUR 40 once per invoice")
        charge = run.letter_ids.charge_move_id
        self.assertEqual(charge.state, "posted")
        self.assertTrue(charge.isp_dunning_charge)
        self.assertAlmostEqual(charge.amount_total, 46.48)

        run = self._run("2025-07-05")
        step = run.step_ids
        self.assertEqual(step.level_id, self.dunning_2)
        # 22-30 June: 9 days at 11.27 % = 2.7789; 1-5 July: 5 days at 1.27 + 9 = 10.27 % = 1.4068
        self.assertEqual(
            (step.interest_days, step.interest_rate, step.interest_amount), (14, "11.27 % / 10.27 %", 4.19)
        )
        self.assertEqual((step.fee_amount, step.flat_fee_amount), (2.5, 0.0))
        self.assertAlmostEqual(run.letter_ids.charge_move_id.amount_total, 6.69)
        self.assertFalse(self._run("2025-07-05").step_ids, "a second run the same day changes nothing")

        run = self._run("2025-07-19")
        letter = run.letter_ids
        self.assertEqual(letter.level_id, self.final)
        charges = (invoice.isp_dunning_step_ids - run.step_ids).charge_move_id
        self.assertEqual(len(charges), 2)
        self.assertEqual(letter.move_ids, invoice | charges, "unpaid charges are listed, not dunned")
        self.assertEqual(letter.step_ids.move_id, invoice)
        self.assertEqual(
            letter.suspension_date, fields.Date.to_date("2025-08-02"), "suspension announced 14 days ahead"
        )
        # 6-19 July: 14 days at 10.27 % = 3.9392
        self.assertEqual(run.step_ids.interest_amount, 3.94)

    def test_business_partial_payment_suspension_court_and_reactivation(self):
        service = self.env["isp.service"].create(
            {"name": "mueller.de", "partner_id": self.business.id, "product_id": self.domain.id, "state": "active"}
        )
        invoice = self._due_invoice(self.business, 1000.0, "2025-05-31", invoice_date="2025-05-17")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05", "2025-07-19"):
            self._run(day)
        self.assertEqual(invoice.isp_dunning_level_id, self.final)
        self.assertEqual(service.state, "active", "announced, not yet suspended")
        self._pay(invoice, 400.0, "2025-07-25")
        self.assertEqual(invoice.payment_state, "partial")
        run = self._run("2025-08-02")
        step = run.step_ids
        self.assertEqual(invoice.isp_dunning_level_id, self.suspension, "a partial payment keeps the level")
        # 20-24 July on 1,000.00: 5 days = 1.4068; 25 July - 2 August on 600.00: 9 days = 1.5194
        self.assertEqual((step.open_amount, step.interest_days, step.interest_amount), (600.0, 14, 2.93))
        self.assertEqual(service.state, "suspended")
        self.assertTrue(service.isp_dunning_suspended)
        self.assertEqual(run.suspended_count, 1)

        run = self._run("2025-08-29")
        self.assertEqual(run.step_ids.level_id, self.court)
        self.assertEqual(invoice.isp_court_state, "candidate")
        self.assertEqual(invoice.isp_interest_from, fields.Date.to_date("2025-06-01"))
        # 3-29 August: 27 days on 600.00 at 10.27 % = 4.5582
        self.assertEqual(run.step_ids.interest_amount, 4.56)
        self.assertEqual(invoice.isp_dunning_interest, 6.48 + 4.19 + 3.94 + 2.93 + 4.56)
        self.assertEqual(invoice.isp_dunning_fees, 40.0 + 2.5 + 2.5)
        self.assertFalse(self._run("2025-10-01").step_ids, "after the last level nothing more happens")

        mails_before = self.env["mail.mail"].search_count([])
        self._pay(invoice, 600.0, "2025-09-01")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(service.state, "active", "paid: the service is reactivated")
        self.assertFalse(service.isp_dunning_suspended)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before + 1, "and the customer is told")
        self.assertFalse(self._run("2025-10-02").letter_ids, "a paid item leaves the dunning cycle")

    def test_consumer_rate_and_no_flat_fee(self):
        invoice = self._due_invoice(self.consumer, 1000.0, "2025-05-31")
        self._run("2025-06-07")
        run = self._run("2025-06-21")
        # 21 days at 2.27 + 5 = 7.27 % on 1,000.00 = 4.1827
        self.assertEqual((run.step_ids.interest_rate, run.step_ids.interest_amount), ("7.27 %", 4.18))
        self.assertEqual(run.step_ids.flat_fee_amount, 0.0, "no flat fee from consumers")
        self.assertEqual(invoice.isp_dunning_level_id, self.dunning_1)

    def test_one_letter_lists_all_overdue_items(self):
        old = self._due_invoice(self.business, 100.0, "2025-05-01")
        recent = self._due_invoice(self.business, 50.0, "2025-06-25")
        self._run("2025-05-08")
        run = self._run("2025-06-28")
        letter = run.letter_ids
        self.assertEqual(len(letter), 1)
        self.assertEqual(letter.move_ids, old | recent, "the letter lists every overdue item")
        self.assertEqual(run.step_ids.move_id, old, "only the older item reaches a level")
        self.assertEqual(letter.open_total, 150.0)

    def test_blocked_item_is_left_out(self):
        invoice = self._due_invoice(self.business, 100.0, "2025-05-31")
        invoice.write({"isp_dunning_block": True, "isp_dunning_block_reason": "disputed"})
        self.assertFalse(self._run("2025-06-10").letter_ids)
        invoice.isp_dunning_block = False
        self.assertEqual(self._run("2025-06-11").step_ids.move_id, invoice)

    def test_payment_before_confirm_removes_the_item(self):
        invoice = self._due_invoice(self.business, 100.0, "2025-05-31")
        with freeze_time("2025-06-10"):
            run = self.env["isp.dunning.run"].create({})
            run.action_preview()
            self.assertEqual(run.preview_line_ids.move_id, invoice)
            self.assertEqual(run.preview_line_ids.level_id, self.reminder)
            self.assertFalse(invoice.isp_dunning_step_ids, "a preview changes nothing")
            self._pay(invoice, 100.0, "2025-06-10")
            run.action_confirm()
        self.assertFalse(run.letter_ids)
        self.assertFalse(invoice.isp_dunning_level_id)

    def test_minimum_amount_holds_the_suspension(self):
        invoice = self._due_invoice(self.business, 80.0, "2025-05-31")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05", "2025-07-19"):
            self._run(day)
        self.assertEqual(invoice.isp_dunning_level_id, self.final)
        self.assertFalse(self._run("2025-08-02").step_ids, "80.00 is below the 100.00 a suspension needs")
        self._due_invoice(self.business, 30.0, "2025-07-31")
        run = self._run("2025-08-03")
        self.assertEqual(run.step_ids.filtered(lambda step: step.move_id == invoice).level_id, self.suspension)

    def test_gentle_profile_charges_nothing(self):
        self.consumer.isp_dunning_profile_id = self.env.ref("isp_dunning.profile_international")
        invoice = self._due_invoice(self.consumer, 100.0, "2025-05-31")
        for day in ("2025-06-10", "2025-06-30", "2025-07-30"):
            self._run(day)
        self.assertEqual(invoice.isp_dunning_level_id, self.env.ref("isp_dunning.level_int_final"))
        self.assertEqual(invoice.isp_dunning_fees + invoice.isp_dunning_interest, 0.0)
        self.assertFalse(invoice.isp_dunning_step_ids.charge_move_id)

    def test_other_partners_invoices_are_not_dunned_nor_listed(self):
        """Issue 14: an overdue invoice of a partner who is no ISP customer (e.g. Odoo's own demo data)
        is neither dunned by the run nor listed among the overdue items."""
        other = self.env["res.partner"].create({"name": "Deco Addict", "is_company": True})
        # as if posted before the ISP addons were installed (posting makes a partner a customer)
        with patch.object(type(other), "_isp_make_customer"):
            foreign = self._due_invoice(other, 500.0, "2025-05-31", invoice_date="2025-05-17")
        self.assertFalse(other.isp_lifecycle)
        ours = self._due_invoice(self.business, 1000.0, "2025-05-31", invoice_date="2025-05-17")
        former = self.env["res.partner"].create(
            {"name": "Ehemals GmbH", "is_company": True, "isp_customer_kind": "company", "isp_lifecycle": "former"}
        )
        still_owed = self._due_invoice(former, 80.0, "2025-05-31", invoice_date="2025-05-17")
        former.isp_lifecycle = "former"

        run = self._run("2025-06-07")
        self.assertEqual(run.step_ids.move_id, ours | still_owed, "former customers still owe what they owe")
        self.assertEqual(run.letter_ids.partner_id, self.business | former)
        self.assertFalse(foreign.isp_dunning_level_id)
        self.assertFalse(foreign.isp_dunning_step_ids)
        self.env.flush_all()
        rows = self.env["isp.dunning.overdue.report"].search([("move_id", "in", (foreign | ours | still_owed).ids)])
        self.assertEqual(rows.move_id, ours | still_owed)
