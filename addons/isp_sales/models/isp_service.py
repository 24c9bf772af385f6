from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..engine import periods
from ..engine.identifiers import UNIQUE_TYPES, InvalidIdentifier, normalize
from .account_move_line import PRICE_SOURCES
from .product_template import BILLING_PERIODS

SERVICE_STATES = [
    ("pending", "Pending"),
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("terminated", "Terminated"),
]
LIVE_STATES = ("pending", "active", "suspended")


class IspService(models.Model):
    _name = "isp.service"
    _description = "ISP Service"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "partner_id, article_type, name, id"
    _check_company_auto = True

    name = fields.Char(
        string="Identifier",
        required=True,
        tracking=True,
        help="Domain name, host name, network in CIDR notation, database name or line id.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('is_company', '=', True)]",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Article",
        required=True,
        check_company=True,
        domain="[('isp_article_type', '!=', False)]",
    )
    article_type = fields.Selection(
        string="Article Type",
        related="product_id.isp_article_type",
        store=True,
        index=True,
        precompute=True,
    )
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    price_unit = fields.Monetary(
        string="Unit Price",
        currency_field="currency_id",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Price per billing period and unit, from the order or the pricelist; can be overridden.",
    )
    price_source = fields.Selection(
        PRICE_SOURCES,
        default="pricelist",
        required=True,
        tracking=True,
        help="Order: the price agreed in the order. Pricelist: the customer's pricelist price on each "
        "period's start. Manual price: a price set on the service.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    billing_period = fields.Selection(
        BILLING_PERIODS,
        required=True,
        compute="_compute_billing_period",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    recurring = fields.Boolean(related="product_id.isp_recurring")
    date_start = fields.Date(string="Start Date", required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(string="End Date", tracking=True, copy=False)
    next_invoice_date = fields.Date(
        string="Next Period to Bill",
        compute="_compute_next_invoice_date",
        store=True,
        readonly=False,
        copy=False,
        help="First day that has not been billed yet. Services from an order start here after "
        "the term that the order invoiced.",
    )
    state = fields.Selection(SERVICE_STATES, default="pending", required=True, tracking=True, copy=False, index=True)
    sale_line_id = fields.Many2one("sale.order.line", string="Order Line", copy=False, index="btree_not_null")
    order_id = fields.Many2one(related="sale_line_id.order_id", string="Order", store=True)
    notes = fields.Html(groups="base.group_user")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------

    @api.depends("date_start")
    def _compute_next_invoice_date(self):
        for service in self:
            service.next_invoice_date = service.next_invoice_date or service.date_start

    @api.depends("product_id")
    def _compute_billing_period(self):
        for service in self:
            service.billing_period = service.product_id.isp_billing_period or service.billing_period or "monthly"

    @api.depends("product_id", "partner_id", "quantity")
    def _compute_price_unit(self):
        """Services entered by hand take the customer's pricelist price; order lines set their own."""
        for service in self:
            if service.sale_line_id or not service.product_id:
                service.price_unit = service.price_unit
                continue
            pricelist = service.partner_id.property_product_pricelist
            if pricelist:
                service.price_unit = pricelist._get_product_price(service.product_id, service.quantity or 1.0)
                service.currency_id = pricelist.currency_id
            else:
                service.price_unit = service.product_id.lst_price

    @api.depends("name", "article_type")
    def _compute_display_name(self):
        labels = dict(self._fields["article_type"]._description_selection(self.env))
        for service in self:
            service.display_name = f"{service.name} ({labels.get(service.article_type, '')})".replace(" ()", "")

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for service in self:
            service.access_url = f"/my/services/{service.id}"
        return result

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for service in self:
            if service.date_end and service.date_end < service.date_start:
                raise ValidationError(
                    self.env._("End Date of %(service)s cannot be before its start date.", service=service.display_name)
                )

    @api.constrains("quantity", "price_unit")
    def _check_amounts(self):
        for service in self:
            if service.quantity <= 0:
                raise ValidationError(
                    self.env._("Quantity of %(service)s must be positive.", service=service.display_name)
                )
            if service.price_unit < 0:
                raise ValidationError(
                    self.env._("Unit Price of %(service)s cannot be negative.", service=service.display_name)
                )

    def init(self):
        result = super().init()
        # No two live services for the same domain, host, network, database or line.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS isp_service_live_identifier_uniq "
                "ON isp_service (company_id, article_type, name) "
                "WHERE state IN %s AND article_type IN %s",
                LIVE_STATES,
                UNIQUE_TYPES,
            )
        )
        return result

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model
    def _isp_normalize_identifier(self, article_type, identifier):
        """Canonical identifier, or a ValidationError naming the field and the problem."""
        try:
            return normalize(article_type, identifier)
        except InvalidIdentifier as error:
            raise ValidationError(self.env._("Identifier: %(problem)s.", problem=str(error))) from error

    def _isp_check_identifiers_free(self, candidates):
        """Refuse identifiers that a live service of the same type already has.

        :param candidates: list of (company id, article type, identifier, own service id or None)
        """
        unique = [candidate for candidate in candidates if candidate[1] in UNIQUE_TYPES]
        if not unique:
            return
        seen = {}
        for company_id, article_type, name, own_id in unique:
            key = (company_id, article_type, name)
            if key in seen:
                raise ValidationError(
                    self.env._("Identifier %(name)s appears twice among the new services.", name=name)
                )
            seen[key] = own_id
        existing = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("name", "in", [name for _company, _type, name, _own in unique]),
                    ("article_type", "in", list({article_type for _company, article_type, _name, _own in unique})),
                    ("state", "in", LIVE_STATES),
                ]
            )
        )
        for service in existing:
            key = (service.company_id.id, service.article_type, service.name)
            if key in seen and seen[key] != service.id:
                if not self.env.user._is_internal():
                    # customers and shops learn that the name is taken, not by whom
                    raise ValidationError(self.env._("Identifier %(name)s is not available.", name=service.name))
                raise ValidationError(
                    self.env._(
                        "Identifier %(name)s: a live service %(service)s already exists for %(partner)s.",
                        name=service.name,
                        service=service.display_name,
                        partner=service.partner_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        products = self.env["product.product"].browse(
            [vals["product_id"] for vals in vals_list if vals.get("product_id")]
        )
        article_types = {product.id: product.isp_article_type for product in products}
        candidates = []
        for vals in vals_list:
            if "price_source" not in vals:
                if vals.get("sale_line_id"):
                    vals["price_source"] = "order"
                elif "price_unit" in vals:
                    vals["price_source"] = "manual"
            article_type = article_types.get(vals.get("product_id"))
            if "name" in vals:
                vals["name"] = self._isp_normalize_identifier(article_type, vals["name"])
            if vals.get("state", "pending") in LIVE_STATES:
                company_id = vals.get("company_id") or self.env.company.id
                candidates.append((company_id, article_type, vals.get("name"), None))
        self._isp_check_identifiers_free(candidates)
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("state") == "active" and not self.env.su:
            # by hand only the services of executed orders start, whichever way the state is written
            # (the system provisions them the same way once the order is executed)
            self.check_access("write")
            self.filtered(lambda service: service.state == "pending").order_id._isp_check_executed()
        if not {"name", "product_id", "state"} & vals.keys():
            return super().write(vals)
        product = self.env["product.product"].browse(vals.get("product_id"))
        names = {}
        candidates = []
        for service in self:
            article_type = (product or service.product_id).isp_article_type
            # identifiers are checked when written; stored ones are canonical already
            name = self._isp_normalize_identifier(article_type, vals["name"]) if "name" in vals else service.name
            names[service] = name
            if vals.get("state", service.state) in LIVE_STATES:
                candidates.append((service.company_id.id, article_type, name, service.id))
        self._isp_check_identifiers_free(candidates)
        if "name" not in vals or len(set(names.values())) <= 1:
            if "name" in vals and names:
                vals = {**vals, "name": next(iter(names.values()))}
            return super().write(vals)
        for service, name in names.items():
            super(IspService, service).write({**vals, "name": name})
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed_or_live(self):
        if any(service.state != "pending" or service.sale_line_id for service in self):
            raise UserError(
                self.env._("Services that come from an order or were ever active are terminated, not deleted.")
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _isp_set_state(self, new_state, allowed, message):
        """Move the services to ``new_state``; only who may write services (the ISP back office by the
        access rules) may."""
        wrong = self.filtered(lambda service: service.state not in allowed)
        if wrong:
            raise UserError(
                self.env._(
                    "%(service)s is %(state)s: %(message)s",
                    service=wrong[0].display_name,
                    state=dict(SERVICE_STATES)[wrong[0].state].lower(),
                    message=message,
                )
            )
        self.write({"state": new_state})
        return True

    def action_activate(self):
        result = self._isp_set_state("active", ("pending",), self.env._("only pending services can be activated."))
        self.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref("isp_sales.mail_activity_type_isp_provision")
        ).action_feedback(feedback=self.env._("Service activated."))
        return result

    def action_suspend(self):
        return self._isp_set_state("suspended", ("active",), self.env._("only active services can be suspended."))

    def action_reactivate(self):
        return self._isp_set_state("active", ("suspended",), self.env._("only suspended services can be reactivated."))

    def action_isp_renew(self):
        """Clone the services into renewal orders (one per customer) for their next term."""
        live = self.filtered(lambda service: service.state != "terminated")
        if not live:
            raise UserError(self.env._("Terminated services cannot be renewed."))
        orders = self.env["sale.order"]
        for (partner, company), services in live.grouped(
            lambda service: (service.partner_id, service.company_id)
        ).items():
            lines = []
            for service in services:
                term_start, term_end = service._isp_next_term()
                lines.append(
                    Command.create(
                        {
                            "product_id": service.product_id.id,
                            "product_uom_qty": service.quantity,
                            "price_unit": service.price_unit,
                            "name": self.env._(
                                "Renewal %(service)s, %(start)s to %(end)s",
                                service=service.display_name,
                                start=term_start,
                                end=term_end,
                            ),
                            "isp_identifiers": service.name,
                            "isp_renewed_service_ids": [Command.set(service.ids)],
                        }
                    )
                )
            orders |= self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "isp_renewal": True,
                    "origin": ", ".join(services.order_id.mapped("name")) or False,
                    "order_line": lines,
                }
            )
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_quotations_with_onboarding")
        if len(orders) == 1:
            action.update({"res_id": orders.id, "views": [(False, "form")], "view_mode": "form"})
        else:
            action["domain"] = [("id", "in", orders.ids)]
        return action

    def action_terminate(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Terminate Services"),
            "res_model": "isp.service.terminate",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "isp.service", "active_ids": self.ids},
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _isp_current_period_end(self, day=None):
        """Last day of the billing period that contains ``day`` (today by default)."""
        self.ensure_one()
        day = day or fields.Date.context_today(self)
        return periods.current_period(self.date_start, self.billing_period, day)[1]

    def _isp_next_term(self):
        """(start, end) of the term after the current one: after the end date, or after the
        billing period that contains today for open-ended services."""
        self.ensure_one()
        current_end = self.date_end or self._isp_current_period_end()
        return periods.next_term(current_end, self.billing_period)

    def _isp_terminate(self, date_end):
        """End the services on ``date_end``: at once when it has come, else by the daily cron."""
        today = fields.Date.context_today(self)
        live = self.filtered(lambda service: service.state in LIVE_STATES)
        if live != self:
            raise UserError(self.env._("Terminated services cannot be terminated again."))
        for service in live:
            if date_end < service.date_start:
                raise ValidationError(
                    self.env._(
                        "Termination date of %(service)s cannot be before its start date %(start)s.",
                        service=service.display_name,
                        start=service.date_start,
                    )
                )
        values = {"date_end": date_end}
        if date_end <= today:
            values["state"] = "terminated"
        live.write(values)

    def _isp_provision(self):
        """Execute services: the extension point for connectors (registrars, panels, ...).

        Groups the services by article type and calls ``_isp_provision_<type>()`` where a
        module defines one, else ``_isp_provision_default()``.
        """
        for article_type, services in self.grouped("article_type").items():
            handler = getattr(services, f"_isp_provision_{article_type}", None)
            (handler or services._isp_provision_default)()

    def _isp_provision_default(self):
        """Activate services that need no staff; give the others to the operations team."""
        pending = self.filtered(lambda service: service.state == "pending")
        manual = pending.filtered("product_id.isp_needs_provisioning")
        # executing an order is the system's decision, not the clicking user's
        (pending - manual).sudo().action_activate()
        activity_type = self.env.ref("isp_sales.mail_activity_type_isp_provision")
        for service in manual:
            if service.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type):
                continue
            user = self.env["res.users"]._isp_staff_user(
                service.company_id.isp_operations_user_id, service.order_id.user_id, service.order_id.team_id.user_id
            )
            service.activity_schedule(
                activity_type_id=activity_type.id,
                summary=self.env._("Provision %(service)s", service=service.display_name),
                note=Markup("<p>%s</p>")
                % self.env._("Set up the service, then mark this activity as done to activate it."),
                user_id=user.id,
            )

    @api.model
    def _isp_record_end_error(self, service, message):
        service.message_post(
            body=self.env._(
                "%(service)s could not be terminated on its end date: %(error)s",
                service=service.display_name,
                error=message,
            ),
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _cron_terminate_ended(self):
        """Terminate the services whose end date has passed."""
        ended = self.search(
            [
                ("state", "in", LIVE_STATES),
                ("date_end", "!=", False),
                ("date_end", "<", fields.Date.context_today(self)),
            ]
        )
        # a service that cannot be terminated is recorded on it; the others are terminated
        self.env["ir.cron"]._isp_process_isolated(
            ended,
            lambda services: services.write({"state": "terminated"}),
            on_error=self._isp_record_end_error,
            together=True,
        )
        self.env["ir.cron"]._notify_progress(done=len(ended), remaining=0)
