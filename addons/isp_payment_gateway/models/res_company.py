from stdnum.eu import at_02

from odoo import api, fields, models
from odoo.exceptions import ValidationError

SCHEMES = [("CORE", "CORE (consumers and businesses)"), ("B2B", "B2B (businesses only)")]
PAIN_VERSIONS = [("08", "pain.008.001.08 (German banks since November 2026)"), ("02", "pain.008.001.02 (older)")]
SERVICE_STARTS = [
    ("collection", "On collection (the batch is marked debited)"),
    ("submission", "On submission (the batch is marked sent)"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_sepa_creditor_id = fields.Char(
        string="SEPA Creditor Identifier", help="Gläubiger-Identifikationsnummer, e.g. DE98ZZZ09999999999."
    )
    isp_sepa_journal_id = fields.Many2one(
        "account.journal",
        string="Direct Debit Bank Journal",
        domain="[('type', '=', 'bank'), ('company_id', '=', id)]",
        help="The bank account the debits are collected to (its IBAN and BIC go into the files).",
    )
    isp_sepa_scheme = fields.Selection(SCHEMES, string="Default Scheme", default="CORE", required=True)
    isp_sepa_lead_days = fields.Integer(
        string="Debit Lead Time (days)", default=5, help="Days after the invoice date before it is collected."
    )
    isp_sepa_prenotification_days = fields.Integer(
        string="Pre-notification (days)",
        default=14,
        help="Days between the pre-notification (the invoice) and the collection; 14 unless agreed shorter.",
    )
    isp_sepa_return_days = fields.Integer(
        string="Return Window (business days)",
        default=5,
        help="TARGET2 business days after the announced debit date in which the customer's bank may return "
        "the debit (CORE: 5, B2B: 2). Invoices that announce a debit date are not dunned before that date "
        "plus this window, unless the debit was returned.",
    )
    isp_sepa_pain_version = fields.Selection(PAIN_VERSIONS, string="pain.008 Version", default="08", required=True)
    isp_sepa_return_fee = fields.Monetary(
        string="Return Handling Fee",
        currency_field="currency_id",
        default=5.0,
        help="Charged to the customer for each returned debit, on top of the bank's charge.",
    )
    isp_sepa_return_fee_product_id = fields.Many2one(
        "product.product",
        string="Return Fee Article",
        default=lambda self: self.env.ref("isp_payment_gateway.product_return_fee", raise_if_not_found=False),
    )
    isp_topup_minimum = fields.Monetary(
        string="Minimum Credit Top-up",
        currency_field="currency_id",
        default=10.0,
        help="The smallest amount customers can top up their prepaid credit with in the portal.",
    )
    isp_sepa_service_start = fields.Selection(
        SERVICE_STARTS,
        string="New Clients' Services Start",
        default="collection",
        required=True,
        help="When the services of a new client who pays by direct debit start: when the bank has collected "
        "the debit (the batch is marked debited) or already when the batch is submitted to the bank "
        "(marked sent). Online payments and transfers start them when they are booked.",
    )
    isp_sepa_return_escalate = fields.Boolean(
        string="Returns Raise the Dunning Level",
        default=True,
        help="A returned debit moves its invoice on to the next dunning level.",
    )

    @api.constrains("isp_sepa_creditor_id")
    def _check_isp_sepa_creditor_id(self):
        for company in self.filtered("isp_sepa_creditor_id"):
            if not at_02.is_valid(company.isp_sepa_creditor_id):
                raise ValidationError(
                    self.env._(
                        "%(value)s is not a valid SEPA creditor identifier (check digits or format).",
                        value=company.isp_sepa_creditor_id,
                    )
                )

    @api.constrains("isp_sepa_lead_days", "isp_sepa_prenotification_days")
    def _check_isp_sepa_days(self):
        for company in self:
            if company.isp_sepa_lead_days < 0 or company.isp_sepa_prenotification_days < 0:
                raise ValidationError(self.env._("Lead time and pre-notification days cannot be negative."))

    @api.constrains("isp_sepa_return_days")
    def _check_isp_sepa_return_days(self):
        if any(company.isp_sepa_return_days < 0 for company in self):
            raise ValidationError(self.env._("The return window cannot be negative."))

    def write(self, vals):
        if vals.get("isp_sepa_creditor_id"):
            vals = {**vals, "isp_sepa_creditor_id": at_02.compact(vals["isp_sepa_creditor_id"])}
        return super().write(vals)
