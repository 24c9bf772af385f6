import logging
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..engine import periods
from .isp_invoice_builder import InvoiceBuilder

_logger = logging.getLogger(__name__)

BILLABLE_STATES = ("active", "suspended", "terminated")
#: customers billed per batch (one transaction per batch in the scheduled run)
BATCH_SIZE = 100


class IspBillingRun(models.Model):
    _name = "isp.billing.run"
    _inherit = ["isp.run.mixin"]
    _description = "ISP Invoice Run"
    _order = "date desc, id desc"
    _check_company_auto = True
    _isp_cron_xmlid = "isp_sales.ir_cron_isp_billing_run"
    _isp_counter_fields = (
        "customer_count",
        "invoice_count",
        "line_count",
        "skipped_count",
        "amount_untaxed",
        "amount_total",
    )

    name = fields.Char(compute="_compute_name", store=True)
    date = fields.Date(
        string="Run Date",
        required=True,
        default=fields.Date.context_today,
        help="Services whose next period to bill starts on or before this date (plus the days in advance) are billed.",
    )
    days_in_advance = fields.Integer(
        default=lambda self: self.env.company.isp_billing_days_in_advance,
        help="Also bill periods that start up to this many days after the run date.",
    )
    bill_suspended = fields.Boolean(
        string="Bill Suspended Services",
        default=lambda self: self.env.company.isp_bill_suspended,
        help="Suspended services are billed as usual; otherwise their periods are passed over.",
    )
    customer_count = fields.Integer(string="Customers", readonly=True, copy=False)
    invoice_count = fields.Integer(string="Invoices Created", readonly=True, copy=False)
    line_count = fields.Integer(string="Invoice Lines", readonly=True, copy=False)
    skipped_count = fields.Integer(
        string="Periods Passed Over", readonly=True, copy=False, help="Periods of suspended services not billed."
    )
    amount_untaxed = fields.Monetary(string="Untaxed Amount", readonly=True, copy=False)
    amount_total = fields.Monetary(string="Total", readonly=True, copy=False)
    invoice_ids = fields.One2many("account.move", "isp_billing_run_id", string="Invoices", readonly=True)
    error_ids = fields.One2many("isp.billing.run.error", "run_id", string="Errors", readonly=True)
    preview_line_ids = fields.One2many("isp.billing.run.line", "run_id", string="Preview", readonly=True)
    preview_invoice_count = fields.Integer(string="Invoices to Create", readonly=True, copy=False)
    preview_amount_untaxed = fields.Monetary(string="Untaxed Amount to Invoice", readonly=True, copy=False)

    @api.depends("date")
    def _compute_name(self):
        for run in self:
            run.name = self.env._("Invoice Run %(date)s", date=run.date) if run.date else False

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_invoices(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("isp_billing_run_id", "in", self.ids)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    # ------------------------------------------------------------------
    # Scheduled run
    # ------------------------------------------------------------------

    @api.model
    def _cron_isp_billing_run(self):
        """Daily run: one chunk of customers per call; resumes today's unfinished run after a crash."""
        self._isp_cron_step()

    @api.model
    def _isp_cron_companies(self):
        companies = self.env["res.company"]
        for (company,) in self.env["isp.service"].sudo()._read_group(
            [("state", "in", BILLABLE_STATES)], ["company_id"]
        ) + self.env["sale.order"].sudo()._read_group(
            [("isp_decision", "=", "accumulated"), ("invoice_status", "=", "to invoice")], ["company_id"]
        ):
            companies |= company
        return companies

    # ------------------------------------------------------------------
    # Run steps
    # ------------------------------------------------------------------

    def _isp_start(self, chunk_size=None):
        """Resellers' periods that have ended are closed first; then the due customers are chunked."""
        self.ensure_one()
        self._isp_close_reseller_periods()
        return super()._isp_start(chunk_size=chunk_size)

    def _isp_finish(self):
        result = super()._isp_finish()
        if self.invoice_count:
            # deliver after this transaction is committed
            self.env.ref("isp_sales.ir_cron_isp_deliver_invoices")._trigger()
        return result

    def _isp_chunk_cache_models(self):
        return (*super()._isp_chunk_cache_models(), "isp.service")

    def _isp_progress_summary(self, done, total):
        totals = self.env["isp.run.chunk"]._isp_sum(self._isp_chunks())
        return self.env._(
            "%(done)s of %(total)s parts done, %(invoices)s invoices so far",
            done=done,
            total=total,
            invoices=totals.get("invoice_count", 0),
        )

    def _isp_due_partners(self):
        """Customers with a service period due on the run date (plus days in advance)."""
        self.ensure_one()
        due_date = self.date + timedelta(days=self.days_in_advance)
        self.env["isp.service"].flush_model()
        self.env["product.template"].flush_model(["isp_recurring"])
        self.env.cr.execute(
            SQL(
                """
                SELECT service.partner_id
                  FROM isp_service service
                  JOIN product_product product ON product.id = service.product_id
                  JOIN product_template template ON template.id = product.product_tmpl_id
                 WHERE service.company_id = %(company)s
                   AND service.active
                   AND template.isp_recurring
                   AND service.state IN %(states)s
                   AND service.next_invoice_date <= %(due)s
                   AND (service.date_end IS NULL OR service.next_invoice_date <= service.date_end)
              GROUP BY service.partner_id
              ORDER BY service.partner_id
                """,
                company=self.company_id.id,
                states=BILLABLE_STATES,
                due=due_date,
            )
        )
        return self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall()])

    # ------------------------------------------------------------------
    # Planning: from services to invoice plans (shared by preview and confirm)
    # ------------------------------------------------------------------

    def _isp_plan(self, partners):
        """Plan the invoices of ``partners``.

        :return: (plans, errors): ``InvoicePlan`` objects (one per invoice; a plan whose periods
            were all passed over has no values), and {customer: message} of those that cannot be
            planned
        """
        self.ensure_one()
        company = self.company_id
        services = (
            self.env["isp.service"]
            .with_company(company)
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("state", "in", BILLABLE_STATES),
                    ("next_invoice_date", "!=", False),
                    ("product_id.isp_recurring", "=", True),
                ],
                order="partner_id, id",
            )
        )
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale")], limit=1
        )
        errors = {}
        if not journal:
            message = self.env._("No sales journal in company %(company)s.", company=company.name)
            return [], dict.fromkeys(partners, message)
        builder = InvoiceBuilder(self, journal, services.partner_id)
        plans = []
        by_partner = services.grouped("partner_id")
        # a customer that cannot be planned (missing data, a bug) is recorded; the others are billed
        self.env["ir.cron"]._isp_process_isolated(
            services.partner_id,
            lambda partner: plans.extend(builder.plan_partner(partner, by_partner[partner])),
            on_error=errors.__setitem__,
        )
        return plans, errors

    def _isp_prepare_invoice_line_vals(self, plan, service, segment, price):
        """The values of the invoice line that bills ``segment`` (a part of a period, see
        ``engine.billing.Segment``) of ``service`` on the invoice of ``plan``.

        :param price: the ``LinePrice`` the run worked out (label, prorated unit price, full
            price and its source, discount, income account, taxes)
        :return: values for ``account.move.line``
        """
        return {
            "display_type": "product",
            "product_id": service.product_id.id,
            "product_uom_id": service.product_id.uom_id.id,
            "name": price.name,
            "quantity": service.quantity,
            "price_unit": price.price_unit,
            "discount": price.discount,
            "account_id": price.account.id,
            "tax_ids": [Command.set(price.taxes.ids)],
            "isp_service_id": service.id,
            "isp_period_start": segment.start,
            "isp_period_end": segment.end,
            "isp_proration": segment.factor,
            "isp_full_price": price.full_price,
            "isp_price_source": price.price_source,
        }

    def _isp_prepare_invoice_vals(self, plan):
        """The values of the invoice of ``plan``, with its lines (``plan.lines``).

        :return: values for ``account.move``
        """
        partner = plan.partner
        delivery = partner.isp_invoice_delivery
        return {
            "move_type": "out_invoice",
            "partner_id": plan.invoice_partner.id,
            "journal_id": plan.batch.journal.id,
            "company_id": self.company_id.id,
            "currency_id": plan.currency.id,
            "invoice_date": plan.invoice_date,
            "fiscal_position_id": plan.fiscal_position.id,
            "invoice_origin": self.name,
            **({"invoice_user_id": partner.user_id.id} if partner.user_id else {}),
            "isp_billing_run_id": self.id,
            "isp_email_state": "queued" if delivery in ("email", "email_post") else False,
            "isp_print_state": "to_print" if delivery in ("post", "email_post") else False,
            "isp_notice_state": "queued" if plan.invoice_date > self.date else False,
            "invoice_line_ids": plan.lines,
        }

    def _isp_store_preview(self, plans):
        rows = [dict(row, run_id=self.id) for plan in plans for row in plan.preview]
        self.env["isp.billing.run.line"].create(rows)

    def _isp_preview_values(self, plans):
        invoices = [plan for plan in plans if plan.vals]
        return {
            "preview_invoice_count": len(invoices),
            "preview_amount_untaxed": sum(plan.amount_company for plan in invoices),
        }

    def _isp_plan_partner(self, plan):
        return plan.partner

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _isp_execute_plans(self, plans):
        """Create, post and settle the planned invoices; move the services on.

        :return: the counters of the run
        """
        with_vals = [plan for plan in plans if plan.vals]
        moves = self.env["account.move"]
        if with_vals:
            # created and posted in bulk, their customers following them (see _isp_create_invoices)
            moves = (
                self.env["account.move"]
                .with_company(self.company_id)
                ._isp_create_invoices([plan.vals for plan in with_vals])
            )
            for plan, move in zip(with_vals, moves, strict=True):
                plan.move = move
        # a service on two invoices of the run (two cycles of its customer) moves past the later one
        latest = {}
        for plan in plans:
            for service_id, day in plan.next_dates.items():
                latest[service_id] = max(day, latest.get(service_id, day))
        next_dates = defaultdict(list)
        for service_id, day in latest.items():
            next_dates[day].append(service_id)
        services = self.env["isp.service"].sudo()
        for day, service_ids in next_dates.items():
            services.browse(service_ids).write({"next_invoice_date": day})
        if moves:
            moves._isp_apply_outstanding_credit()
        self._isp_invoices_created(with_vals)
        return {
            "customer_count": len({plan.partner for plan in plans}),
            "invoice_count": len(moves),
            "line_count": sum(plan.line_count for plan in plans),
            "skipped_count": sum(plan.skipped_count for plan in plans),
            "amount_untaxed": sum(moves.mapped("amount_untaxed_signed")),
            "amount_total": sum(moves.mapped("amount_total_signed")),
        }

    def _isp_invoices_created(self, plans):
        """Hook: the invoices of ``plans`` exist and are posted (each plan's ``move``)."""
        return True

    def _isp_subscribe_customers(self, moves):
        """Make each invoice's customer a follower in one insert (posting does it invoice by invoice)."""
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes("account.move")
        self.env["mail.followers"].sudo().create(
            [
                {
                    "res_model": "account.move",
                    "res_id": move.id,
                    "partner_id": move.partner_id.id,
                    "subtype_ids": [Command.set((external if move.partner_id.partner_share else default).ids)],
                }
                for move in moves
            ]
        )
        moves.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    def _isp_close_reseller_periods(self):
        """Invoice the accumulated orders of resellers whose billing period has ended."""
        orders = self.env["sale.order"].search(
            [
                ("isp_decision", "=", "accumulated"),
                ("invoice_status", "=", "to invoice"),
                ("company_id", "=", self.company_id.id),
            ]
        )
        period_starts = {}
        for reseller, reseller_orders in orders.grouped(lambda order: order.partner_id.commercial_partner_id).items():
            period_start = periods.reseller_period_start(self.date, reseller.isp_reseller_period or "monthly")
            if any(order.date_order.date() < period_start for order in reseller_orders):
                period_starts[reseller] = period_start

        counters = {"invoice_count": 0, "amount_untaxed": 0.0, "amount_total": 0.0}

        def close(reseller):
            invoices = reseller.with_company(self.company_id)._isp_invoice_reseller_orders(
                before=period_starts[reseller]
            )
            invoices.write({"isp_billing_run_id": self.id})
            counters["invoice_count"] += len(invoices)
            counters["amount_untaxed"] += sum(invoices.mapped("amount_untaxed_signed"))
            counters["amount_total"] += sum(invoices.mapped("amount_total_signed"))

        # a reseller whose period cannot be closed is recorded; the others are invoiced
        errors = {}
        self.env["ir.cron"]._isp_process_isolated(
            self.env["res.partner"].browse([reseller.id for reseller in period_starts]),
            close,
            on_error=errors.__setitem__,
        )
        self._isp_record_errors(errors)
        if counters["invoice_count"]:
            self._isp_record_done_work(counters)
