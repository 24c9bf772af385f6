from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_dunning_profile_id = fields.Many2one(
        "isp.dunning.profile",
        string="Default Dunning Profile",
        help="Dunning profile of customers that have none of their own.",
        default=lambda self: self.env.ref("isp_dunning.profile_german_standard", raise_if_not_found=False),
    )

    @api.model
    def _isp_dunning_default_profile(self):
        """Give companies without a default dunning profile the German standard one."""
        profile = self.env.ref("isp_dunning.profile_german_standard", raise_if_not_found=False)
        if profile:
            self.sudo().search([("isp_dunning_profile_id", "=", False)]).isp_dunning_profile_id = profile
