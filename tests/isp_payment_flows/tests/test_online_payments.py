import json
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import BaseCase, HttpCase, new_test_user, tagged
from odoo.tools import hmac, mute_logger

from odoo.addons.isp_customer.tests.common import IspTestMixin
from odoo.addons.isp_payment_gateway.engine.amounts import AmountError, parse_amount
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

    def _top_up_tx(self, amount, reference="TOPUP-1", top_up=True):
        """A transaction of the portal top-up (``isp_topup``), or, with ``top_up=False``, any other payment."""
        return self._create_transaction(
            "direct",
            reference=reference,
            amount=amount,
            currency_id=self.currency.id,
            partner_id=self.business.id,
            **({"isp_topup": True} if top_up else {}),
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
        self.business.invalidate_recordset()
        self.assertEqual(self.business.isp_credit_balance, 60.0, "a refused refund pays nothing back")
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

    def test_p06_quotation_paid_online_pays_no_other_invoice(self):
        """Issue 12, point 6: a quotation paid online is confirmed and its payment waits for its invoice;
        the customer's older open invoice stays unpaid."""
        old = self._due_invoice(self.business, 80.0, "2026-10-31")
        salesman = new_test_user(self.env, login="p06_sales", groups="sales_team.group_sale_salesman")
        product = self.env["product.product"].create(
            {"name": "Installation", "type": "service", "list_price": 50.0, "taxes_id": [], "invoice_policy": "order"}
        )
        quotation = (
            self.env["sale.order"]
            .with_user(salesman)
            .create({"partner_id": self.business.id, "order_line": [Command.create({"product_id": product.id})]})
        )
        self.assertEqual((quotation.state, quotation.amount_total), ("draft", 50.0))
        tx = self._create_transaction(
            "redirect",
            reference=quotation.name,
            amount=50.0,
            currency_id=self.currency.id,
            partner_id=self.business.id,
            sale_order_ids=[Command.set(quotation.ids)],
        )
        self._notify_done(tx)
        self.assertEqual(quotation.state, "sale", "the payment confirmed the quotation, as in Odoo's sale flow")
        self.assertEqual((old.payment_state, old.amount_residual), ("not_paid", 80.0), "the older invoice stays open")
        self.assertEqual(tx.payment_id.amount, 50.0)
        self.assertFalse(tx.payment_id.is_reconciled, "the payment waits for the order's invoice")
        # Odoo's sale flow: the order's invoice takes the order's payment when it is posted
        invoice = quotation._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual((old.payment_state, old.amount_residual), ("not_paid", 80.0))

    def test_p15_payment_without_the_top_up_mark_is_no_top_up(self):
        """Issue 12, point 15: a payment that the top-up form did not make (a top-up-like reference, below the
        minimum) is not booked as a top-up: it does not settle the customer's invoices."""
        self.env.company.isp_topup_minimum = 10.0
        invoice = self._due_invoice(self.business, 30.0, "2026-10-31")
        tx = self._top_up_tx(5.0, "TOPUP-SHORT", top_up=False)
        self._notify_done(tx)
        self.assertEqual(tx.state, "done")
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("not_paid", 30.0))
        self.assertFalse(tx.payment_id.is_reconciled, "left for the accountant, as Odoo leaves any payment on account")

    def test_foreign_currency_payment_at_company_rate(self):
        usd = self.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        invoice = self._due_invoice(self.business, 40.0, "2026-11-30")
        # 50 USD at 1.25 USD per EUR are 40 EUR on the customer's account
        tx = self._create_transaction(
            "direct",
            reference="TOPUP-USD",
            amount=50.0,
            currency_id=usd.id,
            partner_id=self.business.id,
            isp_topup=True,
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
        cls.contact = cls.env["res.partner"].create(
            {"name": "Topup Admin", "parent_id": cls.customer.id, "email": "t@example.com"}
        )
        new_test_user(cls.env, login="topup", groups="base.group_portal", partner_id=cls.contact.id)
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        cls.provider.write(
            {
                "state": "test",
                "is_published": True,
                "journal_id": cls.env["account.journal"]
                .search([("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1)
                .id,
            }
        )

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
        self.assertEqual((params["amount"], params["partner_id"]), ("25.5", str(self.contact.id)))
        # the payment form accepts the link: a wrong access token would answer 404
        pay_page = self.url_open(response.headers["Location"])
        self.assertEqual(pay_page.status_code, 200)
        self.assertIn("25.50", pay_page.text)
        self.assertIn('data-transaction-route="/my/credit/transaction"', pay_page.text)
        self.assertNotIn("Make sure you are logged in as the correct partner", pay_page.text)

    def test_p15_malformed_amounts_are_refused_by_the_form(self):
        """Issue 12, point 15: nan, inf, 1e400, negative, below the minimum, more decimals than the currency:
        the form's error, no payment started."""
        self.authenticate("topup", "topup")
        transactions = self.env["payment.transaction"].search_count([])
        for amount in ("nan", "NaN", "inf", "-inf", "1e400", "1e300", "-25", "0", "9.99", "10.555", "abc", ""):
            with self.subTest(amount=amount):
                response = self._post(amount)
                self.assertEqual(response.status_code, 200, "no redirect to the payment form")
                self.assertIn("alert alert-danger", response.text)
                self.assertNotIn("/payment/pay", response.headers.get("Location", ""))
        self.assertEqual(self.env["payment.transaction"].search_count([]), transactions, "no transaction")

    def _rpc(self, route, params):
        data = json.dumps({"id": 0, "jsonrpc": "2.0", "method": "call", "params": params})
        return self.url_open(route, data=data, headers={"Content-Type": "application/json"}).json()

    def _transaction_params(self, amount, **values):
        return {
            "provider_id": self.provider.id,
            "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
            "token_id": None,
            "amount": amount,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/payment/confirmation",
            "is_validation": False,
            # the token that the payment page gives for this amount (payment.utils.generate_access_token)
            "access_token": hmac(
                self.env(su=True),
                "generate_access_token",
                f"{self.contact.id}|{amount}|{self.env.company.currency_id.id}",
            ),
            **values,
        }

    def test_p15_top_up_transactions_only_for_accepted_amounts(self):
        """Issue 12, point 15: the top-up transaction refuses what the form refuses (even with a valid access
        token), and what it accepts is marked as the product's own top-up."""
        self.authenticate("topup", "topup")
        transactions = self.env["payment.transaction"].search_count([])
        cases = [
            (9.99, "Enter an amount of at least"),
            (0.0, "Enter an amount of at least"),
            (10.555, "at most 2 decimal places"),
            (-25.0, "Enter the amount in figures"),
            (1e12, "Enter the amount in figures"),
        ]
        for amount, error in cases:
            with self.subTest(amount=amount), mute_logger("odoo.http"):
                answer = self._rpc("/my/credit/transaction", self._transaction_params(amount))
                self.assertIn(error, answer["error"]["data"]["message"])
        self.assertEqual(self.env["payment.transaction"].search_count([]), transactions, "no transaction")

        answer = self._rpc("/my/credit/transaction", self._transaction_params(25.5))
        self.assertIn("result", answer, answer)
        tx = self.env["payment.transaction"].search([("reference", "=", answer["result"]["reference"])])
        self.assertTrue(tx.isp_topup)
        self.assertEqual((tx.amount, tx.currency_id, tx.partner_id), (25.5, self.env.company.currency_id, self.contact))
        self.assertTrue(tx.reference.startswith(f"TOPUP-{self.customer.isp_customer_number}"))
        # the generic route makes payments, never top-ups, whatever their reference
        answer = self._rpc(
            "/payment/transaction",
            self._transaction_params(
                5.0,
                currency_id=self.env.company.currency_id.id,
                partner_id=self.contact.id,
                reference_prefix=f"TOPUP-{self.customer.isp_customer_number}",
            ),
        )
        generic = self.env["payment.transaction"].search([("reference", "=", answer["result"]["reference"])])
        self.assertFalse(generic.isp_topup)


@tagged("post_install", "-at_install")
class TestTopUpAmountFormat(BaseCase):
    """The portal top-up's amount reader, without a database."""

    def test_amounts_in_figures_are_read(self):
        cases = [
            ("25", "25.0"),
            ("25.50", "25.5"),
            ("25,5", "25.5"),
            (" 10.00 ", "10.0"),
            ("999999999.99", "999999999.99"),
        ]
        for text, expected in cases:
            with self.subTest(text=text):
                self.assertEqual(parse_amount(text, 2), Decimal(expected))
        self.assertEqual(parse_amount("1500", 0), Decimal("1500"))

    def test_anything_else_is_refused_with_its_reason(self):
        for text in (
            "nan",
            "inf",
            "-inf",
            "1e400",
            "1E3",
            "-25",
            "+25",
            "1.000,50",
            "1 000",
            "€25",
            "25.",
            ".5",
            "",
            None,
        ):
            with self.subTest(text=text), self.assertRaises(AmountError) as caught:
                parse_amount(text, 2)
            self.assertEqual(caught.exception.reason, "format")
        for text, places in (("10.555", 2), ("10.5", 0), ("0.001", 2)):
            with self.subTest(text=text), self.assertRaises(AmountError) as caught:
                parse_amount(text, places)
            self.assertEqual(caught.exception.reason, "decimals")
        with self.assertRaises(AmountError):
            parse_amount("1000000000", 2)
