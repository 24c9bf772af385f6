from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_operations_user_id = fields.Many2one(related="company_id.isp_operations_user_id", readonly=False)
    isp_approver_user_id = fields.Many2one(related="company_id.isp_approver_user_id", readonly=False)
    isp_billing_days_in_advance = fields.Integer(related="company_id.isp_billing_days_in_advance", readonly=False)
    isp_bill_suspended = fields.Boolean(related="company_id.isp_bill_suspended", readonly=False)
    isp_invoice_terms = fields.Html(related="company_id.isp_invoice_terms", readonly=False)
