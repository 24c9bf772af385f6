from odoo import fields, models

from .account_move_line import PRICE_SOURCES


class IspBillingRunLine(models.Model):
    _name = "isp.billing.run.line"
    _description = "ISP Invoice Run Preview Line"
    _order = "run_id, partner_id, group, period_start, id"

    run_id = fields.Many2one("isp.billing.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    group = fields.Char(string="Invoice", help="Lines with the same value go on one invoice.")
    invoice_date = fields.Date()
    service_id = fields.Many2one("isp.service", required=True)
    name = fields.Text(string="Label")
    period_start = fields.Date(string="Period From")
    period_end = fields.Date(string="Period To")
    proration = fields.Float(digits=(16, 6))
    quantity = fields.Float(digits="Product Unit of Measure")
    price_unit = fields.Float(string="Unit Price", digits="Product Price")
    discount = fields.Float(string="Discount (%)", digits="Discount")
    price_subtotal = fields.Monetary(string="Subtotal", currency_field="currency_id")
    price_source = fields.Selection(PRICE_SOURCES)
    skipped = fields.Boolean(string="Passed Over", help="Suspended service: the period is not billed.")
    currency_id = fields.Many2one("res.currency")
