from odoo import api, models
from odoo.tools import frozendict

#: guideline (BT-24) of ZUGFeRD / Factur-X in the EN 16931 profile
FACTURX_EN16931 = "urn:cen.eu:en16931:2017"
#: business process (BT-23): billing, as Peppol and XRechnung name it
BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


class AccountEdiXmlCii(models.AbstractModel):
    """ZUGFeRD / Factur-X in the EN 16931 profile, completed with what the product's invoices state.

    Odoo's builder declares the EXTENDED profile, writes payment means 42, the invoice and due dates
    as invoicing period and no buyer identifier. The values here come from the ``_isp_einvoice_*``
    methods of ``account.edi.common`` (the same for every format); the templates
    ``isp_sales.account_edi_cii_templates`` place them in the CII D16B element order.
    """

    _inherit = "account.edi.xml.cii"

    @api.model
    def _isp_guideline_id(self):
        """BT-24: the specification the file follows."""
        return FACTURX_EN16931

    def _export_invoice_vals(self, invoice):
        vals = super()._export_invoice_vals(invoice)
        self._isp_add_untaxed_lines(invoice, vals)
        period = self._isp_einvoice_period(invoice)
        means = self._isp_einvoice_payment_means(invoice)
        paid = self._isp_einvoice_paid_amount(invoice)
        categories = {detail["tax_category_code"] for detail in vals["tax_details"]["tax_details"].values()}
        vals.update(
            {
                "document_context_id": self._isp_guideline_id(),
                "isp_business_process": BILLING_PROCESS,
                "buyer_reference": self._isp_einvoice_buyer_reference(invoice),
                "isp_buyer_identifier": self._isp_einvoice_buyer_identifier(invoice),
                "isp_seller_tax_number": self._isp_einvoice_seller_tax_number(invoice),
                # BR-O-02: an invoice not subject to VAT states no VAT identifiers
                "isp_show_vat_ids": "O" not in categories,
                "purchase_order_reference": self._isp_einvoice_order_reference(invoice),
                "contract_reference": "",
                "billing_start": period and period[0],
                "billing_end": period and period[1],
                # the service periods say when the services were supplied (BG-14 instead of BT-72)
                "scheduled_delivery_time": False if period else vals["scheduled_delivery_time"],
                "payment_means_code": means["code"],
                "isp_payment_means": means,
                "isp_payment_terms": self._isp_einvoice_payment_terms(invoice),
                "isp_paid_amount": paid,
                "isp_due_amount": invoice.amount_total - paid,
                "isp_preceding_invoice": self._isp_einvoice_preceding_invoice(invoice),
            }
        )
        for line_vals in vals["invoice_line_vals_list"]:
            line = line_vals["line"]
            line_period = self._isp_einvoice_line_period(line)
            line_vals["billing_start"] = line_period and line_period[0]
            line_vals["billing_end"] = line_period and line_period[1]
            # BT-153: the first line of the label names the article and the service (domain, line id)
            line_vals["isp_item_name"] = (line.name or "").split("\n")[0].strip() or line.product_id.name
        return vals

    def _export_invoice_constraints(self, invoice, vals):
        constraints = super()._export_invoice_constraints(invoice, vals)
        # lines without tax are stated in a VAT category of their own (_isp_add_untaxed_lines)
        constraints.pop("tax_on_line", None)
        return constraints

    def _isp_add_untaxed_lines(self, invoice, vals):
        """Lines without any tax (dunning fees, interest) in a VAT category of their own.

        Odoo leaves them out of the VAT breakdown and of the tax basis; their category (O, or E
        beside taxed lines) is ``_isp_einvoice_untaxed_codes``.
        """
        tax_details = vals["tax_details"]
        per_line = tax_details["tax_details_per_record"]
        untaxed = [
            line_vals["line"]
            for line_vals in vals["invoice_line_vals_list"]
            if not per_line[line_vals["line"]].get("tax_details")
        ]
        if not untaxed:
            return
        others = {detail["tax_category_code"] for detail in tax_details["tax_details"].values()}
        key = frozendict({**self._isp_einvoice_untaxed_codes(invoice, others), "amount": 0.0, "amount_type": "percent"})
        group = tax_details["tax_details"].setdefault(
            key,
            {
                **key,
                "base_amount_currency": 0.0,
                "base_amount": 0.0,
                "tax_amount_currency": 0.0,
                "tax_amount": 0.0,
                "calculated_amount": 0,
            },
        )
        for line in untaxed:
            base_amount = abs(line.balance)
            group["base_amount_currency"] += line.price_subtotal
            group["base_amount"] += base_amount
            per_line[line]["tax_details"] = {
                key: {
                    **key,
                    "base_amount_currency": line.price_subtotal,
                    "base_amount": base_amount,
                    "tax_amount_currency": 0.0,
                    "tax_amount": 0.0,
                }
            }
            vals["tax_basis_total_amount"] += line.price_subtotal
            tax_details["base_amount_currency"] += line.price_subtotal
            tax_details["base_amount"] += base_amount
