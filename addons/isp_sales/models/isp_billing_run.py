import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..engine import periods
from .account_move import QUIET
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
    resellers_done = fields.Boolean(string="Reseller Periods Closed", readonly=True, copy=False)

    @api.depends("date")
    def _compute_name(self):
        for run in self:
            run.name = self.env._("Invoice Run %(date)s", date=run.date) if run.date else False

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_preview(self):
        """Show what a confirm would create; create nothing but the preview lines."""
        self._isp_check_open()
        for run in self:
            partners = run._isp_due_partners()
            plans, errors = run._isp_plan(partners)
            run._isp_store_preview(plans)
            run._isp_record_errors(errors)
            invoices = [plan for plan in plans if plan["vals"]]
            run.write(
                {
                    "state": "preview",
                    "preview_invoice_count": len(invoices),
                    "preview_amount_untaxed": sum(plan["amount_company"] for plan in invoices),
                }
            )
        return True

    def action_confirm(self):
        """Bill every due customer now (in this transaction)."""
        self._isp_check_open()
        for run in self:
            run._isp_start()
            remaining = None
            while left := run._isp_run_batch():
                if left == remaining:
                    # the others are being billed by another run at this moment
                    run._isp_record_errors(
                        {
                            self.env["res.partner"]: self.env._(
                                "%(count)s customers were being billed by another run at the same time.",
                                count=left,
                            )
                        }
                    )
                    break
                remaining = left
            run._isp_finish()
        return True

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
        """Daily run: one batch per call; resumes today's unfinished run after a crash."""
        remaining = 0
        companies = self.env["res.company"]
        for (company,) in self.env["isp.service"].sudo()._read_group(
            [("state", "in", BILLABLE_STATES)], ["company_id"]
        ) + self.env["sale.order"].sudo()._read_group(
            [("isp_decision", "=", "accumulated"), ("invoice_status", "=", "to invoice")], ["company_id"]
        ):
            companies |= company
        for company in companies:
            # the scheduled run bills every company, whoever the cron user is
            runs = self.sudo().with_company(company)
            run = runs.search([("company_id", "=", company.id), ("state", "=", "running")], limit=1)
            if not run:
                run = runs.create({"company_id": company.id, "trigger": "cron"})
                run._isp_start()
            left = run._isp_run_batch()
            if left:
                remaining += left
            else:
                run._isp_finish()
        self.env["ir.cron"]._notify_progress(done=1, remaining=remaining)

    # ------------------------------------------------------------------
    # Run steps
    # ------------------------------------------------------------------

    def _isp_finish(self):
        result = super()._isp_finish()
        if self.invoice_count:
            # deliver after this transaction is committed
            self.env.ref("isp_sales.ir_cron_isp_deliver_invoices")._trigger()
        return result

    def _isp_run_batch(self, limit=BATCH_SIZE):
        """Bill the next ``limit`` due customers. Returns how many due customers remain (0: done)."""
        self.ensure_one()
        if not self.resellers_done:
            self._isp_close_reseller_periods()
            self.resellers_done = True
        partners = self._isp_due_partners()
        if not partners:
            return 0
        try:
            with self.env.cr.savepoint():
                locked = self._isp_lock_partners(partners, limit)
        except pg_errors.SerializationFailure:
            # another run billed some of these customers after this transaction began
            _logger.info("Invoice run %s: customers billed by a concurrent run, retrying", self.id)
            return len(partners)
        if not locked:
            # all of them are being billed by another run right now
            return len(partners)
        plans, errors = self._isp_plan(locked)
        errors.update(self._isp_execute(plans))
        self._isp_record_errors(errors)
        self.env.flush_all()
        # bounded memory: forget the batch's documents, keep articles, taxes and accounts
        for model in ("account.move", "account.move.line", "account.partial.reconcile", "isp.service", "res.partner"):
            self.env[model].invalidate_model()
        return len(partners) - len(locked)

    def _isp_due_partners(self):
        """Customers with a service period due on the run date (plus days in advance), minus failed ones."""
        self.ensure_one()
        due_date = self.date + timedelta(days=self.days_in_advance)
        failed = tuple(self.error_ids.partner_id.ids) or (0,)
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
                   AND service.partner_id NOT IN %(failed)s
              GROUP BY service.partner_id
              ORDER BY service.partner_id
                """,
                company=self.company_id.id,
                states=BILLABLE_STATES,
                due=due_date,
                failed=failed,
            )
        )
        return self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall()])

    def _isp_lock_partners(self, partners, limit):
        """Lock up to ``limit`` customers for this transaction; skip those another run is billing now.

        Writing the rows (not only locking them) makes a concurrent run that started earlier
        fail on them instead of billing from its older snapshot.
        """
        self.env.cr.execute(
            SQL(
                "SELECT id FROM res_partner WHERE id IN %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                tuple(partners.ids),
                limit,
            ),
            # a serialization failure is expected here and handled by the caller
            log_exceptions=False,
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if ids:
            self.env.cr.execute(
                SQL("UPDATE res_partner SET write_date = write_date WHERE id IN %s", tuple(ids)), log_exceptions=False
            )
        return partners.browse(ids)

    # ------------------------------------------------------------------
    # Planning: from services to invoice values (shared by preview and confirm)
    # ------------------------------------------------------------------

    def _isp_plan(self, partners):
        """Plan the invoices of ``partners``.

        :return: (plans, errors): plans are dicts with the partner, the invoice values
            (None when every period was passed over), the services' next dates, the
            preview rows and the amount in company currency; errors map partners to messages
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
        builder = InvoiceBuilder(self, journal)
        plans = []
        by_partner = services.grouped("partner_id")
        # a customer that cannot be planned (missing data, a bug) is recorded; the others are billed
        self.env["ir.cron"]._isp_process_isolated(
            services.partner_id,
            lambda partner: plans.extend(builder.plan_partner(partner, by_partner[partner])),
            on_error=errors.__setitem__,
        )
        return plans, errors

    def _isp_store_preview(self, plans):
        rows = [dict(row, run_id=self.id) for plan in plans for row in plan["preview"]]
        self.env["isp.billing.run.line"].create(rows)

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _isp_execute(self, plans):
        """Create, post and settle the planned invoices; move the services on.

        All customers of the batch at once; when that fails, customer by customer so that
        one broken customer is recorded and the others are billed. Returns the errors.
        """
        try:
            with self.env.cr.savepoint():
                self._isp_execute_plans(plans)
            return {}
        except pg_errors.SerializationFailure:
            raise
        except Exception:
            _logger.info("Invoice run %s: batch failed, billing customer by customer", self.id, exc_info=True)
        errors = {}
        by_partner = defaultdict(list)
        for plan in plans:
            by_partner[plan["partner"]].append(plan)
        for partner, partner_plans in by_partner.items():
            try:
                with self.env.cr.savepoint():
                    self._isp_execute_plans(partner_plans)
            except pg_errors.SerializationFailure:
                raise
            except Exception as error:
                _logger.warning(
                    "Invoice run %s: customer %s not billed: %s", self.id, partner.display_name, error, exc_info=True
                )
                errors[partner] = str(error) or error.__class__.__name__
        return errors

    def _isp_execute_plans(self, plans):
        moves = self.env["account.move"]
        vals_list = [plan["vals"] for plan in plans if plan["vals"]]
        if vals_list:
            moves = (
                self.env["account.move"]
                .with_company(self.company_id)
                # new draft lines have no analytic lines to synchronise yet; posting checks the balance
                .with_context(
                    **QUIET, default_move_type="out_invoice", skip_analytic_sync=True, check_move_validity=False
                )
                .create(vals_list)
            )
            self._isp_subscribe_customers(moves)
            moves.with_context(skip_analytic_sync=False, check_move_validity=True, isp_run_posting=True)._post(
                soft=False
            )
        # a service on two invoices of the run (two cycles of its customer) moves past the later one
        latest = {}
        for plan in plans:
            for service_id, day in plan["next_dates"].items():
                latest[service_id] = max(day, latest.get(service_id, day))
        next_dates = defaultdict(list)
        for service_id, day in latest.items():
            next_dates[day].append(service_id)
        services = self.env["isp.service"].sudo()
        for day, service_ids in next_dates.items():
            services.browse(service_ids).write({"next_invoice_date": day})
        if moves:
            moves._isp_apply_outstanding_credit()
        self.write(
            {
                "customer_count": self.customer_count + len({plan["partner"] for plan in plans}),
                "invoice_count": self.invoice_count + len(moves),
                "line_count": self.line_count + sum(plan["line_count"] for plan in plans),
                "skipped_count": self.skipped_count + sum(plan["skipped_count"] for plan in plans),
                "amount_untaxed": self.amount_untaxed + sum(moves.mapped("amount_untaxed_signed")),
                "amount_total": self.amount_total + sum(moves.mapped("amount_total_signed")),
            }
        )
        return moves

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

        def close(reseller):
            invoices = reseller.with_company(self.company_id)._isp_invoice_reseller_orders(
                before=period_starts[reseller]
            )
            invoices.write({"isp_billing_run_id": self.id})
            self.write(
                {
                    "invoice_count": self.invoice_count + len(invoices),
                    "amount_untaxed": self.amount_untaxed + sum(invoices.mapped("amount_untaxed_signed")),
                    "amount_total": self.amount_total + sum(invoices.mapped("amount_total_signed")),
                }
            )

        # a reseller whose period cannot be closed is recorded; the others are invoiced
        errors = {}
        self.env["ir.cron"]._isp_process_isolated(
            self.env["res.partner"].browse([reseller.id for reseller in period_starts]),
            close,
            on_error=errors.__setitem__,
        )
        self._isp_record_errors(errors)
