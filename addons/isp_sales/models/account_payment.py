from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def action_post(self):
        result = super().action_post()
        # Orders of credited clients that waited for a top-up are processed again, after this
        # transaction (the payment may still be reconciled with an invoice in it).
        customers = self.filtered(
            lambda payment: payment.payment_type == "inbound" and payment.partner_type == "customer"
        ).partner_id.commercial_partner_id
        if customers and self.env["sale.order"].sudo().search_count(
            [("partner_id", "child_of", customers.ids), ("isp_decision", "=", "waiting_credit")], limit=1
        ):
            self.env.ref("isp_sales.ir_cron_isp_process_waiting_credit").sudo()._trigger()
        return result
