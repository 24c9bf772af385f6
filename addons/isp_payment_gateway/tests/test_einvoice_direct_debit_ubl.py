from odoo.tests import tagged

from odoo.addons.isp_sales.engine import einvoice_rules
from odoo.addons.isp_sales.tests.einvoice_common import LEITWEG_ID, EInvoiceMixin, read, read_all
from odoo.addons.isp_sales.tests.test_einvoice_ubl import xrechnung_ubl

from .common import IspPaymentCase

MEANS = "/ubl:Invoice/cac:PaymentMeans"
SELLER = "/ubl:Invoice/cac:AccountingSupplierParty/cac:Party"


@tagged("post_install", "-at_install")
class TestEInvoiceDirectDebitUbl(EInvoiceMixin, IspPaymentCase):
    """Issue 13: a direct-debit customer's XRechnung UBL says 59 with the mandate of its pre-notification."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.b2b_account = cls.env["res.partner.bank"].create(
            {"acc_number": "DE75512108001245126199", "partner_id": cls.b2b_de.id}
        )
        cls.b2b_de.write({"isp_einvoice_format": "xrechnung_ubl", "isp_buyer_reference": LEITWEG_ID})

    def _xrechnung(self, invoice):
        """The XRechnung UBL file of ``invoice`` as the ISP clerk who sends it makes it, without fatal finding."""
        xml = xrechnung_ubl(self, invoice, self.clerk)
        fatal = einvoice_rules.fatal(einvoice_rules.validate(xml, "ubl", xrechnung=True))
        self.assertEqual(einvoice_rules.format_findings(fatal), "")
        return xml

    def test_direct_debit_customer_gets_59_with_payment_mandate_and_sepa_creditor_id(self):
        """Issue 13: XRechnung UBL code 59 with cac:PaymentMandate (BT-89, BT-91) and the creditor id (BT-90) of the
        seller, the values of the invoice's SEPA pre-notification, and no account to pay to (BR-DE-25-b)."""
        mandate = self._sepa_customer(self.b2b_de, self.b2b_account)
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)], user=self.manager)
        notice = invoice._isp_sepa_prenotification()
        self.assertEqual(notice["mandate_reference"], mandate.name)
        xml = self._xrechnung(invoice)

        self.assertEqual(read_all(xml, f"{MEANS}/cbc:PaymentMeansCode"), ["59"])
        self.assertEqual(read(xml, f"{MEANS}/cbc:PaymentID"), invoice.payment_reference)
        self.assertEqual(read(xml, f"{MEANS}/cac:PaymentMandate/cbc:ID"), mandate.name)
        self.assertEqual(
            read(xml, f"{MEANS}/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID"), "DE75512108001245126199"
        )
        self.assertFalse(read_all(xml, f"{MEANS}/cac:PayeeFinancialAccount"))
        self.assertEqual(
            read_all(xml, f"{SELLER}/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']"), ["DE98ZZZ09999999999"]
        )
        self.assertEqual(read(xml, "/ubl:Invoice/cbc:BuyerReference"), LEITWEG_ID)
        self.assertEqual(read(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount"), "11.90")

    def test_direct_debit_customer_without_active_mandate_is_asked_for_a_transfer(self):
        """Issue 13: without an active mandate XRechnung UBL says 58 with the company IBAN, no mandate data."""
        self.b2b_de.isp_payment_method = "sepa"
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)], user=self.manager)
        xml = self._xrechnung(invoice)

        self.assertEqual(read_all(xml, f"{MEANS}/cbc:PaymentMeansCode"), ["58"])
        self.assertEqual(read(xml, f"{MEANS}/cac:PayeeFinancialAccount/cbc:ID"), "DE89370400440532013000")
        self.assertFalse(read_all(xml, f"{MEANS}/cac:PaymentMandate"))
        self.assertFalse(read_all(xml, f"{SELLER}/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']"))
