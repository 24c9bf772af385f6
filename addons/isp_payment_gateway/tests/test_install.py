from odoo.tests import TransactionCase, tagged

from odoo.addons.isp_sales.tests.test_install import InstalledSetupMixin


@tagged("post_install", "-at_install")
class TestInstalledPaymentGateway(InstalledSetupMixin, TransactionCase):
    def test_scheduled_debit_run_and_mandate_expiry(self):
        """The daily direct debit run and the daily expiry of unused mandates are scheduled."""
        self.assertScheduled(
            "isp_payment_gateway.ir_cron_isp_debit_run", "isp.debit.batch", "_cron_isp_debit_run", (1, "days")
        )
        self.assertScheduled(
            "isp_payment_gateway.ir_cron_isp_sepa_mandate_expire", "isp.sepa.mandate", "_cron_isp_expire", (1, "days")
        )

    def test_references_come_from_their_sequences(self):
        """New mandates and batches are numbered by their sequences (SEPA-valid mandate references)."""
        mandate_reference = self.env["isp.sepa.mandate"].default_get(["name"])["name"]
        self.assertRegex(mandate_reference, r"^ISPM-\d{6}$")
        batch_name = self.env["isp.debit.batch"].default_get(["name"])["name"]
        self.assertRegex(batch_name, r"^DD/\d{4}/\d{5}$")
        self.assertNotEqual(self.env["isp.debit.batch"].default_get(["name"])["name"], batch_name, "never twice")

    def test_new_company_collects_with_safe_sepa_defaults(self):
        """A new company starts with CORE, pain.008.001.08, 5 days' lead, 14 days' notice, a 5-day return window."""
        company = self.env["res.company"].create({"name": "New ISP GmbH"})
        self.assertEqual(
            (
                company.isp_sepa_scheme,
                company.isp_sepa_pain_version,
                company.isp_sepa_lead_days,
                company.isp_sepa_prenotification_days,
                company.isp_sepa_return_days,
            ),
            ("CORE", "08", 5, 14, 5),
        )
        self.assertEqual(company.isp_sepa_return_fee_product_id, self.env.ref("isp_payment_gateway.product_return_fee"))
        self.assertFalse(company.isp_sepa_creditor_id, "each company enters its own creditor identifier")

    def test_menus_for_the_back_office_only(self):
        """Mandates, batches and returns are reached by ISP users, the import of bank returns by managers."""
        back_office = [
            "isp_payment_gateway.isp_sepa_mandate_menu",
            "isp_payment_gateway.isp_debit_batch_menu",
            "isp_payment_gateway.isp_debit_return_menu",
        ]
        self.assertMenus(back_office, shown_to=[self.clerk, self.manager], hidden_from=[self.employee])
        self.assertMenus(
            ["isp_payment_gateway.isp_debit_return_import_menu"],
            shown_to=[self.manager],
            hidden_from=[self.clerk, self.employee],
        )
