from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IspAccountCase


@tagged("post_install", "-at_install")
class TestCreditAccount(IspAccountCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Credit Customer", "is_company": True, "isp_lifecycle": "customer"}
        )

    def test_open_invoice_is_outstanding_not_credit(self):
        self._invoice(self.customer, 120.0)
        self.assertEqual(self.customer.isp_receivable_outstanding, 120.0)
        self.assertEqual(self.customer.isp_credit_balance, 0.0)
        # Drafts do not count.
        self._invoice(self.customer, 80.0, post=False)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.isp_receivable_outstanding, 120.0)

    def test_clerk_tops_up_credit_with_a_payment(self):
        payment = self._top_up(self.customer, 50.0, user=self.clerk)
        self.assertEqual(payment.partner_id, self.customer)
        self.assertEqual(payment.payment_type, "inbound")
        self.assertEqual(payment.state, "in_process")
        self.assertTrue(payment.move_id)
        customer = self.customer.with_user(self.clerk)
        self.assertEqual(customer.isp_credit_balance, 50.0)
        self.assertEqual(customer.isp_receivable_outstanding, 0.0)
        self.assertIn("50.00", customer.message_ids[0].body)

    def test_credit_consumed_by_reconciliation(self):
        payment = self._top_up(self.customer, 50.0)
        invoice = self._invoice(self.customer, 30.0)
        self.assertEqual(self.customer.isp_credit_balance, 50.0)
        self.assertEqual(self.customer.isp_receivable_outstanding, 30.0)
        lines = (payment.move_id.line_ids + invoice.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        lines.reconcile()
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.isp_credit_balance, 20.0)
        self.assertEqual(self.customer.isp_receivable_outstanding, 0.0)
        self.assertEqual(invoice.payment_state, "paid")

    def test_credit_shown_on_contacts(self):
        contact = self.env["res.partner"].create({"name": "Payer", "parent_id": self.customer.id})
        self._top_up(self.customer, 25.0)
        self.assertEqual(contact.isp_credit_balance, 25.0)

    def test_top_up_refuses_non_positive_amount(self):
        payments_before = self.env["account.payment"].search_count([])
        for amount in (0.0, -5.0):
            with self.assertRefused(ValidationError, "positive"):
                self._top_up(self.customer, amount)
        self.assertEqual(self.env["account.payment"].search_count([]), payments_before)

    def test_filters_has_credit_and_over_quota(self):
        Partner = self.env["res.partner"]
        trusted = Partner.create(
            {"name": "Trusted", "isp_customer_class": "trusted", "isp_order_quota": 100.0, "isp_lifecycle": "customer"}
        )
        within = Partner.create(
            {"name": "Within", "isp_customer_class": "trusted", "isp_order_quota": 500.0, "isp_lifecycle": "customer"}
        )
        self._invoice(trusted, 150.0)
        self._invoice(within, 150.0)
        self._top_up(self.customer, 10.0)
        scope = [("id", "in", (self.customer + trusted + within).ids)]
        self.assertEqual(Partner.search(scope + [("isp_credit_balance", ">", 0)]), self.customer)
        self.assertEqual(Partner.search(scope + [("isp_credit_balance", "=", 0)]), trusted + within)
        self.assertEqual(Partner.search(scope + [("isp_receivable_outstanding", ">=", 150)]), trusted + within)
        self.assertEqual(Partner.search(scope + [("isp_over_quota", "=", True)]), trusted)
        self.assertEqual(Partner.search(scope + [("isp_over_quota", "=", False)]), self.customer + within)
        self.assertTrue(trusted.isp_over_quota)
        self.assertFalse(within.isp_over_quota)

    def test_smart_buttons(self):
        self._top_up(self.customer, 10.0)
        invoice = self._invoice(self.customer, 40.0)
        customer = self.customer.with_user(self.clerk)
        self.assertEqual(customer.isp_payment_count, 1)
        action = customer.action_isp_view_open_items()
        self.assertEqual(self.env["account.move"].search(action["domain"]), invoice)
        action = customer.action_isp_view_payments()
        self.assertEqual(self.env["account.payment"].search(action["domain"]).partner_id, self.customer)
        customer.activity_schedule("mail.mail_activity_data_todo", summary="Call back")
        customer.invalidate_recordset(["isp_activity_count"])
        self.assertEqual(customer.isp_activity_count, 1)
        action = customer.action_isp_view_activities()
        self.assertEqual(self.env["mail.activity"].search(action["domain"]).summary, "Call back")

    def test_apply_outstanding_credit_oldest_first(self):
        new = self._top_up(self.customer, 50.0)
        wizard = self.env["isp.credit.topup"].create(
            {"partner_id": self.customer.id, "amount": 30.0, "journal_id": self.bank_journal.id, "date": "2020-01-01"}
        )
        old = self.env["account.payment"].browse(wizard.action_confirm()["res_id"])
        invoice = self._invoice(self.customer, 60.0)
        paid = invoice._isp_apply_outstanding_credit()
        self.assertEqual(paid, invoice)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(
            old.move_id.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable").reconciled
        )
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.isp_credit_balance, 20.0)
        self.assertEqual(self.customer.isp_receivable_outstanding, 0.0)
        new_line = new.move_id.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.assertEqual(new_line.amount_residual, -20.0)

    def test_apply_credit_partially(self):
        self._top_up(self.customer, 25.0)
        invoice = self._invoice(self.customer, 100.0)
        self.assertFalse(invoice._isp_apply_outstanding_credit())
        self.assertEqual(invoice.amount_residual, 75.0)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.isp_credit_balance, 0.0)
