from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a provisioning task done activates its service."""
        provision_type = self.env.ref("isp_sales.mail_activity_type_isp_provision", raise_if_not_found=False)
        service_ids = [
            activity.res_id
            for activity in self
            if activity.res_model == "isp.service" and activity.activity_type_id == provision_type
        ]
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if service_ids:
            services = self.env["isp.service"].sudo().browse(service_ids).exists()
            services.filtered(lambda service: service.state == "pending").action_activate()
        return result
