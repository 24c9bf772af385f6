from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_operations_user_id = fields.Many2one(
        "res.users",
        string="Operations Contact",
        help="Receives the provisioning tasks of services that are set up by staff.",
    )
    isp_approver_user_id = fields.Many2one(
        "res.users",
        string="Order Approver",
        help="Approves orders of trusted clients and resellers above their quota "
        "(default: the leader of the order's sales team).",
    )
