from odoo import fields, models
from odoo.exceptions import UserError

from ..models.isp_debit_return import REASON_CODES


class IspDebitReturnManual(models.TransientModel):
    """Book one return by hand: ISP managers only, by the access rules."""

    _name = "isp.debit.return.manual"
    _description = "Return a Direct Debit"

    line_id = fields.Many2one("isp.debit.batch.line", string="Debit", required=True)
    reason_code = fields.Selection(
        [(code, f"{code} {text}") for code, text in REASON_CODES], string="Reason", required=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    bank_charge = fields.Float(digits="Account")

    def action_return(self):
        self.ensure_one()
        if self.bank_charge < 0:
            raise UserError(self.env._("The bank charge cannot be negative."))
        self.line_id.sudo()._isp_return(self.reason_code, self.date, bank_charge=self.bank_charge)
        return {"type": "ir.actions.act_window_close"}
