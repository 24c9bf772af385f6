from odoo.tests import tagged

from odoo.addons.isp_sales.tests.einvoice_common import (
    CII_SETTLEMENT,
    CII_XRECHNUNG,
    LEITWEG_ID,
    EInvoiceMixin,
    read,
    read_all,
)

from .common import IspDunningCase

SUMMATION = f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"


@tagged("post_install", "-at_install")
class TestEInvoiceDunningFee(EInvoiceMixin, IspDunningCase):
    """Issue 13: dunning charge invoices are valid e-invoices too."""

    def test_dunning_fee_invoice_without_tax_is_not_subject_o(self):
        """Issue 13: a charge invoice of untaxed fee and interest articles states category O (not subject to VAT),
        no line rate (BR-O-05), no VAT identifiers (BR-O-02), no service period; valid as XRechnung too."""
        self._due_invoice(self.b2b_de, 1000.0, "2025-05-31", invoice_date="2025-05-17")
        self._run("2025-06-07")
        charge = self._run("2025-06-21").letter_ids.charge_move_id
        self.assertEqual((charge.state, charge.move_type, charge.amount_total), ("posted", "out_invoice", 46.48))
        self.assertFalse(charge.invoice_line_ids.tax_ids, "the shipped fee articles carry no tax")
        xml = self._cii(charge)
        self.assertEqual(self._cii_tax_breakdown(xml), [("O", "0.0", "46.48", "0.00", "VATEX-EU-O")])
        self.assertEqual(
            read_all(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:ApplicableTradeTax/ram:CategoryCode"), ["O", "O"]
        )
        self.assertIsNone(read(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:RateApplicablePercent"))
        self.assertIsNone(read(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"))
        self.assertIsNone(read(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"))
        self.assertIsNone(read(xml, f"{CII_SETTLEMENT}/ram:BillingSpecifiedPeriod"), "charges have no service period")
        self.assertIsNone(read(xml, f"{CII_SETTLEMENT}/ram:InvoiceReferencedDocument"))
        self.assertEqual(
            [
                read(xml, f"{SUMMATION}/ram:{tag}")
                for tag in ("LineTotalAmount", "TaxTotalAmount", "GrandTotalAmount", "DuePayableAmount")
            ],
            ["46.48", "0.00", "46.48", "46.48"],
        )
        # the same charge as XRechnung (public-sector customers are dunned too): KoSIT wants the 0 % rate (BR-DE-14)
        self.b2b_de.isp_buyer_reference = LEITWEG_ID
        xml = self._cii(charge, CII_XRECHNUNG)
        self.assertEqual(self._cii_tax_breakdown(xml), [("O", "0.0", "46.48", "0.00", "VATEX-EU-O")])
        self.assertEqual(read(xml, "//ram:BuyerReference"), LEITWEG_ID)

    def test_dunning_fee_on_the_periodic_invoice_is_exempt_beside_taxed_services(self):
        """Issue 13: untaxed charges on a periodic invoice with 19 % services cannot be O (BR-O-11): they are
        exempt (E) with the reason stated, and count in the tax basis."""
        self.profile.charge_mode = "next_invoice"
        self._einvoice_service(self.b2b_de, self.hosting_19, "www.mueller.example", 10.0, start="2025-07-01")
        self._due_invoice(self.b2b_de, 1000.0, "2025-05-31", invoice_date="2025-05-17")
        self._run("2025-06-07")
        self._run("2025-06-21")
        invoice = self._einvoice_run(self.b2b_de, day="2025-07-01")
        charges = invoice.invoice_line_ids.filtered("isp_dunning_step_id")
        self.assertAlmostEqual(sum(charges.mapped("price_subtotal")), 46.48)
        self.assertEqual((invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total), (56.48, 1.9, 58.38))
        xml = self._cii(invoice)
        self.assertEqual(
            sorted(self._cii_tax_breakdown(xml)),
            [("E", "0.0", "46.48", "0.00", None), ("S", "19.0", "10.00", "1.90", None)],
        )
        self.assertEqual(
            read(xml, f"{CII_SETTLEMENT}/ram:ApplicableTradeTax[ram:CategoryCode='E']/ram:ExemptionReason"),
            "Not subject to VAT",
        )
        self.assertEqual(
            read(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"), "DE123456788"
        )
        self.assertEqual(
            [
                read(xml, f"{SUMMATION}/ram:{tag}")
                for tag in ("LineTotalAmount", "TaxBasisTotalAmount", "TaxTotalAmount", "GrandTotalAmount")
            ],
            ["56.48", "56.48", "1.90", "58.38"],
        )
