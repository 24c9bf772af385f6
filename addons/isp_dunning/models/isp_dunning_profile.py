from odoo import api, fields, models
from odoo.exceptions import ValidationError

INTEREST_BASES = [
    ("none", "None"),
    ("statutory_de", "German statutory (base rate + 5 / + 9 points)"),
    ("fixed", "Fixed annual rate"),
]
CHARGE_MODES = [
    ("invoice", "One invoice per customer and run"),
    ("next_invoice", "Added to the next periodic invoice"),
]
LEVEL_ACTIONS = [
    ("none", "None"),
    ("announce", "Announce suspension"),
    ("suspend", "Suspend services"),
    ("terminate", "Terminate services"),
    ("court", "Mark for court dunning order"),
]


class IspDunningProfile(models.Model):
    _name = "isp.dunning.profile"
    _description = "Dunning Profile"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)
    level_ids = fields.One2many("isp.dunning.level", "profile_id", string="Levels", copy=True)
    interest_basis = fields.Selection(
        INTEREST_BASES,
        default="none",
        required=True,
        tracking=True,
        help="German statutory: the base rate of the day plus 5 points for consumers and 9 points for "
        "businesses (§288 BGB), decided by the customer kind. Interest is simple, per day, on the open "
        "principal only.",
    )
    interest_rate = fields.Float(string="Annual Rate (%)", digits=(5, 2), tracking=True)
    flat_fee = fields.Boolean(
        string="Business Flat Fee",
        tracking=True,
        help="Charge business customers the flat fee of §288(5) BGB (EUR 40) once per overdue invoice, "
        "with the first step that charges interest.",
    )
    flat_fee_amount = fields.Monetary(default=40.0, currency_field="currency_id")
    charge_mode = fields.Selection(
        CHARGE_MODES,
        string="Charge Fees",
        default="invoice",
        required=True,
        tracking=True,
        help="Fees and interest as one posted invoice per customer and run, or as lines of the customer's "
        "next periodic invoice.",
    )
    interest_product_id = fields.Many2one(
        "product.product",
        string="Interest Article",
        check_company=True,
        default=lambda self: self.env.ref("isp_dunning.product_default_interest", raise_if_not_found=False),
        help="The article that charges default interest (taxes and accounts).",
    )
    flat_fee_product_id = fields.Many2one(
        "product.product",
        string="Flat Fee Article",
        check_company=True,
        default=lambda self: self.env.ref("isp_dunning.product_default_flat_fee", raise_if_not_found=False),
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", help="The company's currency: fees and interest are in it."
    )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for profile in self:
            profile.currency_id = (profile.company_id or self.env.company).currency_id

    @api.constrains("interest_basis", "interest_rate", "flat_fee", "interest_product_id", "flat_fee_product_id")
    def _check_interest_rate(self):
        for profile in self:
            if profile.interest_basis != "none" and not profile.interest_product_id:
                raise ValidationError(
                    self.env._("Profile %(profile)s: interest needs an interest article.", profile=profile.name)
                )
            if profile.flat_fee and not profile.flat_fee_product_id:
                raise ValidationError(
                    self.env._("Profile %(profile)s: the flat fee needs a flat fee article.", profile=profile.name)
                )
            if profile.interest_basis == "fixed" and profile.interest_rate <= 0:
                raise ValidationError(
                    self.env._(
                        "Profile %(profile)s: a fixed interest basis needs a positive rate.", profile=profile.name
                    )
                )

    def _isp_levels(self):
        """The levels in the order they are reached."""
        return self.level_ids.sorted(lambda level: (level.sequence, level.days_overdue, level.id))
