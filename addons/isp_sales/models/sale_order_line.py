import re

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

from ..engine import periods

_SEPARATORS = re.compile(r"[\s,;]+")


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    isp_article_type = fields.Selection(related="product_id.isp_article_type")
    isp_identifiers = fields.Text(
        string="Identifiers",
        help="Domain names, host names, networks, databases or line ids of the ordered services, "
        "one per unit, separated by spaces, commas or new lines.",
    )
    isp_service_ids = fields.One2many("isp.service", "sale_line_id", string="Services")
    isp_renewed_service_ids = fields.Many2many(
        "isp.service",
        "isp_service_renewal_line_rel",
        "line_id",
        "service_id",
        string="Renewed Services",
        help="Services whose term this line renews; confirming extends their end date.",
    )
    isp_renewal_done = fields.Boolean(
        string="Renewal Done", copy=False, readonly=True, help="The renewed services were extended."
    )
    isp_period_start = fields.Date(
        string="Period From", copy=False, readonly=True, help="First day of the term this line invoices."
    )
    isp_period_end = fields.Date(
        string="Period To", copy=False, readonly=True, help="Last day of the term this line invoices."
    )
    isp_setup_parent_line_id = fields.Many2one(
        "sale.order.line", string="Setup Fee For", ondelete="cascade", copy=False, index="btree_not_null"
    )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._isp_add_setup_fee_lines()
        return lines

    def _isp_add_setup_fee_lines(self):
        """One-off setup fee lines for articles that have a setup fee product."""
        with_setup = self.filtered(
            lambda line: line.product_id.isp_setup_product_id
            and not line.isp_setup_parent_line_id
            and not line.display_type
            and not line.order_id.isp_renewal
        )
        if with_setup:
            self.create(
                [
                    {
                        "order_id": line.order_id.id,
                        "product_id": line.product_id.isp_setup_product_id.id,
                        "product_uom_qty": line.product_uom_qty,
                        "isp_setup_parent_line_id": line.id,
                        "sequence": line.sequence,
                    }
                    for line in with_setup
                ]
            )

    def _prepare_invoice_line(self, **optional_values):
        """The invoice line states the term it bills (service period, EN 16931 BG-26)."""
        values = super()._prepare_invoice_line(**optional_values)
        if self.isp_period_start:
            values.update(isp_period_start=self.isp_period_start, isp_period_end=self.isp_period_end)
        return values

    def _isp_identifier_list(self):
        self.ensure_one()
        return [identifier for identifier in _SEPARATORS.split(self.isp_identifiers or "") if identifier]

    def _isp_prepare_service_vals(self):
        """Values of the services one order line creates (one per unit for per-unit articles)."""
        self.ensure_one()
        order = self.order_id
        template = self.product_id.product_tmpl_id
        identifiers = self._isp_identifier_list()
        quantity = self.product_uom_qty
        billing_period = template.isp_billing_period or "monthly"
        date_start = fields.Date.context_today(self)
        base = {
            "partner_id": order.partner_id.commercial_partner_id.id,
            "product_id": self.product_id.id,
            "price_unit": self.currency_id.round(self.price_unit * (1 - (self.discount or 0.0) / 100.0)),
            "currency_id": order.currency_id.id,
            "billing_period": billing_period,
            "date_start": date_start,
            # the order invoices the first term; the invoice run takes over after it
            "next_invoice_date": periods.period_end(date_start, billing_period) + relativedelta(days=1)
            if template.isp_recurring
            else False,
            "sale_line_id": self.id,
            "company_id": order.company_id.id,
        }
        if template.isp_identifier_per_unit:
            if not float_is_zero(quantity - round(quantity), precision_digits=6) or len(identifiers) != round(quantity):
                raise UserError(
                    self.env._(
                        "Order line %(line)s: enter one identifier per unit (%(quantity)s), found %(count)s.",
                        line=self.name.splitlines()[0] if self.name else self.product_id.display_name,
                        quantity=int(quantity) if quantity == round(quantity) else quantity,
                        count=len(identifiers),
                    )
                )
            return [{**base, "name": identifier, "quantity": 1.0} for identifier in identifiers]
        if len(identifiers) > 1:
            raise UserError(
                self.env._(
                    "Order line %(line)s: this article is one service; enter at most one identifier.",
                    line=self.product_id.display_name,
                )
            )
        name = identifiers[0] if identifiers else f"{order.name}/{self.product_id.default_code or self.product_id.name}"
        return [{**base, "name": name, "quantity": quantity}]

    def _isp_create_services(self):
        """Create the services of confirmed ISP lines that have none yet."""
        lines = self.filtered(
            lambda line: line.product_id.isp_article_type
            and not line.isp_service_ids.filtered(lambda service: service.state != "terminated")
            and not line.isp_renewed_service_ids
            and not line.display_type
        )
        vals_list = [vals for line in lines for vals in line._isp_prepare_service_vals()]
        # confirming the order is the permission to create its services
        services = self.env["isp.service"].sudo().create(vals_list)
        for line in lines:
            # the order invoices the first term of its recurring services
            recurring = line.isp_service_ids.filtered("next_invoice_date")
            if recurring:
                line.write(
                    {
                        "isp_period_start": min(recurring.mapped("date_start")),
                        "isp_period_end": max(recurring.mapped("next_invoice_date")) - relativedelta(days=1),
                    }
                )
        return services

    def _isp_extend_renewed_services(self):
        """Confirmed renewal lines extend their services by one term instead of creating new ones."""
        for line in self.filtered(lambda line: line.isp_renewed_service_ids and not line.isp_renewal_done):
            terms = [service._isp_next_term() for service in line.isp_renewed_service_ids.sudo()]
            # the renewal order invoices the new term
            line.write(
                {
                    "isp_renewal_done": True,
                    "isp_period_start": min(start for start, _end in terms),
                    "isp_period_end": max(end for _start, end in terms),
                }
            )
            for service in line.isp_renewed_service_ids.sudo():
                term_start, term_end = service._isp_next_term()
                values = {"date_end": term_end, "price_unit": line.price_unit, "price_source": "order"}
                if service.next_invoice_date and service.next_invoice_date >= term_start:
                    # the renewal order invoices the new term
                    values["next_invoice_date"] = term_end + relativedelta(days=1)
                service.write(values)
                service.message_post(
                    body=self.env._(
                        "Renewed by %(order)s for %(start)s to %(end)s.",
                        order=line.order_id.name,
                        start=term_start,
                        end=term_end,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
