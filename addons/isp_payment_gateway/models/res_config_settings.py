from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_sepa_creditor_id = fields.Char(related="company_id.isp_sepa_creditor_id", readonly=False)
    isp_sepa_journal_id = fields.Many2one(related="company_id.isp_sepa_journal_id", readonly=False)
    isp_sepa_scheme = fields.Selection(related="company_id.isp_sepa_scheme", readonly=False)
    isp_sepa_lead_days = fields.Integer(related="company_id.isp_sepa_lead_days", readonly=False)
    isp_sepa_prenotification_days = fields.Integer(related="company_id.isp_sepa_prenotification_days", readonly=False)
    isp_sepa_return_days = fields.Integer(related="company_id.isp_sepa_return_days", readonly=False)
    isp_sepa_pain_version = fields.Selection(related="company_id.isp_sepa_pain_version", readonly=False)
    isp_sepa_return_fee = fields.Monetary(related="company_id.isp_sepa_return_fee", readonly=False)
    isp_sepa_return_fee_product_id = fields.Many2one(
        related="company_id.isp_sepa_return_fee_product_id", readonly=False
    )
    isp_sepa_return_escalate = fields.Boolean(related="company_id.isp_sepa_return_escalate", readonly=False)
    isp_sepa_service_start = fields.Selection(related="company_id.isp_sepa_service_start", readonly=False)
    isp_topup_minimum = fields.Monetary(related="company_id.isp_topup_minimum", readonly=False)
