import logging
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.isp_sales.models.account_move import QUIET

from ..engine import debit_plan, dtaus, pain008
from .isp_debit_batch_line import postal_address

_logger = logging.getLogger(__name__)

#: batches whose invoices cannot go into another batch
OPEN_STATES = ("draft", "running", "generated", "sent")
#: debits whose payments are created, posted and reconciled together
PAYMENT_CHUNK = 1000


class IspDebitBatch(models.Model):
    """A SEPA direct debit batch: the debits of the due invoices, previewed as draft lines; generating
    it is a run (``isp.run.mixin``) whose chunks of customers register the payments, after which the
    pain.008 file of the debits is written."""

    _name = "isp.debit.batch"
    _description = "SEPA Direct Debit Batch"
    _inherit = ["isp.run.mixin", "mail.thread"]
    _order = "collection_date desc, id desc"
    _check_company_auto = True
    _isp_chunk_size = 500
    _isp_cron_xmlid = "isp_payment_gateway.ir_cron_isp_debit_run"
    # the scheduled run generates its batch in one call, as a manual one does (or hands it to jobs)
    _isp_cron_chunks_per_call = 0
    _isp_finished_state = "generated"

    name = fields.Char(
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: self.env["ir.sequence"].next_by_code("isp.debit.batch") or "/",
    )
    date = fields.Date(string="Run Date", required=True, default=fields.Date.context_today, readonly=True)
    collection_date = fields.Date(readonly=True, help="Requested collection date (the next business day or later).")
    state = fields.Selection(tracking=True)
    pain_version = fields.Selection(
        [("08", "pain.008.001.08"), ("02", "pain.008.001.02")],
        required=True,
        default=lambda self: self.env.company.isp_sepa_pain_version or "08",
    )
    line_ids = fields.One2many("isp.debit.batch.line", "batch_id", string="Debits", readonly=True)
    line_count = fields.Integer(compute="_compute_totals", string="Number of Debits")
    amount_total = fields.Monetary(compute="_compute_totals", string="Total")
    waiting_count = fields.Integer(
        string="Waiting Invoices",
        readonly=True,
        help="SEPA invoices whose lead time or pre-notification has not passed.",
    )
    file_id = fields.Many2one("ir.attachment", string="pain.008 File", readonly=True, copy=False)
    dtaus_file_id = fields.Many2one("ir.attachment", string="DTAUS File", readonly=True, copy=False)
    error_ids = fields.One2many("isp.debit.batch.error", "run_id", string="Error Records", readonly=True)
    run_errors = fields.Text(
        string="Errors",
        compute="_compute_run_errors",
        help="Invoices left out of the batch because their debit could not be planned (broken data, an "
        "unexpected error), customers whose payments failed, and errors of the scheduled run, each with "
        "the record's name.",
    )

    @api.model
    def _isp_state_selection(self):
        return [
            ("draft", self.env._("Draft")),
            ("running", self.env._("Generating")),
            ("generated", self.env._("File Generated")),
            ("sent", self.env._("Sent to Bank")),
            ("done", self.env._("Debited")),
            ("cancel", self.env._("Cancelled")),
        ]

    @api.depends("error_ids.message")
    def _compute_run_errors(self):
        for batch in self:
            batch.run_errors = "\n".join(batch.error_ids.sorted("id").mapped("message")) or False

    @api.depends("line_ids.amount")
    def _compute_totals(self):
        for batch in self:
            batch.line_count = len(batch.line_ids)
            batch.amount_total = sum(batch.line_ids.mapped("amount"))

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------

    def _isp_check_manager(self):
        """Who may prepare, generate and send batches: who may change them (ISP managers by the access rules)."""
        self.check_access("write")

    def _isp_check_configured(self):
        company = self.company_id
        account = company.isp_sepa_journal_id.bank_account_id
        missing = []
        if not company.isp_sepa_creditor_id:
            missing.append(self.env._("the SEPA creditor identifier"))
        if not account:
            missing.append(self.env._("a collection bank journal with a bank account"))
        if missing:
            raise UserError(
                self.env._(
                    "Set %(missing)s in ISP > Configuration > Settings before debiting.", missing=", ".join(missing)
                )
            )

    @api.model
    def _isp_candidates(self, company, moves=None, day=None):
        """Open posted invoices of customers who pay by SEPA direct debit with an active mandate not
        expired on ``day`` (today by default), in EUR, not in an open batch: {invoice: mandate}.

        :param moves: only these invoices (a previewed batch checked again)
        """
        domain = [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("amount_residual", ">", 0),
            ("currency_id.name", "=", "EUR"),
            ("commercial_partner_id.isp_payment_method", "=", "sepa"),
            ("isp_debit_line_ids", "not any", [("state", "in", ("draft", "open"))]),
        ]
        if moves is not None:
            domain.append(("id", "in", moves.ids))
        moves = self.env["account.move"].sudo().search(domain, order="invoice_date, id")
        day = day or fields.Date.context_today(self)
        mandates = (
            self.env["isp.sepa.mandate"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", moves.commercial_partner_id.ids),
                    ("company_id", "=", company.id),
                    ("state", "=", "active"),
                ],
                order="signature_date desc, id desc",
            )
        )
        latest = {}
        for mandate in mandates:
            # expired when not used for 36 months, even before the expiry cron has marked it
            if not _mandate_expired(mandate, day):
                latest.setdefault(mandate.partner_id, mandate)
        return {move: latest[move.commercial_partner_id] for move in moves if move.commercial_partner_id in latest}

    def action_preview(self):
        """Collect the due invoices into this draft batch (replacing an earlier preview)."""
        self._isp_check_manager()
        for batch in self:
            if batch.state != "draft":
                raise UserError(self.env._("%(batch)s is not a draft any more.", batch=batch.name))
            batch._isp_check_configured()
            batch.line_ids.sudo().unlink()
            batch.error_ids.sudo().unlink()
            _waiting, errors = batch._isp_fill()
            batch._isp_record_left_out(errors)
        return True

    def _isp_fill(self, moves=None):
        """Plan the debits of the due invoices (of ``moves`` only, when given) into draft lines.

        An invoice whose debit cannot be planned (broken mandate data, an unexpected error) is left
        out; the others are planned without it.

        :return: (waiting, errors): {invoice: expected collection date} of the invoices not due yet,
            {invoice: (mandate, reason)} of those left out
        """
        self.ensure_one()
        candidates = self._isp_candidates(self.company_id, moves=moves, day=self.date)
        errors = {}
        groups, waiting, lines = self._isp_plan_lines(candidates, errors)
        unused = {mandate for mandate, _reason in errors.values() if mandate.first_use}
        if unused & set(lines.mandate_id):
            # one of them may have been the first debit (FRST) of a mandate that has others here:
            # planned again without them
            lines.unlink()
            candidates = {move: mandate for move, mandate in candidates.items() if move not in errors}
            groups, waiting, lines = self._isp_plan_lines(candidates, errors)
        values = {"collection_date": groups[0].collection_date if groups else False}
        if moves is None:
            values["waiting_count"] = len(waiting)
        self.write(values)
        return {candidate.key[0]: expected for candidate, expected in waiting}, errors

    def _isp_plan_collections(self, candidates):
        """The collections of ``candidates`` ({invoice: mandate}) on this batch's run date, as
        ``debit_plan.plan`` makes them (one FRST per recurrent mandate never used, its other
        invoices RCUR)."""
        company = self.company_id
        entries = [
            debit_plan.Candidate(
                key=(move, mandate),
                mandate=mandate.id,
                invoice_date=move.invoice_date,
                scheme=mandate.scheme,
                recurrent=mandate.mandate_type == "recurrent",
                unused=mandate.first_use,
            )
            for move, mandate in candidates.items()
        ]
        return debit_plan.plan(entries, self.date, company.isp_sepa_lead_days, company.isp_sepa_prenotification_days)

    def _isp_plan_lines(self, candidates, errors):
        """Plan ``candidates`` and write the due ones as draft lines, all at once; when that fails,
        invoice by invoice (``ir.cron._isp_process_isolated``), so that one broken record leaves out
        only its own debit. What is left out is added to ``errors`` ({invoice: (mandate, reason)}).

        :return: (groups, waiting, lines)
        """
        groups, waiting = self._isp_plan_collections(candidates)
        planned = {
            move: (mandate, group)
            for group in groups
            for candidate in group.candidates
            for move, mandate in [candidate.key]
        }
        moves = self.env["account.move"].sudo().browse([move.id for move in planned])
        lines = self.env["isp.debit.batch.line"].sudo()

        def create(invoices):
            nonlocal lines
            found = {}
            created = self._isp_create_lines([(move, *planned[move]) for move in invoices], found)
            # what the database refuses fails here, before it is counted
            self.env.flush_all()
            lines |= created
            errors.update(found)

        def left_out(move, reason):
            errors[move] = (planned[move][0], reason)

        self.env["ir.cron"]._isp_process_isolated(moves, create, on_error=left_out, together=True)
        return groups, waiting, lines

    def _isp_create_lines(self, planned, errors):
        """Draft lines of ``planned`` [(invoice, mandate, group)]. A debit that cannot go into a valid
        file (no IBAN, no signature date, ...) is removed again and added to ``errors``."""
        lines = (
            self.env["isp.debit.batch.line"]
            .sudo()
            .create([self._isp_prepare_line_vals(move, mandate, group) for move, mandate, group in planned])
        )
        broken_ids = []
        for line in lines:
            problems = pain008.debit_problems(line._isp_debit())
            if problems:
                errors[line.move_id] = (line.mandate_id, "; ".join(problems))
                broken_ids.append(line.id)
        broken = lines.browse(broken_ids)
        broken.unlink()
        return lines - broken

    def _isp_prepare_line_vals(self, move, mandate, group):
        """Values of the draft debit of ``move`` under ``mandate`` in the collection ``group``."""
        return {
            "batch_id": self.id,
            "move_id": move.id,
            "partner_id": move.commercial_partner_id.id,
            "mandate_id": mandate.id,
            # the open amount, less an early-payment discount due on the collection date
            "amount": move._isp_debit_amount(group.collection_date),
            "scheme": group.scheme,
            "sequence_type": group.sequence_type,
        }

    def _isp_record_left_out(self, errors):
        """List the invoices left out of this batch ({invoice: (mandate, reason)}) on it and in its chatter."""
        self._isp_log_errors(self._isp_error_entries(errors))

    def _isp_record_errors(self, errors):
        """List the customers whose debits failed ({customer: message}) on the batch and in its chatter."""
        self._isp_log_errors(
            [
                self.env._("%(customer)s: %(reason)s", customer=partner.display_name, reason=message)
                if partner
                else message
                for partner, message in errors.items()
            ],
            partners=list(errors),
        )

    def _isp_error_entries(self, errors):
        return [
            self.env._("%(invoice)s (%(mandate)s): %(reason)s", invoice=move.name, mandate=mandate.name, reason=reason)
            for move, (mandate, reason) in errors.items()
        ]

    def _isp_log_errors(self, entries, partners=None):
        """Record ``entries`` (texts naming the record each is about) on the batch and in its chatter.

        :param partners: the customer of each entry, where there is one
        """
        if not entries:
            return
        self._isp_store_errors(entries, partners)
        self._isp_post_list(self.env._("Left out of the batch:"), entries)

    def _isp_store_errors(self, entries, partners=None):
        partners = partners or [None] * len(entries)
        self.env["isp.debit.batch.error"].sudo().create(
            [
                {"run_id": self.id, "partner_id": partner.id if partner else False, "message": entry}
                for entry, partner in zip(entries, partners, strict=True)
            ]
        )

    def _isp_post_list(self, title, entries):
        self.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (title, Markup().join(Markup("<li>%s</li>") % entry for entry in entries)),
            subtype_xmlid="mail.mt_note",
        )

    def _isp_refresh(self):
        """Check the previewed debits again before the file is made, as a new preview of the same
        invoices would: invoices paid, cancelled or reversed meanwhile, customers who no longer pay by
        direct debit or have no active, valid mandate, and debits with broken data drop out; the others
        are planned again as of today (amount, mandate, sequence type, collection date).

        :return: one line per invoice that dropped out or changed, for the user
        """
        self.ensure_one()
        today = fields.Date.context_today(self)
        # previewed on an earlier day: collected from the next business day after today
        self.date = max(self.date, today)
        previewed = {line.move_id: (line.mandate_id, line.amount) for line in self.line_ids}
        moves = self.line_ids.move_id
        self.line_ids.sudo().unlink()
        waiting, errors = self._isp_fill(moves=moves)
        # the errors of the preview are replaced by those of this check (reported with the changes)
        self.error_ids.sudo().unlink()
        self._isp_store_errors(self._isp_error_entries(errors))
        planned = {line.move_id: line for line in self.line_ids}
        changes = []
        for move, (mandate, amount) in previewed.items():
            line = planned.get(move)
            if line:
                if line.mandate_id != mandate:
                    changes.append(
                        self.env._(
                            "%(invoice)s: debited under mandate %(new)s instead of %(old)s",
                            invoice=move.name,
                            new=line.mandate_id.name,
                            old=mandate.name,
                        )
                    )
                if move.currency_id.compare_amounts(line.amount, amount):
                    changes.append(
                        self.env._(
                            "%(invoice)s: amount %(old)s changed to %(new)s",
                            invoice=move.name,
                            old=move.currency_id.format(amount),
                            new=move.currency_id.format(line.amount),
                        )
                    )
                continue
            if move in errors:
                reason = errors[move][1]
            elif move in waiting:
                reason = self.env._("not due for collection before %(date)s", date=waiting[move])
            else:
                reason = self._isp_drop_reason(move, mandate)
            changes.append(self.env._("%(invoice)s: %(reason)s", invoice=move.name, reason=reason))
        return changes

    def _isp_drop_reason(self, move, mandate):
        """Why a previewed invoice is no longer among the candidates (see ``_isp_candidates``)."""
        move = move.sudo()
        partner = move.commercial_partner_id
        active = partner._isp_active_mandate(self.company_id)
        if move.state != "posted":
            reason = self.env._("the invoice is no longer posted")
        elif move.payment_state == "reversed":
            reason = self.env._("reversed by a credit note")
        elif (
            move.payment_state not in ("not_paid", "partial")
            or move.currency_id.compare_amounts(move.amount_residual, 0) <= 0
        ):
            reason = self.env._("paid meanwhile")
        elif partner.isp_payment_method != "sepa":
            reason = self.env._("the customer no longer pays by direct debit")
        elif not active:
            states = dict(mandate._fields["state"]._description_selection(self.env))
            reason = self.env._(
                "no active mandate (%(mandate)s is %(state)s)", mandate=mandate.name, state=states[mandate.state]
            )
        elif _mandate_expired(active, self.date):
            reason = self.env._("mandate %(mandate)s has expired: not used for 36 months", mandate=active.name)
        else:
            reason = self.env._("no longer due for collection")
        return reason

    # ------------------------------------------------------------------
    # Generation: payments and the file
    # ------------------------------------------------------------------

    def action_generate(self):
        """Check the previewed debits again, register the payments (the invoices are then "in payment")
        and write the validated file. What changed since the preview is reported to the user."""
        self._isp_check_manager()
        report = []
        for batch in self:
            if batch.state != "draft":
                raise UserError(self.env._("%(batch)s has been generated already.", batch=batch.name))
            batch._isp_check_configured()
            if not batch.line_ids:
                raise UserError(self.env._("%(batch)s has no debits: preview it first.", batch=batch.name))
            changes = batch._isp_refresh()
            if not batch.line_ids:
                # nothing is saved: the transaction is rolled back
                raise UserError(
                    self.env._(
                        "%(batch)s has nothing left to debit since the preview:\n%(changes)s",
                        batch=batch.name,
                        changes="\n".join(changes),
                    )
                )
            if changes:
                batch._isp_post_list(self.env._("Changed since the preview:"), changes)
                report += changes
            batch._isp_start()
            batch._isp_go_on()
        if report:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._(
                        "%(batches)s: debits changed since the preview", batches=", ".join(self.mapped("name"))
                    ),
                    "message": "\n".join(report),
                    "type": "warning",
                    "sticky": True,
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        return True

    def action_confirm(self):
        """A batch is confirmed by generating it."""
        return self.action_generate()

    # run steps (isp.run.mixin): the chunks register the payments of their customers' debits

    def _isp_start(self, chunk_size=None):
        """The file of the planned debits must validate before any payment is registered."""
        self._isp_document()
        return super()._isp_start(chunk_size=chunk_size)

    def _isp_due_partners(self):
        """The customers of the planned debits, in id order."""
        return self.line_ids.filtered(lambda line: line.state == "draft").partner_id.sorted("id")

    def _isp_plan(self, partners):
        """The planned debits of ``partners`` (planned when the batch was previewed or refreshed)."""
        lines = self.line_ids.filtered(lambda line: line.state == "draft" and line.partner_id in partners)
        return list(lines), {}

    def _isp_plan_partner(self, plan):
        return plan.partner_id

    def _isp_execute_plans(self, plans):
        """In transit from now on: the payments make the invoices "in payment"."""
        lines = self.env["isp.debit.batch.line"].sudo().concat(*plans)
        lines.write({"state": "open"})
        payments = self._isp_register_payments(lines)
        return {"payment_count": len(payments)}

    def _isp_chunk_cache_models(self):
        return (*super()._isp_chunk_cache_models(), "account.payment")

    def _isp_progress_summary(self, done, total):
        totals = self.env["isp.run.chunk"]._isp_sum(self._isp_chunks())
        return self.env._(
            "%(done)s of %(total)s parts done, %(payments)s debits registered so far",
            done=done,
            total=total,
            payments=totals.get("payment_count", 0),
        )

    def _isp_finish(self):
        """Debits whose payment failed leave the batch (their invoices may go into the next one);
        the file of the others is written, their mandates are used."""
        failed = self.line_ids.filtered(lambda line: line.state == "draft")
        failed.sudo().unlink()
        lines = self.line_ids
        if not lines:
            result = super()._isp_finish()
            self.state = "cancel"
            self.message_post(body=self.env._("No debit could be registered."), subtype_xmlid="mail.mt_note")
            return result
        document = self._isp_document()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.name.replace('/', '-')}.xml",
                "raw": document,
                "mimetype": "application/xml",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        lines.mandate_id.sudo()._isp_mark_used(self.collection_date)
        result = super()._isp_finish()
        self.file_id = attachment
        payments = lines.payment_id
        self.message_post(
            body=self.env._(
                "%(count)s debits of %(total)s in %(file)s; %(payments)s payments in transit.",
                count=len(lines),
                total=self.amount_total,
                file=attachment.name,
                payments=len(payments),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return result

    def _isp_document(self):
        """The pain.008 file of the batch's debits, validated against its ISO schema."""
        self.ensure_one()
        document = pain008.write(self._isp_message(), self.pain_version)
        reasons = pain008.validate(document, self.pain_version)
        if reasons:
            # nothing is saved: the transaction is rolled back
            raise UserError(
                self.env._(
                    "The direct debit file does not validate against the ISO schema "
                    "pain.008.001.%(version)s:\n%(reasons)s",
                    version=self.pain_version,
                    reasons="\n".join(reasons[:20]),
                )
            )
        return document

    def _isp_message(self):
        company = self.company_id
        bank = company.isp_sepa_journal_id.bank_account_id
        partner = company.partner_id
        creditor = pain008.Creditor(
            name=company.name,
            iban=bank.acc_number,
            bic=bank.bank_bic or "",
            creditor_id=company.isp_sepa_creditor_id,
            address=postal_address(partner),
        )
        groups = []
        for (scheme, sequence_type), lines in self.line_ids.grouped(
            lambda line: (line.scheme, line.sequence_type)
        ).items():
            groups.append(
                pain008.PaymentGroup(
                    payment_id=lines[:1]._isp_payment_info_id(),
                    scheme=scheme,
                    sequence_type=sequence_type,
                    collection_date=self.collection_date,
                    debits=[line._isp_debit() for line in lines],
                )
            )
        return pain008.Message(
            message_id=self.name,
            created_at=fields.Datetime.now(),
            initiating_party=company.name,
            creditor=creditor,
            groups=groups,
        )

    def _isp_register_payments(self, lines):
        """One customer payment per debit on the outstanding receipts account, reconciled with its invoice.

        Large batches are registered in chunks. Between chunks the planner statistics of the
        journal entries are refreshed: thousands of entries new in this one transaction would
        otherwise make the journal's sequence lookup scan instead of using its index.
        """
        payments = self.env["account.payment"]
        for start in range(0, len(lines), PAYMENT_CHUNK):
            payments |= self._isp_register_chunk(lines[start : start + PAYMENT_CHUNK])
            if start + PAYMENT_CHUNK < len(lines):
                self.env.flush_all()
                self.env.cr.execute("ANALYZE account_move, account_move_line")
                # the chunk's entries are done with: keep the cache small
                for model in ("account.move.line", "account.partial.reconcile", "account.move", "account.payment"):
                    self.env[model].invalidate_model()
        return payments

    def _isp_register_chunk(self, lines):
        journal = self.company_id.isp_sepa_journal_id
        method_line = journal.inbound_payment_method_line_ids[:1]
        outstanding = method_line.payment_account_id or self._isp_outstanding_receipts()
        # a batch posts thousands of payments: no chatter, no tracking, no follower per entry
        quiet = self.env["account.payment"].sudo().with_context(**QUIET, isp_run_posting=True)
        vals_list = [self._isp_prepare_debit_payment_vals(line, journal, method_line, outstanding) for line in lines]
        payments = quiet.create(vals_list)
        payments.action_post()
        plan = []
        for line, payment in zip(lines, payments, strict=True):
            line.payment_id = payment
            plan.append(
                (line.move_id.line_ids | payment.move_id.line_ids).filtered(
                    lambda move_line: move_line.account_id.account_type == "asset_receivable"
                    and not move_line.reconciled
                )
            )
        # Each invoice with its own payment, in one reconciliation for the batch. Reconciling changes
        # no journal item of the invoices or payments (only their residuals and payment states), so
        # Odoo's re-synchronisation of their tax and payment term lines around it (a snapshot of
        # thousands of entries before and a comparison after) is skipped.
        self.env["account.move.line"].sudo().with_context(**QUIET, skip_invoice_sync=True)._reconcile_plan(plan)
        return payments

    def _isp_prepare_debit_payment_vals(self, line, journal, method_line, outstanding):
        """The values of the customer payment that collects the debit ``line``: on the collection
        journal's outstanding receipts account, dated on the collection date, with the invoice's
        early-payment discount as a write-off where the debit takes it.

        :return: values for ``account.payment``
        """
        move = line.move_id
        vals = {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": line.partner_id.id,
            "amount": line.amount,
            "currency_id": move.currency_id.id,
            "date": self.collection_date,
            "journal_id": journal.id,
            "payment_method_line_id": method_line.id,
            # in transit until the bank statement shows the collection: the invoice is "in payment"
            "outstanding_account_id": outstanding.id,
            "memo": f"{move.name} {line.mandate_id.name}",
        }
        # A debit less than the open amount takes the invoice's early-payment discount. Only
        # those payments get their entry one by one: Odoo writes the others' entries together.
        if move.currency_id.compare_amounts(line.amount, move.amount_residual) < 0:
            discount = move._isp_early_discount_vals(self.collection_date)
            if discount:
                vals["write_off_line_vals"] = discount
        return vals

    def _isp_outstanding_receipts(self):
        company = self.company_id
        account = (
            self.env["account.chart.template"]
            .with_company(company)
            .ref("account_journal_payment_debit_account_id", raise_if_not_found=False)
        ) or company.transfer_account_id
        if not account:
            raise UserError(self.env._("No outstanding receipts account in %(company)s.", company=company.name))
        return account

    # ------------------------------------------------------------------
    # After the file
    # ------------------------------------------------------------------

    def action_mark_sent(self):
        self._isp_check_manager()
        if self.filtered(lambda batch: batch.state != "generated"):
            raise UserError(self.env._("Only generated batches can be marked as sent."))
        self.write({"state": "sent"})
        # new clients' services start now when the company starts them on submission
        self.line_ids.filtered(lambda line: line.state == "open").move_id.sudo()._isp_execute_paid_orders()
        return True

    def action_mark_debited(self):
        """The bank has collected the batch: it is closed; returns are booked against its lines."""
        self._isp_check_manager()
        if self.filtered(lambda batch: batch.state not in ("generated", "sent")):
            raise UserError(self.env._("Only generated or sent batches can be marked as debited."))
        lines = self.line_ids.filtered(lambda line: line.state == "open")
        lines.write({"state": "debited"})
        # collected: the invoices are paid
        self.env.add_to_compute(self.env["account.move"]._fields["payment_state"], lines.move_id)
        self.write({"state": "done"})
        # the money is there: new clients' services paid by these debits start
        lines.move_id.sudo()._isp_execute_paid_orders()
        return True

    def action_cancel(self):
        """Withdraw a batch not sent yet: its payments are cancelled and the invoices are open again."""
        self._isp_check_manager()
        if self.filtered(lambda batch: batch.state not in ("draft", "generated")):
            raise UserError(self.env._("Batches sent to the bank cannot be cancelled; book the returns instead."))
        payments = self.line_ids.payment_id.sudo()
        payments.move_id.line_ids.remove_move_reconcile()
        payments.action_draft()
        payments.action_cancel()
        self.line_ids.write({"state": "cancel"})
        self.write({"state": "cancel"})
        return True

    def action_export_dtaus(self):
        """The batch as a legacy DTAUS file (German accounts only)."""
        self.ensure_one()
        if self.state in ("draft", "cancel"):
            raise UserError(self.env._("Generate the batch first."))
        company = self.company_id
        try:
            data = dtaus.write(
                dtaus.DtausFile(
                    creditor_name=company.name,
                    creditor_iban=company.isp_sepa_journal_id.bank_account_id.acc_number,
                    created=self.date,
                    execution=self.collection_date,
                    reference=self.id,
                    debits=[
                        dtaus.DtausDebit(
                            payer_name=line.partner_id.name,
                            payer_iban=line.mandate_id.iban,
                            amount=Decimal(str(line.amount)),
                            purpose=f"{line.move_id.name} {line.mandate_id.name}",
                            customer_number=int(
                                "".join(filter(str.isdigit, line.partner_id.isp_customer_number or "")) or 0
                            ),
                        )
                        for line in self.line_ids.filtered(lambda line: line.state in ("open", "debited"))
                    ],
                )
            )
        except dtaus.DtausError as error:
            raise UserError(self.env._("DTAUS export refused: %(reason)s.", reason=str(error))) from error
        self.dtaus_file_id = self.env["ir.attachment"].create(
            {
                "name": f"{self.name.replace('/', '-')}.dta",
                "raw": data,
                "mimetype": "application/octet-stream",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.dtaus_file_id.id}?download=true",
            "target": "download",
        }

    # ------------------------------------------------------------------
    # Scheduled run
    # ------------------------------------------------------------------

    @api.model
    def _cron_isp_debit_run(self):
        """Daily: one batch per configured company with due SEPA invoices, generated at once.

        A company's planning and generation fail alone: the error is logged (with its traceback when
        it is not a refusal) and recorded on the company's batch, and the other companies get their
        batches all the same.
        """
        self._isp_cron_step()

    @api.model
    def _isp_cron_companies(self):
        return (
            self.env["res.company"]
            .sudo()
            .search([("isp_sepa_creditor_id", "!=", False), ("isp_sepa_journal_id", "!=", False)])
        )

    def _isp_cron_new_run(self, company):
        """Today's batch of ``company``, with its debits planned; none when there is nothing to debit."""
        batch = self.create({"company_id": company.id, "trigger": "cron"})
        try:
            with self.env.cr.savepoint():
                _waiting, errors = batch._isp_fill()
                batch._isp_record_left_out(errors)
        except Exception as error:  # logged with its traceback and recorded on the batch
            batch._isp_record_failure(error)
        if not batch.line_ids:
            if not batch.error_ids:
                batch.unlink()
            return self.browse()
        return batch

    def _isp_record_failure(self, error):
        """A step of the scheduled run failed on this batch: logged (a refusal without, anything else
        with its traceback, at warning level so that the run goes on) and recorded on the batch, in
        its own words."""
        if isinstance(error, UserError):
            _logger.warning("Debit batch %s not generated: %s", self.name, error)
        else:
            _logger.warning("Debit batch %s failed", self.name, exc_info=error)
        self._isp_log_errors(
            [self.env._("%(batch)s: %(reason)s", batch=self.name, reason=self.env["ir.cron"]._isp_error_message(error))]
        )


def _mandate_expired(mandate, day):
    """``mandate`` has not been used for 36 months on ``day`` (whether the expiry cron has run or not)."""
    return debit_plan.mandate_expired(
        mandate.last_debit_date, mandate.signature_date or mandate.create_date.date(), day
    )
