"""The demo database: a believable German provider (issue 14). These tests read the demo data
that ``make test`` and ``make run`` install; they are skipped on a database without it."""

from stdnum import iban as stdnum_iban
from stdnum.de import vat as de_vat
from stdnum.eu import at_02
from stdnum.eu import vat as eu_vat

from odoo import Command, fields
from odoo.tests import HttpCase, TransactionCase, tagged


class DemoDataMixin:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("isp_sales.product_isp_domain_de_demo", raise_if_not_found=False):
            cls.skipTest(cls, "the database has no demo data")
        cls.company = cls.env.ref("base.main_company")

    @classmethod
    def _demo_records(cls, model, module_names):
        """The records of ``model`` that the demo data of ``module_names`` made."""
        data = cls.env["ir.model.data"].search(
            [("model", "=", model), ("module", "in", module_names), ("name", "=like", "%\\_demo")]
        )
        return cls.env[model].browse(data.mapped("res_id"))


@tagged("post_install", "-at_install")
class TestDemoProvider(DemoDataMixin, TransactionCase):
    def test_provider_company_legal_data(self):
        """Issue 14: the demo provider states what a German GmbH's invoice needs."""
        company = self.company
        self.assertTrue(company.name.endswith(" GmbH"), company.name)
        self.assertEqual(company.country_id.code, "DE")
        self.assertTrue(company.street and company.zip and company.city, "full address")
        self.assertEqual(company.state_id, self.env.ref("base.state_de_be"))
        self.assertTrue(de_vat.is_valid(company.vat), f"USt-IdNr. with a valid check digit: {company.vat}")
        self.assertRegex(company.company_registry, r"^Amtsgericht \w+, HRB \d+ B$")
        self.assertTrue(company.isp_managing_directors)
        self.assertTrue(company.phone and company.email and company.website)
        self.assertTrue(company.logo, "a logo")
        if "l10n_de_stnr" in company._fields:
            self.assertTrue(company.get_l10n_de_stnr_national(), "a tax number valid for Berlin")
        footer = str(company.report_footer)
        for fact in ("Geschäftsführer", "St.-Nr.", company.isp_managing_directors):
            self.assertIn(fact, footer)
        self.assertIn("14 Tagen", company.with_context(lang="de_DE").isp_invoice_terms)
        self.assertIn("14 days", company.with_context(lang="en_US").isp_invoice_terms)

    def test_provider_bank_account_and_creditor_identifier(self):
        """Issue 14: the provider's IBAN and BIC, its SEPA creditor identifier and debit journal."""
        company = self.company
        # the first of the company's accounts: the one its invoices name for payment
        account = company.partner_id.bank_ids[:1]
        self.assertTrue(stdnum_iban.is_valid(account.acc_number), account.acc_number)
        self.assertEqual(account.bank_id.bic, "BELADEBEXXX")
        self.assertTrue(at_02.is_valid(company.isp_sepa_creditor_id), company.isp_sepa_creditor_id)
        self.assertNotEqual(company.isp_sepa_creditor_id, "DE98ZZZ09999999999", "not the Bundesbank's test id")
        self.assertEqual(company.isp_sepa_journal_id.bank_account_id, account)
        invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": self.env.ref("isp_customer.res_partner_isp_van_dijk_demo").id}
        )
        self.assertEqual(invoice.partner_bank_id, account, "invoices ask customers to pay to this account")

    def test_staff_users_work_in_the_provider_company(self):
        """Issue 14: the demo staff belong to the provider only; admin lands in it."""
        for xmlid in ("isp_customer.res_users_isp_manager_demo", "isp_customer.res_users_isp_clerk_demo"):
            user = self.env.ref(xmlid)
            self.assertEqual((user.company_id, user.company_ids), (self.company, self.company))
        self.assertEqual(self.env.ref("base.user_admin").company_id, self.company)

    def test_every_article_has_german_vat(self):
        """Issue 14: every demo ISP article carries 19 % VAT of the provider; 7 % is at hand."""
        articles = self._demo_records("product.product", ["isp_sales"])
        self.assertGreaterEqual(len(articles), 12)
        for article in articles:
            taxes = article.taxes_id.filtered(lambda tax: tax.company_id == self.company)
            self.assertEqual(taxes.mapped("amount"), [19.0], article.display_name)
            self.assertEqual((taxes.type_tax_use, taxes.amount_type, taxes.price_include), ("sale", "percent", False))
        vat_19 = articles.taxes_id.filtered(lambda tax: tax.company_id == self.company)
        self.assertEqual(self.company._isp_vat_sale_tax(19.0), vat_19, "found again, not made twice")
        vat_7 = self.company._isp_vat_sale_tax(7.0)
        self.assertEqual(
            (vat_7.amount, vat_7.type_tax_use, vat_7.country_id), (7.0, "sale", self.company.account_fiscal_country_id)
        )
        self.assertEqual(self.company._isp_vat_sale_tax(7.0), vat_7)
        ipv6 = self.env.ref("isp_sales.isp_service_13_demo")
        self.assertEqual(ipv6.product_id, self.env.ref("isp_sales.product_isp_ip_net6_48_demo"))
        self.assertGreater(ipv6.price_unit, 0.0)

    def test_business_customers_have_vat_ids(self):
        """Issue 14: the demo companies (GmbH, AG, KG, B.V., ...) have VAT IDs with valid check digits."""
        partners = self._demo_records("res.partner", ["isp_customer"]).filtered(
            lambda partner: partner.isp_customer_kind == "company"
        )
        self.assertGreaterEqual(len(partners), 10)
        for partner in partners:
            if partner.country_id.code == "CH":
                self.assertRegex(partner.vat, r"^CHE-\d{3}\.\d{3}\.\d{3} MWST$")
            else:
                self.assertTrue(eu_vat.is_valid(partner.vat) or partner.vat.startswith("GB"), partner.name)
                self.assertTrue(partner.vat.startswith(partner.country_id.code.replace("AT", "ATU")), partner.name)

    def test_direct_debit_customers_have_active_mandates(self):
        """Issue 14: the demo customers who pay by direct debit have an active mandate; their invoice
        announces mandate reference, creditor identifier and debit date."""
        customers = self._demo_records("res.partner", ["isp_customer"]).filtered(
            lambda partner: partner.isp_payment_method == "sepa" and partner.isp_lifecycle == "customer"
        )
        self.assertGreaterEqual(len(customers), 3)
        for customer in customers:
            mandate = customer._isp_active_mandate(self.company)
            self.assertTrue(mandate, customer.name)
            self.assertIn(mandate.bank_account_id, customer.bank_ids)
            self.assertLessEqual(mandate.signature_date, fields.Date.today())
        anna = self.env.ref("isp_customer.res_partner_isp_anna_becker_demo")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": anna.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": self.env.ref("isp_sales.product_isp_line_dsl_demo").id, "quantity": 1}
                    )
                ],
            }
        )
        notice = invoice._isp_sepa_prenotification()
        self.assertEqual(notice["mandate_reference"], anna._isp_active_mandate(self.company).name)
        self.assertEqual(notice["creditor_identifier"], self.company.isp_sepa_creditor_id)
        self.assertGreater(notice["debit_date"], invoice.invoice_date)


@tagged("post_install", "-at_install")
class TestDemoPortalLogins(DemoDataMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env.ref("isp_customer.res_users_isp_portal_customer_demo")
        cls.reseller = cls.env.ref("isp_customer.res_users_isp_portal_reseller_demo")
        cls.invoices = {}
        for user in (cls.customer, cls.reseller):
            invoice = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": user.partner_id.commercial_partner_id.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": cls.env.ref("isp_sales.product_isp_domain_de_demo").id, "quantity": 1}
                        )
                    ],
                }
            )
            invoice.action_post()
            cls.invoices[user] = invoice

    def test_portal_logins_are_the_customers(self):
        """Issue 14: 'kunde' is the consumer Anna Becker (direct debit); 'reseller' a contact of a trusted reseller."""
        self.assertEqual(self.customer.login, "kunde")
        self.assertTrue(self.customer.share)
        self.assertEqual(self.customer.partner_id, self.env.ref("isp_customer.res_partner_isp_anna_becker_demo"))
        self.assertEqual(self.reseller.login, "reseller")
        self.assertNotEqual(self.reseller.partner_id, self.reseller.partner_id.commercial_partner_id)
        self.assertEqual(self.reseller.partner_id.commercial_partner_id.isp_customer_class, "reseller")
        self.assertEqual(self.env.ref("base.demo_user0").login, "portal", "why the demo logins are not 'portal'")

    def test_portal_shows_own_services_and_invoices_only(self):
        """Issue 14: each demo portal login sees its own services and invoices, not another customer's."""
        pairs = ((self.customer, self.reseller), (self.reseller, self.customer))
        for user, other in pairs:
            Service = self.env["isp.service"]
            own_services = Service.search([("partner_id", "=", user.partner_id.commercial_partner_id.id)])
            other_services = Service.search([("partner_id", "=", other.partner_id.commercial_partner_id.id)])
            self.assertTrue(own_services and other_services)
            self.authenticate(user.login, user.login)
            page = self.url_open("/my/services")
            self.assertEqual(page.status_code, 200)
            for service in own_services.filtered(lambda service: service.state != "terminated"):
                self.assertIn(service.name, page.text, user.login)
            for service in other_services:
                self.assertNotIn(service.name, page.text, user.login)
            page = self.url_open("/my/invoices")
            self.assertEqual(page.status_code, 200)
            self.assertIn(self.invoices[user].name, page.text)
            self.assertNotIn(self.invoices[other].name, page.text)
            page = self.url_open(f"/my/invoices/{self.invoices[other].id}")
            self.assertNotIn(self.invoices[other].name, page.text, "another customer's invoice")
