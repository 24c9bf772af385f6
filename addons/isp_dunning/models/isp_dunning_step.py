from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .isp_dunning_profile import LEVEL_ACTIONS

CHARGE_STATES = [
    ("none", "Nothing charged"),
    ("pending", "On next invoice"),
    ("invoiced", "Invoiced"),
    ("waived", "Waived"),
]


class IspDunningStep(models.Model):
    """One step of one open item: the item reached a level (by a run or by hand)."""

    _name = "isp.dunning.step"
    _description = "Dunning Step"
    _order = "date desc, id desc"
    _check_company_auto = True

    move_id = fields.Many2one("account.move", string="Invoice", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_id = fields.Many2one("isp.dunning.level", index=True, ondelete="restrict")
    run_id = fields.Many2one("isp.dunning.run", string="Dunning Run", index="btree_not_null", ondelete="set null")
    letter_id = fields.Many2one("isp.dunning.letter", index="btree_not_null", ondelete="set null")
    date = fields.Date(required=True)
    days_overdue = fields.Integer()
    open_amount = fields.Monetary(currency_field="currency_id")
    action = fields.Selection(LEVEL_ACTIONS, default="none")
    fee_amount = fields.Monetary(string="Fee", currency_field="currency_id")
    flat_fee_amount = fields.Monetary(string="Flat Fee", currency_field="currency_id")
    interest_amount = fields.Monetary(string="Interest", currency_field="currency_id")
    interest_from = fields.Date()
    interest_to = fields.Date()
    interest_days = fields.Integer()
    interest_rate = fields.Char(help="Annual rate(s) in percent over the interest days.")
    charge_total = fields.Monetary(
        string="Charged", currency_field="currency_id", compute="_compute_charge_total", store=True
    )
    charge_state = fields.Selection(CHARGE_STATES, default="none", required=True)
    charge_move_id = fields.Many2one("account.move", string="Charge Invoice", index="btree_not_null", readonly=True)
    waived_amount = fields.Monetary(string="Waived", currency_field="currency_id", readonly=True)
    waive_move_id = fields.Many2one("account.move", string="Waiver Credit Note", readonly=True)
    waive_reason = fields.Char(string="Waiver Reason", readonly=True)
    manual = fields.Boolean(help="Set by hand with a reason, not by a run.")
    reason = fields.Char()
    released = fields.Boolean(help="The item was set back below this level by hand: the level may be reached again.")

    @api.depends("fee_amount", "flat_fee_amount", "interest_amount")
    def _compute_charge_total(self):
        for step in self:
            step.charge_total = step.fee_amount + step.flat_fee_amount + step.interest_amount

    @api.depends("move_id", "level_id")
    def _compute_display_name(self):
        no_level = self.env._("no level")
        for step in self:
            step.display_name = f"{step.move_id.name} · {step.level_id.name or no_level}"

    def _isp_charge_lines(self, cache=None):
        """Invoice line commands for the fee, flat fee and interest of the steps."""
        return [Command.create(vals) for vals in self._isp_charge_line_vals(cache)]

    def _isp_charge_line_vals(self, cache=None):
        """Invoice line values for the fee, flat fee and interest of the steps.

        :param cache: the charge-line cache of ``account.move._isp_prepare_charge_line_vals`` (a batch shares one)
        """
        lines = []
        for step in self:
            move, profile = step.move_id, step.level_id.profile_id
            if step.fee_amount:
                lines.append(
                    (
                        step,
                        step.level_id.fee_product_id,
                        step.fee_amount,
                        self.env._("%(level)s of %(date)s", level=step.level_id.name, date=step.date),
                    )
                )
            if step.flat_fee_amount:
                lines.append(
                    (
                        step,
                        profile.flat_fee_product_id,
                        step.flat_fee_amount,
                        self.env._("Flat fee for late payment of %(invoice)s (§288(5) BGB)", invoice=move.name),
                    )
                )
            if step.interest_amount:
                lines.append(
                    (
                        step,
                        profile.interest_product_id,
                        step.interest_amount,
                        self.env._(
                            "Default interest on %(invoice)s, %(start)s to %(end)s (%(days)s days at %(rate)s)",
                            invoice=move.name,
                            start=step.interest_from,
                            end=step.interest_to,
                            days=step.interest_days,
                            rate=step.interest_rate,
                        ),
                    )
                )
        # the charge-line rule shared with run invoices and return fees: the article's own taxes
        # (none for damages and interest) mapped through the customer's fiscal position
        moves = self.env["account.move"]
        cache = {} if cache is None else cache
        return [
            moves._isp_prepare_charge_line_vals(
                product, label, amount, step.partner_id, step.company_id, cache, isp_dunning_step_id=step.id
            )
            for step, product, amount, label in lines
        ]

    def action_waive(self):
        if not self.filtered(lambda step: step.charge_total and step.charge_state in ("pending", "invoiced")):
            raise UserError(self.env._("The selected steps have no fees or interest left to waive."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Waive Fees and Interest"),
            "res_model": "isp.dunning.waive",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "isp.dunning.step", "active_ids": self.ids},
        }

    def _isp_waive(self, reason):
        """Waive the steps' fees and interest: nothing billed yet is dropped, billed charges get a credit note."""
        steps = self.filtered(lambda step: step.charge_total and step.charge_state in ("pending", "invoiced"))
        for step in steps.filtered(lambda step: step.charge_state == "pending"):
            step.write({"charge_state": "waived", "waived_amount": step.charge_total, "waive_reason": reason})
        for charge_move, charge_steps in (
            steps.filtered(lambda step: step.charge_state == "invoiced").grouped("charge_move_id").items()
        ):
            # the credit note takes back exactly the waived steps' lines
            waived_lines = charge_move.invoice_line_ids.filtered(
                lambda line, waived=charge_steps: line.isp_dunning_step_id in waived
            )
            if not waived_lines:
                raise UserError(
                    self.env._("The charge invoice %(move)s has no lines of these steps.", move=charge_move.name)
                )
            refund = self.env["account.move"].create(
                {
                    "move_type": "out_refund",
                    "partner_id": charge_move.partner_id.id,
                    "journal_id": charge_move.journal_id.id,
                    "currency_id": charge_move.currency_id.id,
                    "invoice_date": fields.Date.context_today(self),
                    "reversed_entry_id": charge_move.id,
                    "ref": self.env._("Waived: %(reason)s", reason=reason),
                    "isp_dunning_charge": True,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": line.product_id.id,
                                "name": line.name,
                                "quantity": line.quantity,
                                "price_unit": line.price_unit,
                                "account_id": line.account_id.id,
                                "tax_ids": [Command.set(line.tax_ids.ids)],
                                "isp_dunning_step_id": line.isp_dunning_step_id.id,
                            }
                        )
                        for line in waived_lines
                    ],
                }
            )
            refund.action_post()
            if charge_move.payment_state in ("not_paid", "partial"):
                (charge_move | refund).line_ids.filtered(
                    lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
                ).reconcile()
            for step in charge_steps:
                step.write(
                    {
                        "charge_state": "waived",
                        "waived_amount": step.charge_total,
                        "waive_move_id": refund.id,
                        "waive_reason": reason,
                    }
                )
        for move, move_steps in steps.grouped("move_id").items():
            move.message_post(
                body=self.env._(
                    "Dunning charges of %(amount)s waived (%(levels)s): %(reason)s",
                    amount=sum(move_steps.mapped("waived_amount")),
                    levels=", ".join(move_steps.level_id.mapped("name")),
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return steps

    def init(self):
        result = super().init()
        # each item reaches each level once by a run, however often or concurrently runs start
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS isp_dunning_step_move_level_uniq "
                "ON isp_dunning_step (move_id, level_id) WHERE manual IS NOT TRUE AND released IS NOT TRUE"
            )
        )
        return result
