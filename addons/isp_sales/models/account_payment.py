from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def action_post(self):
        result = super().action_post()
        # Orders of credited clients that waited for a top-up are processed again.
        partners = self.filtered(
            lambda payment: payment.payment_type == "inbound" and payment.partner_type == "customer"
        ).partner_id.commercial_partner_id
        if partners:
            waiting = (
                self.env["sale.order"]
                .sudo()
                .search([("partner_id", "child_of", partners.ids), ("isp_decision", "=", "waiting_credit")])
            )
            waiting._isp_process()
        return result
