from odoo import models

#: constraints of Odoo's builder that the official rules check with their own id, or that no longer
#: apply: lines without tax get a VAT category here; a missing buyer reference is reported by the
#: rules as BR-DE-15, so that the delivery-failed list names the rule; the delivery data of an
#: intra-community supply of goods (BR-IC-11/12) concern category K, which services never have
RULE_CHECKED_CONSTRAINTS = (
    "tax_on_line",
    "cen_en16931_tax_line",
    "peppol_en16931_ubl_buyer_ref_po_ref",
    "cen_en16931_delivery_country_code",
    "cen_en16931_delivery_date_invoicing_period",
)


class AccountEdiXmlUblDe(models.AbstractModel):
    """XRechnung UBL (EXTENDS account_edi_ubl_cii): what the product's invoices state, from account.edi.common.

    Odoo's builder writes "N/A" for a missing buyer reference, the invoice number as the
    buyer's order reference, the contact's reference as buyer identifier, the amount still
    open as the amount due and payment means 30 without the direct-debit mandate. Here every
    business term the rules and the customers need comes from the shared ``_isp_einvoice_*``
    values, so XRechnung UBL states the same as the CII formats. A missing buyer reference
    stays missing: the rules report BR-DE-15 and the invoice is not sent.
    """

    _inherit = "account.edi.xml.ubl_de"

    # -------------------------------------------------------------------------
    # EXPORT
    # -------------------------------------------------------------------------

    def _export_invoice_vals(self, invoice):
        # EXTENDS account.edi.xml.ubl_de
        vals = super()._export_invoice_vals(invoice)
        document = vals["vals"]
        self._isp_add_untaxed_lines(invoice, document)
        means = self._isp_einvoice_payment_means(invoice)
        order_reference = self._isp_einvoice_order_reference(invoice)
        document.update(
            {
                "buyer_reference": self._isp_einvoice_buyer_reference(invoice) or None,
                # BT-13 is the buyer's order reference: none rather than the invoice number
                "order_reference": order_reference or None,
                "sales_order_id": document["sales_order_id"] if order_reference else None,
                "payment_means_vals_list": [self._isp_prepare_ubl_payment_means_vals(invoice, means)],
            }
        )
        if document["invoice_period_vals_list"]:
            # the service periods say when the services were supplied (BG-14 instead of BT-72), and
            # services have no deliver-to address (BG-15)
            document["delivery_vals_list"] = [{}]
        billing_reference = self._isp_prepare_ubl_billing_reference_vals(invoice)
        if billing_reference:
            document["billing_reference_vals"] = billing_reference

        seller = document["accounting_supplier_party_vals"]["party_vals"]
        buyer = document["accounting_customer_party_vals"]["party_vals"]
        if self._isp_ubl_not_subject(document):
            # BR-O-02: an invoice not subject to VAT states no VAT ID of seller or buyer; the seller
            # stays identified by its legal registration (BT-30)
            seller["party_tax_scheme_vals"] = []
            buyer["party_tax_scheme_vals"] = []
        tax_number = self._isp_einvoice_seller_tax_number(invoice)
        if tax_number:
            # BT-32: the tax number is a tax scheme other than VAT
            seller["party_tax_scheme_vals"] = [
                *seller["party_tax_scheme_vals"],
                {"company_id": tax_number, "tax_scheme_vals": {"id": "FC"}},
            ]
        if means["creditor_identifier"]:
            # BT-90: the creditor identifier is a seller identifier of scheme "SEPA" (BR-DE-30)
            seller["party_identification_vals"] = [
                *seller["party_identification_vals"],
                {"id": means["creditor_identifier"], "id_attrs": {"schemeID": "SEPA"}},
            ]
        # BT-46: the customer number instead of the contact's internal reference
        identifier = self._isp_einvoice_buyer_identifier(invoice)
        buyer["party_identification_vals"] = [{"id": identifier}] if identifier else []

        # BT-113/BT-115: paid is the prepaid credit applied when the invoice was issued, not
        # what was paid or debited since
        paid = self._isp_einvoice_paid_amount(invoice)
        document["monetary_total_vals"].update({"prepaid_amount": paid, "payable_amount": invoice.amount_total - paid})
        # payment means with the direct-debit mandate (BG-19), which UBL 2.0 does not have
        vals["PaymentMeansType_template"] = "isp_sales.ubl_xrechnung_payment_means"
        return vals

    def _export_invoice_constraints(self, invoice, vals):
        # EXTENDS account.edi.xml.ubl_de
        constraints = super()._export_invoice_constraints(invoice, vals)
        for key in RULE_CHECKED_CONSTRAINTS:
            constraints.pop(key, None)
        return constraints

    def _isp_prepare_ubl_payment_means_vals(self, invoice, means):
        """BG-16 as the values of one ``cac:PaymentMeans`` from the shared payment means ``means``.

        58 and other codes: the company's account to pay to (BG-17); 59: the mandate (BT-89) and
        the debited account (BT-91) instead, as XRechnung allows no payee account with a direct
        debit (BR-DE-25-b).
        """
        vals = {
            "payment_means_code": means["code"],
            "payment_id_vals": [means["remittance"]] if means["remittance"] else [],
        }
        if invoice.move_type == "out_refund":
            # BT-9 of a credit note (UBL 2.1 has no cbc:DueDate in a CreditNote)
            vals["payment_due_date"] = invoice.invoice_date_due
        if means["code"] == "59":
            vals["payment_mandate_vals"] = {
                "id": means["mandate_reference"],
                "payer_financial_account_vals": {"id": means["debtor_iban"]},
            }
        elif means["payee_iban"]:
            vals["payee_financial_account_vals"] = {
                "id": means["payee_iban"],
                "financial_institution_branch_vals": {"id": means["payee_bic"]} if means["payee_bic"] else {},
            }
        return vals

    def _isp_prepare_ubl_billing_reference_vals(self, invoice):
        """BG-3: the invoice a credit note or a corrected invoice refers to (BT-25, BT-26), else nothing."""
        preceding = self._isp_einvoice_preceding_invoice(invoice)
        if not preceding:
            return {}
        return {"id": preceding.name, "issue_date": preceding.invoice_date}

    def _isp_add_untaxed_lines(self, invoice, document):
        """Lines without any tax (dunning fees, interest) in the VAT category of account.edi.common.

        Odoo gives them no VAT category and leaves them out of the VAT breakdown and of the total
        without VAT. The category (O or E, ``_isp_einvoice_untaxed_codes``) depends on the others.
        """
        untaxed = [line_vals for line_vals in document["line_vals"] if line_vals.get("isp_untaxed")]
        if not untaxed:
            return
        totals = document["tax_total_vals"][0]
        others = {subtotal["tax_category_vals"]["id"] for subtotal in totals["tax_subtotal_vals"]}
        codes = self._isp_einvoice_untaxed_codes(invoice, others)
        category = {
            "id": codes["tax_category_code"],
            "percent": 0.0,
            "tax_exemption_reason_code": codes["tax_exemption_reason_code"],
            "tax_exemption_reason": codes["tax_exemption_reason"],
            "tax_scheme_vals": {"id": "VAT"},
        }
        # on the line: no exemption reason (UBL-CR-600/601), no rate for O (BR-O-05)
        line_category = {
            "id": category["id"],
            "percent": None if category["id"] == "O" else 0.0,
            "tax_scheme_vals": {"id": "VAT"},
        }
        base = 0.0
        for line_vals in untaxed:
            line_vals["item_vals"]["classified_tax_category_vals"] = [dict(line_category)]
            base += line_vals["line_extension_amount"]
        subtotal = next(
            (item for item in totals["tax_subtotal_vals"] if item["tax_category_vals"]["id"] == category["id"]),
            None,
        )
        if subtotal:
            subtotal["taxable_amount"] += base
        else:
            totals["tax_subtotal_vals"].append(
                {
                    "currency": invoice.currency_id,
                    "currency_dp": 2,
                    "taxable_amount": base,
                    "tax_amount": 0.0,
                    "tax_category_vals": category,
                }
            )
        document["monetary_total_vals"]["tax_exclusive_amount"] += base

    def _isp_ubl_not_subject(self, document):
        """Whether the VAT breakdown of the document values has category O (not subject to VAT)."""
        return any(
            subtotal["tax_category_vals"]["id"] == "O"
            for totals in document["tax_total_vals"]
            for subtotal in totals["tax_subtotal_vals"]
        )

    def _get_invoice_line_item_vals(self, line, taxes_vals):
        # EXTENDS account.edi.xml.ubl_bis3: the service in the item name (BT-153), the rest of the
        # label as description (BT-154); a line not subject to VAT has no rate (BR-O-05)
        vals = super()._get_invoice_line_item_vals(line, taxes_vals)
        vals["name"] = self._isp_einvoice_item_name(line)
        if vals["description"] == vals["name"]:
            vals["description"] = None
        for category in vals["classified_tax_category_vals"]:
            if category["id"] == "O":
                category["percent"] = None
        return vals

    def _get_partner_party_tax_scheme_vals_list(self, partner, role):
        # EXTENDS account.edi.xml.ubl_bis3: a party without VAT ID has no VAT scheme (BT-31/BT-48)
        # Odoo states the Peppol endpoint instead and an empty CompanyID, which UBL-SR-53 refuses.
        if not partner.vat:
            return []
        return super()._get_partner_party_tax_scheme_vals_list(partner, role)

    def _get_invoice_period_vals_list(self, invoice):
        # EXTENDS account.edi.xml.ubl_20: BG-14 from the service periods
        period = self._isp_einvoice_period(invoice)
        if not period:
            return super()._get_invoice_period_vals_list(invoice)
        return [{"start_date": period[0], "end_date": period[1]}]

    def _get_invoice_payment_terms_vals_list(self, invoice):
        # EXTENDS account.edi.xml.ubl_20: BT-20 with the #SKONTO# line of XRechnung
        text = self._isp_einvoice_payment_terms(invoice)
        return [{"note_vals": [{"note": text}]}] if text else []

    def _get_invoice_line_vals(self, line, line_id, taxes_vals):
        # EXTENDS account.edi.xml.ubl_bis3: BG-26 from the line's service period
        vals = super()._get_invoice_line_vals(line, line_id, taxes_vals)
        period = self._isp_einvoice_line_period(line)
        if period:
            vals["invoice_period_vals_list"] = [{"start_date": period[0], "end_date": period[1]}]
        # a line without any tax: its VAT category comes with the document's (_isp_add_untaxed_lines)
        vals["isp_untaxed"] = not taxes_vals.get("tax_details")
        return vals
