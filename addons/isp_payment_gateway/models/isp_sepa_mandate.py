import re

from stdnum import iban as stdnum_iban

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import debit_plan

MANDATE_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("revoked", "Revoked"),
    ("expired", "Expired"),
]
#: a mandate in these states never becomes active again: the customer signs a new one
ENDED_STATES = ("revoked", "expired")
MANDATE_TYPES = [("recurrent", "Recurrent"), ("oneoff", "One-off")]
#: SEPA identifier characters, no spaces; not starting or ending with '/', no '//'
REFERENCE = re.compile(r"^(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+]{1,35}(?<!/)$")


#: what the customer signed: fixed once the mandate is active (a change needs a new mandate)
SIGNED_FIELDS = {"name", "partner_id", "company_id", "bank_account_id", "signature_date", "scheme", "mandate_type"}


class IspSepaMandate(models.Model):
    _name = "isp.sepa.mandate"
    _description = "SEPA Direct Debit Mandate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "partner_id, signature_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Mandate Reference",
        required=True,
        copy=False,
        tracking=True,
        default=lambda self: self.env["ir.sequence"].next_by_code("isp.sepa.mandate") or "/",
        help="Unique reference (up to 35 SEPA characters, no spaces) that every debit carries.",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True, check_company=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    bank_account_id = fields.Many2one(
        "res.partner.bank",
        string="Debtor Account",
        required=True,
        tracking=True,
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
    )
    iban = fields.Char(related="bank_account_id.acc_number", string="IBAN")
    bic = fields.Char(related="bank_account_id.bank_bic", string="BIC")
    signature_date = fields.Date(string="Date of Signature", tracking=True)
    scheme = fields.Selection(
        [("CORE", "CORE"), ("B2B", "B2B")],
        required=True,
        tracking=True,
        default=lambda self: self.env.company.isp_sepa_scheme or "CORE",
    )
    mandate_type = fields.Selection(MANDATE_TYPES, string="Type", default="recurrent", required=True, tracking=True)
    state = fields.Selection(MANDATE_STATES, default="draft", required=True, readonly=True, tracking=True, copy=False)
    first_use = fields.Boolean(
        string="Not Used Yet",
        default=True,
        readonly=True,
        copy=False,
        help="The next debit is the first under this mandate (sequence type FRST).",
    )
    last_debit_date = fields.Date(string="Last Debit", readonly=True, copy=False)
    end_reason = fields.Char(string="Reason Ended", readonly=True, copy=False, tracking=True)
    signed_document = fields.Binary(string="Signed Mandate", attachment=True, copy=False)
    signed_document_name = fields.Char(copy=False)
    consent_ip = fields.Char(string="Signed from IP", readonly=True, copy=False)

    _sql_constraints = [
        ("name_company_uniq", "UNIQUE(name, company_id)", "A mandate reference is used once per company."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        partners = self.env["res.partner"].browse([vals["partner_id"] for vals in vals_list if vals.get("partner_id")])
        commercial = {partner.id: partner.commercial_partner_id.id for partner in partners}
        for vals in vals_list:
            if vals.get("partner_id"):
                # mandates belong to the customer, not to one of its contacts
                vals["partner_id"] = commercial[vals["partner_id"]]
            if vals.get("name"):
                vals["name"] = vals["name"].strip()
            if vals.get("state", "draft") != "draft":
                self._isp_check_state_write()
        return super().create(vals_list)

    def write(self, vals):
        fixed = SIGNED_FIELDS & vals.keys()
        if fixed:
            signed = self.filtered(lambda mandate: mandate.state != "draft")
            if signed:
                raise UserError(
                    self.env._(
                        "Mandate %(name)s is %(state)s: what the customer signed (%(fields)s) cannot change; "
                        "revoke it and sign a new mandate.",
                        name=signed[0].name,
                        state=dict(self._fields["state"]._description_selection(self.env))[signed[0].state],
                        fields=", ".join(self._fields[field]._description_string(self.env) for field in sorted(fixed)),
                    )
                )
        if "state" in vals:
            self._isp_check_state_write()
            ended = self.filtered(lambda mandate: mandate.state in ENDED_STATES and mandate.state != vals["state"])
            if ended:
                raise UserError(
                    self.env._(
                        "Mandate %(name)s has ended (%(state)s); it cannot be used again: sign a new mandate.",
                        name=ended[0].name,
                        state=dict(self._fields["state"]._description_selection(self.env))[ended[0].state],
                    )
                )
        return super().write(vals)

    def _isp_check_state_write(self):
        """A mandate's state changes through its actions only (they check the rights and write it as superuser)."""
        if not self.env.su:
            raise AccessError(self.env._("The state of a mandate changes only through Activate and Revoke."))

    @api.constrains("name")
    def _check_name(self):
        for mandate in self:
            if not REFERENCE.match(mandate.name or ""):
                raise ValidationError(
                    self.env._(
                        "Mandate reference %(name)s: use up to 35 letters, digits and / - ? : ( ) . , ' + "
                        "without spaces, not starting or ending with / and without //.",
                        name=mandate.name,
                    )
                )

    @api.constrains("bank_account_id", "partner_id")
    def _check_bank_account(self):
        for mandate in self:
            account = mandate.bank_account_id
            if account.partner_id.commercial_partner_id != mandate.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._("The debtor account of %(name)s belongs to another customer.", name=mandate.name)
                )
            if not stdnum_iban.is_valid(account.acc_number or ""):
                raise ValidationError(self.env._("%(account)s is not a valid IBAN.", account=account.acc_number or ""))

    @api.constrains("scheme", "partner_id")
    def _check_scheme(self):
        for mandate in self.filtered(lambda mandate: mandate.scheme == "B2B"):
            if mandate.partner_id.commercial_partner_id.isp_customer_kind == "individual":
                raise ValidationError(
                    self.env._("%(name)s: B2B mandates are for businesses, not consumers.", name=mandate.name)
                )

    def action_activate(self):
        self.check_access("write")
        for mandate in self:
            if mandate.state != "draft":
                raise UserError(self.env._("Only draft mandates can be activated."))
            if not mandate.signature_date:
                raise UserError(self.env._("%(name)s: enter the date of signature first.", name=mandate.name))
            if mandate.signature_date > fields.Date.context_today(self):
                raise UserError(self.env._("%(name)s: the signature date is in the future.", name=mandate.name))
        self.sudo().write({"state": "active"})
        return True

    def action_revoke(self):
        self.check_access("write")
        return self._isp_end("revoked", self.env._("Revoked by %(user)s", user=self.env.user.name))

    def _isp_end(self, state, reason):
        """End the live mandates (``revoked`` or ``expired``); the caller checked the rights."""
        live = self.filtered(lambda mandate: mandate.state in ("draft", "active"))
        live.sudo().write({"state": state, "end_reason": reason})
        return True

    def _isp_mark_used(self, day):
        """A debit was collected under these mandates on ``day``: the next ones are RCUR."""
        self.write({"first_use": False, "last_debit_date": day})

    @api.model
    def _cron_isp_expire(self):
        """Active mandates not used for 36 months expire (counted from the last debit or the signature)."""
        today = fields.Date.context_today(self)
        mandates = self.search([("state", "=", "active")])
        expired = mandates.filtered(
            lambda mandate: debit_plan.mandate_expired(
                mandate.last_debit_date, mandate.signature_date or mandate.create_date.date(), today
            )
        )
        failed = self.env["ir.cron"]._isp_process_isolated(
            expired,
            lambda mandates: mandates._isp_end("expired", self.env._("Not used for 36 months")),
            lambda mandate, message: mandate.message_post(
                body=self.env._("The mandate could not be marked expired: %(error)s", error=message),
                subtype_xmlid="mail.mt_note",
            ),
            together=True,
        )
        self.env["ir.cron"]._notify_progress(done=len(expired - failed), remaining=0)
