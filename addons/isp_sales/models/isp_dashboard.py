from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import format_date

from ..engine import dashboard
from .isp_billing_run import BILLABLE_STATES

#: months shown in the charts, the current one included
MONTHS = 12
#: services that earn recurring revenue on a day they run (a suspended service is left out)
RUNNING_STATES = ("active", "terminated")
#: the ISP article types of the revenue chart; lines of other products go under this key
NO_ARTICLE_TYPE = "none"


class IspDashboard(models.AbstractModel):
    """The manager's dashboard: figures and charts of the selected companies, each with the
    action that opens the records behind it.

    :meth:`get_dashboard_data` is what the client calls. Each section is built by a small
    method listed in :meth:`_isp_dashboard_sections`; other addons add theirs by extending it.
    A section is a dict ``{"key", "sequence", "figures": [...], "charts": [...]}``: a figure
    ``{"key", "label", "value", "monetary", "help", "notes", "comparisons", "action"}``, a chart
    ``{"key", "title", "help", "type", "stacked", "monetary", "labels", "datasets"}`` whose
    datasets carry ``{"key", "label", "data", "actions"}`` (one action per label).
    """

    _name = "isp.dashboard"
    _description = "ISP Manager's Dashboard"

    # ------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------

    @api.model
    def get_dashboard_data(self):
        """Sections of the dashboard for the companies selected in the company switcher, amounts in
        the current company's currency at today's rate."""
        self._isp_dashboard_check_access()
        scope = self._isp_dashboard_scope()
        sections = sorted(self._isp_dashboard_sections(scope), key=lambda section: section["sequence"])
        currency = scope["currency"]
        return {
            "today": fields.Date.to_string(scope["today"]),
            "companies": scope["companies"].mapped("name"),
            "currency": {
                "id": currency.id,
                "name": currency.name,
                "symbol": currency.symbol,
                "position": currency.position,
                "digits": currency.decimal_places,
            },
            "sections": sections,
        }

    @api.model
    def _isp_dashboard_check_access(self):
        # an AbstractModel has no access rights to declare: the method refuses itself
        if not self.env.user.has_group("isp_customer.group_isp_manager"):
            raise AccessError(self.env._("Only ISP managers see the ISP dashboard."))

    @api.model
    def _isp_dashboard_scope(self):
        """What every section works on: today, the companies, the currency and the months."""
        today = fields.Date.context_today(self)
        return {
            "today": today,
            "companies": self.env.companies,
            "company": self.env.company,
            "currency": self.env.company.currency_id,
            "months": dashboard.month_starts(today, MONTHS),
            "rates": {},
        }

    @api.model
    def _isp_dashboard_sections(self, scope):
        """The sections of the dashboard; extend to add one (``super()`` + your section)."""
        return [
            self._isp_dashboard_mrr(scope),
            self._isp_dashboard_next_run(scope),
            self._isp_dashboard_receivables(scope),
            self._isp_dashboard_revenue(scope),
            self._isp_dashboard_churn(scope),
        ]

    # ------------------------------------------------------------------
    # Helpers for the sections
    # ------------------------------------------------------------------

    @api.model
    def _isp_dashboard_convert(self, scope, currency, amount):
        """``amount`` in ``currency`` as an amount in the dashboard's currency at today's rate."""
        target = scope["currency"]
        if currency == target or not amount:
            return amount
        rates = scope["rates"]
        if currency.id not in rates:
            rates[currency.id] = self.env["res.currency"]._get_conversion_rate(
                currency, target, scope["company"], scope["today"]
            )
        return amount * rates[currency.id]

    @api.model
    def _isp_dashboard_round(self, scope, amount):
        return scope["currency"].round(amount)

    @api.model
    def _isp_dashboard_action(self, name, model, domain, views=("list", "pivot", "graph", "form"), context=None):
        """The window action that opens the records behind a figure or a bar."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "domain": domain,
            "views": [[False, view] for view in views],
            "context": context or {},
        }

    @api.model
    def _isp_dashboard_month_label(self, start):
        return format_date(self.env, start, date_format="MMM yyyy")

    @api.model
    def _isp_dashboard_company_domain(self, scope):
        return [("company_id", "in", scope["companies"].ids)]

    @api.model
    def _isp_dashboard_invoice_action(self, name, domain):
        views = [
            [self.env.ref("account.view_out_invoice_tree").id, "list"],
            [False, "pivot"],
            [False, "graph"],
            [self.env.ref("account.view_move_form").id, "form"],
        ]
        action = self._isp_dashboard_action(name, "account.move", domain)
        action.update(views=views, context={"default_move_type": "out_invoice", "create": False})
        return action

    # ------------------------------------------------------------------
    # Monthly recurring revenue
    # ------------------------------------------------------------------

    @api.model
    def _isp_dashboard_running_domain(self, scope, day):
        """Recurring services that run on ``day``: started on or before, not ended before it, not
        pending and not suspended now."""
        return [
            *self._isp_dashboard_company_domain(scope),
            ("product_id.isp_recurring", "=", True),
            ("state", "in", RUNNING_STATES),
            ("date_start", "<=", day),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", day),
        ]

    @api.model
    def _isp_dashboard_mrr_on(self, scope, day):
        """Monthly recurring revenue of the services running on ``day`` at their prices of today."""
        total = 0.0
        for currency, period, quantity, price in self.env["isp.service"]._read_group(
            self._isp_dashboard_running_domain(scope, day),
            ["currency_id", "billing_period", "quantity"],
            ["price_unit:sum"],
        ):
            amount = dashboard.monthly_amount(price * quantity, period)
            total += self._isp_dashboard_convert(scope, currency, amount)
        return self._isp_dashboard_round(scope, total)

    @api.model
    def _isp_dashboard_mrr(self, scope):
        today = scope["today"]
        mrr = self._isp_dashboard_mrr_on(scope, today)
        comparisons = []
        for day in (today.replace(day=1), today - relativedelta(months=1)):
            before = self._isp_dashboard_mrr_on(scope, day)
            comparisons.append(
                {
                    "key": fields.Date.to_string(day),
                    "label": self.env._("since %(date)s", date=format_date(self.env, day)),
                    "value": self._isp_dashboard_round(scope, mrr - before),
                    "percent": round(100.0 * (mrr - before) / before, 1) if before else None,
                }
            )
        return {
            "key": "mrr",
            "sequence": 10,
            "figures": [
                {
                    "key": "mrr",
                    "label": self.env._("Monthly Recurring Revenue"),
                    "value": mrr,
                    "monetary": True,
                    "help": self.env._(
                        "Active recurring services: price x quantity per month (a yearly price counts "
                        "one twelfth), untaxed; suspended and pending services are not counted. The changes "
                        "compare the services that ran on the earlier day, at today's prices."
                    ),
                    "notes": [],
                    "comparisons": comparisons,
                    "action": self._isp_dashboard_action(
                        self.env._("Recurring Services"),
                        "isp.service",
                        self._isp_dashboard_running_domain(scope, today),
                    ),
                }
            ],
            "charts": [],
        }

    # ------------------------------------------------------------------
    # Next invoice run
    # ------------------------------------------------------------------

    @api.model
    def _isp_dashboard_billable_domain(self, scope):
        return [
            *self._isp_dashboard_company_domain(scope),
            ("product_id.isp_recurring", "=", True),
            ("state", "in", BILLABLE_STATES),
            ("next_invoice_date", "!=", False),
        ]

    @api.model
    def _isp_dashboard_next_run_estimate(self, scope, company, groups):
        """The next run of ``company`` from its billable services grouped by what the planning needs.

        :return: None without anything to bill, else (run date, due date, amount in the dashboard's
            currency, customer ids, ids of the services with a due date but billed to their end)
        """
        advance = company.isp_billing_days_in_advance
        live = [group for group in groups if not group["end"] or group["next_date"] <= group["end"]]
        run_date = dashboard.next_run_date([group["next_date"] for group in live], scope["today"], advance)
        if not run_date:
            return None
        due_date = run_date + relativedelta(days=advance)
        due = [group for group in live if group["next_date"] <= due_date]
        partners = self.env["res.partner"].browse({group["partner_id"] for group in due})
        partners.fetch(["isp_billing_day", "isp_billing_interval", "isp_invoice_consolidation", "isp_discount"])
        billing_settings = {
            partner.id: dashboard.BillingSettings(
                partner.isp_billing_day,
                partner.isp_billing_interval,
                partner.isp_invoice_consolidation == "per_order",
                partner.isp_discount,
            )
            for partner in partners
        }
        # one invoice per customer and currency, as the run makes them
        by_invoice = defaultdict(list)
        for group in due:
            by_invoice[group["partner_id"], group["currency"]].append(
                dashboard.DueServices(
                    group["next_date"],
                    group["end"] or None,
                    group["period"],
                    group["state"] == "suspended" and not company.isp_bill_suspended,
                    group["amount"],
                )
            )
        settings = {key: billing_settings[key[0]] for key in by_invoice}
        _total, per_invoice = dashboard.estimate_run(by_invoice, settings, run_date, advance_days=advance)
        per_currency = defaultdict(float)
        for (_partner, currency), amount in per_invoice.items():
            per_currency[currency] += amount
        customers = {partner_id for partner_id, _currency in per_invoice}
        total = sum(self._isp_dashboard_convert(scope, currency, amount) for currency, amount in per_currency.items())
        ended = [
            service_id
            for group in groups
            if group["end"] and group["end"] < group["next_date"] <= due_date
            for service_id in group["ids"]
        ]
        return run_date, due_date, total, customers, ended

    @api.model
    def _isp_dashboard_next_run(self, scope):
        """Estimate of the next invoice run: the run's own period planning on the services' prices."""
        groups = defaultdict(list)
        for company, partner, next_date, end, period, state, currency, quantity, ids, price in self.env[
            "isp.service"
        ]._read_group(
            self._isp_dashboard_billable_domain(scope),
            [
                "company_id",
                "partner_id",
                "next_invoice_date:day",
                "date_end:day",
                "billing_period",
                "state",
                "currency_id",
                "quantity",
            ],
            ["id:array_agg", "price_unit:sum"],
        ):
            groups[company].append(
                {
                    "partner_id": partner.id,
                    "next_date": next_date,
                    "end": end,
                    "period": period,
                    "state": state,
                    "currency": currency,
                    "amount": price * quantity,
                    "ids": ids,
                }
            )
        total, customers, ended, dates, due_domains = 0.0, set(), [], [], []
        for company, company_groups in groups.items():
            estimate = self._isp_dashboard_next_run_estimate(scope, company, company_groups)
            if not estimate:
                continue
            run_date, due_date, amount, company_customers, company_ended = estimate
            total += amount
            customers |= company_customers
            ended += company_ended
            dates.append(run_date)
            due_domains.append([("company_id", "=", company.id), ("next_invoice_date", "<=", due_date)])
        domain = [
            *self._isp_dashboard_billable_domain(scope),
            *(expression.OR(due_domains) if due_domains else expression.FALSE_DOMAIN),
            ("id", "not in", ended),
        ]
        notes = []
        if dates:
            notes.append(
                self.env._(
                    "Run on %(date)s, %(count)s customers", date=format_date(self.env, min(dates)), count=len(customers)
                )
            )
        return {
            "key": "next_run",
            "sequence": 20,
            "figures": [
                {
                    "key": "next_run",
                    "label": self.env._("Next Invoice Run (estimate)"),
                    "value": self._isp_dashboard_round(scope, total),
                    "monetary": True,
                    "help": self.env._(
                        "Untaxed total of the next invoice run that bills something: the run's periods, "
                        "proration, billing intervals and discounts on the prices stored on the services. "
                        "Prices from a pricelist that changed since, reseller orders and rounding per line "
                        "are not in the estimate; the run's preview shows the exact amounts."
                    ),
                    "notes": notes,
                    "comparisons": [],
                    "action": self._isp_dashboard_action(
                        self.env._("Services in the Next Invoice Run"),
                        "isp.service",
                        domain,
                    ),
                }
            ],
            "charts": [],
        }

    # ------------------------------------------------------------------
    # Receivables
    # ------------------------------------------------------------------

    @api.model
    def _isp_dashboard_open_invoice_domain(self, scope):
        """Open posted invoices of ISP customers (other partners' invoices, e.g. Odoo's demo data, are left out)."""
        return [
            *self._isp_dashboard_company_domain(scope),
            *self.env["account.move"]._isp_customer_domain(),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]

    @api.model
    def _isp_dashboard_age_domain(self, scope, key):
        earliest, latest = dashboard.age_bucket_dates(key, scope["today"])
        domain = []
        if earliest:
            domain.append(("invoice_date_due", ">=", earliest))
        if latest:
            domain.append(("invoice_date_due", "<=", latest))
        return domain

    @api.model
    def _isp_dashboard_receivables(self, scope):
        """Open customer invoices by age (days past the due date), in the dashboard's currency."""
        today = scope["today"]
        by_age = dict.fromkeys((key for key, _first, _last in dashboard.AGE_BUCKETS), 0.0)
        for company, due_date, amount in self.env["account.move"]._read_group(
            self._isp_dashboard_open_invoice_domain(scope),
            ["company_id", "invoice_date_due:day"],
            ["amount_residual_signed:sum"],
        ):
            bucket = dashboard.age_bucket(due_date or today, today)
            by_age[bucket] += self._isp_dashboard_convert(scope, company.currency_id, amount)
        labels = {
            "not_due": self.env._("Not due"),
            "1_30": self.env._("1-30 days"),
            "31_60": self.env._("31-60 days"),
            "61_90": self.env._("61-90 days"),
            "over_90": self.env._("Over 90 days"),
        }
        open_domain = self._isp_dashboard_open_invoice_domain(scope)
        total = sum(by_age.values())
        overdue = total - by_age["not_due"]
        return {
            "key": "receivables",
            "sequence": 30,
            "figures": [
                {
                    "key": "receivables",
                    "label": self.env._("Open Receivables"),
                    "value": self._isp_dashboard_round(scope, total),
                    "monetary": True,
                    "help": self.env._("Open amounts of posted customer invoices."),
                    "notes": [],
                    "comparisons": [],
                    "action": self._isp_dashboard_invoice_action(self.env._("Open Invoices"), open_domain),
                },
                {
                    "key": "overdue",
                    "label": self.env._("Overdue"),
                    "value": self._isp_dashboard_round(scope, overdue),
                    "monetary": True,
                    "help": self.env._("Open amounts of posted customer invoices past their due date."),
                    "notes": [],
                    "comparisons": [],
                    "action": self._isp_dashboard_invoice_action(
                        self.env._("Overdue Invoices"), [*open_domain, ("invoice_date_due", "<", today)]
                    ),
                },
            ],
            "charts": [
                {
                    "key": "receivables_age",
                    "title": self.env._("Open Receivables by Age"),
                    "help": self.env._("Days past the due date of the open customer invoices."),
                    "type": "bar",
                    "stacked": False,
                    "monetary": True,
                    "labels": [labels[key] for key in by_age],
                    "datasets": [
                        {
                            "key": "amount",
                            "label": self.env._("Open amount"),
                            "data": [self._isp_dashboard_round(scope, amount) for amount in by_age.values()],
                            "actions": [
                                self._isp_dashboard_invoice_action(
                                    self.env._("Open Invoices: %(age)s", age=labels[key]),
                                    [*open_domain, *self._isp_dashboard_age_domain(scope, key)],
                                )
                                for key in by_age
                            ],
                        }
                    ],
                }
            ],
        }

    # ------------------------------------------------------------------
    # Revenue by article type and month
    # ------------------------------------------------------------------

    @api.model
    def _isp_dashboard_revenue_domain(self, scope):
        """Product lines of posted invoices and credit notes of ISP customers in the chart's months."""
        months = scope["months"]
        return [
            *self._isp_dashboard_company_domain(scope),
            ("move_id", "any", self.env["account.move"]._isp_customer_domain()),
            ("parent_state", "=", "posted"),
            ("move_id.move_type", "in", ("out_invoice", "out_refund")),
            ("display_type", "=", "product"),
            ("date", ">=", months[0]),
            ("date", "<", dashboard.next_month(months[-1])),
        ]

    @api.model
    def _isp_dashboard_article_type_domain(self, article_type):
        if article_type == NO_ARTICLE_TYPE:
            return ["|", ("product_id", "=", False), ("product_id.isp_article_type", "=", False)]
        return [("product_id.isp_article_type", "=", article_type)]

    @api.model
    def _isp_dashboard_revenue(self, scope):
        """Untaxed revenue per ISP article type and month (credit notes subtract)."""
        months = scope["months"]
        index = {month: position for position, month in enumerate(months)}
        rows = self.env["account.move.line"]._read_group(
            self._isp_dashboard_revenue_domain(scope),
            ["company_id", "date:month", "product_id"],
            ["balance:sum"],
        )
        types = dict(self.env["product.template"]._fields["isp_article_type"]._description_selection(self.env))
        types[NO_ARTICLE_TYPE] = self.env._("Other articles")
        values = {key: [0.0] * len(months) for key in types}
        for company, month, product, balance in rows:
            article_type = product.isp_article_type or NO_ARTICLE_TYPE
            # income is a credit: a negative balance
            values[article_type][index[month]] -= self._isp_dashboard_convert(scope, company.currency_id, balance)
        domain = self._isp_dashboard_revenue_domain(scope)
        labels = [self._isp_dashboard_month_label(month) for month in months]
        datasets = [
            {
                "key": key,
                "label": label,
                "data": [self._isp_dashboard_round(scope, amount) for amount in values[key]],
                "actions": [
                    self._isp_dashboard_action(
                        self.env._("Revenue: %(type)s, %(month)s", type=label, month=labels[position]),
                        "account.move.line",
                        [
                            *domain,
                            *self._isp_dashboard_article_type_domain(key),
                            ("date", ">=", month),
                            ("date", "<", dashboard.next_month(month)),
                        ],
                    )
                    for position, month in enumerate(months)
                ],
            }
            for key, label in types.items()
            if any(values[key])
        ]
        return {
            "key": "revenue",
            "sequence": 40,
            "figures": [],
            "charts": [
                {
                    "key": "revenue",
                    "title": self.env._("Revenue by Article Type"),
                    "help": self.env._(
                        "Untaxed amounts of posted customer invoices less credit notes, by accounting month."
                    ),
                    "type": "bar",
                    "stacked": True,
                    "monetary": True,
                    "labels": labels,
                    "datasets": datasets,
                }
            ],
        }

    # ------------------------------------------------------------------
    # New and cancelled services (churn)
    # ------------------------------------------------------------------

    @api.model
    def _isp_dashboard_churn_domain(self, scope, field):
        months = scope["months"]
        return [
            *self._isp_dashboard_company_domain(scope),
            ("product_id.isp_recurring", "=", True),
            ("state", "!=", "pending"),
            (field, ">=", months[0]),
            (field, "<", dashboard.next_month(months[-1])),
        ]

    @api.model
    def _isp_dashboard_churn(self, scope):
        """Recurring services started and ended per month."""
        months = scope["months"]
        index = {month: position for position, month in enumerate(months)}
        labels = [self._isp_dashboard_month_label(month) for month in months]
        datasets = []
        for key, field, label in (
            ("new", "date_start", self.env._("New services")),
            ("cancelled", "date_end", self.env._("Cancelled services")),
        ):
            domain = self._isp_dashboard_churn_domain(scope, field)
            counts = [0] * len(months)
            for month, count in self.env["isp.service"]._read_group(domain, [f"{field}:month"], ["__count"]):
                counts[index[month]] = count
            datasets.append(
                {
                    "key": key,
                    "label": label,
                    "data": counts,
                    "actions": [
                        self._isp_dashboard_action(
                            self.env._("%(what)s: %(month)s", what=label, month=labels[position]),
                            "isp.service",
                            [*domain, (field, ">=", month), (field, "<", dashboard.next_month(month))],
                        )
                        for position, month in enumerate(months)
                    ],
                }
            )
        return {
            "key": "churn",
            "sequence": 50,
            "figures": [],
            "charts": [
                {
                    "key": "churn",
                    "title": self.env._("New and Cancelled Services"),
                    "help": self.env._(
                        "Recurring services by the month of their start date and of their end date "
                        "(services still pending are not counted)."
                    ),
                    "type": "bar",
                    "stacked": False,
                    "monetary": False,
                    "labels": labels,
                    "datasets": datasets,
                }
            ],
        }
