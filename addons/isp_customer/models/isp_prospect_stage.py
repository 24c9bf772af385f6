from odoo import fields, models


class IspProspectStage(models.Model):
    _name = "isp.prospect.stage"
    _description = "Prospect Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    fold = fields.Boolean(
        string="Folded in Pipeline",
        help="Folded stages are collapsed in the prospect pipeline (e.g. not interested).",
    )
    is_won = fields.Boolean(
        string="Became a Client",
        help="Prospects moved to this stage are converted into customers.",
    )
    active = fields.Boolean(default=True)
    prospect_count = fields.Integer(compute="_compute_prospect_count")

    def _compute_prospect_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("isp_prospect_stage_id", "in", self.ids), ("isp_lifecycle", "=", "prospect")],
                ["isp_prospect_stage_id"],
                ["__count"],
            )
        )
        for stage in self:
            stage.prospect_count = counts.get(stage, 0)
