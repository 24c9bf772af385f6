from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_operations_user_id = fields.Many2one(related="company_id.isp_operations_user_id", readonly=False)
    isp_approver_user_id = fields.Many2one(related="company_id.isp_approver_user_id", readonly=False)
