from odoo import fields, models

from .isp_dunning_profile import LEVEL_ACTIONS


class IspDunningRunLine(models.Model):
    _name = "isp.dunning.run.line"
    _description = "Dunning Run Preview Line"
    _order = "run_id, partner_id, days_overdue desc, id"

    run_id = fields.Many2one("isp.dunning.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    move_id = fields.Many2one("account.move", string="Invoice", required=True)
    currency_id = fields.Many2one(related="run_id.currency_id")
    current_level_id = fields.Many2one("isp.dunning.level")
    level_id = fields.Many2one(
        "isp.dunning.level", string="New Level", help="Empty: listed in the letter, no new step."
    )
    days_overdue = fields.Integer()
    open_amount = fields.Monetary(currency_field="currency_id")
    fee_amount = fields.Monetary(string="Fees", currency_field="currency_id")
    interest_amount = fields.Monetary(string="Interest", currency_field="currency_id")
    interest_rate = fields.Char(string="Rate")
    interest_days = fields.Integer()
    action = fields.Selection(LEVEL_ACTIONS)
