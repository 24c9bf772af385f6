from odoo import fields, models, tools
from odoo.tools import SQL

AGES = [
    ("1_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("over_90", "Over 90 days"),
]


class IspDunningOverdueReport(models.Model):
    """Overdue open invoices of ISP customers today, by dunning level and age."""

    _name = "isp.dunning.overdue.report"
    _description = "Overdue Items by Level and Age"
    _auto = False
    _order = "days_overdue desc, id"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    level_id = fields.Many2one("isp.dunning.level", string="Dunning Level", readonly=True)
    invoice_date = fields.Date(readonly=True)
    invoice_date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    age = fields.Selection(AGES, readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True)
    blocked = fields.Boolean(string="Dunning Blocked", readonly=True)
    court_state = fields.Selection(
        [("candidate", "Candidate"), ("filed", "Filed"), ("decided", "Decided")],
        string="Court Dunning Order",
        readonly=True,
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS (
                    SELECT move.id,
                           move.id AS move_id,
                           move.commercial_partner_id AS partner_id,
                           move.company_id,
                           company.currency_id,
                           move.isp_dunning_level_id AS level_id,
                           move.invoice_date,
                           move.invoice_date_due,
                           CURRENT_DATE - move.invoice_date_due AS days_overdue,
                           CASE WHEN CURRENT_DATE - move.invoice_date_due <= 30 THEN '1_30'
                                WHEN CURRENT_DATE - move.invoice_date_due <= 60 THEN '31_60'
                                WHEN CURRENT_DATE - move.invoice_date_due <= 90 THEN '61_90'
                                ELSE 'over_90' END AS age,
                           move.amount_residual_signed AS amount_residual,
                           COALESCE(move.isp_dunning_block, FALSE) AS blocked,
                           move.isp_court_state AS court_state
                      FROM account_move move
                      JOIN res_company company ON company.id = move.company_id
                      JOIN res_partner customer ON customer.id = move.commercial_partner_id
                     WHERE move.move_type = 'out_invoice'
                       AND customer.isp_lifecycle IN ('customer', 'former')
                       AND move.state = 'posted'
                       AND move.payment_state IN ('not_paid', 'partial')
                       AND move.invoice_date_due < CURRENT_DATE
                )
                """,
                SQL.identifier(self._table),
            )
        )
