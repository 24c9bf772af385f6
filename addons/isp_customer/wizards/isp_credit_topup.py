from odoo import api, fields, models
from odoo.exceptions import ValidationError


class IspCreditTopup(models.TransientModel):
    _name = "isp.credit.topup"
    _description = "Top up Prepaid Credit"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    journal_id = fields.Many2one(
        "account.journal",
        required=True,
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
    )
    amount = fields.Monetary(required=True, currency_field="company_currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    memo = fields.Char(compute="_compute_memo", store=True, readonly=False)

    @api.depends("company_id")
    def _compute_journal_id(self):
        for wizard in self:
            wizard.journal_id = self.env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", wizard.company_id.id)], limit=1
            )

    @api.depends("partner_id")
    def _compute_memo(self):
        for wizard in self:
            wizard.memo = self.env._(
                "Credit top-up %(customer)s",
                customer=wizard.partner_id.isp_customer_number or wizard.partner_id.display_name,
            )

    def _prepare_payment_vals(self):
        self.ensure_one()
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": self.partner_id.commercial_partner_id.id,
            "amount": self.amount,
            "currency_id": self.company_currency_id.id,
            "journal_id": self.journal_id.id,
            "company_id": self.company_id.id,
            "date": self.date,
            "memo": self.memo,
        }

    def action_confirm(self):
        self.ensure_one()
        if self.company_currency_id.compare_amounts(self.amount, 0.0) <= 0:
            raise ValidationError(self.env._("Amount: a credit top-up must be a positive amount."))
        payment = self.env["account.payment"].create(self._prepare_payment_vals())
        payment.action_post()
        self.partner_id.message_post(
            body=self.env._(
                "Prepaid credit topped up by %(amount)s (payment %(payment)s).",
                amount=payment.currency_id.format(payment.amount),
                payment=payment.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "res_id": payment.id,
            "view_mode": "form",
        }
