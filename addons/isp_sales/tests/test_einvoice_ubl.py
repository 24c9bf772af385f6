from functools import cache
from pathlib import Path

from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged

from odoo.addons.isp_sales.engine import einvoice_rules

from .einvoice_common import LEITWEG_ID, NAMESPACES, IspEInvoiceCase, read, read_all

SELLER = "/ubl:Invoice/cac:AccountingSupplierParty/cac:Party"
BUYER = "/ubl:Invoice/cac:AccountingCustomerParty/cac:Party"
XRECHNUNG_3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


@tagged("post_install", "-at_install")
class TestEInvoiceUbl(IspEInvoiceCase):
    """Issue 13: XRechnung UBL of the invoice run, built by Odoo's account.edi.xml.ubl_de with the product's values."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.b2b_de.write({"isp_einvoice_format": "xrechnung_ubl", "isp_buyer_reference": "PO-4711"})
        cls.eu_business.write({"isp_einvoice_format": "xrechnung_ubl", "isp_buyer_reference": "AT-REF-9"})
        cls.export_business.write({"isp_einvoice_format": "xrechnung_ubl", "isp_buyer_reference": "CH-REF-3"})

    def _xrechnung(self, invoice):
        """The XRechnung UBL file of ``invoice`` as the ISP clerk who sends it makes it, checked: no builder
        error (the sending path stops on them) and valid against the UBL 2.1 schema (element order)."""
        return xrechnung_ubl(self, invoice, self.clerk)

    def assertNoFatalFindings(self, xml):
        findings = einvoice_rules.validate(xml, "ubl", xrechnung=True)
        self.assertEqual(einvoice_rules.format_findings(einvoice_rules.fatal(findings)), "")

    def _run_invoice(self, customer, services):
        invoice = self._einvoice_run(customer, services, user=self.manager)
        self.assertEqual(len(invoice), 1)
        return invoice

    def test_public_sector_leitweg_id_periods_and_seller_contact(self):
        """Issue 13: public sector gets XRechnung UBL 3.0 with Leitweg-ID, seller contact and service periods."""
        invoice = self._run_invoice(
            self.public_sector,
            [(self.hosting_19, "www.musterhausen.example", 100.0), (self.ebook_7, "bibliothek-42", 20.0)],
        )
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:CustomizationID"), XRECHNUNG_3)
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:ID"), invoice.name)
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:InvoiceTypeCode"), "380")
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:BuyerReference"), LEITWEG_ID)
        # seller: name, address, VAT ID and the contact XRechnung requires (BR-DE-5/6/7)
        self.assertEqual(read(xml, f"{SELLER}/cac:PartyLegalEntity/cbc:RegistrationName"), "Netzhafen GmbH")
        self.assertEqual(read(xml, f"{SELLER}/cac:PostalAddress/cbc:CityName"), "Hamburg")
        self.assertEqual(read(xml, f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID"), "DE123456788")
        self.assertEqual(read(xml, f"{SELLER}/cac:Contact/cbc:Name"), "Netzhafen GmbH")
        self.assertEqual(read(xml, f"{SELLER}/cac:Contact/cbc:Telephone"), "+49 40 1234560")
        self.assertEqual(read(xml, f"{SELLER}/cac:Contact/cbc:ElectronicMail"), "rechnung@netzhafen.example")
        # buyer: the customer number as buyer identifier (BT-46), no VAT scheme without a VAT ID
        self.assertTrue(self.public_sector.isp_customer_number)
        self.assertEqual(
            read_all(xml, f"{BUYER}/cac:PartyIdentification/cbc:ID"), [self.public_sector.isp_customer_number]
        )
        self.assertEqual(read(xml, f"{BUYER}/cac:PartyLegalEntity/cbc:RegistrationName"), "Stadt Musterhausen")
        self.assertFalse(read_all(xml, f"{BUYER}/cac:PartyTaxScheme"))
        # BG-14 and BG-26: January 2027, on the invoice and on each line with its service identifier
        self.assertEqual(read(xml, "/ubl:Invoice/cac:InvoicePeriod/cbc:StartDate"), "2027-01-01")
        self.assertEqual(read(xml, "/ubl:Invoice/cac:InvoicePeriod/cbc:EndDate"), "2027-01-31")
        self.assertFalse(read_all(xml, "/ubl:Invoice/cac:Delivery"), "no delivery date or address for services")
        self.assertEqual(read_all(xml, "//cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate"), ["2027-01-01"] * 2)
        self.assertEqual(read_all(xml, "//cac:InvoiceLine/cac:InvoicePeriod/cbc:EndDate"), ["2027-01-31"] * 2)
        # BT-153: the item name names the service
        names = read_all(xml, "//cac:InvoiceLine/cac:Item/cbc:Name")
        self.assertEqual(names, [line.name.split("\n")[0] for line in invoice.invoice_line_ids])
        self.assertIn("www.musterhausen.example", names[0])
        self.assertIn("bibliothek-42", names[1])
        # German VAT 19 % and 7 % side by side
        self.assertEqual(read_all(xml, "/ubl:Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID"), ["S", "S"])
        rates = read_all(xml, "/ubl:Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent")
        self.assertEqual(sorted(float(rate) for rate in rates), [7.0, 19.0])
        self.assertEqual(read(xml, "/ubl:Invoice/cac:TaxTotal/cbc:TaxAmount"), "20.40")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"), "120.00")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"), "140.40")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "140.40")

    def test_transfer_customer_19_percent_payment_means_58(self):
        """Issue 13: a transfer customer's XRechnung UBL says SEPA credit transfer (58) to the company's IBAN/BIC."""
        invoice = self._run_invoice(self.b2b_de, [(self.hosting_19, "mueller-webdesign.example", 50.0)])
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:BuyerReference"), "PO-4711")
        self.assertEqual(read(xml, f"{BUYER}/cac:PartyTaxScheme/cbc:CompanyID"), "DE811569869")
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:DueDate"), str(invoice.invoice_date_due))
        self.assertEqual(read_all(xml, "//cac:PaymentMeans/cbc:PaymentMeansCode"), ["58"])
        self.assertEqual(read(xml, "//cac:PaymentMeans/cbc:PaymentID"), invoice.payment_reference)
        self.assertEqual(read(xml, "//cac:PayeeFinancialAccount/cbc:ID"), "DE89370400440532013000")
        self.assertEqual(read(xml, "//cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"), "COBADEFF")
        self.assertFalse(read_all(xml, "//cac:PaymentMandate"))
        self.assertEqual(read_all(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID"), ["S"])
        self.assertEqual(read(xml, "//cac:TaxSubtotal/cbc:TaxableAmount"), "50.00")
        self.assertEqual(read(xml, "//cac:TaxSubtotal/cbc:TaxAmount"), "9.50")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "59.50")

    def test_online_payment_customer_gets_code_1(self):
        """Issue 13: a customer who pays online (card, PayPal, ... in the portal) gets payment means 1, no mandate."""
        self.public_sector.isp_payment_method = "online"
        invoice = self._run_invoice(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 20.0)])
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        self.assertEqual(read_all(xml, "//cac:PaymentMeans/cbc:PaymentMeansCode"), ["1"])
        self.assertEqual(read(xml, "//cac:PaymentMeans/cbc:PaymentID"), invoice.payment_reference)
        self.assertFalse(read_all(xml, "//cac:PaymentMandate"))

    def test_eu_business_reverse_charge_ae(self):
        """Issue 13: an EU business is invoiced 0 % reverse charge: category AE with VATEX-EU-AE and both VAT IDs."""
        invoice = self._run_invoice(self.eu_business, [(self.hosting_19, "alpen-media.example", 80.0)])
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        self.assertEqual(read(xml, f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID"), "DE123456788")
        self.assertEqual(read(xml, f"{BUYER}/cac:PartyTaxScheme/cbc:CompanyID"), "ATU13585627")
        category = "/ubl:Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
        self.assertEqual(read_all(xml, f"{category}/cbc:ID"), ["AE"])
        self.assertEqual(float(read(xml, f"{category}/cbc:Percent")), 0.0)
        self.assertEqual(read(xml, f"{category}/cbc:TaxExemptionReasonCode"), "VATEX-EU-AE")
        self.assertEqual(read_all(xml, "//cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"), ["AE"])
        self.assertEqual(read(xml, "/ubl:Invoice/cac:TaxTotal/cbc:TaxAmount"), "0.00")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "80.00")
        # services: the invoice period, no delivery of goods to another member state
        self.assertEqual(read(xml, "/ubl:Invoice/cac:InvoicePeriod/cbc:StartDate"), "2027-01-01")
        self.assertFalse(read_all(xml, "/ubl:Invoice/cac:Delivery"))

    def test_non_eu_business_not_subject_o_without_vat_ids(self):
        """Issue 13: a business outside the EU is not subject to VAT: category O, no line rate, no VAT IDs (BR-O-02)."""
        invoice = self._run_invoice(self.export_business, [(self.hosting_19, "berg-software.example", 30.0)])
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        self.assertEqual(read_all(xml, "/ubl:Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID"), ["O"])
        self.assertEqual(read(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode"), "VATEX-EU-O")
        self.assertEqual(read_all(xml, "//cac:ClassifiedTaxCategory/cbc:ID"), ["O"])
        self.assertFalse(read_all(xml, "//cac:ClassifiedTaxCategory/cbc:Percent"))
        self.assertFalse(read_all(xml, "//cac:PartyTaxScheme"))
        # the seller stays identified by its legal registration (BR-CO-26)
        self.assertEqual(read(xml, f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID"), "DE123456788")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "30.00")

    def test_untaxed_charge_beside_taxed_lines_is_exempt(self):
        """Issue 13: a line without tax (a fee article without VAT) beside taxed lines is exempt (E) with its reason."""
        invoice = self._run_invoice(
            self.b2b_de,
            [(self.hosting_19, "mueller-webdesign.example", 50.0), (self.database, "db_17", 2.5)],
        )
        self.assertFalse(invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.database).tax_ids)
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        subtotals = "/ubl:Invoice/cac:TaxTotal/cac:TaxSubtotal"
        self.assertEqual(read_all(xml, f"{subtotals}/cac:TaxCategory/cbc:ID"), ["S", "E"])
        self.assertEqual(read_all(xml, f"{subtotals}/cbc:TaxableAmount"), ["50.00", "2.50"])
        self.assertEqual(read_all(xml, f"{subtotals}/cbc:TaxAmount"), ["9.50", "0.00"])
        self.assertEqual(read(xml, f"{subtotals}[2]/cac:TaxCategory/cbc:TaxExemptionReason"), "Not subject to VAT")
        self.assertEqual(read_all(xml, "//cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"), ["S", "E"])
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"), "52.50")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "62.00")
        self.assertEqual(invoice.amount_total, 62.0)

    def test_early_payment_discount_skonto_line(self):
        """Issue 13: payment terms with an early-payment discount carry XRechnung's #SKONTO# line (BR-DE-18 passes)."""
        terms = self.env["account.payment.term"].create(
            {
                "name": "30 days, 2 % within 10 days",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [(0, 0, {"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        self.public_sector.property_payment_term_id = terms
        invoice = self._run_invoice(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 100.0)])
        self.assertEqual(invoice.invoice_payment_term_id, terms)
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        note = _raw(xml, "/ubl:Invoice/cac:PaymentTerms/cbc:Note")
        self.assertEqual(note, "30 days, 2 % within 10 days\n#SKONTO#TAGE=10#PROZENT=2.00#\n")
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:DueDate"), "2027-01-31")
        # the discount is a term of payment, not a change of the amounts
        self.assertFalse(read_all(xml, "/ubl:Invoice/cac:AllowanceCharge"))
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "119.00")

    def test_prepaid_credit_is_paid_amount(self):
        """Issue 13: prepaid credit the run applied is the paid amount (BT-113), the rest the amount due (BT-115)."""
        self._top_up(self.public_sector, 50.0, user=self.clerk)
        invoice = self._run_invoice(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 100.0)])
        self.assertEqual(invoice.isp_credit_applied, 50.0)
        self.assertEqual(invoice.amount_residual, 69.0)
        xml = self._xrechnung(invoice)

        self.assertNoFatalFindings(xml)
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"), "119.00")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PrepaidAmount"), "50.00")
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "69.00")

    def test_credit_note_from_regenerate_references_invoice(self):
        """Issue 13: the credit note of "Regenerate" is a UBL CreditNote referencing the corrected invoice (BT-25)."""
        invoice = self._run_invoice(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 100.0)])
        with freeze_time("2027-01-10"):
            self.env(user=self.clerk)["account.move"].browse(invoice.ids).action_isp_regenerate()
        credit_note = invoice.reversal_move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(credit_note.state, "posted")
        xml = self._xrechnung(credit_note)

        self.assertNoFatalFindings(xml)
        self.assertEqual(read(xml, "/cn:CreditNote/cbc:ID"), credit_note.name)
        self.assertEqual(read(xml, "/cn:CreditNote/cbc:CreditNoteTypeCode"), "381")
        self.assertEqual(read(xml, "/cn:CreditNote/cbc:BuyerReference"), LEITWEG_ID)
        reference = "/cn:CreditNote/cac:BillingReference/cac:InvoiceDocumentReference"
        self.assertEqual(read(xml, f"{reference}/cbc:ID"), invoice.name)
        self.assertEqual(read(xml, f"{reference}/cbc:IssueDate"), str(invoice.invoice_date))
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"), "119.00")
        # the corrected invoice refers to the invoice it replaces as well
        corrected = self.env["account.move"].search([("isp_regenerated_from_id", "=", invoice.id)])
        self.assertEqual(len(corrected), 1)
        corrected_xml = self._xrechnung(corrected)
        self.assertNoFatalFindings(corrected_xml)
        self.assertEqual(
            read(corrected_xml, "/ubl:Invoice/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"), invoice.name
        )

    def test_missing_buyer_reference_fails_br_de_15(self):
        """Issue 13: without buyer reference there is no BuyerReference (no "N/A"): BR-DE-15 is fatal."""
        self.public_sector.isp_buyer_reference = False
        invoice = self._run_invoice(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 100.0)])
        xml = self._xrechnung(invoice)

        self.assertFalse(read_all(xml, "/ubl:Invoice/cbc:BuyerReference"))
        fatal = einvoice_rules.fatal(einvoice_rules.validate(xml, "ubl", xrechnung=True))
        self.assertEqual([finding.rule_id for finding in fatal], ["BR-DE-15"])
        self.assertIn("[BR-DE-15]", einvoice_rules.format_findings(fatal))


@cache
def ubl_schema(document):
    """The UBL 2.1 XML schema of ``document`` ("Invoice" or "CreditNote"), test data in tests/data/ubl_21."""
    path = Path(__file__).parent / "data" / "ubl_21" / "maindoc" / f"UBL-{document}-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def xrechnung_ubl(case, invoice, user):
    """The XRechnung UBL file of ``invoice`` built as ``user``, checked by ``case``: no builder error and
    valid against the UBL 2.1 schema (the rules do not check the element order)."""
    env = case.env(user=user)
    xml, errors = env["account.edi.xml.ubl_de"]._export_invoice(invoice.with_env(env))
    case.assertFalse(errors, "the builder's own checks pass")
    tree = etree.fromstring(xml)
    schema = ubl_schema(etree.QName(tree).localname)
    case.assertTrue(schema.validate(tree), f"UBL 2.1 schema: {schema.error_log}")
    return xml


def _raw(xml, xpath):
    """The text of the first node ``xpath`` finds, as written (line breaks kept)."""
    nodes = etree.fromstring(xml).xpath(xpath, namespaces=NAMESPACES)
    return nodes[0].text if nodes else None
