from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    isp_dunning_profile_id = fields.Many2one(
        "isp.dunning.profile",
        string="Dunning Profile",
        tracking=True,
        help="Empty: the company's default dunning profile.",
    )

    @api.model
    def _isp_manager_fields(self):
        return [*super()._isp_manager_fields(), "isp_dunning_profile_id"]

    def _isp_dunning_reactivate(self):
        """Reactivate the services suspended for arrears of customers with no open item left at a
        suspending level, and tell them. Returns the number of services reactivated."""
        services = (
            self.env["isp.service"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("isp_dunning_suspended", "=", True),
                    ("state", "=", "suspended"),
                ]
            )
        )
        if not services:
            return 0
        blocking = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", services.partner_id.ids),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("isp_dunning_level_id", "!=", False),
                ]
            )
            .filtered(lambda move: move.isp_dunning_level_id._isp_is_suspending())
        )
        blocked = {(move.commercial_partner_id, move.company_id) for move in blocking}
        reactivate = services.filtered(lambda service: (service.partner_id, service.company_id) not in blocked)
        if not reactivate:
            return 0
        reactivate.write({"state": "active", "isp_dunning_suspended": False})
        template = self.env.ref("isp_dunning.mail_template_services_reactivated")
        for partner, partner_services in reactivate.grouped("partner_id").items():
            for service in partner_services:
                service.message_post(body=self.env._("Reactivated: no arrears left."), subtype_xmlid="mail.mt_note")
            if partner.email:
                template.with_context(
                    isp_services=partner_services, isp_company=partner_services.company_id[:1]
                ).send_mail(partner.id)
        return len(reactivate)
