from stdnum import iban

from odoo import api, models

#: UNTDID 4461 payment means of the ISP payment methods (BT-81)
PAYMENT_MEANS_CODES = {
    "transfer": "58",  # SEPA credit transfer
    "sepa": "59",  # SEPA direct debit
    "online": "1",  # instrument not defined: the customer picks card, PayPal, ... in the portal
    "credit": "58",  # prepaid credit; an amount still due is paid by transfer
}

#: ISP e-invoice format of the billing profile -> Odoo's invoice_edi_format
EDI_FORMATS = {
    "facturx": "facturx",
    "xrechnung_ubl": "xrechnung",
    "xrechnung_cii": "isp_xrechnung_cii",
    "pdf": False,
}


class AccountEdiCommon(models.AbstractModel):
    """What the e-invoices of the product say beyond Odoo's builders, gathered in one place.

    The CII builders (ZUGFeRD / Factur-X, XRechnung CII) and the UBL builder (XRechnung UBL)
    take these values, so that every format states the same periods, payment instructions,
    buyer reference and tax categories. A provider's addon changes what its invoices say by
    overriding one of these small methods.
    """

    _inherit = "account.edi.common"

    @api.model
    def _isp_einvoice_buyer_reference(self, invoice):
        """BT-10: the buyer reference or Leitweg-ID of the billing profile (empty when not set)."""
        return invoice.commercial_partner_id.isp_buyer_reference or ""

    @api.model
    def _isp_einvoice_buyer_identifier(self, invoice):
        """BT-46: the customer number, so that the buyer finds the supplier account it belongs to."""
        return invoice.commercial_partner_id.isp_customer_number or ""

    @api.model
    def _isp_einvoice_line_period(self, line):
        """BG-26: the service period of an invoice line, or None."""
        if line.isp_period_start and line.isp_period_end:
            return line.isp_period_start, line.isp_period_end
        return None

    @api.model
    def _isp_einvoice_period(self, invoice):
        """BG-14: from the first to the last day of the service periods on the invoice, or None."""
        periods = [period for line in invoice.invoice_line_ids if (period := self._isp_einvoice_line_period(line))]
        if not periods:
            return None
        return min(start for start, _end in periods), max(end for _start, end in periods)

    @api.model
    def _isp_einvoice_payment_means(self, invoice):
        """BG-16: how the invoice is paid, as plain values.

        Keys: ``code`` (UNTDID 4461, BT-81), ``remittance`` (BT-83), ``payee_iban`` and
        ``payee_bic`` (BT-84/BT-86, the company's account for credit transfers),
        ``mandate_reference`` (BT-89), ``creditor_identifier`` (BT-90) and ``debtor_iban``
        (BT-91) for direct debits. The payment addon fills in the mandate.
        """
        method = invoice.commercial_partner_id.isp_payment_method or "transfer"
        bank = invoice.partner_bank_id
        return {
            "code": PAYMENT_MEANS_CODES.get(method, "58"),
            "remittance": invoice.payment_reference or invoice.name,
            "payee_iban": self._isp_einvoice_iban(bank),
            "payee_bic": bank.bank_bic or "",
            "mandate_reference": "",
            "creditor_identifier": "",
            "debtor_iban": "",
        }

    @api.model
    def _isp_einvoice_iban(self, bank):
        """The IBAN of a bank account, or "" (Odoo types accounts as IBAN only with base_iban installed)."""
        number = bank.sanitized_acc_number or ""
        return number if bank.acc_type == "iban" or iban.is_valid(number) else ""

    @api.model
    def _isp_einvoice_payment_terms(self, invoice):
        """BT-20: the payment terms as text, with XRechnung's ``#SKONTO#`` line for an early-payment discount.

        The discount line has the form ``#SKONTO#TAGE=14#PROZENT=2.00#`` followed by a line break
        (XRechnung 3.0, chapter "Skonto"); it is the last part of the text.
        """
        terms = invoice.invoice_payment_term_id
        text = terms.name or ""
        if terms.early_discount and terms.discount_percentage > 0:
            skonto = f"#SKONTO#TAGE={terms.discount_days}#PROZENT={terms.discount_percentage:.2f}#\n"
            text = f"{text}\n{skonto}" if text else skonto
        return text

    @api.model
    def _isp_einvoice_seller_tax_number(self, invoice):
        """BT-32: the seller's German tax number (Steuernummer), when the localisation records one."""
        company = invoice.company_id
        if "l10n_de_stnr" not in company._fields:
            return ""
        return company.l10n_de_stnr or ""

    @api.model
    def _isp_einvoice_paid_amount(self, invoice):
        """BT-113: what the customer paid before the invoice was issued: the prepaid credit the run applied.

        Later payments (a direct debit, a bank transfer) are no part of the document: the amount due
        (BT-115) is the total less this amount.
        """
        return invoice.isp_credit_applied if invoice.move_type == "out_invoice" else 0.0

    @api.model
    def _isp_einvoice_preceding_invoice(self, invoice):
        """BT-25/BT-26: the invoice a credit note reverses or a corrected invoice replaces, or an empty record."""
        return invoice.reversed_entry_id or invoice.isp_regenerated_from_id

    @api.model
    def _isp_einvoice_order_reference(self, invoice):
        """BT-13: the customer's own order reference of the sale orders invoiced, if any."""
        orders = invoice.invoice_line_ids.sale_line_ids.order_id
        return ", ".join(sorted({ref for ref in orders.mapped("client_order_ref") if ref}))

    @api.model
    def _isp_einvoice_item_name(self, line):
        """BT-153: the first line of the label, which names the article and the service (domain, line id)."""
        return (line.name or "").split("\n")[0].strip() or line.product_id.name or ""

    @api.model
    def _isp_einvoice_untaxed_codes(self, invoice, other_categories):
        """VAT category of the lines without any tax (dunning fees, interest), given the categories of the others.

        They are not subject to VAT: category O when the whole invoice is (BR-O-11 allows no
        other category beside O), otherwise exempt (E) with the reason stated (BR-E-10).
        """
        if not other_categories or set(other_categories) == {"O"}:
            return {
                "tax_category_code": "O",
                "tax_exemption_reason_code": "VATEX-EU-O",
                "tax_exemption_reason": self.env._("Not subject to VAT"),
            }
        return {
            "tax_category_code": "E",
            "tax_exemption_reason_code": None,
            "tax_exemption_reason": self.env._("Not subject to VAT"),
        }

    @api.model
    def _get_tax_unece_codes(self, customer, supplier, tax):
        """VAT categories of a provider's services (EXTENDS account_edi_ubl_cii).

        Services to EU businesses are reverse charge (AE, VATEX-EU-AE), not intra-community
        supplies of goods (K); services outside the EU and 0 % charges such as dunning fees
        are not subject to German VAT (O).
        """
        codes = super()._get_tax_unece_codes(customer, supplier, tax)
        if tax and tax.amount:
            return codes
        europe = self.env.ref("base.europe").country_ids.mapped("code")
        if customer.country_id != supplier.country_id and customer.country_id.code in europe and customer.vat:
            return {
                "tax_category_code": "AE",
                "tax_exemption_reason_code": "VATEX-EU-AE",
                "tax_exemption_reason": self.env._("Reverse charge"),
            }
        if customer.country_id != supplier.country_id and customer.country_id.code not in europe:
            return {
                "tax_category_code": "O",
                "tax_exemption_reason_code": "VATEX-EU-O",
                "tax_exemption_reason": self.env._("Not subject to VAT"),
            }
        return codes
