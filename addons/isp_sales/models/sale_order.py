from odoo import api, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    isp_service_ids = fields.One2many("isp.service", "order_id", string="Services")
    isp_service_count = fields.Integer(compute="_compute_isp_service_count", string="Services Count")
    isp_renewal = fields.Boolean(string="Renewal Order", copy=False, readonly=True)
    isp_has_pending_services = fields.Boolean(compute="_compute_isp_service_count")

    @api.depends("isp_service_ids.state")
    def _compute_isp_service_count(self):
        for order in self:
            order.isp_service_count = len(order.isp_service_ids)
            order.isp_has_pending_services = "pending" in order.isp_service_ids.mapped("state")

    def _action_confirm(self):
        result = super()._action_confirm()
        self.order_line._isp_create_services()
        return result

    def action_isp_provision(self):
        """Execute the order's pending services (activation or a task for the operations team)."""
        pending = self.isp_service_ids.filtered(lambda service: service.state == "pending")
        if not pending:
            raise UserError(self.env._("The order has no pending services."))
        pending._isp_provision()
        return True

    def action_isp_view_services(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_sales.isp_service_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
