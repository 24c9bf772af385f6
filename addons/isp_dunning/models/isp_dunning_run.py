import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL, format_date

from odoo.addons.isp_sales.models.account_move import QUIET

from ..engine import dunning, interest

_logger = logging.getLogger(__name__)

#: a manual run with more due customers than this goes on in the background (scheduled action)
SYNC_LIMIT = 500
BUSINESS_KINDS = ("company", "sole_proprietor")


class IspDunningRun(models.Model):
    _name = "isp.dunning.run"
    _description = "Dunning Run"
    _inherit = ["isp.run.mixin", "mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _isp_sync_limit = SYNC_LIMIT
    _isp_cron_xmlid = "isp_dunning.ir_cron_isp_dunning_run"
    _isp_counter_fields = (
        "letter_count",
        "step_count",
        "fee_total",
        "interest_total",
        "charge_invoice_count",
        "suspended_count",
        "terminated_count",
    )

    name = fields.Char(compute="_compute_name", store=True)
    date = fields.Date(string="Run Date", required=True, default=fields.Date.context_today, readonly=True)
    letter_count = fields.Integer(string="Number of Letters", readonly=True, copy=False)
    step_count = fields.Integer(string="Number of Steps", readonly=True, copy=False)
    fee_total = fields.Monetary(string="Fees", readonly=True, copy=False)
    interest_total = fields.Monetary(string="Interest", readonly=True, copy=False)
    charge_invoice_count = fields.Integer(string="Charge Invoices", readonly=True, copy=False)
    suspended_count = fields.Integer(string="Services Suspended", readonly=True, copy=False)
    terminated_count = fields.Integer(string="Services Terminated", readonly=True, copy=False)
    reactivated_count = fields.Integer(string="Services Reactivated", readonly=True, copy=False)
    letter_ids = fields.One2many("isp.dunning.letter", "run_id", string="Letters", readonly=True)
    step_ids = fields.One2many("isp.dunning.step", "run_id", string="Steps", readonly=True)
    error_ids = fields.One2many("isp.dunning.run.error", "run_id", string="Errors", readonly=True)
    preview_line_ids = fields.One2many("isp.dunning.run.line", "run_id", string="Preview", readonly=True)
    preview_letter_count = fields.Integer(string="Letters to Send", readonly=True, copy=False)
    preview_charge_total = fields.Monetary(string="Fees and Interest to Charge", readonly=True, copy=False)

    @api.depends("date")
    def _compute_name(self):
        for run in self:
            run.name = self.env._("Dunning Run %(date)s", date=run.date) if run.date else False

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_letters(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_dunning.isp_dunning_letter_action")
        action["domain"] = [("run_id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------
    # Scheduled run
    # ------------------------------------------------------------------

    @api.model
    def _cron_isp_dunning_run(self):
        """Daily run per company: one chunk of customers per call; resumes today's unfinished run after a crash."""
        self._isp_cron_step()

    @api.model
    def _isp_cron_companies(self):
        today = fields.Date.context_today(self)
        moves = self.env["account.move"].sudo()
        return self.env["res.company"].browse(
            {
                company.id
                for (company,) in moves._read_group(
                    [
                        ("move_type", "=", "out_invoice"),
                        ("state", "=", "posted"),
                        ("payment_state", "in", ("not_paid", "partial")),
                        ("invoice_date_due", "<", today),
                    ],
                    ["company_id"],
                )
            }
            | {
                company.id
                for (company,) in self.env["isp.service"]
                .sudo()
                ._read_group([("isp_dunning_suspended", "=", True)], ["company_id"])
            }
        )

    def _isp_cron_new_run(self, company):
        """Today's scheduled run, unless it is done: a second one would change nothing."""
        today = fields.Date.context_today(self)
        if self.search_count(
            [("company_id", "=", company.id), ("trigger", "=", "cron"), ("date", "=", today), ("state", "=", "done")]
        ):
            return self.browse()
        return self.create({"company_id": company.id, "trigger": "cron", "date": today})

    # ------------------------------------------------------------------
    # Run steps
    # ------------------------------------------------------------------

    def _isp_start(self, chunk_size=None):
        result = super()._isp_start(chunk_size=chunk_size)
        # payments received since the last run may end suspensions
        partners = (
            self.env["isp.service"]
            .sudo()
            .search([("isp_dunning_suspended", "=", True), ("company_id", "=", self.company_id.id)])
            .partner_id
        )
        self.reactivated_count += partners._isp_dunning_reactivate()
        return result

    def _isp_finish(self):
        result = super()._isp_finish()
        self._isp_notify_sales()
        if self.letter_ids.filtered(lambda letter: letter.email_state == "queued"):
            self.env.ref("isp_dunning.ir_cron_isp_send_dunning_letters")._trigger()
        return result

    def _isp_chunk_cache_models(self):
        return (*super()._isp_chunk_cache_models(), "isp.dunning.step", "isp.dunning.letter")

    def _isp_progress_summary(self, done, total):
        totals = self.env["isp.run.chunk"]._isp_sum(self._isp_chunks())
        return self.env._(
            "%(done)s of %(total)s parts done, %(letters)s letters so far",
            done=done,
            total=total,
            letters=totals.get("letter_count", 0),
        )

    def _isp_due_partners(self):
        """Customers with overdue open items, in id order."""
        self.ensure_one()
        groups = self.env["account.move"].sudo()._read_group(self._isp_overdue_domain(), ["commercial_partner_id"])
        return self.env["res.partner"].browse(sorted(partner.id for (partner,) in groups))

    def _isp_overdue_domain(self, charges=False):
        """The open items this run duns on its date: the items of ``account.move._isp_dunning_domain``,
        or with ``charges`` the overdue dunning charges that its letters list.

        Overridable to keep items out that are past their due date but not overdue for dunning yet
        (the payment addon: invoices whose direct debit is announced for a later date).
        """
        self.ensure_one()
        domain = self.env["account.move"]._isp_dunning_domain(self.company_id, self.date)
        if charges:
            domain = [
                (field, "=", True) if field == "isp_dunning_charge" else (field, operator, value)
                for field, operator, value in domain
            ]
        return domain

    # ------------------------------------------------------------------
    # Planning (shared by preview and confirm)
    # ------------------------------------------------------------------

    def _isp_plan(self, partners):
        """Plan the steps of ``partners``' overdue items.

        :return: (plans, errors): one plan per customer with at least one item reaching a
            level; errors map customers to messages
        """
        self.ensure_one()
        if not partners:
            return [], {}
        company = self.company_id
        day = self.date
        moves = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .search(
                [*self._isp_overdue_domain(), ("commercial_partner_id", "in", partners.ids)],
                order="commercial_partner_id, invoice_date_due, id",
            )
        )
        # overdue dunning charges are listed in the letter; they reach no level and bear no interest
        open_charges = (
            self.env["account.move"]
            .sudo()
            .search(
                [*self._isp_overdue_domain(charges=True), ("commercial_partner_id", "in", partners.ids)],
                order="invoice_date_due, id",
            )
            .grouped("commercial_partner_id")
        )
        default_profile = company.isp_dunning_profile_id
        levels_of = {}
        flat_fee_moves = set(
            self.env["isp.dunning.step"]
            .sudo()
            .search([("move_id", "in", moves.ids), ("flat_fee_amount", ">", 0)])
            .move_id.ids
        )
        base_rates = self.env["isp.dunning.base.rate"].sudo()._isp_rates()
        errors = {}
        planned = []
        for partner, items in moves.grouped("commercial_partner_id").items():
            profile = partner.isp_dunning_profile_id or default_profile
            if not profile:
                errors[partner] = self.env._("No dunning profile for %(partner)s or its company.", partner=partner.name)
                continue
            if profile not in levels_of:
                levels_of[profile] = {
                    level.id: (
                        level,
                        dunning.Level(
                            level.id, level.days_overdue, level.min_days_since_previous, Decimal(str(level.min_amount))
                        ),
                    )
                    for level in profile._isp_levels()
                }
            levels = levels_of[profile]
            overdue = Decimal(str(sum(items.mapped("amount_residual_signed"))))
            steps = []
            for move in items:
                found = dunning.next_level(
                    [engine_level for _level, engine_level in levels.values()],
                    move.isp_dunning_level_id.id or None,
                    (day - move.invoice_date_due).days,
                    move.isp_dunning_date or None,
                    overdue,
                    day,
                )
                if found:
                    steps.append({"move": move, "level": levels[found.key][0]})
            if steps:
                planned.append(
                    {
                        "partner": partner,
                        "profile": profile,
                        "items": items | open_charges.get(partner, items.browse()),
                        "steps": steps,
                        "overdue": overdue,
                    }
                )
        errors.update(self._isp_price_steps(planned, base_rates, flat_fee_moves))
        return [plan for plan in planned if plan["partner"] not in errors], errors

    def _isp_price_steps(self, plans, base_rates, flat_fee_moves):
        """Fees, flat fees and interest of the planned steps; totals per plan. The rules are the
        engine's (``dunning.price_steps``, ``interest.rates_for``, ``interest.interest_periods``);
        this gathers their data.

        :return: errors per customer whose charges cannot be computed (no base rate)
        """
        day = self.date
        errors = {}
        interest_moves = self.env["account.move"].browse(
            [
                step["move"].id
                for plan in plans
                if plan["profile"].interest_basis != "none"
                for step in plan["steps"]
                if step["level"].apply_interest
            ]
        )
        payments = self._isp_payments(interest_moves)
        charges = self._isp_charges_included(interest_moves)
        for plan in plans:
            profile = plan["profile"]
            partner = plan["partner"]
            business = partner.isp_customer_kind in BUSINESS_KINDS
            rates, points = interest.rates_for(
                profile.interest_basis, business, base_rates, Decimal(str(profile.interest_rate))
            )
            top, priced = dunning.price_steps(
                [
                    dunning.PlannedStep(
                        key=index,
                        rank=(step["level"].sequence, step["level"].days_overdue),
                        fee=Decimal(str(step["level"].fee_amount)),
                        interest=step["level"].apply_interest and profile.interest_basis != "none",
                        due_date=step["move"].invoice_date_due,
                        interest_until=step["move"].isp_interest_until or None,
                        flat_fee_charged=step["move"].id in flat_fee_moves,
                    )
                    for index, step in enumerate(plan["steps"])
                ],
                business,
                profile.flat_fee and profile.flat_fee_amount,
            )
            for index, step in enumerate(plan["steps"]):
                move, charge = step["move"], priced[index]
                step.update(
                    days_overdue=(day - move.invoice_date_due).days,
                    open_amount=move.amount_residual_signed,
                    fee_amount=float(charge.fee),
                    flat_fee_amount=float(charge.flat_fee),
                    interest_amount=0.0,
                    periods=[],
                )
                if charge.interest_start is None:
                    continue
                # fees and interest billed on this invoice carry no interest
                principal = Decimal(str(move.amount_total_signed)) - charges.get(move.id, Decimal("0"))
                changes = dunning.principal_changes(principal, move.invoice_date_due, payments.get(move.id, []))
                try:
                    periods = interest.interest_periods(changes, charge.interest_start, day, rates, points)
                except interest.MissingRate as error:
                    errors[partner] = self.env._(
                        "No base rate for the default interest of %(invoice)s: %(error)s.",
                        invoice=move.name,
                        error=str(error),
                    )
                    continue
                step["periods"] = periods
                step["interest_amount"] = float(interest.total(periods))
            plan["top"] = plan["steps"][top]
            plan["fee_total"] = sum(step["fee_amount"] + step["flat_fee_amount"] for step in plan["steps"])
            plan["interest_total"] = sum(step["interest_amount"] for step in plan["steps"])
            plan["charge_total"] = plan["fee_total"] + plan["interest_total"]
        return errors

    def _isp_payments(self, moves):
        """Payments and credit notes that reduced each item: {move id: [(date, amount in company currency)]}."""
        if not moves:
            return {}
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move.line"].flush_model(["move_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT line.move_id, partial.max_date, SUM(partial.amount)
                  FROM account_partial_reconcile partial
                  JOIN account_move_line line ON line.id = partial.debit_move_id
                 WHERE line.move_id IN %s
              GROUP BY line.move_id, partial.max_date
                """,
                tuple(moves.ids),
            )
        )
        result = defaultdict(list)
        for move_id, day, amount in self.env.cr.fetchall():
            result[move_id].append((day, Decimal(str(amount))))
        return result

    def _isp_charges_included(self, moves):
        """Dunning charges billed on each item itself (the next-invoice mode): {move id: amount}."""
        if not moves:
            return {}
        self.env["account.move.line"].flush_model(["move_id", "isp_dunning_step_id", "balance"])
        self.env.cr.execute(
            SQL(
                """
                SELECT move_id, -SUM(balance)
                  FROM account_move_line
                 WHERE move_id IN %s AND isp_dunning_step_id IS NOT NULL
              GROUP BY move_id
                """,
                tuple(moves.ids),
            )
        )
        return {move_id: Decimal(str(amount)) for move_id, amount in self.env.cr.fetchall()}

    def _isp_store_preview(self, plans):
        rows = [dict(row, run_id=self.id) for plan in plans for row in self._isp_preview_rows(plan)]
        self.env["isp.dunning.run.line"].create(rows)

    def _isp_preview_values(self, plans):
        return {
            "preview_letter_count": len(plans),
            "preview_charge_total": sum(plan["charge_total"] for plan in plans),
        }

    def _isp_preview_rows(self, plan):
        stepped = {step["move"]: step for step in plan["steps"]}
        rows = []
        for move in plan["items"]:
            step = stepped.get(move)
            row = {
                "partner_id": plan["partner"].id,
                "move_id": move.id,
                "current_level_id": move.isp_dunning_level_id.id,
                "days_overdue": (self.date - move.invoice_date_due).days,
                "open_amount": move.amount_residual_signed,
            }
            if step:
                periods = step["periods"]
                row.update(
                    level_id=step["level"].id,
                    fee_amount=step["fee_amount"] + step["flat_fee_amount"],
                    interest_amount=step["interest_amount"],
                    interest_rate=_rates_label(periods),
                    interest_days=sum(period.days for period in periods),
                    action=step["level"].action,
                )
            rows.append(row)
        return rows

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _isp_execute_plans(self, plans):
        """Letters, steps, item levels, charges and service actions of ``plans``; returns the counters."""
        if not plans:
            return {}
        letters = (
            self.env["isp.dunning.letter"]
            .sudo()
            .with_context(**QUIET)
            .create([self._isp_letter_vals(plan) for plan in plans])
        )
        # charges wait for the next periodic invoice only where one will come
        billed = {
            partner.id
            for (partner,) in self.env["isp.service"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", [plan["partner"].id for plan in plans]),
                    ("company_id", "=", self.company_id.id),
                    ("state", "in", ("active", "suspended")),
                    ("product_id.isp_recurring", "=", True),
                ],
                ["partner_id"],
            )
        }
        step_vals = []
        for plan, letter in zip(plans, letters, strict=True):
            plan["letter"] = letter
            mode = plan["profile"].charge_mode
            if mode == "next_invoice" and plan["partner"].id not in billed:
                mode = "invoice"
            plan["charge_mode"] = mode
            step_vals.extend(self._isp_prepare_dunning_step_vals(plan, step, letter) for step in plan["steps"])
        steps = self.env["isp.dunning.step"].sudo().create(step_vals)
        self._isp_update_items(plans)
        charge_moves = self._isp_charge_invoices(plans, steps)
        suspended, terminated = self._isp_apply_actions(plans)
        return {
            "letter_count": len(letters),
            "step_count": len(steps),
            "fee_total": sum(plan["fee_total"] for plan in plans),
            "interest_total": sum(plan["interest_total"] for plan in plans),
            "charge_invoice_count": len(charge_moves),
            "suspended_count": suspended,
            "terminated_count": terminated,
        }

    def _isp_prepare_dunning_step_vals(self, plan, step, letter):
        """Prepare the values of the dunning step (``isp.dunning.step``) that one item of a
        customer reaches in this run. Override to add or change values; the step is created
        with those of all items of the run at once.

        :param dict plan: the customer's plan: ``partner``, ``profile``, ``items``, ``steps``,
            ``overdue``, the totals and the ``charge_mode`` of its fees and interest
            (``invoice``: a charge invoice per run, ``next_invoice``: with the next periodic invoice)
        :param dict step: one of ``plan["steps"]``: ``move``, ``level``, ``days_overdue``,
            ``open_amount``, ``fee_amount``, ``flat_fee_amount``, ``interest_amount`` and the
            interest ``periods`` (``interest.InterestPeriod``)
        :param letter: the customer's ``isp.dunning.letter`` of this run
        :return: dict of values for ``isp.dunning.step.create``
        """
        charged = step["fee_amount"] + step["flat_fee_amount"] + step["interest_amount"]
        periods = step["periods"]
        return {
            "move_id": step["move"].id,
            "partner_id": plan["partner"].id,
            "level_id": step["level"].id,
            "run_id": self.id,
            "letter_id": letter.id,
            "date": self.date,
            "days_overdue": step["days_overdue"],
            "open_amount": step["open_amount"],
            "action": step["level"].action,
            "fee_amount": step["fee_amount"],
            "flat_fee_amount": step["flat_fee_amount"],
            "interest_amount": step["interest_amount"],
            "interest_from": periods[0].start if periods else False,
            "interest_to": periods[-1].end if periods else False,
            "interest_days": sum(period.days for period in periods),
            "interest_rate": _rates_label(periods),
            "charge_state": ("pending" if plan["charge_mode"] == "next_invoice" else "invoiced") if charged else "none",
        }

    def _isp_letter_vals(self, plan):
        partner = plan["partner"]
        top_level = plan["top"]["level"]
        delivery = partner.isp_invoice_delivery
        values = {
            "run_id": self.id,
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "date": self.date,
            "level_id": top_level.id,
            "move_ids": [Command.set(plan["items"].ids)],
            "open_total": float(plan["overdue"]),
            "fee_total": plan["fee_total"],
            "interest_total": plan["interest_total"],
            "charge_total": plan["charge_total"],
        }
        if delivery in ("email", "email_post", "portal"):
            values["email_state"] = "queued"
        if delivery in ("post", "email_post") and top_level.send_letter:
            values["print_state"] = "to_print"
        if top_level.action == "announce":
            following = plan["profile"]._isp_levels().filtered(lambda level: level.sequence > top_level.sequence)[:1]
            if following:
                # the engine never takes two steps of one item on the same day
                values["suspension_date"] = self.date + timedelta(days=max(1, following.min_days_since_previous))
        return values

    def _isp_update_items(self, plans):
        """Level, step date, interest date and court state of the dunned items, in grouped writes."""
        by_values = defaultdict(list)
        for plan in plans:
            for step in plan["steps"]:
                values = {"isp_dunning_level_id": step["level"].id, "isp_dunning_date": self.date}
                if step["periods"] or step["level"].apply_interest:
                    values["isp_interest_until"] = self.date
                if step["level"].action == "court" and not step["move"].isp_court_state:
                    values.update(isp_court_state="candidate", isp_court_date=self.date)
                by_values[tuple(sorted(values.items()))].append(step["move"].id)
        moves = self.env["account.move"].sudo().with_context(**QUIET, skip_invoice_sync=True)
        for values, move_ids in by_values.items():
            moves.browse(move_ids).write(dict(values))

    def _isp_charge_invoices(self, plans, steps):
        """One posted invoice per customer for fees and interest, where the profile charges that way."""
        steps_of = steps.grouped("letter_id")
        invoiced = [plan for plan in plans if plan["charge_total"] and plan["charge_mode"] == "invoice"]
        moves = self.env["account.move"].sudo().with_company(self.company_id)
        if not invoiced:
            return moves
        # the shared charge-invoice builder: one tax rule for dunning charges, run charges and return fees
        cache = {}
        vals_list = [
            moves._isp_prepare_charge_invoice_vals(
                plan["partner"],
                self.company_id,
                self.date,
                steps_of[plan["letter"]]._isp_charge_line_vals(cache),
                cache,
                isp_dunning_charge=True,
                invoice_origin=plan["letter"].name,
            )
            for plan in invoiced
        ]
        moves = moves._isp_create_charge_invoices(vals_list)
        for plan, move in zip(invoiced, moves, strict=True):
            plan["letter"].charge_move_id = move
            steps_of[plan["letter"]].filtered(lambda step: step.charge_state == "invoiced").charge_move_id = move
        # e-mailed with the letter; postal customers get it in the post with the letter
        moves.filtered(lambda move: move.partner_id.isp_invoice_delivery in ("post", "email_post")).write(
            {"isp_print_state": "to_print"}
        )
        return moves

    def _isp_apply_actions(self, plans):
        """Suspend or terminate the services of customers whose items reached such a level."""
        actions = defaultdict(set)
        for plan in plans:
            for step in plan["steps"]:
                actions[step["level"].action].add(plan["partner"].id)
        services = self.env["isp.service"].sudo()
        suspended = terminated = 0
        if actions["suspend"] or actions["terminate"]:
            to_suspend = services.search(
                [
                    ("partner_id", "in", list(actions["suspend"] - actions["terminate"])),
                    ("company_id", "=", self.company_id.id),
                    ("state", "=", "active"),
                ]
            )
            to_suspend.write({"state": "suspended", "isp_dunning_suspended": True})
            for service in to_suspend:
                service.message_post(
                    body=self.env._("Suspended for arrears by %(run)s.", run=self.name), subtype_xmlid="mail.mt_note"
                )
            to_terminate = services.search(
                [
                    ("partner_id", "in", list(actions["terminate"])),
                    ("company_id", "=", self.company_id.id),
                    ("state", "in", ("pending", "active", "suspended")),
                ]
            )
            # a service that starts after the run date ends on its start date
            for date_end, ending in to_terminate.grouped(lambda service: max(service.date_start, self.date)).items():
                ending._isp_terminate(date_end)
            to_terminate.isp_dunning_suspended = False
            suspended, terminated = len(to_suspend), len(to_terminate)
        return suspended, terminated

    def _isp_notify_sales(self):
        """Tell each sales team which of its customers reached a level that asks for it, in one message."""
        letters = self.letter_ids.filtered(lambda letter: letter.step_ids.level_id.filtered("notify_sales"))
        for team, team_letters in letters.grouped(lambda letter: letter.partner_id.team_id).items():
            recipients = (team.member_ids | team.user_id).partner_id
            rows = Markup("").join(
                Markup("<li>%s: %s, %s %s</li>")
                % (
                    letter.partner_id.display_name,
                    letter.level_id.name,
                    self.env._("overdue"),
                    self.env["ir.qweb.field.monetary"].value_to_html(
                        letter.open_total, {"display_currency": letter.currency_id}
                    ),
                )
                for letter in team_letters.sorted(lambda letter: letter.partner_id.display_name or "")
            )
            self.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._(
                        "Customers of %(team)s dunned on %(date)s:",
                        team=team.name or self.env._("no sales team"),
                        date=format_date(self.env, self.date),
                    ),
                    rows,
                ),
                partner_ids=recipients.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )


def _rates_label(periods):
    """'6.27 %' or '7.27 % / 6.27 %' when the rate changed within the interest days."""
    rates = []
    for period in periods:
        label = f"{period.rate:.2f} %"
        if label not in rates:
            rates.append(label)
    return " / ".join(rates)
