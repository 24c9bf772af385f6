from odoo import fields, models


class IspService(models.Model):
    _inherit = "isp.service"

    isp_dunning_suspended = fields.Boolean(
        string="Suspended for Arrears",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Suspended by a dunning run; reactivated when no item is left at a suspending level.",
    )

    def write(self, vals):
        if vals.get("state") in ("active", "terminated") and "isp_dunning_suspended" not in vals:
            vals = {**vals, "isp_dunning_suspended": False}
        return super().write(vals)
