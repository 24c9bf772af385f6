from odoo import api, fields, models
from odoo.exceptions import UserError


class IspDunningWaive(models.TransientModel):
    """Waive the fees and interest of dunning steps: ISP managers only, by the access rules."""

    _name = "isp.dunning.waive"
    _description = "Waive Dunning Fees and Interest"

    step_ids = fields.Many2many("isp.dunning.step", string="Steps", required=True)
    amount = fields.Float(compute="_compute_amount", string="Amount to Waive")
    reason = fields.Char(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "isp.dunning.step":
            values["step_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    @api.depends("step_ids")
    def _compute_amount(self):
        for wizard in self:
            steps = wizard.step_ids.filtered(lambda step: step.charge_state in ("pending", "invoiced"))
            wizard.amount = sum(steps.mapped("charge_total"))

    def action_waive(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give a reason for the waiver."))
        waived = self.step_ids.sudo()._isp_waive(self.reason.strip())
        if not waived:
            raise UserError(self.env._("The selected steps have no fees or interest left to waive."))
        return {"type": "ir.actions.act_window_close"}
