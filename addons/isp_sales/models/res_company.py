from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_operations_user_id = fields.Many2one(
        "res.users",
        string="Operations Contact",
        help="Receives the provisioning tasks of services that are set up by staff.",
    )
    isp_approver_user_id = fields.Many2one(
        "res.users",
        string="Order Approver",
        help="Approves orders of trusted clients and resellers above their quota "
        "(default: the leader of the order's sales team).",
    )
    isp_billing_days_in_advance = fields.Integer(
        string="Bill Days in Advance",
        help="The invoice run also bills periods that start up to this many days after the run date; "
        "such invoices are dated on the period start and announced the day before.",
    )
    isp_bill_suspended = fields.Boolean(
        string="Bill Suspended Services",
        default=True,
        help="Suspended services are billed as usual; otherwise their periods are passed over.",
    )
    isp_invoice_terms = fields.Html(
        string="Invoice Terms",
        translate=True,
        help="Terms and conditions printed on every customer invoice.",
    )

    _sql_constraints = [
        (
            "isp_billing_days_in_advance_positive",
            "CHECK(isp_billing_days_in_advance >= 0)",
            "The days in advance of the invoice run cannot be negative.",
        ),
    ]
