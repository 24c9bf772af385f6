import logging
from collections import defaultdict

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

#: document models a chunk creates in bulk: forgotten after each chunk to keep memory bounded
CHUNK_CACHE_MODELS = ("account.move", "account.move.line", "account.partial.reconcile", "res.partner")


class IspRunMixin(models.AbstractModel):
    """The skeleton of the automatic runs (invoice run, dunning run): preview and confirm,
    chunks of customers, locking, per-customer fallback after a failed chunk, resume from the
    scheduled action, progress, counters and per-customer errors.

    A run model implements its steps only:

    - ``_isp_due_partners()``: the customers the run has work for, in id order;
    - ``_isp_plan(partners)``: ``(plans, errors)``, what it would do for them (preview and confirm);
    - ``_isp_plan_partner(plan)``: the customer a plan belongs to;
    - ``_isp_execute_plans(plans)``: do it; returns the counters to add to the run's totals;
    - ``_isp_store_preview(plans)`` and ``_isp_preview_values(plans)``: the preview;
    - ``_isp_cron_companies()`` and ``_isp_cron_new_run(company)``: the scheduled run.

    It defines ``error_ids`` (one2many to a model with ``run_id``, ``partner_id``, ``message``)
    and ``preview_line_ids``, and lists its counter fields in ``_isp_counter_fields``.
    """

    _name = "isp.run.mixin"
    _description = "ISP Automatic Run"

    #: customers per chunk: one transaction of the scheduled run, one job of a job queue
    _isp_chunk_size = 100
    #: a manual run with more due customers than this goes on in the background (0: never)
    _isp_sync_limit = 0
    #: the scheduled action that processes and resumes this run's chunks
    _isp_cron_xmlid = None
    #: stored totals of the run, summed from its chunks' counters
    _isp_counter_fields = ()
    #: chunks one call of the scheduled action processes (0: all of them)
    _isp_cron_chunks_per_call = 1
    #: the state of a run that has finished
    _isp_finished_state = "done"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        selection="_isp_state_selection", default="draft", required=True, readonly=True, copy=False
    )
    trigger = fields.Selection(selection="_isp_trigger_selection", default="manual", required=True, readonly=True)
    started_at = fields.Datetime(readonly=True, copy=False)
    finished_at = fields.Datetime(readonly=True, copy=False)
    duration = fields.Float(string="Duration (s)", digits=(16, 1), readonly=True, copy=False)
    error_count = fields.Integer(compute="_compute_error_count", string="Number of Errors")
    chunk_count = fields.Integer(string="Parts", compute="_compute_progress")
    chunk_done_count = fields.Integer(string="Parts Done", compute="_compute_progress")
    progress = fields.Float(compute="_compute_progress", help="Share of the run's parts done, in percent.")
    progress_summary = fields.Char(compute="_compute_progress")

    @api.model
    def _isp_state_selection(self):
        """A run's states: draft, previewed, running (its chunks are processed), done. Labels from a
        method are translated here: Odoo translates only those of a field's list."""
        return [
            ("draft", self.env._("Draft")),
            ("preview", self.env._("Previewed")),
            ("running", self.env._("Running")),
            ("done", self.env._("Done")),
        ]

    @api.model
    def _isp_trigger_selection(self):
        return [("manual", self.env._("Manual")), ("cron", self.env._("Scheduled"))]

    @api.depends("error_ids")
    def _compute_error_count(self):
        for run in self:
            run.error_count = len(run.error_ids)

    @api.depends("state")
    def _compute_progress(self):
        groups = self.env["isp.run.chunk"]._read_group(
            [("run_model", "=", self._name), ("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
        )
        counts = defaultdict(lambda: defaultdict(int))
        for run_id, state, count in groups:
            counts[run_id][state] = count
        for run in self:
            total = sum(counts[run.id].values())
            done = counts[run.id]["done"]
            run.chunk_count = total
            run.chunk_done_count = done
            finished = run.state not in ("draft", "preview", "running")
            run.progress = 100.0 * done / total if total else (100.0 if finished else 0.0)
            run.progress_summary = run._isp_progress_summary(done, total) if run.state == "running" else False

    def _isp_progress_summary(self, done, total):
        """What a user reads about a running run: the parts done and what they did so far."""
        return self.env._("%(done)s of %(total)s parts done", done=done, total=total)

    def _isp_chunks(self):
        return self.env["isp.run.chunk"].search([("run_model", "=", self._name), ("run_id", "in", self.ids)])

    def unlink(self):
        chunks = self._isp_chunks()
        result = super().unlink()
        chunks.sudo().unlink()
        return result

    # ------------------------------------------------------------------
    # What a run implements
    # ------------------------------------------------------------------

    def _isp_due_partners(self):
        """The customers this run has work for on its date, in id order."""
        raise NotImplementedError

    def _isp_plan(self, partners):
        """Plan the work for ``partners`` (shared by preview and confirm).

        :return: (plans, errors): the plans, and {customer: message} of those that cannot be planned
        """
        raise NotImplementedError

    def _isp_plan_partner(self, plan):
        """The customer ``plan`` belongs to."""
        return plan["partner"]

    def _isp_execute_plans(self, plans):
        """Carry out ``plans``.

        :return: {counter field: amount to add}
        """
        raise NotImplementedError

    def _isp_store_preview(self, plans):
        raise NotImplementedError

    def _isp_preview_values(self, plans):
        """The run's preview totals for ``plans``: {field: value}."""
        return {}

    @api.model
    def _isp_cron_companies(self):
        """The companies the scheduled run has work for."""
        raise NotImplementedError

    def _isp_cron_new_run(self, company):
        """A new scheduled run for ``company`` (sudo, in that company), or an empty recordset when
        none is wanted now."""
        return self.create({"company_id": company.id, "trigger": "cron"})

    # ------------------------------------------------------------------
    # Preview and confirm
    # ------------------------------------------------------------------

    def _isp_check_open(self):
        """Runs not started yet; forget an earlier preview. Only who may change runs (ISP managers by
        the access rules) may write them and their preview lines."""
        self.check_access("write")
        started = self.filtered(lambda run: run.state in ("running", "done"))
        if started:
            raise UserError(self.env._("%(run)s has been run already.", run=started[0].display_name))
        self.preview_line_ids.unlink()
        self.error_ids.unlink()

    def action_preview(self):
        """Show what a confirm would do; change nothing but the preview."""
        self._isp_check_open()
        for run in self:
            plans, errors = run._isp_plan(run._isp_due_partners())
            run._isp_store_preview(plans)
            run._isp_record_errors(errors)
            run.write({"state": "preview", **run._isp_preview_values(plans)})
        return True

    def action_confirm(self):
        """Do the run: in this transaction, or part by part in the background (jobs, the scheduled
        action) when it is large or a job queue is installed."""
        self._isp_check_open()
        for run in self:
            run._isp_start()
            run._isp_go_on()
        return True

    def _isp_go_on(self):
        """Process the chunks of a started run: hand them to workers, leave them to the scheduled
        action, or process them all now."""
        self.ensure_one()
        chunks = self._isp_chunks().filtered(lambda chunk: chunk.state == "pending")
        if chunks and self._isp_dispatch(chunks):
            return
        customers = sum(chunks.mapped("partner_count"))
        if self._isp_sync_limit and customers > self._isp_sync_limit and not self.env.context.get("isp_run_sync"):
            self.env.ref(self._isp_cron_xmlid)._trigger()
            return
        self._isp_process_now(chunks)
        self._isp_finish()

    def _isp_dispatch(self, chunks):
        """Hand ``chunks`` to parallel workers. Without a job queue there are none: False."""
        return False

    def _isp_process_now(self, chunks):
        """Process ``chunks`` in this transaction. Customers another transaction keeps holding are
        recorded as errors: the next run handles them."""
        remaining = None
        while chunks := chunks.filtered(lambda chunk: chunk.state != "done"):
            for chunk in chunks:
                self._isp_process_chunk(chunk)
            left = sum(len(chunk.partner_ids or ()) for chunk in chunks if chunk.state != "done")
            if left and left == remaining:
                held = chunks.filtered(lambda chunk: chunk.state != "done")
                partners = self.env["res.partner"].browse([pid for chunk in held for pid in chunk.partner_ids])
                message = self.env._(
                    "The customer was being changed by another transaction (a user or another run); "
                    "the next run handles it."
                )
                self._isp_record_errors(dict.fromkeys(partners, message))
                held.write({"partner_ids": [], "state": "done", "date_done": fields.Datetime.now()})
                break
            remaining = left

    # ------------------------------------------------------------------
    # Start, chunks, finish
    # ------------------------------------------------------------------

    def _isp_start(self, chunk_size=None):
        """Running from now; the due customers are split into chunks."""
        self.ensure_one()
        self.write({"state": "running", "started_at": fields.Datetime.now()})
        partner_ids = self._isp_due_partners().ids
        size = chunk_size or self._isp_chunk_size
        self.env["isp.run.chunk"].sudo().create(
            [
                {
                    "run_model": self._name,
                    "run_id": self.id,
                    "company_id": self.company_id.id,
                    "sequence": index + 1,
                    "partner_ids": partner_ids[start : start + size],
                    "partner_count": len(partner_ids[start : start + size]),
                }
                for index, start in enumerate(range(0, len(partner_ids), size))
            ]
        )
        return True

    def _isp_record_done_work(self, counters):
        """Count work a run did outside its chunks (e.g. when it starts) in its totals."""
        self.ensure_one()
        self.env["isp.run.chunk"].sudo().create(
            {
                "run_model": self._name,
                "run_id": self.id,
                "company_id": self.company_id.id,
                "sequence": 0,
                "partner_ids": [],
                "state": "done",
                "counters": counters,
                "date_done": fields.Datetime.now(),
            }
        )

    def _isp_process_chunk(self, chunk):
        """Lock, plan and execute the customers of ``chunk`` (see ``isp.run.chunk._isp_process``).

        Serialization failures are raised: another transaction changed the customers after this
        one began, and the work is retried in a new transaction.
        """
        self.ensure_one()
        partners = self.env["res.partner"].browse(chunk.partner_ids or [])
        locked = self._isp_lock_partners(partners)
        errors = {}
        counters = {}
        if locked:
            plans, errors = self._isp_plan(locked)
            done_counters, exec_errors = self._isp_execute(plans)
            errors.update(exec_errors)
            counters = done_counters
            self._isp_record_errors(errors)
        held = partners - locked
        totals = dict(chunk.counters or {})
        for name, value in counters.items():
            totals[name] = totals.get(name, 0) + value
        values = {"partner_ids": held.ids, "counters": totals, "error_count": chunk.error_count + len(errors)}
        if not held:
            values.update(state="done", date_done=fields.Datetime.now())
        chunk.sudo().write(values)
        self.env.flush_all()
        # bounded memory: forget the chunk's documents, keep articles, taxes and accounts
        for model in self._isp_chunk_cache_models():
            self.env[model].invalidate_model()
        return not held

    def _isp_chunk_cache_models(self):
        return CHUNK_CACHE_MODELS

    def _isp_lock_partners(self, partners):
        """Lock ``partners`` for this transaction; skip those another transaction holds now.

        Writing the rows (not only locking them) makes a concurrent run that started earlier
        fail on them instead of working from its older snapshot.
        """
        if not partners:
            return partners
        self.env.cr.execute(
            SQL("SELECT id FROM res_partner WHERE id IN %s ORDER BY id FOR UPDATE SKIP LOCKED", tuple(partners.ids)),
            # a serialization failure is expected here and handled by the caller
            log_exceptions=False,
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if ids:
            self.env.cr.execute(
                SQL("UPDATE res_partner SET write_date = write_date WHERE id IN %s", tuple(ids)), log_exceptions=False
            )
        return partners.browse(ids)

    def _isp_execute(self, plans):
        """Execute the plans of a chunk at once; when that fails, customer by customer, so that one
        broken customer is recorded and the others are done (``ir.cron._isp_process_isolated``).

        :return: (counters, errors)
        """
        by_partner = defaultdict(list)
        for plan in plans:
            by_partner[self._isp_plan_partner(plan)].append(plan)
        partners = self.env["res.partner"].browse([partner.id for partner in by_partner])
        counters, errors = {}, {}

        def execute(customers):
            done = self._isp_execute_plans([plan for customer in customers for plan in by_partner[customer]])
            # what the database refuses fails here, before it is counted
            self.env.flush_all()
            for name, value in done.items():
                counters[name] = counters.get(name, 0) + value

        self.env["ir.cron"]._isp_process_isolated(partners, execute, on_error=errors.__setitem__, together=True)
        return counters, errors

    def _isp_finish_if_done(self):
        """Finish the run when all its chunks are done. Returns whether it is done."""
        self.ensure_one()
        if self.state != "running":
            return True
        if self._isp_chunks().filtered(lambda chunk: chunk.state != "done"):
            return False
        self._isp_finish()
        return True

    def _isp_finish(self):
        """Done: the totals summed from the chunks; a run's duration is its finish minus its start
        (a resumed run counts the time between)."""
        self.ensure_one()
        finished = fields.Datetime.now()
        totals = self.env["isp.run.chunk"]._isp_sum(self._isp_chunks())
        self.write(
            {
                **{name: totals.get(name, 0) for name in self._isp_counter_fields},
                "state": self._isp_finished_state,
                "finished_at": finished,
                "duration": (finished - self.started_at).total_seconds(),
            }
        )
        return True

    def _isp_record_errors(self, errors):
        """:param errors: {customer: message}"""
        if errors:
            self.env[self._fields["error_ids"].comodel_name].sudo().create(
                [
                    {"run_id": self.id, "partner_id": partner.id, "message": message}
                    for partner, message in errors.items()
                ]
            )

    # ------------------------------------------------------------------
    # Scheduled run
    # ------------------------------------------------------------------

    def _isp_record_failure(self, error):
        """A step of the scheduled run failed on this run as a whole (not on one customer): it is
        logged (a refusal without, anything else with its traceback, at warning level so that the
        other companies go on) and recorded on the run."""
        if isinstance(error, UserError):
            _logger.warning("%s: %s", self.display_name, error)
        else:
            _logger.warning("%s failed", self.display_name, exc_info=error)
        self._isp_record_errors({self.env["res.partner"]: self.env["ir.cron"]._isp_error_message(error)})

    def _isp_run_batch(self):
        """The scheduled run's step: process the next pending chunks (``_isp_cron_chunks_per_call``)
        in this transaction.

        A serialization failure (another run changed these customers after this transaction
        began) leaves the chunk for the next call, in a new transaction. Queued chunks are left
        to their jobs.

        :return: whether pending chunks remain for the next call
        """
        self.ensure_one()
        pending = self._isp_chunks().filtered(lambda chunk: chunk.state == "pending")
        for chunk in pending[: self._isp_cron_chunks_per_call or len(pending)]:
            try:
                with self.env.cr.savepoint():
                    self._isp_process_chunk(chunk)
            except pg_errors.SerializationFailure:
                _logger.info("%s: customers handled by a concurrent run, retrying", self.display_name)
                return True
        if pending.filtered(lambda chunk: chunk.state == "pending"):
            return True
        self._isp_finish_if_done()
        return False

    @api.model
    def _isp_cron_step(self):
        """One call of the scheduled action: per company, start today's run or go on with the
        running one; the scheduler calls again while chunks remain. A company whose run fails is
        recorded on its run, and the other companies go on."""
        remaining = 0
        companies = self._isp_cron_companies()
        running = self.sudo().search([("state", "=", "running")])
        for company in companies | running.company_id:
            # the scheduled run works for every company, whoever the cron user is
            runs = self.sudo().with_company(company)
            run = running.filtered(lambda run, company=company: run.company_id == company)[:1].with_company(company)
            new = not run
            if new:
                run = runs._isp_cron_new_run(company)
                if not run:
                    continue
            try:
                with self.env.cr.savepoint():
                    if new:
                        run._isp_start()
                        pending = run._isp_chunks().filtered(lambda chunk: chunk.state == "pending")
                        # parallel workers (a job queue) take the chunks, or this scheduled action does
                        if pending and run._isp_dispatch(pending):
                            continue
                    if run._isp_run_batch():
                        remaining += 1
            except pg_errors.SerializationFailure:
                raise
            except Exception as error:  # logged with its traceback and recorded on the run
                run._isp_record_failure(error)
        self.env["ir.cron"]._notify_progress(done=1, remaining=remaining)
