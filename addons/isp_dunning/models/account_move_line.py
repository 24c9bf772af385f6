from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    isp_dunning_step_id = fields.Many2one(
        "isp.dunning.step", string="Dunning Step", readonly=True, copy=True, index="btree_not_null"
    )
