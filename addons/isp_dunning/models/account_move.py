from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

BLOCK_REASONS = [
    ("disputed", "Disputed"),
    ("payment_plan", "Agreed payment plan"),
    ("other", "Other"),
]
#: fields only runs and the level wizard write
RUN_FIELDS = {"isp_dunning_level_id", "isp_dunning_date", "isp_interest_until", "isp_dunning_charge"}
COURT_STATES = [
    ("candidate", "Candidate"),
    ("filed", "Filed"),
    ("decided", "Decided"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_dunning_level_id = fields.Many2one(
        "isp.dunning.level", string="Dunning Level", readonly=True, copy=False, index="btree_not_null", tracking=True
    )
    isp_dunning_date = fields.Date(string="Last Dunning Step", readonly=True, copy=False)
    isp_interest_until = fields.Date(
        string="Interest Charged Until", readonly=True, copy=False, help="Last day default interest was charged for."
    )
    isp_dunning_block = fields.Boolean(string="Dunning Blocked", copy=False, tracking=True)
    isp_dunning_block_reason = fields.Selection(BLOCK_REASONS, string="Block Reason", copy=False, tracking=True)
    isp_dunning_block_note = fields.Char(string="Block Note", copy=False)
    isp_court_state = fields.Selection(
        COURT_STATES, string="Court Dunning Order", copy=False, tracking=True, index="btree_not_null"
    )
    isp_court_date = fields.Date(string="Court Order Date", copy=False, tracking=True)
    isp_court_file_number = fields.Char(string="Court File Number", copy=False, tracking=True)
    isp_dunning_step_ids = fields.One2many("isp.dunning.step", "move_id", string="Dunning History", readonly=True)
    isp_dunning_charge = fields.Boolean(
        string="Dunning Charges", readonly=True, copy=False, help="Fees and interest of dunning steps."
    )
    isp_dunning_fees = fields.Monetary(
        string="Fees Charged", compute="_compute_isp_dunning_totals", currency_field="company_currency_id"
    )
    isp_dunning_interest = fields.Monetary(
        string="Interest Charged", compute="_compute_isp_dunning_totals", currency_field="company_currency_id"
    )
    isp_dunning_waived = fields.Monetary(
        string="Waived", compute="_compute_isp_dunning_totals", currency_field="company_currency_id"
    )
    isp_interest_from = fields.Date(
        string="Interest From",
        compute="_compute_isp_interest_from",
        help="First day in default: the day after the due date.",
    )

    isp_interest_basis = fields.Char(
        string="Interest Basis",
        compute="_compute_isp_interest_basis",
        help="The default interest claimed, as a court dunning order states it.",
    )
    isp_debtor_kind = fields.Selection(related="commercial_partner_id.isp_customer_kind", string="Debtor Kind")
    isp_debtor_address = fields.Char(related="commercial_partner_id.contact_address", string="Debtor Address")

    @api.depends("commercial_partner_id.isp_dunning_profile_id", "commercial_partner_id.isp_customer_kind")
    def _compute_isp_interest_basis(self):
        for move in self:
            partner = move.commercial_partner_id
            profile = partner.isp_dunning_profile_id or move.company_id.isp_dunning_profile_id
            if profile.interest_basis == "statutory_de":
                business = partner.isp_customer_kind in ("company", "sole_proprietor")
                move.isp_interest_basis = self.env._(
                    "%(points)s points above the base rate (§288 BGB)", points=9 if business else 5
                )
            elif profile.interest_basis == "fixed":
                move.isp_interest_basis = self.env._("%(rate)s %% a year", rate=profile.interest_rate)
            else:
                move.isp_interest_basis = False

    @api.depends("isp_dunning_step_ids.charge_total", "isp_dunning_step_ids.waived_amount")
    def _compute_isp_dunning_totals(self):
        for move in self:
            steps = move.isp_dunning_step_ids
            move.isp_dunning_fees = sum(steps.mapped("fee_amount")) + sum(steps.mapped("flat_fee_amount"))
            move.isp_dunning_interest = sum(steps.mapped("interest_amount"))
            move.isp_dunning_waived = sum(steps.mapped("waived_amount"))

    @api.depends("invoice_date_due")
    def _compute_isp_interest_from(self):
        for move in self:
            move.isp_interest_from = move.invoice_date_due and move.invoice_date_due + timedelta(days=1)

    @api.constrains("isp_dunning_block", "isp_dunning_block_reason")
    def _check_isp_dunning_block(self):
        for move in self:
            if move.isp_dunning_block and not move.isp_dunning_block_reason:
                raise ValidationError(self.env._("%(move)s: a dunning block needs a reason.", move=move.display_name))

    def write(self, vals):
        if not self.env.su and RUN_FIELDS & vals.keys():
            # the level and its dates change by runs and by the level wizard (with its reason) only
            raise AccessError(self.env._("Dunning levels are changed by dunning runs or Change Dunning Level."))
        return super().write(vals)

    @api.model
    def _isp_dunning_domain(self, company, day):
        """Open items a dunning run considers on ``day``: overdue posted customer invoices,
        of ISP customers, not blocked, not charges of dunning itself. The payment addon narrows it further."""
        return [
            *self._isp_customer_domain(),
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("amount_residual", ">", 0),
            ("invoice_date_due", "<", day),
            ("isp_dunning_block", "=", False),
            ("isp_dunning_charge", "=", False),
        ]

    def action_isp_dunning_set_level(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Dunning Level"),
            "res_model": "isp.dunning.set.level",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "account.move", "active_ids": self.ids},
        }

    def _invoice_paid_hook(self):
        """Services suspended for arrears come back when nothing is left at a suspending level."""
        result = super()._invoice_paid_hook()
        partners = self.filtered(lambda move: move.move_type == "out_invoice").commercial_partner_id
        if partners:
            partners._isp_dunning_reactivate()
        return result
