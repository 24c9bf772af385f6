from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..engine import pain008
from ..models import isp_debit_batch
from . import dtaus_reader
from .common import IspDebitCase

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}


@tagged("post_install", "-at_install")
class TestDebitBatch(IspDebitCase):
    def test_lead_time_groups_payments_and_file(self):
        consumer_mandate = self._sepa_customer(self.consumer, self.consumer_account)
        first = self._invoice_on(self.business, 100.0, "2026-12-01")
        second = self._invoice_on(self.business, 50.0, "2026-11-25")
        consumer_invoice = self._invoice_on(self.consumer, 19.9, "2026-11-30")
        too_recent = self._invoice_on(self.business, 9.9, "2026-12-05")
        transfer_customer = self.env["res.partner"].create({"name": "Pays by transfer"})
        self._invoice_on(transfer_customer, 30.0, "2026-11-20")

        batch = self._batch("2026-12-14")
        self.assertEqual(batch.collection_date, fields.Date.to_date("2026-12-15"))
        self.assertEqual(batch.line_ids.move_id, first | second | consumer_invoice)
        self.assertEqual(batch.waiting_count, 1, "the invoice of 5 December waits for its pre-notification")
        by_move = {line.move_id: line for line in batch.line_ids}
        self.assertEqual(
            {by_move[second].sequence_type, by_move[first].sequence_type}, {"FRST", "RCUR"}, "one FRST per mandate"
        )
        self.assertEqual(by_move[consumer_invoice].sequence_type, "FRST")
        self.assertEqual(batch.state, "generated")
        for move in first | second | consumer_invoice:
            self.assertEqual(move.payment_state, "in_payment", "payments on the outstanding receipts account")
        self.assertEqual(too_recent.payment_state, "not_paid")
        self.assertFalse(self.business_mandate.first_use)
        self.assertFalse(consumer_mandate.first_use)

        document = batch.file_id.raw
        self.assertEqual(pain008.validate(document, "08"), [])
        tree = etree.fromstring(document)
        self.assertEqual(tree.xpath("//p:GrpHdr/p:CtrlSum", namespaces=NS)[0].text, "169.90")
        self.assertEqual(tree.xpath("//p:GrpHdr/p:NbOfTxs", namespaces=NS)[0].text, "3")
        self.assertEqual(sorted(element.text for element in tree.xpath("//p:SeqTp", namespaces=NS)), ["FRST", "RCUR"])
        self.assertEqual(tree.xpath("//p:ReqdColltnDt", namespaces=NS)[0].text, "2026-12-15")
        self.assertEqual(tree.xpath("//p:CdtrSchmeId//p:Othr/p:Id", namespaces=NS)[0].text, "DE98ZZZ09999999999")
        business_debtor = tree.xpath(
            f"//p:DrctDbtTxInf[p:DrctDbtTx/p:MndtRltdInf/p:MndtId='{self.business_mandate.name}']/p:Dbtr",
            namespaces=NS,
        )[0]
        self.assertEqual(business_debtor.find("p:Nm", NS).text, "Mueller + Soehne GmbH")
        self.assertEqual(business_debtor.find("p:PstlAdr/p:TwnNm", NS).text, "Muenchen")
        self.assertEqual(business_debtor.find("p:PstlAdr/p:StrtNm", NS).text, "Hauptstrasse 5")

        # the next run: the invoices are in an open batch, the recent one is now due
        later = self._batch("2026-12-21")
        self.assertEqual(later.line_ids.move_id, too_recent)
        self.assertEqual(later.line_ids.sequence_type, "RCUR")

    def test_large_batch_registers_payments_in_chunks(self):
        self._sepa_customer(self.consumer, self.consumer_account)
        invoices = (
            self._invoice_on(self.business, 10.0, "2026-11-20")
            | self._invoice_on(self.consumer, 20.0, "2026-11-21")
            | self._invoice_on(self.business, 30.0, "2026-11-22")
        )
        with patch.object(isp_debit_batch, "PAYMENT_CHUNK", 2):
            batch = self._batch("2026-12-14")
        self.assertEqual(batch.state, "generated")
        self.assertEqual(len(batch.line_ids.payment_id), 3, "one payment per debit across the chunks")
        for line in batch.line_ids:
            self.assertEqual((line.payment_id.amount, line.payment_id.partner_id), (line.amount, line.partner_id))
        self.assertEqual(set(invoices.mapped("payment_state")), {"in_payment"})
        self.assertEqual(set(invoices.mapped("amount_residual")), {0.0})

    def test_payment_entries_posted_reconciled_and_followed_once(self):
        """Issue 15: the run's payment entries, registered in bulk, are what Odoo's own payments make:
        posted on the outstanding receipts account, each reconciled with its own invoice, and followed
        by their customer once."""
        self._sepa_customer(self.consumer, self.consumer_account)
        invoices = self._invoice_on(self.business, 10.0, "2026-11-20") | self._invoice_on(
            self.consumer, 20.0, "2026-11-21"
        )
        batch = self._batch("2026-12-14")
        outstanding = batch._isp_outstanding_receipts()
        for line in batch.line_ids:
            entry = line.payment_id.move_id
            self.assertEqual(entry.state, "posted")
            self.assertEqual(line.payment_id.outstanding_account_id, outstanding)
            receivable = entry.line_ids.filtered(lambda item: item.account_id.account_type == "asset_receivable")
            self.assertTrue(receivable.reconciled)
            self.assertEqual(receivable.matched_debit_ids.debit_move_id.move_id, line.move_id)
            followers = self.env["mail.followers"].search(
                [("res_model", "=", "account.move"), ("res_id", "=", entry.id)]
            )
            self.assertEqual(followers.partner_id, line.partner_id, "the customer follows the entry, once")
        self.assertEqual(set(invoices.mapped("payment_state")), {"in_payment"})

    def test_pain_version_02(self):
        self.env.company.isp_sepa_pain_version = "02"
        self._invoice_on(self.business, 100.0, "2026-12-01")
        batch = self._batch("2026-12-14")
        self.assertEqual(batch.pain_version, "02")
        self.assertEqual(pain008.validate(batch.file_id.raw, "02"), [])
        self.assertIn(b"pain.008.001.02", batch.file_id.raw)

    def test_one_open_batch_per_invoice(self):
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        draft = self._batch("2026-12-14", preview_only=True)
        self.assertEqual(draft.line_ids.move_id, invoice)
        self.assertFalse(self._batch("2026-12-14", preview_only=True).line_ids, "already in an open batch")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["isp.debit.batch.line"].create(
                {
                    "batch_id": self.env["isp.debit.batch"].create({}).id,
                    "move_id": invoice.id,
                    "partner_id": self.business.id,
                    "mandate_id": self.business_mandate.id,
                    "amount": 100.0,
                    "scheme": "CORE",
                    "sequence_type": "RCUR",
                }
            )

    def test_invalid_file_is_refused_with_reasons(self):
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        batch = self._batch("2026-12-14", preview_only=True)
        real_write = pain008.write

        def broken(message, version="08", german=False):
            return real_write(message, version, german).replace(b"<SeqTp>FRST</SeqTp>", b"<SeqTp>SOON</SeqTp>")

        with patch.object(pain008, "write", broken), self.assertRefused(UserError, "(?s)does not validate.*SeqTp"):
            batch.action_generate()
        self.assertEqual(batch.state, "draft")
        self.assertFalse(batch.file_id)
        self.assertEqual(invoice.payment_state, "not_paid", "no payment without a valid file")

    def test_sent_debited_and_cancel(self):
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        batch = self._batch("2026-12-14")
        batch.action_mark_sent()
        with self.assertRefused(UserError, "cannot be cancelled"):
            batch.action_cancel()
        batch.action_mark_debited()
        self.assertEqual((batch.state, batch.line_ids.state), ("done", "debited"))
        self.assertEqual(invoice.payment_state, "paid", "collected by the bank")
        again = self._invoice_on(self.business, 20.0, "2026-12-02")
        batch = self._batch("2026-12-16")
        batch.action_cancel()
        self.assertEqual((batch.state, again.payment_state), ("cancel", "not_paid"))
        self.assertEqual(self._batch("2026-12-16").line_ids.move_id, again, "a cancelled batch frees its invoices")

    def test_dtaus_export(self):
        self._invoice_on(self.business, 100.0, "2026-12-01")
        batch = self._batch("2026-12-14")
        action = batch.action_export_dtaus()
        self.assertIn(str(batch.dtaus_file_id.id), action["url"])
        parsed = dtaus_reader.parse(batch.dtaus_file_id.raw)
        self.assertEqual(parsed.totals["cents"], 10000)
        self.assertEqual((parsed.debits[0].payer_blz, parsed.debits[0].payer_account), ("12030000", "0000202051"))
        self.assertEqual(parsed.bank_blz, "37040044")
        austrian = self.env["res.partner.bank"].create(
            {"acc_number": "AT611904300234573201", "partner_id": self.consumer.id}
        )
        self._sepa_customer(self.consumer, austrian)
        self._invoice_on(self.consumer, 10.0, "2026-12-01")
        batch = self._batch("2026-12-15")
        with self.assertRefused(UserError, "DTAUS export refused: DTAUS carries German accounts only; AT61"):
            batch.action_export_dtaus()

    def test_dtaus_export_is_for_managers(self):
        """Issue 15: exporting DTAUS writes the file on the batch: a clerk, who reads batches, is refused by the
        access rules and sees no Export DTAUS; no file is written."""
        self._invoice_on(self.business, 100.0, "2026-12-01")
        batch = self._batch("2026-12-14")
        self.env.invalidate_all()
        with self.assertRefused(AccessError, "not allowed to modify"):
            batch.with_user(self.clerk).action_export_dtaus()
        self.assertFieldUnchanged(batch, "dtaus_file_id", self.env["ir.attachment"])
        self.assertNotIn("action_export_dtaus", self._view_buttons("isp.debit.batch", self.clerk))
        self.assertIn("action_export_dtaus", self._view_buttons("isp.debit.batch", self.manager))

    def test_prenotification_on_the_invoice(self):
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        values = invoice._isp_sepa_prenotification()
        self.assertEqual(values["mandate_reference"], self.business_mandate.name)
        self.assertEqual(values["creditor_identifier"], "DE98ZZZ09999999999")
        self.assertEqual(values["debit_date"], fields.Date.to_date("2026-12-15"))
        self.assertEqual(values["amount"], 100.0)

    def test_early_payment_discount_taken_within_its_period(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "2 % within 14 days, 30 days net",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 14,
                "early_pay_discount_computation": "included",
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        in_period, too_late = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": self.business.id,
                    "invoice_date": day,
                    "invoice_payment_term_id": term.id,
                    "invoice_line_ids": [
                        Command.create({"name": "Hosting", "quantity": 1, "price_unit": 100.0, "tax_ids": []})
                    ],
                }
                # discount until 15 December (the collection date) and until 9 December
                for day in ("2026-12-01", "2026-11-25")
            ]
        )
        (in_period | too_late).action_post()
        self.assertEqual(in_period._isp_sepa_prenotification()["amount"], 98.0, "the invoice announces 98.00")

        batch = self._batch("2026-12-14")
        by_move = {line.move_id: line for line in batch.line_ids}
        self.assertEqual((by_move[in_period].amount, by_move[too_late].amount), (98.0, 100.0))
        self.assertEqual(batch.amount_total, 198.0)
        self.assertEqual(
            etree.fromstring(batch.file_id.raw).xpath("//p:GrpHdr/p:CtrlSum", namespaces=NS)[0].text, "198.00"
        )
        discount_account = self.env.company.account_journal_early_pay_discount_loss_account_id
        discount_lines = by_move[in_period].payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id == discount_account
        )
        self.assertEqual(discount_lines.mapped("balance"), [2.0], "the discount is booked as Odoo books it")
        self.assertFalse(by_move[too_late].payment_id.move_id.line_ids & discount_lines)
        for move in in_period | too_late:
            self.assertEqual((move.payment_state, move.amount_residual), ("in_payment", 0.0))
        batch.action_mark_sent()
        batch.action_mark_debited()
        self.assertEqual(set((in_period | too_late).mapped("payment_state")), {"paid"})
        # returned: the discount goes with the payment, the full amount is open again
        by_move[in_period]._isp_return("MD06", fields.Date.to_date("2026-12-18"))
        self.assertEqual((in_period.payment_state, in_period.amount_residual), ("not_paid", 100.0))

    def test_open_batch_invoices_are_not_dunned(self):
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        self._batch("2026-12-14")
        domain = self.env["account.move"]._isp_dunning_domain(self.env.company, fields.Date.to_date("2027-01-31"))
        self.assertNotIn(invoice, self.env["account.move"].search(domain))

    def test_scheduled_run_and_rights(self):
        self._invoice_on(self.business, 100.0, "2026-12-01")
        with freeze_time("2026-12-14"):
            batch = self.env["isp.debit.batch"].with_user(self.manager).create({})
            for action in ("action_preview", "action_generate", "action_confirm"):
                with self.assertRefused(AccessError, "not allowed to modify"):
                    getattr(batch.with_user(self.clerk), action)()
            self.assertFalse(batch.line_ids)
            self.assertEqual(batch.state, "draft")
            self.env["isp.debit.batch"]._cron_isp_debit_run()
            self.env["isp.debit.batch"]._cron_isp_debit_run()
        batches = self.env["isp.debit.batch"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(len(batches.filtered("line_ids")), 1, "the second run finds nothing left to debit")
        self.assertEqual(batches.filtered("line_ids").state, "generated")

    # ------------------------------------------------------------------
    # Issue 12, point 2: generating a previewed batch re-checks every debit
    # ------------------------------------------------------------------

    def _preview_as_manager(self, day):
        with freeze_time(day):
            batch = self.env["isp.debit.batch"].with_user(self.manager).create({})
            batch.action_preview()
        return batch

    def test_p02_generate_revalidates_a_stale_preview(self):
        """Issue 12, point 2: what changed since the preview drops out or is updated, and the user is told."""
        self._sepa_customer(self.consumer, self.consumer_account)
        switched_account = self.env["res.partner.bank"].create(
            {"acc_number": "DE45120300001234567890", "partner_id": self.customer.id}
        )
        self._sepa_customer(self.customer, switched_account)
        paid_meanwhile = self._invoice_on(self.business, 100.0, "2026-11-20")
        partly_paid = self._invoice_on(self.business, 80.0, "2026-11-25")
        kept = self._invoice_on(self.business, 50.0, "2026-12-01")
        revoked = self._invoice_on(self.consumer, 19.9, "2026-11-30")
        by_transfer = self._invoice_on(self.customer, 40.0, "2026-11-30")
        batch = self._preview_as_manager("2026-12-14")
        by_move = {line.move_id: line for line in batch.line_ids}
        self.assertEqual(set(by_move), {paid_meanwhile, partly_paid, kept, revoked, by_transfer})
        self.assertEqual(by_move[paid_meanwhile].sequence_type, "FRST", "the oldest invoice takes the mandate's FRST")
        self.assertEqual((by_move[kept].sequence_type, by_move[partly_paid].amount), ("RCUR", 80.0))

        # after the preview: a transfer pays one invoice in full and one in part, a mandate is revoked,
        # a customer now pays by transfer
        self._pay(paid_meanwhile, 100.0, "2026-12-14")
        self._pay(partly_paid, 30.0, "2026-12-14")
        self.consumer._isp_active_mandate(self.env.company).with_user(self.manager).action_revoke()
        self.customer.isp_payment_method = "transfer"

        with freeze_time("2026-12-14"):
            result = batch.with_user(self.manager).action_generate()
        self.assertEqual(batch.state, "generated")
        by_move = {line.move_id: line for line in batch.line_ids}
        self.assertEqual(set(by_move), {partly_paid, kept})
        self.assertEqual(by_move[partly_paid].amount, 50.0, "the debit takes only what is still open")
        self.assertEqual(by_move[partly_paid].sequence_type, "FRST", "the mandate's first debit is now this one")
        self.assertEqual(by_move[kept].sequence_type, "RCUR")
        self.assertEqual(batch.amount_total, 100.0)
        tree = etree.fromstring(batch.file_id.raw)
        self.assertEqual(tree.xpath("//p:GrpHdr/p:CtrlSum", namespaces=NS)[0].text, "100.00")
        self.assertEqual(tree.xpath("//p:GrpHdr/p:NbOfTxs", namespaces=NS)[0].text, "2")
        self.assertEqual((partly_paid.payment_state, partly_paid.amount_residual), ("in_payment", 0.0))
        for move in paid_meanwhile | revoked | by_transfer:
            self.assertFalse(move.isp_debit_line_ids, f"{move.name} is not debited")
        self.assertEqual(len(paid_meanwhile._get_reconciled_payments()), 1, "collected once, by the transfer")
        self.assertEqual((revoked.payment_state, revoked.amount_residual), ("not_paid", 19.9))
        self.assertEqual((by_transfer.payment_state, by_transfer.amount_residual), ("not_paid", 40.0))

        # the user is told which invoices dropped out and why: in the result and in the chatter
        message = result["params"]["message"]
        note = "\n".join(batch.message_ids.mapped("body"))
        for text in (message, note):
            self.assertRegex(text, f"{paid_meanwhile.name}: [^\\n]*paid")
            self.assertRegex(text, f"{revoked.name}: [^\\n]*no active mandate")
            self.assertRegex(text, f"{by_transfer.name}: [^\\n]*no longer pays by direct debit")
            self.assertRegex(text, f"{partly_paid.name}: [^\\n]*80.00[^\\n]*50.00")
            self.assertNotIn(kept.name, text)

    def test_p02_generate_refuses_when_nothing_remains(self):
        """Issue 12, point 2: a preview whose invoices were all paid meanwhile is refused; nothing is saved."""
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        batch = self._preview_as_manager("2026-12-14")
        line = batch.line_ids
        self._pay(invoice, 100.0, "2026-12-14")
        payments = invoice._get_reconciled_payments()
        refusal = f"(?s)nothing left to debit.*{invoice.name}: paid"
        with freeze_time("2026-12-14"), self.assertRefused(UserError, refusal):
            batch.with_user(self.manager).action_generate()
        self.assertEqual((batch.state, batch.line_ids), ("draft", line), "the preview stays as it was")
        self.assertFalse(batch.file_id)
        self.assertFalse(line.payment_id)
        self.assertEqual(invoice._get_reconciled_payments(), payments, "no debit payment")
        self.assertTrue(self.business_mandate.first_use, "the mandate was not used")

    def test_p02_mandate_expired_since_the_preview_drops_out(self):
        """Issue 12, point 2: a mandate that expires between preview and generation debits nothing; the
        collection date follows the day of generation."""
        self._sepa_customer(self.consumer, self.consumer_account, signature_date="2023-12-10")
        expiring = self._invoice_on(self.consumer, 19.9, "2026-11-20")
        kept = self._invoice_on(self.business, 100.0, "2026-11-20")
        batch = self._preview_as_manager("2026-12-08")
        self.assertEqual(batch.line_ids.move_id, expiring | kept)
        self.assertEqual(batch.collection_date, fields.Date.to_date("2026-12-09"))
        with freeze_time("2026-12-11"):
            result = batch.with_user(self.manager).action_generate()
        self.assertEqual((batch.state, batch.line_ids.move_id), ("generated", kept))
        self.assertEqual(batch.collection_date, fields.Date.to_date("2026-12-14"), "the next business day")
        tree = etree.fromstring(batch.file_id.raw)
        self.assertEqual(tree.xpath("//p:ReqdColltnDt", namespaces=NS)[0].text, "2026-12-14")
        self.assertRegex(result["params"]["message"], f"{expiring.name}: [^\\n]*expired")
        self.assertEqual(expiring.payment_state, "not_paid")

    # ------------------------------------------------------------------
    # Issue 12, point 3: a new client's services start when the debit is collected
    # ------------------------------------------------------------------

    def _new_client_debit_order(self):
        """A new client paying by direct debit orders a domain on 1 December; its invoice is in the batch of
        16 December (generated by the ISP manager)."""
        client = self.env["res.partner"].create(
            {"name": "Neukunde GmbH", "is_company": True, "isp_lifecycle": "customer", "email": "neu@example.com"}
        )
        self.assertEqual(client.isp_customer_class, "new")
        account = self.env["res.partner.bank"].create({"acc_number": "DE41100200300000000042", "partner_id": client.id})
        self._sepa_customer(client, account)
        with freeze_time("2026-12-01"):
            order = self._order([(self.domain, 1, "neukunde.de")], partner=client)
            order.with_user(self.salesman).action_isp_process()
        self.assertEqual(order.isp_decision, "waiting_payment")
        invoice = order.invoice_ids
        with freeze_time("2026-12-16"):
            batch = self.env["isp.debit.batch"].with_user(self.manager).create({})
            batch.action_preview()
            batch.action_generate()
        self.assertEqual(batch.line_ids.move_id, invoice)
        self.assertEqual(invoice.payment_state, "in_payment", "the debit is in transit")
        return order, invoice, batch

    def test_p03_new_client_services_start_on_collection(self):
        """Issue 12, point 3: a new client's services start when the batch is marked debited, not at generation."""
        self.assertEqual(self.env.company.isp_sepa_service_start, "collection", "the default")
        order, invoice, batch = self._new_client_debit_order()
        self.assertEqual(order.isp_service_ids.state, "pending", "no money yet when the file is made")
        self.assertEqual(order.isp_decision, "waiting_payment")
        batch.with_user(self.manager).action_mark_sent()
        self.assertEqual(order.isp_service_ids.state, "pending", "submitted is not collected")
        batch.with_user(self.manager).action_mark_debited()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(order.isp_service_ids.state, "active")
        self.assertEqual(order.isp_decision, "executed")

    def test_p03_new_client_services_start_on_submission_when_chosen(self):
        """Issue 12, point 3: with "on submission", a new client's services start when the batch is marked sent."""
        settings = self.env["res.config.settings"].create({})
        settings.isp_sepa_service_start = "submission"
        settings.execute()
        self.assertEqual(self.env.company.isp_sepa_service_start, "submission")
        order, _invoice, batch = self._new_client_debit_order()
        self.assertEqual(order.isp_service_ids.state, "pending", "not when the file is made")
        batch.with_user(self.manager).action_mark_sent()
        self.assertEqual(order.isp_service_ids.state, "active")
        self.assertEqual(order.isp_decision, "executed")
        batch.with_user(self.manager).action_mark_debited()
        self.assertEqual(order.isp_service_ids.state, "active")

    def test_p03_debit_returned_before_collection_starts_nothing(self):
        """Issue 12, point 3: a new client's debit returned before the collection leaves the services pending."""
        order, invoice, batch = self._new_client_debit_order()
        batch.with_user(self.manager).action_mark_sent()
        line = batch.line_ids
        wizard = (
            self.env["isp.debit.return.manual"]
            .with_user(self.manager)
            .with_context(**line.action_return()["context"])
            .create({"reason_code": "AM04", "date": "2026-12-17"})
        )
        wizard.action_return()
        batch.with_user(self.manager).action_mark_debited()
        self.assertEqual((line.state, invoice.payment_state, invoice.amount_residual), ("returned", "not_paid", 12.0))
        self.assertEqual(order.isp_service_ids.state, "pending")
        self.assertEqual(order.isp_decision, "waiting_payment")

    def test_p03_transfer_still_starts_services_at_once(self):
        """Issue 12, point 3: a new client paying by transfer still gets the services when the payment is booked."""
        client = self.env["res.partner"].create({"name": "Ueberweiser GmbH", "is_company": True})
        order = self._order([(self.domain, 1, "ueberweiser.de")], partner=client)
        order.with_user(self.salesman).action_isp_process()
        self._pay(order.invoice_ids, 12.0, fields.Date.today())
        self.assertEqual(order.invoice_ids.payment_state, "paid")
        self.assertEqual(order.isp_service_ids.state, "active")

    # ------------------------------------------------------------------
    # Issue 12, point 8: one bad record does not stop the scheduled run
    # ------------------------------------------------------------------

    def test_p08_mandate_without_iban_does_not_stop_the_run(self):
        """Issue 12, point 8: a mandate whose account lost its IBAN is left out with an error; others are debited."""
        mandate = self._sepa_customer(self.consumer, self.consumer_account)
        broken = self._invoice_on(self.consumer, 19.9, "2026-11-30")
        good = self._invoice_on(self.business, 100.0, "2026-12-01")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner_bank SET acc_number = '', sanitized_acc_number = '' WHERE id = %s",
            [self.consumer_account.id],
        )
        self.env.invalidate_all()
        with freeze_time("2026-12-14"):
            self.env["isp.debit.batch"]._cron_isp_debit_run()
        batch = self.env["isp.debit.batch"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(len(batch), 1)
        self.assertEqual((batch.state, batch.line_ids.move_id), ("generated", good))
        self.assertEqual(good.payment_state, "in_payment")
        self.assertEqual(
            (broken.payment_state, broken.isp_debit_line_ids), ("not_paid", self.env["isp.debit.batch.line"])
        )
        self.assertRegex(batch.run_errors, f"{broken.name} \\({mandate.name}\\): [^\\n]*IBAN")
        self.assertIn(broken.name, "\n".join(batch.message_ids.mapped("body")))
        self.assertTrue(mandate.first_use, "the broken mandate was not used")

    def test_p08_error_of_one_invoice_is_isolated(self):
        """Issue 12, point 8: an unexpected error while planning one debit leaves that one out, logged, on the run."""
        self._sepa_customer(self.consumer, self.consumer_account)
        broken = self._invoice_on(self.business, 19.9, "2026-11-25")
        good = self._invoice_on(self.business, 100.0, "2026-12-01") | self._invoice_on(
            self.consumer, 30.0, "2026-12-01"
        )
        real_amount = type(broken)._isp_debit_amount

        def failing_amount(move, collection_date):
            if move == broken:
                raise ValueError("broken payment term data")
            return real_amount(move, collection_date)

        with (
            patch.object(type(broken), "_isp_debit_amount", failing_amount),
            freeze_time("2026-12-14"),
            self.assertLogs("odoo.addons.isp_sales.models.ir_cron", "WARNING") as logs,
        ):
            self.env["isp.debit.batch"]._cron_isp_debit_run()
        batch = self.env["isp.debit.batch"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual((batch.state, batch.line_ids.move_id), ("generated", good))
        self.assertEqual(set(good.mapped("payment_state")), {"in_payment"})
        self.assertEqual(batch.line_ids.mapped("sequence_type"), ["FRST", "FRST"], "the mandate's first debit")
        self.assertEqual(broken.payment_state, "not_paid")
        self.assertRegex(batch.run_errors, f"{broken.name} \\({self.business_mandate.name}\\): ValueError: broken")
        self.assertIn("Traceback", "\n".join(logs.output), "a bug surfaces with its traceback")
        self.assertIn(broken.name, "\n".join(logs.output))

    def test_p08_failing_company_does_not_stop_the_others(self):
        """Issue 12, point 8: a company whose batch fails unexpectedly does not keep another from its batch."""
        other = self.setup_other_company(name="Zweite ISP GmbH")["company"]
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(other), ("type", "=", "bank")], limit=1
        )
        journal.bank_account_id = self.env["res.partner.bank"].create(
            {"acc_number": "DE62370400440532013001", "partner_id": other.partner_id.id}
        )
        other.write({"isp_sepa_creditor_id": "DE98ZZZ09999999999", "isp_sepa_journal_id": journal.id})
        customer = self.env["res.partner"].create({"name": "Kunde Zwei", "isp_payment_method": "sepa"})
        account = self.env["res.partner.bank"].create(
            {"acc_number": "DE12500105170648489890", "partner_id": customer.id}
        )
        mandate = (
            self.env["isp.sepa.mandate"]
            .with_company(other)
            .create(
                {
                    "partner_id": customer.id,
                    "bank_account_id": account.id,
                    "signature_date": "2025-01-15",
                    "company_id": other.id,
                }
            )
        )
        mandate.action_activate()
        other_invoice = (
            self.env["account.move"]
            .with_company(other)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": "2026-12-01",
                    "invoice_line_ids": [
                        Command.create({"name": "Hosting", "quantity": 1, "price_unit": 60.0, "tax_ids": []})
                    ],
                }
            )
        )
        other_invoice.action_post()
        ours = self._invoice_on(self.business, 100.0, "2026-12-01")
        batches = self.env["isp.debit.batch"].sudo().search([])
        real_message = isp_debit_batch.IspDebitBatch._isp_message
        first_company = min(self.env.company, other, key=lambda company: company.id)

        def failing_message(batch):
            if batch.company_id == first_company:
                raise KeyError("creditor data")
            return real_message(batch)

        with (
            patch.object(isp_debit_batch.IspDebitBatch, "_isp_message", failing_message),
            freeze_time("2026-12-14"),
            self.assertLogs("odoo.addons.isp_payment_gateway.models.isp_debit_batch", "WARNING"),
        ):
            self.env["isp.debit.batch"]._cron_isp_debit_run()
        new = self.env["isp.debit.batch"].sudo().search([("id", "not in", batches.ids)])
        failed = new.filtered(lambda batch: batch.company_id == first_company)
        generated = new - failed
        self.assertEqual(generated.state, "generated", "the other company gets its batch that day")
        self.assertEqual(generated.line_ids.move_id, (ours | other_invoice) - failed.line_ids.move_id)
        self.assertEqual(generated.line_ids.move_id.payment_state, "in_payment")
        self.assertEqual(failed.state, "draft")
        self.assertRegex(failed.run_errors, f"{failed.name}: .*creditor data")
        self.assertIn("creditor data", "\n".join(failed.message_ids.mapped("body")))
        self.assertEqual(failed.line_ids.move_id.payment_state, "not_paid", "nothing of the failed batch is booked")
