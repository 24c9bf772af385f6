import logging
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.isp_sales.models.isp_billing_run import QUIET

from ..engine import debit_plan, dtaus, pain008

_logger = logging.getLogger(__name__)

BATCH_STATES = [
    ("draft", "Draft"),
    ("generated", "File Generated"),
    ("sent", "Sent to Bank"),
    ("done", "Debited"),
    ("cancel", "Cancelled"),
]
#: batches whose invoices cannot go into another batch
OPEN_STATES = ("draft", "generated", "sent")
#: debits whose payments are created, posted and reconciled together
PAYMENT_CHUNK = 1000


class IspDebitBatch(models.Model):
    _name = "isp.debit.batch"
    _description = "SEPA Direct Debit Batch"
    _inherit = ["mail.thread"]
    _order = "collection_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: self.env["ir.sequence"].next_by_code("isp.debit.batch") or "/",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="Run Date", required=True, default=fields.Date.context_today, readonly=True)
    collection_date = fields.Date(readonly=True, help="Requested collection date (the next business day or later).")
    state = fields.Selection(BATCH_STATES, default="draft", required=True, readonly=True, tracking=True, copy=False)
    trigger = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled")], default="manual", required=True, readonly=True
    )
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

    @api.depends("line_ids.amount")
    def _compute_totals(self):
        for batch in self:
            batch.line_count = len(batch.line_ids)
            batch.amount_total = sum(batch.line_ids.mapped("amount"))

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------

    def _isp_check_manager(self):
        if not (self.env.su or self.env.user.has_group("isp_customer.group_isp_manager")):
            raise UserError(self.env._("Only ISP managers prepare and send direct debit batches."))

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
    def _isp_candidates(self, company):
        """Open posted invoices of customers who pay by SEPA direct debit with an active mandate, in EUR,
        not in an open batch: {invoice: mandate}."""
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("amount_residual", ">", 0),
                    ("currency_id.name", "=", "EUR"),
                    ("commercial_partner_id.isp_payment_method", "=", "sepa"),
                    ("isp_debit_line_ids", "not any", [("state", "in", ("draft", "open"))]),
                ],
                order="invoice_date, id",
            )
        )
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
            batch._isp_fill()
        return True

    def _isp_fill(self):
        """Plan the debits of the due invoices into draft lines."""
        self.ensure_one()
        company = self.company_id
        candidates = self._isp_candidates(company)
        first_use = {}
        entries = []
        for move, mandate in candidates.items():
            # one FRST per mandate; the mandate's other invoices of this batch follow as RCUR
            first = mandate.first_use and mandate.mandate_type == "recurrent" and mandate not in first_use
            first_use.setdefault(mandate, move)
            entries.append(
                debit_plan.Candidate(
                    (move, mandate),
                    move.invoice_date,
                    mandate.scheme,
                    mandate.mandate_type == "recurrent",
                    first,
                )
            )
        groups, waiting = debit_plan.plan(
            entries, self.date, company.isp_sepa_lead_days, company.isp_sepa_prenotification_days
        )
        vals_list = [
            {
                "batch_id": self.id,
                "move_id": move.id,
                "partner_id": move.commercial_partner_id.id,
                "mandate_id": mandate.id,
                # the open amount, less an early-payment discount due on the collection date
                "amount": move._isp_debit_amount(group.collection_date),
                "scheme": group.scheme,
                "sequence_type": group.sequence_type,
            }
            for group in groups
            for candidate in group.candidates
            for move, mandate in [candidate.key]
        ]
        self.env["isp.debit.batch.line"].sudo().create(vals_list)
        self.write(
            {
                "collection_date": groups[0].collection_date if groups else False,
                "waiting_count": len(waiting),
            }
        )

    # ------------------------------------------------------------------
    # Generation: payments and the file
    # ------------------------------------------------------------------

    def action_generate(self):
        """Register the payments (the invoices are then "in payment") and write the validated file."""
        self._isp_check_manager()
        for batch in self:
            if batch.state != "draft":
                raise UserError(self.env._("%(batch)s has been generated already.", batch=batch.name))
            batch._isp_check_configured()
            if not batch.line_ids:
                raise UserError(self.env._("%(batch)s has no debits: preview it first.", batch=batch.name))
            batch._isp_generate()
        return True

    def _isp_generate(self):
        self.ensure_one()
        lines = self.line_ids
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
        # in transit from now on: the payments make the invoices "in payment"
        lines.write({"state": "open"})
        payments = self._isp_register_payments(lines)
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
        self.write({"state": "generated", "file_id": attachment.id})
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

    def _isp_message(self):
        company = self.company_id
        bank = company.isp_sepa_journal_id.bank_account_id
        partner = company.partner_id
        creditor = pain008.Creditor(
            name=company.name,
            iban=bank.acc_number,
            bic=bank.bank_bic or "",
            creditor_id=company.isp_sepa_creditor_id,
            address=_address(partner),
        )
        groups = []
        for (scheme, sequence_type), lines in self.line_ids.grouped(
            lambda line: (line.scheme, line.sequence_type)
        ).items():
            groups.append(
                pain008.PaymentGroup(
                    payment_id=f"{self.name}-{scheme}-{sequence_type}",
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
        vals_list = []
        for line in lines:
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
            vals_list.append(vals)
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
        # each invoice with its own payment, in one reconciliation for the batch
        self.env["account.move.line"].sudo().with_context(**QUIET)._reconcile_plan(plan)
        return payments

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
        """Daily: one batch per configured company with due SEPA invoices, generated at once."""
        companies = (
            self.env["res.company"]
            .sudo()
            .search([("isp_sepa_creditor_id", "!=", False), ("isp_sepa_journal_id", "!=", False)])
        )
        done = 0
        for company in companies:
            batch = self.sudo().with_company(company).create({"company_id": company.id, "trigger": "cron"})
            batch._isp_fill()
            if not batch.line_ids:
                batch.unlink()
                continue
            try:
                with self.env.cr.savepoint():
                    batch._isp_generate()
                done += 1
            except UserError as error:
                _logger.warning("Debit batch %s not generated: %s", batch.name, error)
                batch.message_post(body=str(error), subtype_xmlid="mail.mt_note")
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)


def _address(partner):
    """A structured postal address of ``partner`` (street, post code, town, country), or None."""
    if not (partner.city and partner.country_id):
        return None
    return pain008.Address(
        street=" ".join(part for part in (partner.street, partner.street2) if part),
        postcode=partner.zip or "",
        town=partner.city,
        country=partner.country_id.code,
    )


class IspDebitBatchLine(models.Model):
    _name = "isp.debit.batch.line"
    _description = "SEPA Direct Debit"
    _order = "batch_id, sequence_type, id"
    _check_company_auto = True

    batch_id = fields.Many2one("isp.debit.batch", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="batch_id.company_id", store=True)
    currency_id = fields.Many2one(related="batch_id.currency_id")
    move_id = fields.Many2one("account.move", string="Invoice", required=True, index=True, check_company=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    mandate_id = fields.Many2one("isp.sepa.mandate", required=True)
    amount = fields.Monetary(currency_field="currency_id")
    scheme = fields.Selection([("CORE", "CORE"), ("B2B", "B2B")], required=True)
    sequence_type = fields.Selection(
        [("FRST", "First"), ("RCUR", "Recurrent"), ("OOFF", "One-off"), ("FNAL", "Final")], required=True
    )
    end_to_end_id = fields.Char(string="End-to-End Id", compute="_compute_end_to_end_id", store=True)
    state = fields.Selection(
        [
            ("draft", "Planned"),
            ("open", "In Transit"),
            ("debited", "Debited"),
            ("returned", "Returned"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
    )
    payment_id = fields.Many2one("account.payment", readonly=True)

    @api.depends("move_id.name")
    def _compute_end_to_end_id(self):
        for line in self:
            line.end_to_end_id = pain008.identifier(line.move_id.name or str(line.id))

    def init(self):
        result = super().init()
        # an invoice is in one open batch at most
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS isp_debit_batch_line_open_move_uniq "
            "ON isp_debit_batch_line (move_id) WHERE state IN ('draft', 'open')"
        )
        return result

    def _isp_debit(self):
        mandate = self.mandate_id
        partner = self.partner_id
        return pain008.Debit(
            end_to_end_id=self.end_to_end_id,
            amount=Decimal(str(self.amount)),
            mandate_id=mandate.name,
            mandate_date=mandate.signature_date,
            debtor_name=partner.name,
            debtor_iban=mandate.iban,
            debtor_bic=mandate.bic or "",
            # required for debtors outside the EEA (CH, GB, ...), given for all who have one
            debtor_address=_address(partner),
            remittance=" ".join(
                part for part in (self.move_id.name, partner.isp_customer_number, self.move_id.ref) if part
            ),
        )
