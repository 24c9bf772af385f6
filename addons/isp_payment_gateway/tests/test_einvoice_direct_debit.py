from odoo.tests import tagged

from odoo.addons.isp_sales.tests.einvoice_common import (
    CII_FACTURX,
    CII_SETTLEMENT,
    CII_XRECHNUNG,
    LEITWEG_ID,
    EInvoiceMixin,
    read,
)

from .common import IspPaymentCase

MEANS = f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"


@tagged("post_install", "-at_install")
class TestEInvoiceDirectDebit(EInvoiceMixin, IspPaymentCase):
    """Issue 13: a direct-debit customer's e-invoice says 59 with the mandate of its pre-notification."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.b2b_account = cls.env["res.partner.bank"].create(
            {"acc_number": "DE75512108001245126199", "partner_id": cls.b2b_de.id}
        )

    def test_direct_debit_customer_gets_59_with_mandate_creditor_id_and_debtor_iban(self):
        """Issue 13: code 59 with BT-89 mandate reference, BT-90 creditor identifier and BT-91 debited IBAN,
        the values of the invoice's SEPA pre-notification."""
        mandate = self._sepa_customer(self.b2b_de, self.b2b_account)
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)], user=self.manager)
        notice = invoice._isp_sepa_prenotification()
        self.assertEqual(notice["mandate_reference"], mandate.name)
        self.assertEqual(notice["creditor_identifier"], "DE98ZZZ09999999999")
        for builder in (CII_FACTURX, CII_XRECHNUNG):
            with self.subTest(builder=builder):
                if builder == CII_XRECHNUNG:
                    self.b2b_de.isp_buyer_reference = LEITWEG_ID
                xml = self._cii(invoice, builder)
                self.assertEqual(read(xml, f"{MEANS}/ram:TypeCode"), "59")
                self.assertEqual(
                    read(xml, f"{MEANS}/ram:PayerPartyDebtorFinancialAccount/ram:IBANID"), "DE75512108001245126199"
                )
                self.assertIsNone(read(xml, f"{MEANS}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"))
                self.assertEqual(
                    read(xml, f"{CII_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID"), mandate.name
                )
                self.assertEqual(read(xml, f"{CII_SETTLEMENT}/ram:CreditorReferenceID"), "DE98ZZZ09999999999")
                self.assertEqual(
                    read(
                        xml,
                        f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount",
                    ),
                    "11.90",
                )

    def test_direct_debit_customer_without_active_mandate_is_asked_for_a_transfer(self):
        """Issue 13: without an active mandate nothing can be debited: 58 with the company's IBAN, no mandate data."""
        self.b2b_de.isp_payment_method = "sepa"
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)])
        xml = self._cii(invoice)
        self.assertEqual(read(xml, f"{MEANS}/ram:TypeCode"), "58")
        self.assertEqual(
            read(xml, f"{MEANS}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"), "DE89370400440532013000"
        )
        self.assertIsNone(read(xml, f"{CII_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID"))
        self.assertIsNone(read(xml, f"{CII_SETTLEMENT}/ram:CreditorReferenceID"))
