from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_operations_user_id = fields.Many2one(
        "res.users",
        string="Operations Contact",
        help="Receives the provisioning tasks of services that are set up by staff.",
    )
