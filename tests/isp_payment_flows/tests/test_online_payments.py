from urllib.parse import parse_qs, urlparse

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.isp_customer.tests.common import IspTestMixin
from odoo.addons.isp_payment_gateway.tests.common import IspPaymentCase
from odoo.addons.payment.tests.common import PaymentCommon


@tagged("post_install", "-at_install")
class TestOnlinePayments(PaymentCommon, IspPaymentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls._prepare_provider(code="demo")
        cls.provider.journal_id = cls.company_data["default_journal_bank"]
        cls.currency = cls.env.company.currency_id

    def setUp(self):
        # the transactions' post-processing (payment creation) is what these tests check
        self.enable_post_process_patcher = False
        super().setUp()

    def _notify_done(self, tx):
        self.env["payment.transaction"]._handle_notification_data(
            "demo", {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"}
        )
        tx._post_process()

    def _top_up_tx(self, amount, reference="TOPUP-1"):
        return self._create_transaction(
            "direct", reference=reference, amount=amount, currency_id=self.currency.id, partner_id=self.business.id
        )

    def test_top_up_becomes_credit_once(self):
        tx = self._top_up_tx(50.0)
        self._notify_done(tx)
        self.assertEqual(tx.state, "done")
        payment = tx.payment_id
        self.assertEqual((payment.state, payment.amount, payment.partner_id), ("in_process", 50.0, self.business))
        self.business.invalidate_recordset()
        self.assertEqual(self.business.isp_credit_balance, 50.0, "outstanding credit for the next invoices and orders")
        # the same notification delivered again creates nothing
        self._notify_done(tx)
        self.assertEqual(self.env["account.payment"].search_count([("payment_transaction_id", "=", tx.id)]), 1)

    def test_payment_on_account_settles_oldest_invoices_first(self):
        older = self._due_invoice(self.business, 30.0, "2026-10-31")
        newer = self._due_invoice(self.business, 40.0, "2026-11-30")
        self._notify_done(self._top_up_tx(50.0, "TOPUP-2"))
        self.assertEqual(older.payment_state, "paid")
        self.assertEqual((newer.payment_state, newer.amount_residual), ("partial", 20.0), "the remainder stays open")
        self.business.invalidate_recordset()
        self.assertEqual(self.business.isp_credit_balance, 0.0)
        # an overpayment: the rest stays as credit
        self._notify_done(self._top_up_tx(25.0, "TOPUP-3"))
        self.assertEqual(newer.payment_state, "paid")
        self.business.invalidate_recordset()
        self.assertEqual(self.business.isp_credit_balance, 5.0)

    def test_overpayment_refunded_on_request(self):
        self._notify_done(self._top_up_tx(60.0, "TOPUP-4"))
        with self.assertRefused(UserError, "Only ISP managers"):
            self.business.with_user(self.clerk).action_isp_refund_credit()
        action = self.business.action_isp_refund_credit()
        refund = self.env["account.payment"].browse(action["res_id"])
        self.assertEqual((refund.payment_type, refund.amount), ("outbound", 60.0))
        self.business.invalidate_recordset()
        self.assertEqual(self.business.isp_credit_balance, 0.0)
        with self.assertRefused(UserError, "no credit to refund"):
            self.business.action_isp_refund_credit()

    def test_unknown_reference_creates_nothing(self):
        payments = self.env["account.payment"].search_count([])
        with self.assertRefused(ValidationError, "No transaction found"):
            self.env["payment.transaction"]._handle_notification_data(
                "demo", {"reference": "NO-SUCH-REFERENCE", "simulated_state": "done"}
            )
        self.assertEqual(self.env["account.payment"].search_count([]), payments)

    def test_invoice_paid_online(self):
        invoice = self._due_invoice(self.business, 99.0, "2026-12-31")
        tx = self._create_transaction(
            "redirect",
            reference=invoice.name,
            amount=99.0,
            currency_id=self.currency.id,
            partner_id=self.business.id,
            invoice_ids=[invoice.id],
        )
        self._notify_done(tx)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_foreign_currency_payment_at_company_rate(self):
        usd = self.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        invoice = self._due_invoice(self.business, 40.0, "2026-11-30")
        # 50 USD at 1.25 USD per EUR are 40 EUR on the customer's account
        tx = self._create_transaction(
            "direct", reference="TOPUP-USD", amount=50.0, currency_id=usd.id, partner_id=self.business.id
        )
        self._notify_done(tx)
        payment = tx.payment_id
        self.assertEqual((payment.currency_id, payment.amount), (usd, 50.0))
        receivable = payment.move_id.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.assertEqual((receivable.amount_currency, receivable.balance), (-50.0, -40.0))
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.business.invalidate_recordset()
        self.assertEqual(self.business.isp_credit_balance, 0.0, "nothing left over, no exchange difference")

    def test_early_payment_discount_online(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "2 % within 10 days, 30 days net",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.business.id,
                "invoice_date": fields.Date.context_today(self.env.user),
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    Command.create({"name": "Hosting", "quantity": 1, "price_unit": 200.0, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        # the portal offers the discounted amount within the period, as Odoo does
        self.assertEqual(invoice._get_invoice_next_payment_values()["amount_due"], 196.0)
        tx = self._create_transaction(
            "redirect",
            reference="EPD-1",
            amount=196.0,
            currency_id=self.currency.id,
            partner_id=self.business.id,
            invoice_ids=[invoice.id],
        )
        self._notify_done(tx)
        self.assertEqual(invoice.amount_residual, 0.0, "the discount closes the invoice")
        discount_account = self.env.company.account_journal_early_pay_discount_loss_account_id
        self.assertEqual(
            tx.payment_id.move_id.line_ids.filtered(lambda line: line.account_id == discount_account).balance, 4.0
        )


@tagged("post_install", "-at_install")
class TestTopUpPortal(IspTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.isp_topup_minimum = 10.0
        cls.customer = cls.env["res.partner"].create(
            {"name": "Topup AG", "is_company": True, "isp_lifecycle": "customer"}
        )
        contact = cls.env["res.partner"].create(
            {"name": "Topup Admin", "parent_id": cls.customer.id, "email": "t@example.com"}
        )
        new_test_user(cls.env, login="topup", groups="base.group_portal", partner_id=contact.id)

    def _post(self, amount):
        page = self.url_open("/my/credit")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        return self.url_open("/my/credit", data={"csrf_token": token, "amount": amount}, allow_redirects=False)

    def test_top_up_form(self):
        self.authenticate("topup", "topup")
        page = self.url_open("/my/credit")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Prepaid Credit", page.text)
        response = self._post("5")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Enter an amount of at least", response.text)
        response = self._post("25,50")
        self.assertEqual(response.status_code, 303)
        location = urlparse(response.headers["Location"])
        self.assertEqual(location.path, "/payment/pay")
        params = {key: values[0] for key, values in parse_qs(location.query).items()}
        self.assertEqual((params["amount"], params["partner_id"]), ("25.5", str(self.customer.id)))
        # the payment form accepts the link: a wrong access token would answer 404
        pay_page = self.url_open(response.headers["Location"])
        self.assertEqual(pay_page.status_code, 200)
        self.assertIn("25.50", pay_page.text)
