from odoo import api, models


class AccountEdiCommon(models.AbstractModel):
    _inherit = "account.edi.common"

    @api.model
    def _isp_einvoice_payment_means(self, invoice):
        """Direct debit (59) with the mandate of the invoice's pre-notification (EXTENDS isp_sales).

        BT-89 mandate reference and BT-90 creditor identifier are those the PDF's pre-notification
        states; BT-91 is the IBAN of that mandate's account. A direct-debit customer without an
        active mandate cannot be debited: the invoice asks for a transfer (58) to the company's account.
        """
        means = super()._isp_einvoice_payment_means(invoice)
        if invoice.commercial_partner_id.isp_payment_method != "sepa":
            return means
        notice = invoice._isp_sepa_prenotification()
        mandate = invoice.commercial_partner_id._isp_active_mandate(invoice.company_id)
        if not (mandate and notice.get("mandate_reference")):
            return dict(means, code="58")
        return dict(
            means,
            code="59",
            mandate_reference=notice["mandate_reference"],
            creditor_identifier=notice["creditor_identifier"] or "",
            debtor_iban=mandate.bank_account_id.sanitized_acc_number or "",
            payee_iban="",
            payee_bic="",
        )
