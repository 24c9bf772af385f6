from odoo import fields, models


class IspDebitBatchError(models.Model):
    _name = "isp.debit.batch.error"
    _description = "SEPA Direct Debit Batch Error"
    _order = "run_id, id"

    run_id = fields.Many2one("isp.debit.batch", string="Batch", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer")
    message = fields.Text(required=True)
