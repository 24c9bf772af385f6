from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _generate_journal_entry(self, write_off_line_vals=None, force_balance=None, line_ids=None):
        """Payments the system registers in bulk (``isp_run_posting`` in the context, the debit run's):
        their customers follow the new entries in one insert, which posting then finds done
        (it subscribes the customer entry by entry)."""
        new = self.filtered(lambda payment: not payment.move_id)
        result = super()._generate_journal_entry(
            write_off_line_vals=write_off_line_vals, force_balance=force_balance, line_ids=line_ids
        )
        if self.env.context.get("isp_run_posting"):
            moves = new.move_id.filtered(lambda move: move.partner_id and not move.message_partner_ids)
            self.env["isp.billing.run"]._isp_subscribe_customers(moves)
        return result

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
