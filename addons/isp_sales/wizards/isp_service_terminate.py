from odoo import api, fields, models
from odoo.exceptions import ValidationError


class IspServiceTerminate(models.TransientModel):
    _name = "isp.service.terminate"
    _description = "Terminate ISP Services"

    service_ids = fields.Many2many(
        "isp.service",
        string="Services",
        required=True,
        default=lambda self: self.env.context.get("active_ids")
        if self.env.context.get("active_model") == "isp.service"
        else [],
    )
    mode = fields.Selection(
        [("end_of_period", "At the end of the current billing period"), ("date", "On a date")],
        required=True,
        default="end_of_period",
    )
    date_end = fields.Date(string="Termination Date")
    reason = fields.Text(required=True)

    @api.onchange("mode")
    def _onchange_mode(self):
        if self.mode == "date" and not self.date_end:
            self.date_end = fields.Date.context_today(self)

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "date" and not self.date_end:
            raise ValidationError(self.env._("Termination Date: choose the date the services end."))
        for service in self.service_ids:
            date_end = self.date_end if self.mode == "date" else service._isp_current_period_end()
            service._isp_terminate(date_end)
            service.message_post(
                body=self.env._("Termination on %(date)s: %(reason)s", date=date_end, reason=self.reason),
                subtype_xmlid="mail.mt_note",
            )
        return {"type": "ir.actions.act_window_close"}
