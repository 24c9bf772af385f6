from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_customer_sequence_id = fields.Many2one(
        related="company_id.isp_customer_sequence_id",
        readonly=False,
    )
