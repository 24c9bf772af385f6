import datetime

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDemoHistory(TransactionCase):
    """The demo's three months of history, made by the product when the demo data was loaded
    (``isp.demo.history``), as the ISP manager sees it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("isp_customer.res_partner_isp_van_dijk_demo", raise_if_not_found=False):
            cls.skipTest(cls, "the demo history is made with the demo data only")
        cls.manager = new_test_user(
            cls.env,
            login="history_manager",
            groups="base.group_user,isp_customer.group_isp_manager,account.group_account_invoice",
        )
        cls.env = cls.env(user=cls.manager)
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.start = cls.today + relativedelta(months=-3, day=1)
        demo_partners = (
            cls.env["ir.model.data"]
            .sudo()
            .search(
                [
                    ("module", "=", "isp_customer"),
                    ("model", "=", "res.partner"),
                    ("name", "like", "res_partner_isp_%_demo"),
                ]
            )
        )
        cls.customers = cls.env["res.partner"].browse(demo_partners.mapped("res_id"))
        cls.invoices = cls.env["account.move"].search(
            [
                ("commercial_partner_id", "in", cls.customers.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ]
        )

    def test_invoice_runs_in_each_of_the_last_three_months(self):
        """Issue 14: an invoice run with invoices in each of the last three months."""
        runs = self.env["isp.billing.run"].search([("state", "=", "done"), ("invoice_count", ">", 0)])
        months = {(run.date.year, run.date.month) for run in runs}
        for index in range(3):
            month = self.start + relativedelta(months=index)
            self.assertIn((month.year, month.month), months)
        self.assertTrue(all(invoice.invoice_date <= self.today for invoice in self.invoices))
        self.assertGreater(len(self.invoices.filtered("isp_billing_run_id")), 30)
        # the clock is the real one again after the history (freezegun replaces the class while it runs)
        self.assertEqual(datetime.datetime.__name__, "datetime")

    def test_every_demo_invoice_has_taxes_and_a_period_per_service_line(self):
        """Issue 14: every demo customer invoice states VAT, and each service line its period (runs and orders)."""
        # dunning charges and return fees are damages: no VAT by law
        sales = self.invoices.filtered(lambda move: not move.isp_dunning_charge)
        self.assertTrue(sales)
        lines = sales.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        self.assertFalse(lines.filtered(lambda line: not line.tax_ids).mapped("name"), "lines without VAT")
        # a tax line wherever VAT is charged; EU businesses with a VAT ID get the 0 % reverse charge tax
        without_tax = sales.filtered(lambda move: not move.line_ids.filtered(lambda line: line.display_type == "tax"))
        reverse_charge = without_tax.filtered(
            lambda move: move.fiscal_position_id and not any(move.invoice_line_ids.tax_ids.mapped("amount"))
        )
        self.assertEqual(without_tax, reverse_charge, "invoices charging VAT without a tax line")
        self.assertGreater(len(sales - without_tax), len(sales) * 3 / 4)
        # the service lines of the runs and the recurring articles of orders (new services, renewals, resellers)
        service_lines = lines.filtered(lambda line: line.isp_service_id or line.product_id.isp_recurring)
        self.assertGreater(len(service_lines), 50)
        self.assertTrue(service_lines.filtered(lambda line: line.move_id.invoice_origin and not line.isp_service_id))
        self.assertFalse(
            service_lines.filtered(lambda line: not (line.isp_period_start and line.isp_period_end)).mapped("name"),
            "service lines without their period",
        )

    def test_payments_transfer_online_and_prepaid_credit(self):
        """Issue 14: invoices paid by transfer and online; prepaid credit used by an invoice run."""
        payments = self.env["account.payment"].search(
            [("partner_id", "in", self.customers.ids), ("state", "!=", "cancel")]
        )
        self.assertTrue(payments.filtered(lambda payment: "Online payment" in (payment.memo or "")))
        # the run invoices of the customers who pay themselves (direct debits: the next test)
        invoices = self.invoices.filtered(
            lambda move: move.isp_billing_run_id and move.commercial_partner_id.isp_payment_method != "sepa"
        )
        paid = invoices.filtered(lambda move: move.payment_state in ("paid", "in_payment"))
        self.assertGreater(len(paid), len(invoices) * 2 / 3, "most invoices are paid")
        self.assertTrue(invoices.filtered(lambda move: move.payment_state == "not_paid"), "some are open")
        credited = invoices.filtered(
            lambda move: move.commercial_partner_id.isp_payment_method == "credit" and move.isp_credit_applied > 0
        )
        self.assertTrue(credited, "a run applied prepaid credit")

    def test_debit_batch_with_its_file_and_a_return_with_its_fee(self):
        """Issue 14: a direct debit batch with its pain.008 file; a returned debit charged with its fee."""
        if self.env.company.currency_id.name != "EUR":
            # make test's database keeps Odoo's default company currency: SEPA collects euros only
            self.skipTest("SEPA direct debits are in euros; the demo company's currency is not")
        batches = self.env["isp.debit.batch"].search(
            [("file_id", "!=", False), ("line_ids.partner_id", "in", self.customers.ids)]
        )
        self.assertTrue(batches)
        self.assertIn(b"pain.008.001", batches[0].file_id.raw)
        self.assertTrue(batches.filtered(lambda batch: batch.state == "done"))
        returned = self.env["isp.debit.return"].search([("partner_id", "in", self.customers.ids)])
        self.assertEqual(len(returned), 1)
        self.assertEqual(returned.fee_move_id.state, "posted")
        self.assertGreater(returned.fee_move_id.amount_total, 0)
        # the bank's charge and the handling fee, collected with the returned invoice by the next batch
        self.assertEqual(returned.fee_move_id.payment_state, "paid")
        self.assertEqual(returned.move_id.payment_state, "paid")

    def test_dunning_levels_suspension_and_reactivation(self):
        """Issue 14: dunning letters at several levels; one service suspended for arrears, one reactivated."""
        letters = self.env["isp.dunning.letter"].search([("partner_id", "in", self.customers.ids)])
        self.assertGreaterEqual(len(letters.level_id), 2)
        self.assertGreaterEqual(len(letters.run_id.filtered(lambda run: run.state == "done")), 4)
        overdue = self.invoices.filtered(lambda move: move.isp_dunning_level_id and move.payment_state == "not_paid")
        self.assertGreaterEqual(len(overdue.isp_dunning_level_id), 2, "open items at several levels")
        services = self.env["isp.service"].search([("partner_id", "in", self.customers.ids)])
        suspended = services.filtered(lambda service: service.isp_dunning_suspended and service.state == "suspended")
        self.assertTrue(suspended)
        reactivated = self.env["mail.message"].search(
            [
                ("model", "=", "isp.service"),
                ("res_id", "in", services.ids),
                ("body", "ilike", "Reactivated: no arrears left."),
            ]
        )
        self.assertTrue(reactivated)
        self.assertEqual(self.env["isp.service"].browse(reactivated.mapped("res_id")).mapped("state"), ["active"])

    def test_reseller_period_renewal_churn_and_new_services(self):
        """Issue 14: a closed reseller period, a renewal, a service that ended and services started in the history."""
        reseller_orders = self.env["sale.order"].search(
            [("isp_decision", "=", "accumulated"), ("partner_id", "in", self.customers.ids)]
        )
        self.assertTrue(reseller_orders)
        self.assertEqual(set(reseller_orders.mapped("invoice_status")), {"invoiced"})
        self.assertTrue(reseller_orders.invoice_ids.isp_billing_run_id, "closed by an invoice run")
        renewal = self.env["sale.order"].search([("isp_renewal", "=", True), ("partner_id", "in", self.customers.ids)])
        self.assertEqual(renewal.invoice_ids.mapped("state"), ["posted"])
        self.assertGreater(renewal.order_line.isp_renewed_service_ids.date_end, self.today)
        churned = self.env.ref("isp_sales.isp_service_19_demo")
        self.assertEqual(churned.state, "terminated")
        self.assertTrue(self.start <= churned.date_end < self.today)
        started = self.env["isp.service"].search(
            [("partner_id", "in", self.customers.ids), ("date_start", ">", self.start), ("state", "=", "active")]
        )
        self.assertGreaterEqual(len(started), 2)
