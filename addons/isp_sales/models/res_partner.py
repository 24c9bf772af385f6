from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    isp_service_ids = fields.One2many("isp.service", "partner_id", string="Services")
    isp_service_count = fields.Integer(compute="_compute_isp_service_count", string="Services Count")

    def _compute_isp_service_count(self):
        stored = self.commercial_partner_id.filtered("id")
        counts = {}
        if stored:
            counts = dict(
                self.env["isp.service"]._read_group(
                    [("partner_id", "in", stored.ids), ("state", "!=", "terminated")], ["partner_id"], ["__count"]
                )
            )
        for partner in self:
            partner.isp_service_count = counts.get(partner.commercial_partner_id, 0)

    def action_isp_view_services(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_sales.isp_service_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id, "search_default_filter_live": 1}
        return action
