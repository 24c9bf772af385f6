from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_dunning_profile_id = fields.Many2one(
        "isp.dunning.profile",
        string="Default Dunning Profile",
        help="Dunning profile of customers that have none of their own.",
    )
