from odoo import api, fields, models

from ..engine import debit_plan


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_debit_line_ids = fields.One2many("isp.debit.batch.line", "move_id", string="Direct Debits", readonly=True)

    @api.model
    def _isp_dunning_domain(self, company, day):
        """Invoices in an open direct debit batch are being collected: no dunning."""
        return [*super()._isp_dunning_domain(company, day), ("isp_debit_line_ids", "not any", [("state", "=", "open")])]

    def _get_invoice_in_payment_state(self):
        """Paid by a direct debit the bank has not collected yet: "in payment"."""
        if self.isp_debit_line_ids.filtered(lambda line: line.state == "open"):
            return "in_payment"
        return super()._get_invoice_in_payment_state()

    def _isp_sepa_prenotification(self):
        """Mandate reference, creditor identifier, amount and expected debit date for the invoice."""
        values = super()._isp_sepa_prenotification()
        company = self.company_id
        mandate = self.commercial_partner_id._isp_active_mandate(company)
        if mandate and self.invoice_date:
            values.update(
                mandate_reference=mandate.name,
                creditor_identifier=company.isp_sepa_creditor_id,
                debit_date=debit_plan.expected_collection_date(
                    self.invoice_date, company.isp_sepa_lead_days, company.isp_sepa_prenotification_days
                ),
            )
        return values
