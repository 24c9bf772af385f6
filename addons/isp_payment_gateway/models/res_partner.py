from odoo import fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    isp_sepa_mandate_ids = fields.One2many("isp.sepa.mandate", "partner_id", string="SEPA Mandates")

    def _isp_active_mandate(self, company):
        """The customer's active mandate in ``company`` (the latest signed), or an empty recordset."""
        self.ensure_one()
        return self.commercial_partner_id.isp_sepa_mandate_ids.filtered(
            lambda mandate: mandate.state == "active" and mandate.company_id == company
        ).sorted(lambda mandate: (mandate.signature_date, mandate.id), reverse=True)[:1]

    def action_isp_refund_credit(self):
        """Pay the customer's prepaid credit back (an outbound payment), on the customer's request."""
        self.ensure_one()
        # res.partner is every employee's model: no access rule tells a refund from an edit
        if not self.env.user.has_group("isp_customer.group_isp_manager"):
            raise UserError(self.env._("Only ISP managers refund credit."))
        partner = self.commercial_partner_id
        company = self.env.company
        credit_lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ]
        )
        amount = -sum(credit_lines.mapped("amount_residual"))
        if company.currency_id.is_zero(amount):
            raise UserError(self.env._("%(partner)s has no credit to refund.", partner=partner.name))
        journal = company.isp_sepa_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "bank")], limit=1
        )
        if not journal:
            raise UserError(self.env._("No bank journal to pay the refund from."))
        bank = partner.bank_ids[:1]
        payment = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "journal_id": journal.id,
                "partner_bank_id": bank.id,
                "memo": self.env._("Refund of prepaid credit"),
            }
        )
        payment.action_post()
        (payment.move_id.line_ids | credit_lines).filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        ).reconcile()
        partner.message_post(
            body=self.env._(
                "Prepaid credit of %(amount)s refunded by %(payment)s.", amount=amount, payment=payment.name
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "res_id": payment.id,
            "view_mode": "form",
        }
