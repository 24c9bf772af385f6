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
    isp_managing_directors = fields.Char(
        string="Managing Directors",
        help="Printed with the company's legal data on every customer invoice, as business letters of "
        "a German GmbH must state them (Geschäftsführer, § 35a GmbHG).",
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

    def _isp_vat_sale_tax(self, rate):
        """The company's sale VAT of ``rate`` percent (price excluded, its fiscal country's).

        From the chart of accounts (the default sale tax when it has that rate, e.g. 19 % of
        SKR03; else the first such tax, e.g. 7 %). A chart without it (the generic chart of a
        database created without a country) gets one made after its default sale tax, with the
        same tax accounts, named after the rate.
        """
        self.ensure_one()
        default = self.account_sale_tax_id
        if (
            default.amount_type == "percent"
            and default.amount == rate
            and not default.price_include
            and default.country_id == self.account_fiscal_country_id
        ):
            return default
        Tax = self.env["account.tax"]
        tax = Tax.search(
            [
                *Tax._check_company_domain(self),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("amount", "=", rate),
                ("price_include", "=", False),
                ("country_id", "=", self.account_fiscal_country_id.id),
            ],
            order="sequence, id",
            limit=1,
        )
        if tax:
            return tax
        label = self.env._("VAT %(rate)s%%", rate=format(rate, "g"))
        group = self.env["account.tax.group"].create(
            {"name": label, "company_id": self.id, "country_id": self.account_fiscal_country_id.id}
        )
        return default.copy(
            {
                "name": label,
                "amount": rate,
                "country_id": self.account_fiscal_country_id.id,
                "tax_group_id": group.id,
                "invoice_label": f"{rate:g}%",
            }
        )
