import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import billing, periods

_logger = logging.getLogger(__name__)

SEND_STATES = [("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed")]
PRINT_STATES = [("to_print", "To Print"), ("printed", "Printed")]
#: delivery attempts before an e-mail stays failed until someone retries it
MAX_ATTEMPTS = 3
#: invoices sent per batch (one PDF rendering and one commit per batch)
SEND_BATCH = 50
#: e-invoice formats of the billing profile whose XML goes beside the PDF, not inside it
XML_EINVOICE_FORMATS = ("xrechnung_ubl", "xrechnung_cii")
#: creation context of invoices the system makes in bulk: no "created" message, no tracking values
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}
#: fields that posting, or the end of ``create``, writes on journal entries the system made complete in
#: bulk (``isp_run_posting`` in the context): writing them changes no journal item
RUN_POSTING_FIELDS = frozenset({"checked", "state", "posted_before", "is_manually_modified"})
#: fields of the sending of a posted invoice: writing them changes no journal item
DOCUMENT_FIELDS = frozenset(
    {
        "message_main_attachment_id",
        "is_move_sent",
        "sending_data",
        "isp_email_state",
        "isp_print_state",
        "isp_notice_state",
        "isp_delivery_attempts",
        "isp_delivery_error",
    }
)


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_billing_run_id = fields.Many2one(
        "isp.billing.run", string="Invoice Run", readonly=True, copy=False, index="btree_not_null"
    )
    isp_regenerated_from_id = fields.Many2one(
        "account.move", string="Corrects", readonly=True, copy=False, index="btree_not_null"
    )
    isp_email_state = fields.Selection(
        SEND_STATES, string="E-mail Delivery", readonly=True, copy=False, index="btree_not_null"
    )
    isp_print_state = fields.Selection(
        PRINT_STATES, string="Postal Delivery", readonly=True, copy=False, index="btree_not_null"
    )
    isp_notice_state = fields.Selection(
        SEND_STATES,
        string="Advance Notice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Invoices dated in the future are announced by e-mail, with the PDF, the day before their date.",
    )
    isp_delivery_attempts = fields.Integer(string="Delivery Attempts", readonly=True, copy=False)
    isp_delivery_error = fields.Text(string="Delivery Error", readonly=True, copy=False)
    isp_credit_applied = fields.Monetary(
        string="Paid from Credit",
        readonly=True,
        copy=False,
        help="Part of the invoice paid from the customer's prepaid credit when it was issued.",
    )
    isp_customer_number = fields.Char(related="commercial_partner_id.isp_customer_number", string="Customer Number")
    isp_has_service_lines = fields.Boolean(compute="_compute_isp_has_service_lines", string="Has Service Lines")

    def write(self, vals):
        if (
            self.env.context.get("isp_run_posting")
            and vals.keys() == {"checked"}
            and all(move.checked == vals["checked"] for move in self)
        ):
            # posting sets the review flag invoice by invoice: set already for all of them (``_post``)
            return True
        if vals and (
            (self.env.context.get("isp_run_posting") and vals.keys() <= RUN_POSTING_FIELDS)
            or vals.keys() <= DOCUMENT_FIELDS
        ):
            # Posting entries the system made complete sets their state and review flag,
            # sending stores the documents and the delivery state; none of them changes a
            # line, so the re-synchronisation of tax and payment term lines (before and after
            # the write, over every line: a third of the time of sending) is skipped.
            return super(AccountMove, self.with_context(skip_invoice_sync=True)).write(vals)
        return super().write(vals)

    def _post(self, soft=True):
        if self.env.context.get("isp_run_posting"):
            # the review flag that posting sets entry by entry (a write each), set in one write
            self.filtered(lambda move: move.journal_id.autocheck_on_post and not move.checked).write({"checked": True})
            # read for all at once what posting reads entry by entry (whether it affects the tax report)
            self.line_ids.fetch(["tax_ids", "tax_line_id", "tax_tag_ids"])
        return super()._post(soft=soft)

    @api.depends("invoice_line_ids.isp_service_id")
    def _compute_isp_has_service_lines(self):
        for move in self:
            move.isp_has_service_lines = any(move.invoice_line_ids.mapped("isp_service_id"))

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------

    def _isp_apply_outstanding_credit(self):
        """Remember on each invoice how much of it the prepaid credit paid (shown on the PDF)."""
        residuals = {move: move.amount_residual for move in self}
        paid = super()._isp_apply_outstanding_credit()
        for move, residual in residuals.items():
            applied = residual - move.amount_residual
            if not move.currency_id.is_zero(applied):
                move.isp_credit_applied += applied
        return paid

    def _isp_sepa_prenotification(self):
        """Values of the SEPA pre-notification block of a direct-debit invoice.

        The payment addon returns the mandate reference, the creditor identifier, the
        amount and the expected debit date; without it the block states that the amount
        will be collected by direct debit.
        """
        self.ensure_one()
        return {"amount": self.amount_residual, "currency": self.currency_id}

    # ------------------------------------------------------------------
    # Corrections
    # ------------------------------------------------------------------

    def action_isp_regenerate(self):
        """Correct posted run invoices: a credit note for each and a new invoice from the current service data."""
        # account.move is the accountants' model too: no access rule tells the ISP back office from them
        if not self.env.user.has_group("isp_customer.group_isp_user"):
            raise UserError(self.env._("Only the ISP back office regenerates invoices."))
        wrong = self.filtered(
            lambda move: move.move_type != "out_invoice"
            or move.state != "posted"
            or not move.isp_has_service_lines
            or move.payment_state == "reversed"
        )
        if wrong:
            raise UserError(
                self.env._(
                    "%(invoice)s cannot be regenerated: only posted, not yet reversed invoices "
                    "of services are corrected this way.",
                    invoice=wrong[0].display_name,
                )
            )
        new_invoices = self.env["account.move"]
        for invoice in self:
            new_invoices |= invoice._isp_regenerate()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        if len(new_invoices) == 1:
            action.update({"res_id": new_invoices.id, "views": [(False, "form")], "view_mode": "form"})
        else:
            action["domain"] = [("id", "in", new_invoices.ids)]
        return action

    def _isp_regenerate(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        unpaid = self.currency_id.compare_amounts(self.amount_residual, self.amount_total) == 0
        credit_note = self._reverse_moves(
            default_values_list=[
                {
                    "invoice_date": today,
                    "ref": self.env._("Correction of %(invoice)s", invoice=self.name),
                }
            ],
            cancel=unpaid,
        )
        if credit_note.state == "draft":
            credit_note.action_post()
        service_lines = self.invoice_line_ids.filtered("isp_service_id")
        service_lines.sudo().write({"isp_period_released": True})
        # the database checks the corrected lines against the released ones
        service_lines.flush_recordset(["isp_period_released"])
        new_invoice = (
            self.env["account.move"]
            .with_context(tracking_disable=True, mail_create_nolog=True)
            .create(self._isp_corrected_invoice_vals(service_lines, today))
        )
        new_invoice.action_post()
        new_invoice._isp_apply_outstanding_credit()
        new_invoice._isp_deliver()
        self.message_post(
            body=self.env._(
                "Corrected by %(credit)s and %(invoice)s.", credit=credit_note.name, invoice=new_invoice.name
            ),
            subtype_xmlid="mail.mt_note",
        )
        new_invoice.message_post(
            body=self.env._(
                "Corrects %(invoice)s (credit note %(credit)s).", invoice=self.name, credit=credit_note.name
            ),
            subtype_xmlid="mail.mt_note",
        )
        return new_invoice

    def _isp_corrected_invoice_vals(self, service_lines, today):
        """The invoice again, its service lines priced from the services as they are now."""
        partner = self.commercial_partner_id
        discount = partner.isp_discount or 0.0
        lines = []
        for line in self.invoice_line_ids:
            if line.display_type != "product":
                lines.append(Command.create({"display_type": line.display_type, "name": line.name}))
                continue
            vals = {
                "product_id": line.product_id.id,
                "name": line.name,
                "quantity": line.quantity,
                "price_unit": line.price_unit,
                "discount": line.discount,
                "account_id": line.account_id.id,
                "tax_ids": [Command.set(line.tax_ids.ids)],
            }
            if line in service_lines:
                service = line.isp_service_id
                months = periods.PERIOD_MONTHS[service.billing_period]
                period_start, period_end = billing.aligned_period(
                    line.isp_period_start, months, partner.isp_billing_day or 1
                )
                factor = billing.proration(line.isp_period_start, line.isp_period_end, period_start, period_end)
                full_price = service.price_unit if service.price_source != "pricelist" else line.isp_full_price
                vals.update(
                    {
                        "quantity": service.quantity,
                        "price_unit": self.currency_id.round(full_price * factor) if factor != 1 else full_price,
                        "discount": discount,
                        "isp_service_id": service.id,
                        "isp_period_start": line.isp_period_start,
                        "isp_period_end": line.isp_period_end,
                        "isp_proration": factor,
                        "isp_full_price": full_price,
                        "isp_price_source": line.isp_price_source,
                    }
                )
            lines.append(Command.create(vals))
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_id.id,
            "journal_id": self.journal_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": today,
            "fiscal_position_id": self.fiscal_position_id.id,
            "invoice_payment_term_id": self.invoice_payment_term_id.id,
            "invoice_origin": self.invoice_origin,
            "isp_billing_run_id": self.isp_billing_run_id.id,
            "isp_regenerated_from_id": self.id,
            "invoice_line_ids": lines,
        }

    # ------------------------------------------------------------------
    # Charge invoices: run charges, dunning charges and return fees
    # ------------------------------------------------------------------
    #
    # One tax rule for every line the addons put on an invoice by themselves: the article's
    # sales taxes of the company, mapped through the customer's fiscal position, as Odoo does
    # for any invoice line, but never the income account's default taxes (damages and
    # interest carry exactly the taxes of their article, usually none). The ``cache`` dict
    # a caller passes keeps fiscal positions, accounts and taxes for a whole batch.

    @api.model
    def _isp_fiscal_position(self, partner, company, cache=None):
        """The fiscal position of the invoices of ``partner`` in ``company``: the partner's own,
        else the one Odoo applies automatically."""
        cache = {} if cache is None else cache
        key = (
            "fiscal_position",
            company.id,
            partner.with_company(company).property_account_position_id.id,
            partner.country_id.id,
            partner.state_id.id,
            partner.zip,
            (partner.vat or "")[:2],
            bool(partner.vat),
        )
        if key not in cache:
            cache[key] = self.env["account.fiscal.position"].with_company(company)._get_fiscal_position(partner)
        return cache[key]

    @api.model
    def _isp_product_accounting(self, product, fiscal_position, company, cache=None):
        """(income account, taxes) of ``product`` on a customer invoice of ``company`` with ``fiscal_position``."""
        cache = {} if cache is None else cache
        key = ("product", product.id, fiscal_position.id, company.id)
        if key not in cache:
            product = product.with_company(company)
            account = product.product_tmpl_id.get_product_accounts(fiscal_pos=fiscal_position)["income"]
            taxes = fiscal_position.map_tax(product.taxes_id._filter_taxes_by_company(company))
            cache[key] = (account, taxes)
        return cache[key]

    @api.model
    def _isp_prepare_charge_line_vals(self, product, label, amount, partner, company, cache=None, **values):
        """Values of one charge line (a fee, interest, a bank charge passed on) of ``amount`` for ``partner``."""
        fiscal_position = self._isp_fiscal_position(partner, company, cache)
        account, taxes = self._isp_product_accounting(product, fiscal_position, company, cache)
        vals = {
            "display_type": "product",
            "product_id": product.id,
            "name": label,
            "quantity": 1,
            "price_unit": amount,
            "tax_ids": [Command.set(taxes.ids)],
            **values,
        }
        if account:
            # without an income account on the article Odoo takes the journal's
            vals["account_id"] = account.id
        return vals

    @api.model
    def _isp_charge_journal(self, company):
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale")], limit=1
        )
        if not journal:
            raise UserError(self.env._("No sales journal in company %(company)s.", company=company.name))
        return journal

    @api.model
    def _isp_prepare_charge_invoice_vals(self, partner, company, invoice_date, lines, cache=None, **values):
        """Values of a charge invoice of ``partner`` in the company's currency.

        :param lines: values of its lines, from ``_isp_prepare_charge_line_vals``
        """
        return {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "company_id": company.id,
            "journal_id": self._isp_charge_journal(company).id,
            "currency_id": company.currency_id.id,
            "invoice_date": invoice_date,
            # the fiscal position the lines' taxes were mapped through
            "fiscal_position_id": self._isp_fiscal_position(partner, company, cache).id,
            "invoice_line_ids": [Command.create(line) for line in lines],
            **values,
        }

    @api.model
    def _isp_create_charge_invoices(self, vals_list):
        """Create and post charge invoices in one go (see ``_isp_create_invoices``)."""
        return self._isp_create_invoices(vals_list)

    @api.model
    def _isp_create_invoices(self, vals_list):
        """Create and post customer invoices the system makes in bulk: the invoice run's, dunning
        charges, return fees. The system's decision: no "created" messages, no tracking; the
        customers follow their invoices as posting would make them, in one insert.

        Fast because nothing is written twice: the product lines come with their amounts and tax
        tags (``_isp_prepare_line_amounts``), so Odoo's synchronisation of tax and payment term
        lines, which still runs and checks them, only adds the tax and payment term lines instead
        of rewriting every product line on its own; the end of ``create`` and posting then change
        nothing but states and flags (``RUN_POSTING_FIELDS``).

        :param vals_list: values of ``account.move`` (customer invoices or credit notes, their
            lines in ``invoice_line_ids``); the product lines' values are completed in place
        :return: the posted invoices, in the order of ``vals_list``
        """
        if not vals_list:
            return self.browse()
        self._isp_prepare_line_amounts(vals_list)
        moves = self.with_context(
            **QUIET,
            default_move_type="out_invoice",
            # new draft lines have no analytic lines to synchronise yet; posting checks the balance
            skip_analytic_sync=True,
            check_move_validity=False,
            isp_run_posting=True,
        ).create(vals_list)
        self.env["isp.billing.run"]._isp_subscribe_customers(moves)
        moves.with_context(skip_analytic_sync=False, check_move_validity=True)._post(soft=False)
        return moves.with_context(isp_run_posting=False)

    @api.model
    def _isp_prepare_line_amounts(self, vals_list):
        """Add to the product lines of these invoice values their balance, amount in currency and
        tax tags, computed by Odoo's tax engine as its synchronisation of tax lines computes them.

        Without them Odoo creates each line with a zero balance and writes it again, line by line,
        when it adds the tax lines (half of the time of creating an invoice). The synchronisation
        still compares: a value computed otherwise here would be corrected, not kept. Invoices in
        a foreign currency (their rate is Odoo's to find) and lines without a price or without
        explicit taxes are left as they are.

        :param vals_list: values of ``account.move``, completed in place
        """
        AccountTax = self.env["account.tax"]
        default_type = self.env.context.get("default_move_type")
        for vals in vals_list:
            move_type = vals.get("move_type", default_type)
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            currency = self.env["res.currency"].browse(vals.get("currency_id")) or company.currency_id
            if move_type not in ("out_invoice", "out_refund") or currency != company.currency_id:
                continue
            lines = [
                command[2]
                for command in vals.get("invoice_line_ids", ())
                if command[0] == Command.CREATE
                and command[2].get("display_type", "product") == "product"
                and "price_unit" in command[2]
                and _tax_ids(command[2]) is not None
                and not {"balance", "amount_currency", "debit", "credit"} & command[2].keys()
            ]
            if not lines:
                continue
            refund = move_type == "out_refund"
            # what Odoo gives an invoice line: the sign of its direction, the tags inverted on invoices
            sign = 1 if refund else -1
            partner = self.env["res.partner"].browse(vals.get("partner_id")).commercial_partner_id
            base_lines = []
            for line in lines:
                product = self.env["product.product"].browse(line.get("product_id"))
                base_lines.append(
                    AccountTax._prepare_base_line_for_taxes_computation(
                        None,
                        product_id=product,
                        product_uom_id=self.env["uom.uom"].browse(line.get("product_uom_id")) or product.uom_id,
                        tax_ids=AccountTax.browse(_tax_ids(line)),
                        price_unit=line["price_unit"],
                        quantity=line.get("quantity", 1.0),
                        discount=line.get("discount") or 0.0,
                        currency_id=currency,
                        partner_id=partner,
                        account_id=self.env["account.account"].browse(line.get("account_id")),
                        analytic_distribution=line.get("analytic_distribution") or None,
                        rate=1.0,
                        sign=sign,
                        is_refund=refund,
                        tax_tag_invert=not refund,
                    )
                )
            AccountTax._add_tax_details_in_base_lines(base_lines, company)
            AccountTax._round_base_lines_tax_details(base_lines, company)
            AccountTax._add_accounting_data_in_base_lines_tax_details(base_lines, company)
            for line, base_line in zip(lines, base_lines, strict=True):
                details = base_line["tax_details"]
                line["amount_currency"] = sign * (
                    details["total_excluded_currency"] + details["delta_total_excluded_currency"]
                )
                line["balance"] = sign * (details["total_excluded"] + details["delta_total_excluded"])
                if base_line["tax_tag_ids"]:
                    # (no tags: a new line has none, and Odoo knows it without reading them again)
                    line["tax_tag_ids"] = [Command.set(base_line["tax_tag_ids"].ids)]

    # ------------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------------

    def _isp_deliver(self):
        """Queue posted invoices for delivery as the customer's billing profile asks.

        E-mails go out from the delivery cron after this transaction is committed; postal
        invoices wait in the print queue.
        """
        today = fields.Date.context_today(self)
        for move in self:
            delivery = move.commercial_partner_id.isp_invoice_delivery
            values = {}
            if delivery in ("email", "email_post") and not move.isp_email_state:
                values["isp_email_state"] = "queued"
            if delivery in ("post", "email_post") and not move.isp_print_state:
                values["isp_print_state"] = "to_print"
            if move.invoice_date and move.invoice_date > today and not move.isp_notice_state:
                values["isp_notice_state"] = "queued"
            if values:
                move.write(values)
        self.env.ref("isp_sales.ir_cron_isp_deliver_invoices")._trigger()

    def _need_ubl_cii_xml(self, ubl_cii_format):
        """No new e-invoice for an invoice that has its documents (EXTENDS account_edi_ubl_cii).

        The PDF and e-invoice of a posted invoice are made once, when it is first sent or
        printed (GoBD): a ZUGFeRD / Factur-X XML lives inside the PDF, so without this a second
        sending would build and check an XML that is never used.
        """
        if self.invoice_pdf_report_id and self.env["account.move.send"]._isp_einvoice_profile(self):
            return False
        return super()._need_ubl_cii_xml(ubl_cii_format)

    def _isp_make_documents(self):
        """Make the PDF and e-invoice of these posted invoices where they have none yet, as sending does.

        They are made once and kept: invoices that have their documents are left alone.

        :return: {invoice: error text} of the invoices whose e-invoice breaks its rules (they got nothing)
        """
        moves = self.filtered(
            lambda move: move.state == "posted" and move.is_sale_document() and not move.invoice_pdf_report_id
        )
        if not moves:
            return {}
        refused = self.env["account.move.send"]._isp_generate_documents(moves)
        return {move: refused[move] for move in self if move in refused}

    def _isp_offers_xml_einvoice(self):
        """Whether the customer receives an XML e-invoice beside the PDF (XRechnung).

        Once the documents are made, the stored XML decides; before, the billing profile.
        """
        self.ensure_one()
        if self.state != "posted" or not self.is_sale_document():
            return False
        if self.invoice_pdf_report_id:
            return bool(self.ubl_cii_xml_id)
        return self.commercial_partner_id.isp_einvoice_format in XML_EINVOICE_FORMATS

    def _isp_documents(self):
        """The documents the customer receives: the PDF and, for XRechnung, the XML file (made now if not yet).

        :raise UserError: the e-invoice breaks its rules (with the rule ids and texts)
        """
        self.ensure_one()
        error = self._isp_make_documents().get(self)
        if error:
            raise UserError(error)
        return self.env["account.move.send"]._get_invoice_extra_attachments(self)

    @api.model
    def _isp_due_deliveries(self, kind, limit=SEND_BATCH):
        """The invoices whose delivery of ``kind`` ("notice": the advance notice the day before,
        "email": the invoice) is due now, the oldest first: queued, or failed an hour ago at least
        and not too often.

        :param limit: how many at most (None: all)
        """
        return self.search(self._isp_due_delivery_domain(kind), order="invoice_date, id", limit=limit)

    @api.model
    def _isp_due_delivery_domain(self, kind):
        today = fields.Date.context_today(self)
        domain = [
            ("state", "=", "posted"),
            "|",
            (f"isp_{kind}_state", "=", "queued"),
            "&",
            "&",
            (f"isp_{kind}_state", "=", "failed"),
            ("isp_delivery_attempts", "<", MAX_ATTEMPTS),
            # failed deliveries wait an hour before the next attempt
            ("write_date", "<", fields.Datetime.now() - timedelta(hours=1)),
        ]
        if kind == "notice":
            domain += [("invoice_date", "<=", today + timedelta(days=1)), ("invoice_date", ">", today)]
        else:
            domain += [("invoice_date", "<=", today)]
        return domain

    @api.model
    def _cron_isp_deliver_invoices(self):
        """Send the due advance notices and invoice e-mails: a batch per call, the cron calls again
        while some remain; or, where workers share the sending (``_isp_dispatch_deliveries``), hand
        them all the due ones."""
        if not self._isp_dispatch_deliveries():
            self._isp_deliver_due_batch()

    @api.model
    def _isp_deliver_due_batch(self):
        """Send a batch of due advance notices and invoice e-mails in this transaction, and tell the
        scheduled action how many remain."""
        notices = self._isp_due_deliveries("notice")
        notices._isp_send_advance_notices()
        emails = self._isp_due_deliveries("email")
        emails._isp_send_emails()
        today = fields.Date.context_today(self)
        remaining = self.search_count(
            [
                ("state", "=", "posted"),
                "|",
                "&",
                ("isp_email_state", "=", "queued"),
                ("invoice_date", "<=", today),
                "&",
                ("isp_notice_state", "=", "queued"),
                ("invoice_date", "=", today + timedelta(days=1)),
            ]
        )
        self.env["ir.cron"]._notify_progress(done=len(notices) + len(emails), remaining=remaining)

    @api.model
    def _isp_dispatch_deliveries(self):
        """Hook: hand the due deliveries to parallel workers, a batch of at most SEND_BATCH
        invoices each (``_isp_send_due``), and return True; False (here): the scheduled action
        sends them itself, a batch per call."""
        return False

    def _isp_send_due(self, kind):
        """Send the deliveries of ``kind`` ("notice" or "email") of these invoices that are still
        due, as one of several workers: an invoice another transaction holds (a worker sending it)
        is left to that one, and one sent since this transaction began makes it fail with a
        serialization error (its job is retried and finds it sent), so that no invoice is sent
        twice.

        :return: the invoices it sent or recorded as failed
        """
        if not self:
            return self
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT id FROM account_move WHERE id IN %s ORDER BY id FOR UPDATE SKIP LOCKED", tuple(self.ids)),
            # a serialization failure is expected here: the job is retried
            log_exceptions=False,
        )
        locked = [row[0] for row in self.env.cr.fetchall()]
        due = self.search([("id", "in", locked), *self._isp_due_delivery_domain(kind)], order="invoice_date, id")
        if kind == "notice":
            due._isp_send_advance_notices()
        else:
            due._isp_send_emails()
        return due

    def _isp_fail_delivery(self, state_field, message, final=False):
        for move in self:
            move.write(
                {
                    state_field: "failed",
                    "isp_delivery_attempts": MAX_ATTEMPTS if final else move.isp_delivery_attempts + 1,
                    "isp_delivery_error": message,
                }
            )

    def _isp_send_emails(self):
        """E-mail the invoices with their PDF (Odoo's invoice template, in the customer's language)."""
        missing = self.filtered(lambda move: not move.partner_id.email)
        for move in missing:
            move._isp_fail_delivery(
                "isp_email_state",
                self.env._("%(partner)s has no e-mail address.", partner=move.partner_id.name),
                final=True,
            )
        # all at once; when that fails invoice by invoice, so that one broken invoice fails alone
        self.env["ir.cron"]._isp_process_isolated(
            self - missing,
            lambda moves: moves._isp_send_emails_now(),
            on_error=lambda move, message: move._isp_fail_delivery("isp_email_state", message),
            together=True,
        )

    def _isp_send_emails_now(self):
        # the documents first: an invoice whose e-invoice breaks a rule is not sent, and no
        # second attempt makes it valid (the data must be corrected, then retried)
        refused = self._isp_make_documents()
        for move, error in refused.items():
            move._isp_fail_delivery("isp_email_state", error, final=True)
        moves = self.filtered(lambda move: move not in refused)
        if not moves:
            return
        # queued in the mail queue, sent by its own cron
        self.env["account.move.send"]._generate_and_send_invoices(
            moves.with_context(mail_notify_force_send=False),
            from_cron=True,
            sending_methods={"email"},
            author_user_id=self.env.user.id,
            author_partner_id=self.env.user.partner_id.id,
        )
        failed = moves.filtered(lambda move: move.sending_data and move.sending_data.get("error"))
        failed.write({"sending_data": False})
        failed._isp_fail_delivery(
            "isp_email_state", self.env._("The invoice document could not be generated; see the chatter.")
        )
        (moves - failed).write({"isp_email_state": "sent", "isp_delivery_error": False})

    def _isp_send_advance_notices(self):
        """Tell customers the day before about invoices dated in the future, with the PDF."""
        missing = self.filtered(lambda move: not move.partner_id.email)
        for move in missing:
            move._isp_fail_delivery(
                "isp_notice_state",
                self.env._("%(partner)s has no e-mail address.", partner=move.partner_id.name),
                final=True,
            )
        self.env["ir.cron"]._isp_process_isolated(
            self - missing,
            lambda move: move._isp_send_advance_notice_now(),
            on_error=lambda move, message: move._isp_fail_delivery("isp_notice_state", message),
        )

    def _isp_send_advance_notice_now(self):
        self.ensure_one()
        template = self.env.ref("isp_sales.mail_template_isp_advance_notice")
        # the invoice's own documents (PDF and e-invoice), made now: the notice carries the invoice
        attachments = self._isp_documents()
        template.send_mail(
            self.id, email_values={"attachment_ids": [Command.link(attachment.id) for attachment in attachments]}
        )
        values = {"isp_notice_state": "sent", "isp_delivery_error": False}
        if self.isp_email_state in ("queued", "failed"):
            # the notice carried the invoice: no second e-mail on the invoice date
            values["isp_email_state"] = "sent"
        self.write(values)
        self.message_post(
            body=self.env._("Advance notice sent to %(email)s.", email=self.partner_id.email),
            subtype_xmlid="mail.mt_note",
        )

    def action_isp_retry_delivery(self):
        failed = self.filtered(lambda move: "failed" in (move.isp_email_state, move.isp_notice_state))
        for move in failed:
            values = {"isp_delivery_attempts": 0, "isp_delivery_error": False}
            if move.isp_email_state == "failed":
                values["isp_email_state"] = "queued"
            if move.isp_notice_state == "failed":
                values["isp_notice_state"] = "queued"
            move.write(values)
        self.env.ref("isp_sales.ir_cron_isp_deliver_invoices")._trigger()
        return True

    def action_isp_print_and_mark_sent(self):
        """One PDF of the selected postal invoices; they leave the print queue."""
        moves = self.filtered(lambda move: move.isp_print_state == "to_print")
        if not moves:
            raise UserError(self.env._("None of the selected invoices is waiting to be printed."))
        # the printed letter is the invoice's PDF, made with its e-invoice as for e-mail
        refused = moves._isp_make_documents()
        if refused:
            raise UserError("\n\n".join(refused.values()))
        moves.write({"isp_print_state": "printed", "is_move_sent": True})
        return self.env.ref("account.account_invoices").report_action(moves.sorted("name"))

    # ------------------------------------------------------------------
    # Payments
    # ------------------------------------------------------------------

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        self._isp_execute_paid_orders()
        return result

    def _isp_payment_received(self):
        """Of these paid invoices, those whose money is there for starting services: all of them here
        (the payment addon holds back direct debits the bank has not collected yet)."""
        return self

    def _isp_execute_paid_orders(self):
        """New clients: the services of an order start when its invoice is paid."""
        invoices = self.filtered(
            lambda move: move.move_type == "out_invoice" and move.payment_state in ("paid", "in_payment")
        )._isp_payment_received()
        orders = invoices.invoice_line_ids.sale_line_ids.order_id.sudo().filtered(
            lambda order: order.isp_decision == "waiting_payment" and order.state == "sale"
        )
        for order in orders:
            order._isp_execute()
            order.write({"isp_decision": "executed"})
            order.message_post(
                body=self.env._("Invoice paid: services executed."),
                subtype_xmlid="mail.mt_note",
            )
        return orders


def _tax_ids(line_vals):
    """The ids of the taxes that ``line_vals`` sets (a list of ids or one SET command), None when
    the line leaves them to Odoo or changes them otherwise."""
    commands = line_vals.get("tax_ids")
    if commands is None:
        return None
    if all(isinstance(command, int) for command in commands):
        return list(commands)
    if len(commands) == 1 and commands[0][0] == Command.SET:
        return list(commands[0][2])
    return None
