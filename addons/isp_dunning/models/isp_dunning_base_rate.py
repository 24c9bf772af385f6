from decimal import Decimal

from odoo import api, fields, models


class IspDunningBaseRate(models.Model):
    _name = "isp.dunning.base.rate"
    _description = "Base Rate for Default Interest"
    _order = "date_from desc"
    _rec_name = "date_from"

    date_from = fields.Date(string="Valid From", required=True)
    rate = fields.Float(string="Rate (%)", required=True, digits=(5, 2), help="Annual base rate in percent (§247 BGB).")
    note = fields.Char()

    _sql_constraints = [
        ("date_from_uniq", "UNIQUE(date_from)", "There is already a base rate valid from this date."),
    ]

    @api.model
    def _isp_rates(self):
        """All rates as the interest engine takes them: [(valid from, Decimal percent)]."""
        return [(rate.date_from, Decimal(str(rate.rate))) for rate in self.search([], order="date_from")]
