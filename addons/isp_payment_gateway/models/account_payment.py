from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _isp_apply_to_open_invoices(self):
        """Apply these customer payments to their customers' open invoices, oldest due first."""
        customers = self.filtered(
            lambda payment: payment.payment_type == "inbound" and payment.partner_type == "customer"
        ).partner_id.commercial_partner_id
        if not customers:
            return self.env["account.move"]
        invoices = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", customers.ids),
                    ("company_id", "in", self.company_id.ids),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                order="invoice_date_due, id",
            )
        )
        return invoices._isp_apply_outstanding_credit()
