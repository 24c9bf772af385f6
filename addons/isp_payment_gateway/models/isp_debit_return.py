from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import returns

SOURCES = [
    ("camt.054", "camt.054"),
    ("camt.053", "camt.053"),
    ("pain.002", "pain.002"),
    ("manual", "Manual"),
]
REASON_CODES = sorted(returns.REASONS.items())


class IspDebitReturn(models.Model):
    """A returned (or rejected) direct debit: the invoice is open again and the customer pays the fee."""

    _name = "isp.debit.return"
    _description = "Returned Direct Debit"
    _order = "date desc, id desc"
    _check_company_auto = True

    line_id = fields.Many2one("isp.debit.batch.line", string="Debit", required=True, index=True, readonly=True)
    end_to_end_id = fields.Char(related="line_id.end_to_end_id")
    batch_id = fields.Many2one(related="line_id.batch_id", store=True)
    move_id = fields.Many2one(related="line_id.move_id", store=True, string="Invoice")
    partner_id = fields.Many2one(related="line_id.partner_id", store=True, string="Customer")
    mandate_id = fields.Many2one(related="line_id.mandate_id", store=True)
    company_id = fields.Many2one(related="line_id.company_id", store=True)
    currency_id = fields.Many2one(related="line_id.currency_id")
    amount = fields.Monetary(related="line_id.amount")
    date = fields.Date(required=True, readonly=True)
    reason_code = fields.Char(required=True, readonly=True)
    reason_text = fields.Char(readonly=True)
    bank_charge = fields.Monetary(readonly=True, help="What the bank charged for the return.")
    handling_fee = fields.Monetary(readonly=True)
    source = fields.Selection(SOURCES, required=True, readonly=True)
    reference = fields.Char(string="Bank Reference", readonly=True)
    reversal_move_id = fields.Many2one("account.move", string="Payment Reversal", readonly=True)
    fee_move_id = fields.Many2one("account.move", string="Return Fee Invoice", readonly=True)
    mandate_ended = fields.Boolean(readonly=True, help="The reason code makes the mandate unusable: it was revoked.")

    _sql_constraints = [
        ("line_uniq", "UNIQUE(line_id)", "A direct debit is returned once."),
    ]

    @api.depends("move_id", "reason_code")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.move_id.name} · {record.reason_code}"


class IspDebitBatchLine(models.Model):
    _inherit = "isp.debit.batch.line"

    return_id = fields.Many2one("isp.debit.return", compute="_compute_return_id")

    def _compute_return_id(self):
        found = {
            record.line_id: record for record in self.env["isp.debit.return"].search([("line_id", "in", self.ids)])
        }
        for line in self:
            line.return_id = found.get(line, False)

    def action_return(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return Direct Debit"),
            "res_model": "isp.debit.return.manual",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_id": self.id},
        }

    def _isp_return(self, reason_code, day, bank_charge=0.0, source="manual", reference=False):
        """Book the return of this debit: reverse the payment, charge the fee, move the dunning level
        on, end the mandate when the reason makes it unusable. Returns the return record."""
        self.ensure_one()
        if self.state not in ("open", "debited"):
            raise UserError(
                self.env._("%(invoice)s: only debits in transit or debited can be returned.", invoice=self.move_id.name)
            )
        company = self.company_id
        reversal = self._isp_reverse_payment(day, reason_code)
        fee_move = self._isp_charge_return_fee(day, reason_code, bank_charge)
        record = (
            self.env["isp.debit.return"]
            .sudo()
            .create(
                {
                    "line_id": self.id,
                    "date": day,
                    "reason_code": reason_code,
                    "reason_text": returns.REASONS.get(reason_code, ""),
                    "bank_charge": bank_charge,
                    "handling_fee": company.isp_sepa_return_fee,
                    "source": source,
                    "reference": reference,
                    "reversal_move_id": reversal.id,
                    "fee_move_id": fee_move.id,
                    "mandate_ended": reason_code in returns.MANDATE_ENDING,
                }
            )
        )
        self.state = "returned"
        if company.isp_sepa_return_escalate:
            self._isp_escalate_dunning(reason_code)
        if reason_code in returns.MANDATE_ENDING:
            self._isp_end_mandate(record)
        self.move_id.message_post(
            body=self.env._(
                "Direct debit returned (%(code)s %(reason)s) on %(date)s; the invoice is open again.",
                code=reason_code,
                reason=record.reason_text,
                date=day,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return record

    def _isp_reverse_payment(self, day, reason_code):
        """Reverse the debit's payment entry. Only the debit payment's own reconciliations are undone:
        other payments of the invoice (a transfer, credit) stay reconciled with it."""
        payment = self.payment_id.sudo()
        if not payment:
            raise UserError(self.env._("%(invoice)s: the debit has no payment to reverse.", invoice=self.move_id.name))
        payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).remove_move_reconcile()
        reversal = payment.move_id._reverse_moves(
            [
                {
                    "date": day,
                    "ref": self.env._("Return %(code)s of %(payment)s", code=reason_code, payment=payment.name),
                }
            ],
            cancel=True,
        )
        return reversal

    def _isp_charge_return_fee(self, day, reason_code, bank_charge):
        company = self.company_id
        product = company.isp_sepa_return_fee_product_id or self.env.ref(
            "isp_payment_gateway.product_return_fee", raise_if_not_found=False
        )
        lines = []
        if bank_charge:
            lines.append(
                (
                    self.env._("Bank charge for the returned debit of %(invoice)s", invoice=self.move_id.name),
                    bank_charge,
                )
            )
        if company.isp_sepa_return_fee:
            lines.append(
                (
                    self.env._(
                        "Handling fee for the returned debit of %(invoice)s (%(code)s)",
                        invoice=self.move_id.name,
                        code=reason_code,
                    ),
                    company.isp_sepa_return_fee,
                )
            )
        moves = self.env["account.move"].sudo().with_company(company)
        if not lines:
            return moves
        # the shared charge-invoice builder: the article's taxes mapped through the customer's fiscal position
        cache = {}
        partner = self.partner_id
        vals = moves._isp_prepare_charge_invoice_vals(
            partner,
            company,
            day,
            [
                moves._isp_prepare_charge_line_vals(product, label, amount, partner, company, cache)
                for label, amount in lines
            ],
            cache,
            isp_dunning_charge=True,
            invoice_origin=self.move_id.name,
        )
        return moves._isp_create_charge_invoices([vals])

    def _isp_escalate_dunning(self, reason_code):
        """The returned invoice moves on one dunning level (a return is a reminder the customer caused)."""
        move = self.move_id.sudo()
        partner = move.commercial_partner_id
        profile = partner.isp_dunning_profile_id or move.company_id.isp_dunning_profile_id
        levels = profile._isp_levels()
        if not levels:
            return
        current = move.isp_dunning_level_id
        following = levels.filtered(lambda level: not current or level.sequence > current.sequence)[:1]
        if not following:
            return
        today = fields.Date.context_today(self)
        self.env["isp.dunning.step"].sudo().create(
            {
                "move_id": move.id,
                "partner_id": partner.id,
                "level_id": following.id,
                "date": today,
                "days_overdue": max(0, (today - move.invoice_date_due).days) if move.invoice_date_due else 0,
                "open_amount": move.amount_residual_signed,
                "manual": True,
                "reason": self.env._("Direct debit returned (%(code)s)", code=reason_code),
            }
        )
        move.write({"isp_dunning_level_id": following.id, "isp_dunning_date": today})

    def _isp_end_mandate(self, record):
        """The mandate cannot be used again: revoked, the customer pays by transfer, customer and sales team told."""
        mandate = self.mandate_id.sudo()
        mandate._isp_end(
            "revoked",
            self.env._(
                "Direct debit returned: %(code)s %(reason)s", code=record.reason_code, reason=record.reason_text
            ),
        )
        partner = self.partner_id.sudo()
        partner.isp_payment_method = "transfer"
        if partner.email:
            self.env.ref("isp_payment_gateway.mail_template_mandate_ended").sudo().send_mail(record.id)
        team = partner.team_id
        recipients = (team.member_ids | team.user_id).partner_id
        partner.message_post(
            body=self.env._(
                "Mandate %(mandate)s revoked after a returned debit (%(code)s %(reason)s); "
                "payment method set to bank transfer.",
                mandate=mandate.name,
                code=record.reason_code,
                reason=record.reason_text,
            ),
            partner_ids=recipients.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note" if not recipients else "mail.mt_comment",
        )
