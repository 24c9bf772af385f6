from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    isp_sepa_mandate_ids = fields.One2many("isp.sepa.mandate", "partner_id", string="SEPA Mandates")

    def _isp_active_mandate(self, company):
        """The customer's active mandate in ``company`` (the latest signed), or an empty recordset."""
        self.ensure_one()
        return self.commercial_partner_id.isp_sepa_mandate_ids.filtered(
            lambda mandate: mandate.state == "active" and mandate.company_id == company
        ).sorted(lambda mandate: (mandate.signature_date, mandate.id), reverse=True)[:1]
