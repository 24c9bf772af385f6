from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_dunning_profile_id = fields.Many2one(related="company_id.isp_dunning_profile_id", readonly=False)
