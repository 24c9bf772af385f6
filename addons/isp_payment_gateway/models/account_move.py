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

    def _isp_payment_received(self):
        """A direct debit in transit is no money yet: the services it pays for start when the bank has
        collected it, or, when the company chooses so, when the batch has been submitted."""
        return super()._isp_payment_received().filtered(lambda move: not move._isp_debit_in_transit())

    def _isp_debit_in_transit(self):
        """The invoice is paid by a direct debit whose money is not there yet for starting services."""
        self.ensure_one()
        open_lines = self.isp_debit_line_ids.filtered(lambda line: line.state == "open")
        if self.company_id.isp_sepa_service_start == "submission":
            open_lines = open_lines.filtered(lambda line: line.batch_id.state not in ("sent", "done"))
        return bool(open_lines)

    def _isp_debit_amount(self, collection_date):
        """What a direct debit collected on ``collection_date`` takes: the open amount, or the
        discounted amount when the collection falls within the early-payment discount period
        (as Odoo grants it to a payment registered that day)."""
        self.ensure_one()
        if self._is_eligible_for_early_payment_discount(self.currency_id, collection_date):
            return sum(self._isp_open_term_lines().mapped("discount_amount_currency"))
        return self.amount_residual

    def _isp_early_discount_vals(self, collection_date):
        """Journal items of the early-payment discount that a debit collected on ``collection_date``
        takes, computed by Odoo as for the payment wizard; empty when none is due."""
        self.ensure_one()
        if not self._is_eligible_for_early_payment_discount(self.currency_id, collection_date):
            return []
        company = self.company_id
        terms = self._isp_open_term_lines()
        matched = [
            {
                "aml": line,
                "amount_currency": -line.amount_residual_currency,
                "balance": line.currency_id._convert(
                    -line.amount_residual_currency, company.currency_id, company, collection_date
                ),
            }
            for line in terms
        ]
        discount = sum(terms.mapped("amount_residual_currency")) - sum(terms.mapped("discount_amount_currency"))
        open_balance = self.currency_id._convert(discount, company.currency_id, company, collection_date)
        groups = self._get_invoice_counterpart_amls_for_early_payment_discount(matched, open_balance)
        return [vals for lines in groups.values() for vals in lines]

    def _isp_open_term_lines(self):
        return self.line_ids.filtered(lambda line: line.display_type == "payment_term" and not line.reconciled)

    def _isp_sepa_prenotification(self):
        """Mandate reference, creditor identifier, amount and expected debit date for the invoice."""
        values = super()._isp_sepa_prenotification()
        company = self.company_id
        mandate = self.commercial_partner_id._isp_active_mandate(company)
        if mandate and self.invoice_date:
            debit_date = debit_plan.expected_collection_date(
                self.invoice_date, company.isp_sepa_lead_days, company.isp_sepa_prenotification_days
            )
            values.update(
                mandate_reference=mandate.name,
                creditor_identifier=company.isp_sepa_creditor_id,
                debit_date=debit_date,
                amount=self._isp_debit_amount(debit_date),
            )
        return values
