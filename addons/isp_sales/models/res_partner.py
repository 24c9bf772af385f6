from odoo import api, fields, models
from odoo.exceptions import UserError

from .account_edi_common import EDI_FORMATS


class ResPartner(models.Model):
    _inherit = "res.partner"

    invoice_edi_format = fields.Selection(selection_add=[("isp_xrechnung_cii", "XRechnung (CII)")])
    isp_service_ids = fields.One2many("isp.service", "partner_id", string="Services")
    isp_service_count = fields.Integer(compute="_compute_isp_service_count", string="Services Count")
    isp_reseller_uninvoiced = fields.Monetary(
        string="Uninvoiced Reseller Orders",
        currency_field="currency_id",
        compute="_compute_isp_reseller_uninvoiced",
        help="Executed orders of a trusted reseller that are invoiced at the end of the reseller period.",
    )

    isp_billing_day = fields.Integer(
        string="Billing Day",
        default=1,
        tracking=True,
        help="Day of the month on which the customer's billing periods start (1 to 28).",
    )
    isp_discount = fields.Float(
        string="Customer Discount (%)",
        digits="Discount",
        tracking=True,
        help="Discount on every line of the customer's periodic invoices.",
    )

    _sql_constraints = [
        (
            "isp_billing_day_range",
            "CHECK(isp_billing_day IS NULL OR isp_billing_day BETWEEN 1 AND 28)",
            "The billing day must be between 1 and 28.",
        ),
        (
            "isp_discount_range",
            "CHECK(isp_discount IS NULL OR isp_discount BETWEEN 0 AND 100)",
            "The customer discount must be between 0 and 100 %.",
        ),
    ]

    @api.model
    def _isp_manager_fields(self):
        return super()._isp_manager_fields() + ["isp_billing_day", "isp_discount"]

    def _compute_isp_service_count(self):
        stored = self.commercial_partner_id.filtered("id")
        counts = {}
        if stored:
            counts = dict(
                self.env["isp.service"]._read_group(
                    [("partner_id", "in", stored.ids), ("state", "!=", "terminated")], ["partner_id"], ["__count"]
                )
            )
        for partner in self:
            partner.isp_service_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_isp_reseller_uninvoiced(self):
        resellers = self.commercial_partner_id.filtered(
            lambda partner: partner.id and partner.isp_customer_class == "reseller"
        )
        amounts = resellers._isp_reseller_accumulated_by_partner() if resellers else {}
        for partner in self:
            partner.isp_reseller_uninvoiced = amounts.get(partner.commercial_partner_id.id, 0.0)

    def _isp_reseller_orders(self, before=None):
        """Executed reseller orders that are not invoiced yet."""
        domain = [
            ("partner_id", "child_of", self.commercial_partner_id.filtered("id").ids),
            ("isp_decision", "=", "accumulated"),
            ("invoice_status", "=", "to invoice"),
            ("company_id", "=", self.env.company.id),
        ]
        if before:
            domain.append(("date_order", "<", fields.Datetime.to_datetime(before)))
        return self.env["sale.order"].search(domain)

    def _isp_reseller_accumulated_by_partner(self, exclude=None):
        """Uninvoiced amount of executed reseller orders per commercial partner, in the company currency."""
        domain = [
            ("partner_id", "child_of", self.commercial_partner_id.ids),
            ("isp_decision", "=", "accumulated"),
            ("invoice_status", "=", "to invoice"),
            ("company_id", "=", self.env.company.id),
        ]
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        today = fields.Date.context_today(self)
        company = self.env.company
        amounts = {}
        for partner, currency, total in self.env["sale.order"]._read_group(
            domain, ["partner_id", "currency_id"], ["amount_total:sum"]
        ):
            key = partner.commercial_partner_id.id
            amounts[key] = amounts.get(key, 0.0) + currency._convert(total, company.currency_id, company, today)
        return amounts

    def _isp_reseller_accumulated(self, exclude=None):
        """Uninvoiced amount of the reseller's executed orders, in the company currency."""
        self.ensure_one()
        return self._isp_reseller_accumulated_by_partner(exclude=exclude).get(self.commercial_partner_id.id, 0.0)

    def _isp_invoice_reseller_orders(self, before=None):
        """One invoice for all accumulated orders of the reseller, posted and sent."""
        self.ensure_one()
        orders = self._isp_reseller_orders(before=before)
        if not orders:
            return self.env["account.move"]
        invoices = orders._create_invoices()
        invoices.action_post()
        invoices._isp_deliver()
        self.message_post(
            body=self.env._(
                "Accumulated reseller orders %(orders)s invoiced with %(invoices)s.",
                orders=", ".join(orders.mapped("name")),
                invoices=", ".join(invoices.mapped("name")),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return invoices

    # ------------------------------------------------------------------
    # E-invoices: Odoo's format follows the billing profile's
    # ------------------------------------------------------------------

    @api.depends_context("company")
    @api.depends("country_code", "isp_einvoice_format", "commercial_partner_id.isp_einvoice_format")
    def _compute_invoice_edi_format(self):
        """Odoo's e-invoice format (used by the sending path) is the billing profile's (EDI_FORMATS)."""
        result = super()._compute_invoice_edi_format()
        for partner in self:
            isp_format = partner.commercial_partner_id.isp_einvoice_format
            if isp_format:
                partner.invoice_edi_format = EDI_FORMATS[isp_format]
        return result

    def _inverse_invoice_edi_format(self):
        """A format chosen in Odoo's field is the billing profile's format (the manager's choice)."""
        by_odoo_format = {odoo_format or False: isp_format for isp_format, odoo_format in EDI_FORMATS.items()}
        for partner in self:
            isp_format = by_odoo_format.get(partner.invoice_edi_format or False)
            if not isp_format:
                raise UserError(
                    self.env._(
                        "The e-invoice format %(format)s is not offered; choose the format in the billing profile.",
                        format=partner.invoice_edi_format,
                    )
                )
            if partner.commercial_partner_id.isp_einvoice_format != isp_format:
                partner.commercial_partner_id.isp_einvoice_format = isp_format

    @api.model
    def _get_ubl_cii_formats_info(self):
        formats = super()._get_ubl_cii_formats_info()
        formats["isp_xrechnung_cii"] = {"countries": ["DE"], "on_peppol": False, "sequence": 300}
        return formats

    def _get_edi_builder(self, invoice_edi_format):
        if invoice_edi_format == "isp_xrechnung_cii":
            return self.env["account.edi.xml.cii_isp_xrechnung"]
        return super()._get_edi_builder(invoice_edi_format)

    def action_isp_view_services(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_sales.isp_service_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id, "search_default_filter_live": 1}
        return action
