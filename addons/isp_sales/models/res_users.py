from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _isp_staff_user(self, *candidates):
        """The first of ``candidates`` that is an active internal user, else the administrator.

        Tasks of automatic processing must reach staff, also when the process runs for a
        portal user, the API or a scheduled action.
        """
        for user in candidates:
            if user and user.active and user._is_internal() and not user._is_superuser():
                return user
        return self.env.ref("base.user_admin")
