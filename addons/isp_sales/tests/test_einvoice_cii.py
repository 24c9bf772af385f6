from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.isp_sales.engine import einvoice_rules

from .einvoice_common import (
    CII_FACTURX,
    CII_SETTLEMENT,
    CII_XRECHNUNG,
    LEITWEG_ID,
    NAMESPACES,
    IspEInvoiceCase,
    _tree,
    read,
    read_all,
)

FACTURX = CII_FACTURX
XRECHNUNG_CII = CII_XRECHNUNG
SETTLEMENT = CII_SETTLEMENT
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"


@tagged("post_install", "-at_install")
class TestEInvoiceCii(IspEInvoiceCase):
    """Issue 13: ZUGFeRD / Factur-X (EN 16931) and XRechnung CII state what the rules and the customers need."""

    def test_transfer_customer_b2b_de_19_percent_facturx(self):
        """Issue 13: a German business paying by transfer gets a valid Factur-X EN 16931 file with 19 % VAT,
        seller and buyer data, invoice and service periods, payment means 58 with the company's IBAN/BIC."""
        invoice = self._einvoice_run(
            self.b2b_de,
            [(self.hosting_19, "www.mueller.example", 10.0), (self.ebook_7, "ebook-4711", 5.0)],
            user=self.manager,
        )
        self.assertEqual((invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total), (15.0, 2.25, 17.25))
        xml = self._cii(invoice)

        self.assertEqual(
            read(xml, "//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
            "urn:cen.eu:en16931:2017",
        )
        self.assertEqual(read(xml, "//rsm:ExchangedDocument/ram:ID"), invoice.name)
        self.assertEqual(read(xml, "//rsm:ExchangedDocument/ram:TypeCode"), "380")
        self.assertEqual(read(xml, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"), "20270101")
        seller = "//ram:SellerTradeParty"
        self.assertEqual(read(xml, f"{seller}/ram:Name"), "Netzhafen GmbH")
        self.assertEqual(read(xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID"), "HRB 123456")
        self.assertIsNone(
            read(xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID/@schemeID"), "no French SIRENE scheme"
        )
        self.assertEqual(
            read(xml, f"{seller}/ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber"),
            "+49 40 1234560",
        )
        self.assertEqual(
            read(xml, f"{seller}/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"),
            "rechnung@netzhafen.example",
        )
        self.assertEqual(
            [
                read(xml, f"{seller}/ram:PostalTradeAddress/ram:{tag}")
                for tag in ("PostcodeCode", "LineOne", "CityName", "CountryID")
            ],
            ["20457", "Hafenstraße 12", "Hamburg", "DE"],
        )
        self.assertEqual(read(xml, f"{seller}/ram:URIUniversalCommunication/ram:URIID"), "rechnung@netzhafen.example")
        self.assertEqual(read(xml, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"), "DE123456788")
        buyer = "//ram:BuyerTradeParty"
        self.assertEqual(read(xml, f"{buyer}/ram:ID"), self.b2b_de.isp_customer_number)
        self.assertTrue(self.b2b_de.isp_customer_number)
        self.assertEqual(read(xml, f"{buyer}/ram:Name"), "Müller Webdesign GmbH")
        self.assertEqual(read(xml, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"), "DE811569869")
        self.assertEqual(read(xml, f"{buyer}/ram:PostalTradeAddress/ram:CityName"), "Stuttgart")
        self.assertEqual(read(xml, f"{buyer}/ram:URIUniversalCommunication/ram:URIID"), "muller@example.com")
        self.assertIsNone(read(xml, "//ram:BuyerReference"), "no buyer reference in the billing profile")

        # BG-14 from the service periods, not Odoo's invoice date / due date
        self.assertEqual(
            read(xml, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"), "20270101"
        )
        self.assertEqual(
            read(xml, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString"), "20270131"
        )
        lines = "//ram:IncludedSupplyChainTradeLineItem"
        self.assertEqual(
            read_all(xml, f"{lines}/ram:SpecifiedTradeProduct/ram:Name"),
            ["Webhosting: www.mueller.example", "E-book subscription: ebook-4711"],
        )
        self.assertEqual(
            read_all(xml, f"{lines}//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"),
            ["20270101", "20270101"],
        )
        self.assertEqual(
            read_all(xml, f"{lines}//ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString"),
            ["20270131", "20270131"],
        )
        self.assertEqual(read_all(xml, f"{lines}//ram:LineTotalAmount"), ["10.00", "5.00"])
        self.assertEqual(read_all(xml, f"{lines}//ram:ApplicableTradeTax/ram:CategoryCode"), ["S", "S"])

        means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
        self.assertEqual(read(xml, f"{means}/ram:TypeCode"), "58")
        self.assertEqual(
            read(xml, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"), "DE89370400440532013000"
        )
        self.assertEqual(read(xml, f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"), "COBADEFF")
        self.assertIsNone(read(xml, f"{means}/ram:PayerPartyDebtorFinancialAccount/ram:IBANID"))
        self.assertEqual(read(xml, f"{SETTLEMENT}/ram:PaymentReference"), invoice.payment_reference)
        self.assertEqual(
            read(xml, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"),
            invoice.invoice_date_due.strftime("%Y%m%d"),
        )
        self.assertEqual(
            sorted(self._cii_tax_breakdown(xml)),
            [("S", "19.0", "10.00", "1.90", None), ("S", "7.0", "5.00", "0.35", None)],
        )
        self.assertEqual(
            [
                read(xml, f"{SUMMATION}/ram:{tag}")
                for tag in (
                    "LineTotalAmount",
                    "TaxBasisTotalAmount",
                    "TaxTotalAmount",
                    "GrandTotalAmount",
                    "TotalPrepaidAmount",
                    "DuePayableAmount",
                )
            ],
            ["15.00", "15.00", "2.25", "17.25", "0.00", "17.25"],
        )

    def test_eu_business_reverse_charge_ae(self):
        """Issue 13: an Austrian business gets reverse charge: category AE, VATEX-EU-AE, seller and buyer VAT ID."""
        invoice = self._einvoice_run(self.eu_business, [(self.hosting_19, "alpen.example", 100.0)])
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.vat_0_eu)
        self.assertEqual(invoice.amount_total, 100.0)
        xml = self._cii(invoice)
        self.assertEqual(self._cii_tax_breakdown(xml), [("AE", "0.0", "100.00", "0.00", "VATEX-EU-AE")])
        self.assertEqual(read(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReason"), "Reverse charge")
        self.assertEqual(
            read(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:ApplicableTradeTax/ram:CategoryCode"), "AE"
        )
        self.assertEqual(
            read(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"), "DE123456788"
        )
        self.assertEqual(
            read(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"), "ATU13585627"
        )
        self.assertEqual(read(xml, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID"), "AT")
        self.assertEqual(read(xml, f"{SUMMATION}/ram:DuePayableAmount"), "100.00")

    def test_non_eu_business_not_subject_o(self):
        """Issue 13: a Swiss business is not subject to German VAT: category O without rate and without VAT IDs."""
        invoice = self._einvoice_run(self.export_business, [(self.hosting_19, "berg.example", 50.0)])
        xml = self._cii(invoice)
        self.assertEqual(self._cii_tax_breakdown(xml), [("O", "0.0", "50.00", "0.00", "VATEX-EU-O")])
        self.assertIsNone(read(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:RateApplicablePercent"))
        self.assertIsNone(
            read(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"), "BR-O-02"
        )
        self.assertEqual(read(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"), "HRB 123456")

    def test_public_sector_xrechnung_cii_with_leitweg_id(self):
        """Issue 13: a public-sector customer gets XRechnung 3.0 CII with its Leitweg-ID (BT-10), valid for KoSIT."""
        self.assertEqual(self.public_sector_cii.invoice_edi_format, "isp_xrechnung_cii")
        builder = self.public_sector_cii._get_edi_builder(self.public_sector_cii.invoice_edi_format)
        self.assertEqual(builder._name, XRECHNUNG_CII)
        invoice = self._einvoice_run(self.public_sector_cii, [(self.hosting_19, "www.landesamt.example", 20.0)])
        xml = self._cii(invoice, XRECHNUNG_CII)
        self.assertEqual(
            builder._export_invoice_filename(invoice), f"{invoice.name.replace('/', '_')}_xrechnung_cii.xml"
        )
        self.assertEqual(
            read(xml, "//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
            "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
        )
        self.assertEqual(read(xml, "//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference"), LEITWEG_ID)
        self.assertEqual(read(xml, "//ram:BuyerTradeParty/ram:ID"), self.public_sector_cii.isp_customer_number)
        self.assertEqual(read(xml, "//ram:SellerTradeParty/ram:DefinedTradeContact/ram:PersonName"), "Netzhafen GmbH")
        self.assertEqual(read(xml, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"), "58")
        self.assertEqual(read(xml, f"{SUMMATION}/ram:DuePayableAmount"), "23.80")

    def test_online_payment_customer_gets_code_1(self):
        """Issue 13: a customer who pays online (card, PayPal, ... chosen in the portal) gets payment means 1."""
        self.public_sector_cii.isp_payment_method = "online"
        invoice = self._einvoice_run(self.public_sector_cii, [(self.hosting_19, "www.landesamt.example", 20.0)])
        for builder in (FACTURX, XRECHNUNG_CII):
            with self.subTest(builder=builder):
                xml = self._cii(invoice, builder)
                means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
                self.assertEqual(read(xml, f"{means}/ram:TypeCode"), "1")
                self.assertEqual(read(xml, f"{SETTLEMENT}/ram:PaymentReference"), invoice.payment_reference)

    def test_xrechnung_cii_without_leitweg_id_breaks_br_de_15(self):
        """Issue 13: without a buyer reference the XRechnung file breaks BR-DE-15 (the sending path refuses it)."""
        self.public_sector_cii.isp_buyer_reference = False
        invoice = self._einvoice_run(self.public_sector_cii, [(self.hosting_19, "www.landesamt.example", 20.0)])
        xml, _errors = self.env[XRECHNUNG_CII]._export_invoice(invoice)
        self.assertIsNone(read(xml, "//ram:BuyerReference"), "no made-up reference")
        fatal = einvoice_rules.fatal(einvoice_rules.validate(xml, "cii", xrechnung=True))
        self.assertIn("BR-DE-15", [finding.rule_id for finding in fatal])

    def test_early_payment_discount_skonto(self):
        """Issue 13: payment terms with an early-payment discount state the #SKONTO# line of XRechnung."""
        skonto = self.env["account.payment.term"].create(
            {
                "name": "2 % within 10 days, 30 days net",
                "early_discount": True,
                "discount_percentage": 2,
                "discount_days": 10,
                "line_ids": [Command.create({"value": "percent", "nb_days": 30, "value_amount": 100})],
            }
        )
        self.public_sector_cii.property_payment_term_id = skonto
        invoice = self._einvoice_run(self.public_sector_cii, [(self.hosting_19, "www.landesamt.example", 100.0)])
        self.assertEqual(invoice.invoice_payment_term_id, skonto)
        xml = self._cii(invoice, XRECHNUNG_CII)
        terms = f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms"
        description = _raw(xml, f"{terms}/ram:Description")
        self.assertEqual(description, "2 % within 10 days, 30 days net\n#SKONTO#TAGE=10#PROZENT=2.00#\n")
        self.assertEqual(read(xml, f"{terms}/ram:DueDateDateTime/udt:DateTimeString"), "20270131")
        self._cii(invoice)  # the same terms in Factur-X

    def test_partly_paid_from_prepaid_credit(self):
        """Issue 13: prepaid credit the run applies is the paid amount (BT-113); the amount due (BT-115) is the rest."""
        self.b2b_de.isp_customer_class = "credited"
        with freeze_time("2026-12-20"):
            self._top_up(self.b2b_de, 10.0)
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 20.0)])
        self.assertEqual(
            (invoice.amount_total, invoice.isp_credit_applied, invoice.amount_residual), (23.8, 10.0, 13.8)
        )
        xml = self._cii(invoice)
        self.assertEqual(
            [
                read(xml, f"{SUMMATION}/ram:{tag}")
                for tag in ("GrandTotalAmount", "TotalPrepaidAmount", "DuePayableAmount")
            ],
            ["23.80", "10.00", "13.80"],
        )

    def test_credit_note_from_regenerate_refers_to_the_invoice(self):
        """Issue 13: the credit note of "Regenerate" is type 381 and names the corrected invoice (BT-25/BT-26)."""
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)])
        with freeze_time("2027-01-10"):
            invoice.with_user(self.clerk).action_isp_regenerate()
        credit_note = invoice.reversal_move_ids
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        xml = self._cii(credit_note)
        self.assertEqual(read(xml, "//rsm:ExchangedDocument/ram:TypeCode"), "381")
        self.assertEqual(read(xml, "//rsm:ExchangedDocument/ram:ID"), credit_note.name)
        reference = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
        self.assertEqual(read(xml, f"{reference}/ram:IssuerAssignedID"), invoice.name)
        self.assertEqual(read(xml, f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString"), "20270101")
        self.assertEqual(read(xml, f"{SUMMATION}/ram:GrandTotalAmount"), "11.90")
        self.assertEqual(read(xml, f"{SUMMATION}/ram:DuePayableAmount"), "11.90")
        new_invoice = self.env["account.move"].search([("isp_regenerated_from_id", "=", invoice.id)])
        new_xml = self._cii(new_invoice)
        self.assertEqual(read(new_xml, "//rsm:ExchangedDocument/ram:TypeCode"), "380")
        self.assertEqual(read(new_xml, f"{reference}/ram:IssuerAssignedID"), invoice.name)

    def test_odoo_format_follows_the_billing_profile(self):
        """Issue 13: Odoo's e-invoice format (the sending path's) is always the billing profile's."""
        expected = {
            self.b2b_de: "facturx",
            self.consumer_de: False,
            self.public_sector: "xrechnung",
            self.public_sector_cii: "isp_xrechnung_cii",
        }
        for partner, odoo_format in expected.items():
            self.assertEqual(partner.invoice_edi_format, odoo_format, partner.name)
        self.b2b_de.with_user(self.manager).isp_einvoice_format = "xrechnung_cii"
        self.assertEqual(self.b2b_de.invoice_edi_format, "isp_xrechnung_cii")
        self.b2b_de.with_user(self.manager).invoice_edi_format = "xrechnung"
        self.assertEqual(self.b2b_de.isp_einvoice_format, "xrechnung_ubl")
        with self.assertRefused(Exception, "not offered"):
            self.b2b_de.with_user(self.manager).invoice_edi_format = "ubl_bis3"
        self.assertFieldUnchanged(self.b2b_de, "isp_einvoice_format", "xrechnung_ubl")
        self.assertIn("isp_xrechnung_cii", self.env["res.partner"]._get_ubl_cii_formats())


def _raw(xml, xpath):
    """The text of the first node as it stands, line breaks included."""
    nodes = _tree(xml).xpath(xpath, namespaces=NAMESPACES)
    return nodes[0].text if nodes else None
