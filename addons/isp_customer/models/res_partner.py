import ipaddress
import operator as py_operator

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, clean_context, float_compare

CUSTOMER_KINDS = [
    ("individual", "Individual"),
    ("company", "Company"),
    ("sole_proprietor", "Sole proprietor"),
]
LIFECYCLES = [
    ("prospect", "Prospect"),
    ("customer", "Customer"),
    ("former", "Former customer"),
]
ATTITUDES = [
    ("excellent", "Excellent"),
    ("normal", "Normal"),
    ("difficult", "Difficult"),
    ("blocked", "Blocked"),
]
CUSTOMER_CLASSES = [
    ("new", "New client"),
    ("credited", "Credited client"),
    ("trusted", "Trusted client"),
    ("reseller", "Trusted reseller"),
]
RESELLER_PERIODS = [
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("yearly", "Yearly"),
]
BILLING_INTERVALS = [
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("half_yearly", "Half-yearly"),
    ("yearly", "Yearly"),
]
CONSOLIDATIONS = [
    ("per_period", "One invoice per customer and billing period"),
    ("per_order", "One invoice per order or service"),
]
DELIVERIES = [
    ("email", "E-mail"),
    ("post", "Post"),
    ("email_post", "E-mail and post"),
    ("portal", "Portal only"),
]
PAYMENT_METHODS = [
    ("transfer", "Bank transfer"),
    ("sepa", "SEPA direct debit"),
    ("online", "Online payment"),
    ("credit", "Prepaid credit"),
]
EINVOICE_FORMATS = [
    ("facturx", "ZUGFeRD / Factur-X PDF"),
    ("xrechnung_ubl", "XRechnung (UBL)"),
    ("xrechnung_cii", "XRechnung (CII)"),
    ("pdf", "PDF only"),
]
QUOTA_CLASSES = ("trusted", "reseller")

SEARCH_OPERATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}


class ResPartner(models.Model):
    _inherit = "res.partner"
    _rec_names_search = ["complete_name", "email", "ref", "vat", "company_registry", "isp_customer_number"]

    # Identity and lifecycle
    isp_customer_kind = fields.Selection(
        CUSTOMER_KINDS,
        string="Customer Kind",
        compute="_compute_isp_customer_kind",
        store=True,
        readonly=False,
        tracking=True,
        help="Individual (consumer), company, or sole proprietor (a business run by one person). "
        "Individuals are persons, companies and sole proprietors are businesses.",
    )
    isp_customer_number = fields.Char(
        string="Customer Number",
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="Assigned from the company's customer sequence when the partner first becomes a customer; "
        "never changed or given to anybody else afterwards.",
    )
    isp_lifecycle = fields.Selection(
        LIFECYCLES,
        string="Lifecycle",
        copy=False,
        index=True,
        tracking=True,
    )
    isp_prospect_stage_id = fields.Many2one(
        "isp.prospect.stage",
        string="Prospect Stage",
        copy=False,
        index=True,
        tracking=True,
        ondelete="restrict",
        group_expand="_read_group_isp_prospect_stage_ids",
    )
    isp_last_contact_date = fields.Date(
        string="Last Contact",
        copy=False,
        help="Set automatically when a note or message is logged on a prospect.",
        groups="base.group_user",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", tracking=True)
    isp_registration_date = fields.Date(string="Registration Date", copy=False)
    isp_registration_ip = fields.Char(string="Registration IP", copy=False, groups="base.group_user")
    isp_verified_phone = fields.Char(string="Verified Phone", copy=False, groups="base.group_user")
    isp_attitude = fields.Selection(
        ATTITUDES,
        string="Attitude",
        default="normal",
        tracking=True,
        help="Your own assessment of how easy it is to work with this customer.",
        groups="base.group_user",
    )

    # Customer class
    isp_customer_class = fields.Selection(
        CUSTOMER_CLASSES,
        string="Customer Class",
        default="new",
        required=True,
        tracking=True,
        help="New client: pays before services are executed. "
        "Credited client: orders are paid from prepaid credit. "
        "Trusted client: orders are executed while open receivables stay within the order quota. "
        "Trusted reseller: like a trusted client, orders are invoiced together per reseller period.",
    )
    isp_order_quota = fields.Monetary(
        string="Order Quota",
        currency_field="currency_id",
        tracking=True,
        help="Trusted clients and resellers: open receivables plus a new order may not exceed this amount.",
    )
    isp_reseller_period = fields.Selection(
        RESELLER_PERIODS,
        string="Reseller Billing Period",
        tracking=True,
        help="How often the accumulated orders of a trusted reseller are invoiced.",
    )

    # Billing profile
    isp_billing_interval = fields.Selection(
        BILLING_INTERVALS, string="Billing Interval", default="monthly", required=True, tracking=True
    )
    isp_invoice_consolidation = fields.Selection(
        CONSOLIDATIONS, string="Consolidation", default="per_period", required=True, tracking=True
    )
    isp_invoice_delivery = fields.Selection(
        DELIVERIES, string="Invoice Delivery", default="email", required=True, tracking=True
    )
    isp_payment_method = fields.Selection(
        PAYMENT_METHODS, string="Payment Method", default="transfer", required=True, tracking=True
    )
    isp_einvoice_format = fields.Selection(
        EINVOICE_FORMATS,
        string="E-Invoice Format",
        compute="_compute_isp_einvoice_format",
        store=True,
        readonly=False,
        tracking=True,
        help="The electronic invoice (EN 16931) the customer receives with every invoice and credit note: "
        "a ZUGFeRD / Factur-X PDF (the XML inside the PDF), an XRechnung XML file beside the PDF, "
        "or the PDF alone. Businesses get ZUGFeRD / Factur-X and consumers the PDF unless chosen otherwise.",
    )
    isp_buyer_reference = fields.Char(
        string="Buyer Reference / Leitweg-ID",
        tracking=True,
        help="Buyer reference (BT-10) of the customer's e-invoices; for public-sector customers their "
        "Leitweg-ID. XRechnung requires it.",
    )

    # Accounting figures (from posted journal items, never stored)
    isp_credit_balance = fields.Monetary(
        string="Prepaid Credit",
        currency_field="currency_id",
        compute="_compute_isp_balances",
        search="_search_isp_credit_balance",
        help="Payments received and not yet applied to an invoice (unreconciled credit on receivable accounts).",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    isp_receivable_outstanding = fields.Monetary(
        string="Outstanding Receivables",
        currency_field="currency_id",
        compute="_compute_isp_balances",
        search="_search_isp_receivable_outstanding",
        help="Open amounts of posted invoices and other debits on receivable accounts.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    isp_over_quota = fields.Boolean(
        string="Over Quota",
        compute="_compute_isp_balances",
        search="_search_isp_over_quota",
        help="A trusted client or reseller whose outstanding receivables exceed the order quota.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    isp_payment_count = fields.Integer(compute="_compute_isp_payment_count", string="Payments")
    isp_activity_count = fields.Integer(compute="_compute_isp_activity_count", string="Open Activities")
    isp_is_manager = fields.Boolean(string="Is ISP Manager", compute="_compute_isp_is_manager")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("is_company")
    def _compute_isp_customer_kind(self):
        for partner in self:
            if not partner.is_company:
                partner.isp_customer_kind = "individual"
            elif partner.isp_customer_kind not in ("company", "sole_proprietor"):
                partner.isp_customer_kind = "company"

    @api.depends("isp_customer_kind")
    def _compute_isp_einvoice_format(self):
        for partner in self:
            if not partner.isp_einvoice_format or partner.isp_einvoice_format in ("facturx", "pdf"):
                partner.isp_einvoice_format = "pdf" if partner.isp_customer_kind == "individual" else "facturx"

    @api.model
    def _read_group_isp_prospect_stage_ids(self, stages, domain):
        # The pipeline shows every stage, also empty ones; there are only a handful.
        return stages.search([])  # pylint: disable=no-search-all

    @api.model
    def _isp_first_prospect_stage(self):
        return self.env["isp.prospect.stage"].search([("is_won", "=", False)], limit=1)

    @api.model
    def _isp_won_prospect_stage(self):
        return self.env["isp.prospect.stage"].search([("is_won", "=", True)], limit=1)

    def _isp_balances(self):
        """Open receivable and unapplied credit per commercial partner in the current company.

        :return: {commercial partner id: (receivable, credit)}, both positive amounts
        """
        base_domain = [
            ("company_id", "=", self.env.company.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
        ]
        if self:
            base_domain.append(("partner_id", "child_of", self.commercial_partner_id.ids))
        lines = self.env["account.move.line"].sudo()
        balances = {}
        for sign, residual_domain in ((1, [("amount_residual", ">", 0)]), (-1, [("amount_residual", "<", 0)])):
            for partner, amount in lines._read_group(
                base_domain + residual_domain, ["partner_id"], ["amount_residual:sum"]
            ):
                key = partner.commercial_partner_id.id
                receivable, credit = balances.get(key, (0.0, 0.0))
                if sign > 0:
                    receivable += amount
                else:
                    credit -= amount
                balances[key] = (receivable, credit)
        return balances

    def _compute_isp_balances(self):
        stored = self.commercial_partner_id.filtered("id")
        balances = stored._isp_balances() if stored else {}
        for partner in self:
            commercial = partner.commercial_partner_id
            receivable, credit = balances.get(commercial.id, (0.0, 0.0))
            partner.isp_receivable_outstanding = receivable
            partner.isp_credit_balance = credit
            partner.isp_over_quota = commercial._isp_is_over_quota(receivable)

    def _isp_is_over_quota(self, receivable):
        self.ensure_one()
        return (
            self.isp_customer_class in QUOTA_CLASSES
            and float_compare(receivable, self.isp_order_quota, precision_rounding=self.currency_id.rounding) > 0
        )

    def _isp_search_balance(self, index, operator, value):
        if operator not in SEARCH_OPERATORS:
            raise UserError(self.env._("Operation %(operator)s is not supported here.", operator=operator))
        compare = SEARCH_OPERATORS[operator]
        value = value or 0.0
        amounts = {partner_id: pair[index] for partner_id, pair in self.browse()._isp_balances().items()}
        if compare(0.0, value):
            # Partners without journal items match as well: exclude the ones that do not.
            excluded = [partner_id for partner_id, amount in amounts.items() if not compare(amount, value)]
            return [("commercial_partner_id", "not in", excluded)]
        matching = [partner_id for partner_id, amount in amounts.items() if compare(amount, value)]
        return [("commercial_partner_id", "in", matching)]

    def _search_isp_receivable_outstanding(self, operator, value):
        return self._isp_search_balance(0, operator, value)

    def _search_isp_credit_balance(self, operator, value):
        return self._isp_search_balance(1, operator, value)

    def _search_isp_over_quota(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation %(operator)s is not supported here.", operator=operator))
        candidates = self.search([("isp_customer_class", "in", QUOTA_CLASSES)]).filtered(
            lambda partner: partner.commercial_partner_id == partner
        )
        balances = candidates._isp_balances() if candidates else {}
        over = [
            partner.id for partner in candidates if partner._isp_is_over_quota(balances.get(partner.id, (0.0, 0.0))[0])
        ]
        positive = (operator == "=") == value
        return [("commercial_partner_id", "in" if positive else "not in", over)]

    def _isp_count_by_commercial_partner(self, groups):
        """Sum ``[(partner, count)]`` read-group rows per commercial partner of ``self``."""
        counts = {}
        for partner, count in groups:
            key = partner.commercial_partner_id.id
            counts[key] = counts.get(key, 0) + count
        return counts

    def _compute_isp_payment_count(self):
        stored = self.commercial_partner_id.filtered("id")
        counts = {}
        if stored:
            counts = self._isp_count_by_commercial_partner(
                self.env["account.payment"]._read_group(
                    [("partner_id", "child_of", stored.ids), ("partner_type", "=", "customer")],
                    ["partner_id"],
                    ["__count"],
                )
            )
        for partner in self:
            partner.isp_payment_count = counts.get(partner.commercial_partner_id.id, 0)

    def _isp_activity_domain(self):
        partners = self.with_context(active_test=False).search(
            [("id", "child_of", self.commercial_partner_id.filtered("id").ids)]
        )
        return [("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]

    def _compute_isp_activity_count(self):
        counts = {}
        if self.commercial_partner_id.filtered("id"):
            groups = self.env["mail.activity"]._read_group(self._isp_activity_domain(), ["res_id"], ["__count"])
            counts = self._isp_count_by_commercial_partner((self.browse(res_id), count) for res_id, count in groups)
        for partner in self:
            partner.isp_activity_count = counts.get(partner.commercial_partner_id.id, 0)

    @api.depends_context("uid")
    def _compute_isp_is_manager(self):
        # no check: the form's manager-only fields are read-only by it; _isp_check_manager_fields refuses
        is_manager = self.env.user.has_group("isp_customer.group_isp_manager")
        for partner in self:
            partner.isp_is_manager = is_manager

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("isp_customer_kind", "is_company")
    def _check_isp_customer_kind(self):
        for partner in self:
            if partner.isp_customer_kind and (partner.isp_customer_kind == "individual") == partner.is_company:
                raise ValidationError(
                    self.env._(
                        "Customer Kind of %(partner)s: an individual is a person, "
                        "companies and sole proprietors are companies.",
                        partner=partner.display_name,
                    )
                )

    @api.model
    def _isp_check_number_free(self, numbers, exclude_ids=()):
        """Refuse customer numbers that another partner of the same company already has.

        :param numbers: list of (number, company id or False) about to be written
        :param exclude_ids: partners that are being written (their own numbers do not count)
        """
        if not numbers:
            return
        keys = [(number, company_id or False) for number, company_id in numbers]
        taken = {
            (number, company.id or False)
            for number, company in self.with_context(active_test=False)
            .sudo()
            ._read_group(
                [
                    ("isp_customer_number", "in", [number for number, _company in keys]),
                    ("id", "not in", list(exclude_ids)),
                ],
                ["isp_customer_number", "company_id"],
            )
        }
        seen = set()
        for key in keys:
            if key in taken or key in seen:
                raise ValidationError(
                    self.env._("Customer Number %(number)s is already used by another partner.", number=key[0])
                )
            seen.add(key)

    @api.constrains("isp_customer_class", "isp_order_quota", "isp_reseller_period")
    def _check_isp_customer_class(self):
        for partner in self:
            if partner.isp_order_quota < 0:
                raise ValidationError(
                    self.env._("Order Quota of %(partner)s cannot be negative.", partner=partner.display_name)
                )
            if partner.isp_customer_class in QUOTA_CLASSES and partner.isp_order_quota <= 0:
                raise ValidationError(
                    self.env._(
                        "Order Quota of %(partner)s: a trusted client or reseller needs a positive order quota.",
                        partner=partner.display_name,
                    )
                )
            if partner.isp_customer_class == "reseller" and not partner.isp_reseller_period:
                raise ValidationError(
                    self.env._(
                        "Reseller Billing Period of %(partner)s: a trusted reseller needs a billing period.",
                        partner=partner.display_name,
                    )
                )

    @api.constrains("isp_registration_ip")
    def _check_isp_registration_ip(self):
        for partner in self.filtered("isp_registration_ip"):
            try:
                ipaddress.ip_address(partner.isp_registration_ip.strip())
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Registration IP of %(partner)s: %(ip)s is not a valid IPv4 or IPv6 address.",
                        partner=partner.display_name,
                        ip=partner.isp_registration_ip,
                    )
                ) from error

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + self._isp_manager_fields() + ["team_id"]

    @api.model
    def _isp_manager_fields(self):
        """Fields of the customer class and billing profile that only ISP managers change."""
        return [
            "isp_customer_class",
            "isp_order_quota",
            "isp_reseller_period",
            "isp_billing_interval",
            "isp_invoice_consolidation",
            "isp_invoice_delivery",
            "isp_payment_method",
            "isp_einvoice_format",
            "isp_buyer_reference",
        ]

    @api.model
    def _isp_manager_standard_fields(self):
        """Odoo's own billing-profile fields, reserved to ISP managers on ISP prospects and customers."""
        candidates = ["property_product_pricelist", "property_payment_term_id", "property_account_position_id"]
        return [fname for fname in candidates if fname in self._fields]

    def _isp_is_manager_or_system(self):
        # a few fields of a model every employee writes, and only changed values: no access rule can express it
        return self.env.su or self.env.user.has_group("isp_customer.group_isp_manager")

    def _isp_protected_snapshot(self):
        """Values of the manager-only fields, to compare with after a write."""
        fnames = self._isp_manager_fields() + self._isp_manager_standard_fields()
        return {
            partner.id: {fname: partner._fields[fname].convert_to_cache(partner[fname], partner) for fname in fnames}
            | {"isp_lifecycle": partner.isp_lifecycle, "isp_commercial": partner.commercial_partner_id == partner}
            for partner in self
        }

    @api.model
    def _isp_code_defaults(self):
        """What a partner gets for the manager-only fields when nobody chooses a value.

        Code defaults for the ISP fields; for Odoo's own fields the defaults without the
        ``default_*`` keys of the context, which the caller controls.
        """
        defaults = {}
        for fname in self._isp_manager_fields():
            field = self._fields[fname]
            defaults[fname] = field.convert_to_cache(field.default(self) if field.default else False, self)
        standard = self._isp_manager_standard_fields()
        clean_env = self.with_env(self.env(context=clean_context(self.env.context)))
        for fname, value in clean_env.default_get(standard).items():
            defaults[fname] = self._fields[fname].convert_to_cache(value, self)
        for fname in standard:
            defaults.setdefault(fname, False)
        return defaults

    def _isp_check_manager_fields(self, before, written=()):
        """Refuse changes of class, quota and billing profile made by users who are not ISP managers.

        Runs after create/write, on the partners that are commercial entities now
        (child contacts only mirror their company's values).

        :param before: ``{partner id: {field: value}}`` before a write, or ``None`` after a create
            (then the values must be the defaults)
        :param written: the fields a write set explicitly (a computed field changed by them is
            accepted when it took the value it derives by itself)
        """
        if self._isp_is_manager_or_system():
            return
        defaults = self._isp_code_defaults() if before is None else None
        new_client = self._isp_new_client_vals()
        for partner in self.filtered(lambda p: p.commercial_partner_id == p):
            old_values = defaults if before is None else before[partner.id]
            fnames = list(self._isp_manager_fields())
            if partner.isp_lifecycle or (before is not None and old_values.get("isp_lifecycle")):
                fnames += self._isp_manager_standard_fields()
            # a detached contact set back to a new client (by a write nested in this one) gained nothing
            detached = before is not None and not old_values["isp_commercial"]
            for fname in fnames:
                field = self._fields[fname]
                old_value = old_values[fname]
                new_value = field.convert_to_cache(partner[fname], partner)
                if field.type == "monetary":
                    differs = float_compare(old_value or 0.0, new_value or 0.0, precision_digits=6) != 0
                else:
                    differs = (old_value or False) != (new_value or False)
                if differs and detached and fname in new_client and partner[fname] == new_client[fname]:
                    continue
                if (
                    differs
                    and field.compute
                    and fname not in written
                    and new_value == partner._isp_suggested_value(fname)
                ):
                    # a value the field derives by itself (the e-invoice format from the customer kind)
                    continue
                if differs:
                    raise AccessError(
                        self.env._(
                            "Only ISP managers may change %(field)s.",
                            field=field._description_string(self.env),
                        )
                    )

    def _isp_suggested_value(self, fname):
        """The value that the computed field ``fname`` derives by itself from the partner's other
        values (e.g. the e-invoice format from the customer kind), nobody having chosen one."""
        field = self._fields[fname]
        depends = [dep for dep in self.pool.field_depends[field] if "." not in dep]
        draft = self.new({dep: self[dep] for dep in depends})
        return field.convert_to_cache(draft[fname], self)

    @api.model
    def default_get(self, fields_list):
        """New partners from the Customers and Prospects menus start as companies in that lifecycle.

        Read from a key of its own (not ``default_isp_lifecycle``) so that contacts created
        inside such a partner do not inherit it.
        """
        defaults = super().default_get(fields_list)
        lifecycle = self.env.context.get("isp_new_partner_lifecycle")
        if lifecycle and "default_parent_id" not in self.env.context:
            context = self.env.context
            if "isp_lifecycle" in fields_list and "default_isp_lifecycle" not in context:
                defaults["isp_lifecycle"] = lifecycle
            if "is_company" in fields_list and "default_is_company" not in context:
                defaults["is_company"] = True
            if lifecycle == "prospect" and "isp_prospect_stage_id" in fields_list:
                defaults.setdefault("isp_prospect_stage_id", self._isp_first_prospect_stage().id)
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Date.context_today(self)
        for vals in vals_list:
            self._isp_sync_company_type(vals)
            if vals.get("parent_id") and "is_company" not in vals and "isp_new_partner_lifecycle" in self.env.context:
                # Contacts saved together with a new customer: not a company like their parent.
                vals["is_company"] = False
            if vals.get("parent_id") and not vals.get("is_company"):
                # Contacts of a customer are no customers of their own.
                vals["isp_lifecycle"] = False
            if vals.get("isp_lifecycle") and not vals.get("isp_registration_date"):
                vals["isp_registration_date"] = today
            if vals.get("isp_lifecycle") == "prospect" and not vals.get("isp_prospect_stage_id"):
                vals["isp_prospect_stage_id"] = self._isp_first_prospect_stage().id
        self._isp_check_number_free(
            [
                (vals["isp_customer_number"], vals.get("company_id") or False)
                for vals in vals_list
                if vals.get("isp_customer_number")
            ]
        )
        partners = super().create(vals_list)
        partners._isp_check_manager_fields(before=None)
        partners.filtered(lambda p: p.isp_lifecycle in ("customer", "former"))._isp_assign_customer_number()
        return partners

    def write(self, vals):
        self._isp_sync_company_type(vals)
        self._isp_check_number_change(vals)
        before = None if self._isp_is_manager_or_system() else self._isp_protected_snapshot()
        # contacts that mirror their company's class and quota now
        mirroring = self.filtered(lambda p: p.commercial_partner_id != p) if before is not None else self.browse()
        result = super().write(vals)
        if before is not None:
            self._isp_check_manager_fields(before, written=set(vals))
            mirroring.filtered(lambda p: p.commercial_partner_id == p)._isp_start_as_new_client()
        if vals.get("isp_lifecycle") in ("customer", "former"):
            self._isp_assign_customer_number()
        if vals.get("isp_lifecycle") and "isp_prospect_stage_id" not in vals:
            self._isp_sync_prospect_stage()
        if vals.get("isp_lifecycle") and "isp_registration_date" not in vals:
            self.filtered(lambda p: not p.isp_registration_date).isp_registration_date = fields.Date.context_today(self)
        if vals.get("isp_prospect_stage_id"):
            stage = self.env["isp.prospect.stage"].browse(vals["isp_prospect_stage_id"])
            if stage.is_won:
                self.filtered(lambda p: p.isp_lifecycle != "customer")._isp_make_customer()
        return result

    @api.model
    def _isp_new_client_vals(self):
        """Class and quota of a partner that becomes a customer of its own through a user who is no ISP manager."""
        return {"isp_customer_class": "new", "isp_order_quota": 0.0, "isp_reseller_period": False}

    def _isp_start_as_new_client(self):
        """Contacts detached from their company (no parent any more, or made a company) by a clerk:
        they kept the company's class and quota, which only an ISP manager gives. They start as
        new clients without quota; a manager raises them if the contact deserves it."""
        vals = self._isp_new_client_vals()
        partners = self.filtered(
            lambda p: any(p._fields[fname].convert_to_write(p[fname], p) != value for fname, value in vals.items())
        )
        if not partners:
            return
        partners.sudo().write(vals)
        for partner in partners:
            partner.message_post(
                body=self.env._(
                    "%(partner)s became a customer of its own through %(user)s: it starts as a new client "
                    "without order quota; only ISP managers give a class and a quota.",
                    partner=partner.display_name,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _isp_check_number_change(self, vals):
        """Customer numbers are permanent; a customer keeps its lifecycle once it has one."""
        merging = self.env.su and self.env.context.get("isp_merge")
        numbered = self.filtered("isp_customer_number")
        if "isp_customer_number" in vals and not merging:
            for partner in numbered:
                if partner.isp_customer_number != vals["isp_customer_number"]:
                    raise ValidationError(
                        self.env._(
                            "Customer Number %(number)s of %(partner)s is permanent and cannot be changed.",
                            number=partner.isp_customer_number,
                            partner=partner.display_name,
                        )
                    )
        if "isp_lifecycle" in vals and not vals["isp_lifecycle"] and numbered and not merging:
            raise ValidationError(
                self.env._(
                    "Lifecycle of %(partner)s: a partner with a customer number stays a customer or former customer.",
                    partner=numbered[0].display_name,
                )
            )
        number = vals.get("isp_customer_number")
        if number or ("company_id" in vals and numbered):
            targets = self if number else numbered
            self._isp_check_number_free(
                [
                    (number or partner.isp_customer_number, vals.get("company_id", partner.company_id.id) or False)
                    for partner in targets
                ],
                exclude_ids=targets.ids,
            )

    def _isp_sync_prospect_stage(self):
        """New prospects start in the first stage; converted prospects end in the won stage."""
        new_prospects = self.filtered(lambda p: p.isp_lifecycle == "prospect" and not p.isp_prospect_stage_id)
        if new_prospects:
            new_prospects.isp_prospect_stage_id = self._isp_first_prospect_stage()
        converted = self.filtered(
            lambda p: p.isp_lifecycle == "customer" and p.isp_prospect_stage_id and not p.isp_prospect_stage_id.is_won
        )
        if converted:
            converted.isp_prospect_stage_id = self._isp_won_prospect_stage()

    @api.model
    def _isp_sync_company_type(self, vals):
        """Keep Odoo's is_company consistent with a customer kind that is written alone.

        The form's Company / Individual switch writes ``company_type`` (set by its inverse only
        after the other fields are checked) with the customer kind: is_company is written with them.
        """
        if vals.get("isp_customer_kind") and "is_company" not in vals and "company_type" not in vals:
            vals["is_company"] = vals["isp_customer_kind"] != "individual"
        elif vals.get("company_type") and "is_company" not in vals:
            vals["is_company"] = vals["company_type"] == "company"

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.onchange("isp_customer_kind")
    def _onchange_isp_customer_kind(self):
        if self.isp_customer_kind:
            self.company_type = "person" if self.isp_customer_kind == "individual" else "company"

    def action_isp_convert_to_customer(self):
        prospects = self.commercial_partner_id.filtered(lambda p: p.isp_lifecycle != "customer")
        if not prospects:
            raise UserError(self.env._("The selected partners are customers already."))
        prospects._isp_make_customer()
        return True

    def action_isp_mark_former(self):
        customers = self.commercial_partner_id.filtered(lambda p: p.isp_lifecycle == "customer")
        if not customers:
            raise UserError(self.env._("Only customers can become former customers."))
        customers.isp_lifecycle = "former"
        return True

    def action_isp_view_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_account_payments")
        action["domain"] = [
            ("partner_id", "child_of", self.commercial_partner_id.ids),
            ("partner_type", "=", "customer"),
        ]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "default_payment_type": "inbound",
            "default_partner_type": "customer",
        }
        return action

    def action_isp_view_open_items(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        action["context"] = {"default_move_type": "out_invoice", "default_partner_id": self.id}
        return action

    def action_isp_view_activities(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Activities"),
            "res_model": "mail.activity",
            "view_mode": "list,form",
            "domain": self._isp_activity_domain(),
            "context": {"default_res_model": "res.partner", "default_res_id": self.id},
        }

    def action_isp_top_up_credit(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Top up credit"),
            "res_model": "isp.credit.topup",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _isp_make_prospect(self):
        """Turn plain contacts (no ISP lifecycle yet) into prospects: someone the provider quotes."""
        partners = self.filtered(lambda p: not p.isp_lifecycle)
        if partners:
            partners.write({"isp_lifecycle": "prospect"})

    def _isp_make_customer(self):
        """Turn prospects, former customers and plain contacts into customers."""
        partners = self.filtered(lambda p: p.isp_lifecycle != "customer")
        if partners:
            partners.write({"isp_lifecycle": "customer"})

    def _isp_assign_customer_number(self):
        """Give a customer number to the partners that have none, from their company's sequence."""
        partners = self.filtered(lambda p: not p.isp_customer_number and p.commercial_partner_id == p)
        for company, company_partners in partners.grouped(lambda p: p.company_id).items():
            sequence_company = company or self.env.company
            sequence = sequence_company._isp_customer_sequence()
            if not sequence:
                raise UserError(
                    self.env._(
                        "No customer number sequence is configured for %(company)s.", company=sequence_company.name
                    )
                )
            sequence = sequence.with_company(sequence_company)
            numbers = [sequence._next() for _partner in company_partners]
            # Skip numbers that were entered by hand (e.g. imported from an old system).
            taken = set(
                self.with_context(active_test=False)
                .sudo()
                .search([("isp_customer_number", "in", numbers), ("company_id", "=", company.id)])
                .mapped("isp_customer_number")
            )
            for partner, candidate in zip(company_partners, numbers, strict=True):
                number = candidate
                while number in taken:
                    number = sequence._next()
                    taken |= set(
                        self.with_context(active_test=False)
                        .sudo()
                        .search([("isp_customer_number", "=", number), ("company_id", "=", company.id)])
                        .mapped("isp_customer_number")
                    )
                partner.isp_customer_number = number

    @api.ondelete(at_uninstall=False)
    def _unlink_except_numbered_customer(self):
        numbered = self.filtered("isp_customer_number")
        if numbered:
            raise UserError(
                self.env._(
                    "%(partner)s has customer number %(number)s and cannot be deleted: archive it instead.",
                    partner=numbered[0].display_name,
                    number=numbered[0].isp_customer_number,
                )
            )

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if self.isp_lifecycle == "prospect" and msg_vals.get("message_type") == "comment" and not self.env.user.share:
            self.sudo().isp_last_contact_date = fields.Date.context_today(self)
        return result

    def init(self):
        result = super().init()
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS res_partner_isp_customer_number_company_uniq "
                "ON res_partner (isp_customer_number, COALESCE(company_id, 0)) "
                "WHERE isp_customer_number IS NOT NULL"
            )
        )
        return result

    def _isp_log_merged_numbers(self, numbers):
        self.ensure_one()
        self.message_post(
            body=Markup("%s <b>%s</b>") % (self.env._("Merged customer numbers:"), ", ".join(numbers)),
            subtype_xmlid="mail.mt_note",
        )
