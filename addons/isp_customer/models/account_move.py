from odoo import api, models


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _isp_customer_domain(self):
        """The documents of ISP customers (customers and former customers) that ISP lists and runs
        work on: partners of other applications, e.g. Odoo's own demo data, are left alone."""
        return [("commercial_partner_id.isp_lifecycle", "in", ("customer", "former"))]

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # A partner becomes a customer when its first customer invoice is posted.
        invoices = posted.filtered(lambda move: move.move_type == "out_invoice")
        if invoices:
            invoices.commercial_partner_id.sudo()._isp_make_customer()
        return posted

    def _isp_apply_outstanding_credit(self):
        """Pay posted customer invoices from the customer's prepaid credit, oldest credit first.

        Credit is the unreconciled credit on the invoice's receivable account (payments and
        credit notes not yet applied). Returns the invoices that are fully paid afterwards.
        """
        invoices = self.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted" and move.amount_residual > 0
        )
        if not invoices:
            return invoices
        receivable_lines = invoices.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        credit_lines = self.env["account.move.line"].search(
            [
                ("partner_id", "in", invoices.commercial_partner_id.ids),
                ("account_id", "in", receivable_lines.account_id.ids),
                ("company_id", "in", invoices.company_id.ids),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            order="date, id",
        )
        # One reconciliation for all customers: Odoo matches each group's oldest debits with
        # its oldest credits, and settles the payment states once.
        credit_by_key = credit_lines.grouped(lambda line: (line.partner_id, line.account_id, line.company_id))
        debit_by_key = receivable_lines.grouped(
            lambda line: (line.move_id.commercial_partner_id, line.account_id, line.company_id)
        )
        plan = [debits | credit_by_key[key] for key, debits in debit_by_key.items() if key in credit_by_key]
        if plan:
            self.env["account.move.line"]._reconcile_plan(plan)
        return invoices.filtered(lambda move: move.currency_id.is_zero(move.amount_residual))
