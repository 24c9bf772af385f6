from odoo import fields, models
from odoo.tools import SQL

PRICE_SOURCES = [
    ("order", "Order"),
    ("pricelist", "Pricelist"),
    ("manual", "Manual price"),
]


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    isp_service_id = fields.Many2one(
        "isp.service", string="Service", index="btree_not_null", copy=False, readonly=True, ondelete="restrict"
    )
    isp_period_start = fields.Date(string="Period From", copy=False, readonly=True)
    isp_period_end = fields.Date(string="Period To", copy=False, readonly=True)
    isp_proration = fields.Float(
        string="Proration",
        digits=(16, 6),
        copy=False,
        readonly=True,
        help="Share of the full billing period that the line bills (1 = the whole period).",
    )
    isp_full_price = fields.Float(
        string="Price per Period",
        digits="Product Price",
        copy=False,
        readonly=True,
        help="Unit price of a whole billing period before proration.",
    )
    isp_price_source = fields.Selection(PRICE_SOURCES, string="Price Source", copy=False, readonly=True)
    isp_period_released = fields.Boolean(
        string="Period Released",
        copy=False,
        readonly=True,
        help="The invoice was corrected by a credit note and the period billed again.",
    )

    def init(self):
        result = super().init()
        # A service period is billed at most once: the invoice run relies on this.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS account_move_line_isp_service_period_uniq "
                "ON account_move_line (isp_service_id, isp_period_start) "
                "WHERE isp_service_id IS NOT NULL AND parent_state != 'cancel' AND isp_period_released IS NOT TRUE"
            )
        )
        return result
