from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .isp_dunning_profile import LEVEL_ACTIONS


class IspDunningLevel(models.Model):
    _name = "isp.dunning.level"
    _description = "Dunning Level"
    _order = "profile_id, sequence, days_overdue, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    profile_id = fields.Many2one("isp.dunning.profile", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="profile_id.company_id", store=True)
    currency_id = fields.Many2one(related="profile_id.currency_id")
    days_overdue = fields.Integer(
        required=True,
        help="Reached when the item is overdue this many days (from the due date).",
    )
    min_days_since_previous = fields.Integer(
        string="Days after Previous Step",
        default=7,
        help="At least this many days after the item's previous step: the notice period of a suspension "
        "announced by the previous level.",
    )
    min_amount = fields.Monetary(
        string="Minimum Open Amount",
        currency_field="currency_id",
        help="Reached only when the customer's overdue open total is at least this amount.",
    )
    fee_product_id = fields.Many2one(
        "product.product",
        string="Fee Article",
        help="The article the fee is charged as, for its taxes and accounts.",
    )
    fee_amount = fields.Monetary(string="Fee", currency_field="currency_id")
    apply_interest = fields.Boolean(string="Charge Interest")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'isp.dunning.letter')]",
        default=lambda self: self.env.ref("isp_dunning.mail_template_dunning_letter", raise_if_not_found=False),
    )
    send_letter = fields.Boolean(string="Letter (PDF)", default=True, help="Attach or print the dunning letter.")
    action = fields.Selection(LEVEL_ACTIONS, default="none", required=True)
    notify_sales = fields.Boolean(string="Notify Sales Team")
    letter_text = fields.Html(translate=True, sanitize=True)

    @api.constrains("days_overdue", "min_days_since_previous", "fee_amount", "min_amount")
    def _check_numbers(self):
        for level in self:
            if level.days_overdue < 0 or level.min_days_since_previous < 0:
                raise ValidationError(self.env._("Level %(level)s: days cannot be negative.", level=level.name))
            if level.fee_amount < 0 or level.min_amount < 0:
                raise ValidationError(
                    self.env._("Level %(level)s: fee and minimum amount cannot be negative.", level=level.name)
                )
            if level.fee_amount and not level.fee_product_id:
                raise ValidationError(self.env._("Level %(level)s: a fee needs a fee article.", level=level.name))

    def _isp_is_suspending(self):
        """At or after the profile's first level that suspends or terminates services."""
        self.ensure_one()
        levels = self.profile_id._isp_levels()
        suspending = levels.filtered(lambda level: level.action in ("suspend", "terminate"))
        return bool(suspending) and list(levels).index(self) >= list(levels).index(suspending[0])
