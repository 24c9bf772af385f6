from odoo import fields, models
from odoo.exceptions import UserError

#: states a service suspended for arrears may be put in by the back office (terminating is no lifting)
KEEPS_SUSPENSION = ("suspended", "terminated")


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
        self._isp_check_lift_suspension(vals)
        if vals.get("state") in ("active", "terminated") and "isp_dunning_suspended" not in vals:
            vals = {**vals, "isp_dunning_suspended": False}
        return super().write(vals)

    def _isp_check_lift_suspension(self, vals):
        """A suspension for arrears is lifted by the customer's payment (runs and the paid invoice
        reactivate as superuser) or by an ISP manager; the invoices keep their dunning level."""
        # depends on the fields and values written and on the service's flag: no access rule can express it
        if self.env.su or self.env.user.has_group("isp_customer.group_isp_manager"):
            return
        if "isp_dunning_suspended" not in vals and vals.get("state", "suspended") in KEEPS_SUSPENSION:
            return
        suspended = self.filtered("isp_dunning_suspended")
        if suspended:
            raise UserError(
                self.env._(
                    "%(service)s is suspended for arrears: only an ISP manager lifts the suspension by hand; "
                    "otherwise it ends when the customer pays.",
                    service=suspended[0].display_name,
                )
            )
        if vals.get("isp_dunning_suspended"):
            raise UserError(self.env._("Services are suspended for arrears by dunning runs only."))
