from odoo import fields, models


class IspBillingRunError(models.Model):
    _name = "isp.billing.run.error"
    _description = "ISP Invoice Run Error"
    _order = "run_id, id"

    run_id = fields.Many2one("isp.billing.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer")
    message = fields.Text(required=True)
