from odoo import api, fields, models

from ..engine.identifiers import UNIQUE_TYPES

ARTICLE_TYPES = [
    ("domain", "Domain"),
    ("hosting", "Web hosting / vhost"),
    ("server", "Server"),
    ("ip_network", "IP network"),
    ("database", "SQL database"),
    ("access_line", "Access line (dial-in / leased line)"),
    ("contract", "Service contract"),
    ("other", "Other"),
]
BILLING_PERIODS = [
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("half_yearly", "Half-yearly"),
    ("yearly", "Yearly"),
]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    isp_article_type = fields.Selection(
        ARTICLE_TYPES,
        string="ISP Article Type",
        help="Products with an ISP article type become services of the customer when an order is confirmed.",
    )
    isp_recurring = fields.Boolean(
        string="Recurring",
        help="The service is billed every billing period at the order price.",
    )
    isp_billing_period = fields.Selection(BILLING_PERIODS, string="Default Billing Period", default="monthly")
    isp_setup_product_id = fields.Many2one(
        "product.product",
        string="Setup Fee Product",
        help="Added to the order once per ordered unit as a one-off charge.",
    )
    isp_needs_provisioning = fields.Boolean(
        string="Provisioned by Staff",
        help="Services of this article wait for the operations team; otherwise they are active at once.",
    )
    isp_identifier_per_unit = fields.Boolean(
        string="One Service per Unit",
        compute="_compute_isp_identifier_per_unit",
        store=True,
        readonly=False,
        help="Each ordered unit is a service with its own identifier (e.g. one per domain).",
    )

    @api.depends("isp_article_type")
    def _compute_isp_identifier_per_unit(self):
        for template in self:
            template.isp_identifier_per_unit = template.isp_article_type in UNIQUE_TYPES
