from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class IspDunningSetLevel(models.TransientModel):
    """The ISP back office's own level change (its access rules); lifting a suspension is for managers."""

    _name = "isp.dunning.set.level"
    _description = "Change Dunning Level"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    level_id = fields.Many2one(
        "isp.dunning.level", string="New Level", help="Empty: the items leave the dunning cycle and start over."
    )
    reason = fields.Char(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.move":
            values["move_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    def action_apply(self):
        """Move the items to the chosen level by hand; levels above it may be reached again by runs."""
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give a reason for the level change."))
        moves = self.move_ids
        wrong = moves.filtered(lambda move: move.move_type != "out_invoice" or move.state != "posted")
        if wrong:
            raise UserError(self.env._("%(move)s is not a posted customer invoice.", move=wrong[0].display_name))
        today = fields.Date.context_today(self)
        level = self.level_id
        lifts_suspension = moves.filtered(
            lambda move: move.isp_dunning_level_id
            and move.isp_dunning_level_id._isp_is_suspending()
            and not (level and level._isp_is_suspending())
        )
        # who may lift a suspension depends on the items' levels and the new one: no access rule can express it
        if lifts_suspension and not (self.env.su or self.env.user.has_group("isp_customer.group_isp_manager")):
            raise AccessError(
                self.env._(
                    "Only ISP managers set %(move)s below the suspension level: that reactivates services unpaid.",
                    move=lifts_suspension[0].display_name,
                )
            )
        steps = self.env["isp.dunning.step"].sudo()
        for move in moves:
            above = move.isp_dunning_step_ids.filtered(
                lambda step: not step.released
                and not step.manual
                and (
                    not level or step.level_id.profile_id != level.profile_id or step.level_id.sequence > level.sequence
                )
            )
            above.sudo().released = True
            steps.create(
                {
                    "move_id": move.id,
                    "partner_id": move.commercial_partner_id.id,
                    "level_id": level.id,
                    "date": today,
                    "days_overdue": max(0, (today - move.invoice_date_due).days) if move.invoice_date_due else 0,
                    "open_amount": move.amount_residual_signed,
                    "manual": True,
                    "reason": self.reason.strip(),
                }
            )
            move.sudo().write({"isp_dunning_level_id": level.id, "isp_dunning_date": today if level else False})
            move.message_post(
                body=self.env._(
                    "Dunning level set to %(level)s by hand: %(reason)s",
                    level=level.name or self.env._("none"),
                    reason=self.reason.strip(),
                ),
                subtype_xmlid="mail.mt_note",
            )
        moves.commercial_partner_id._isp_dunning_reactivate()
        return {"type": "ir.actions.act_window_close"}
