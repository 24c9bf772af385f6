from odoo import models
from odoo.osv import expression

from ..engine import debit_plan


class IspDunningRun(models.Model):
    _inherit = "isp.dunning.run"

    def _isp_overdue_domain(self, charges=False):
        """Invoices that announce their direct debit are not overdue for dunning before the announced
        collection date plus the company's return window: those of customers who pay by direct debit
        under an active mandate. A returned debit ends the hold: the invoice is dunned as any other."""
        domain = super()._isp_overdue_domain(charges=charges)
        return expression.AND([domain, self._isp_not_held_domain()])

    def _isp_not_held_domain(self):
        """The items not held for an announced direct debit on the run's date (see ``debit_plan``)."""
        company = self.company_id
        first_held = debit_plan.first_held_invoice_date(
            self.date,
            company.isp_sepa_lead_days,
            company.isp_sepa_prenotification_days,
            company.isp_sepa_return_days,
        )
        return [
            "|",
            "|",
            "|",
            ("invoice_date", "<", first_held),
            ("commercial_partner_id.isp_payment_method", "!=", "sepa"),
            (
                "commercial_partner_id.isp_sepa_mandate_ids",
                "not any",
                [("state", "=", "active"), ("company_id", "=", company.id)],
            ),
            ("isp_debit_line_ids", "any", [("state", "=", "returned")]),
        ]
