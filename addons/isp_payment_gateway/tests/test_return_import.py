import base64

from lxml import etree
from psycopg2.errors import UniqueViolation

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspPaymentCase
from .test_returns import camt054, pain002


@tagged("post_install", "-at_install")
class TestReturnImport(IspPaymentCase):
    """Bank return files imported by the ISP manager: each return is booked once, on the exact
    collection attempt it returns, and a file with entries that cannot be booked books nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.isp_sepa_return_fee = 5.0
        cls.business.isp_payment_method = "sepa"
        cls.mandate = cls.env["isp.sepa.mandate"].create(
            {"partner_id": cls.business.id, "bank_account_id": cls.business_account.id, "signature_date": "2025-01-15"}
        )
        cls.mandate.action_activate()

    def _import(self, data):
        wizard = (
            self.env["isp.debit.return.import"]
            .with_user(self.manager)
            .create({"data_file": base64.b64encode(data), "filename": "returns.xml"})
        )
        wizard.action_import()
        return wizard

    def _file_end_to_end_ids(self, batch):
        tree = etree.fromstring(batch.file_id.raw)
        return tree.xpath("//*[local-name()='EndToEndId']/text()")

    def _fee_invoices(self, invoice):
        return self.env["account.move"].search(
            [
                ("partner_id", "=", self.business.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("id", "!=", invoice.id),
            ]
        )

    def test_p05_reimported_return_file_books_nothing_on_the_next_attempt(self):
        """Issue 12, point 5: an old return file imported again after the invoice was collected anew
        changes nothing: the new payment stays, one fee, the dunning level stays."""
        invoice = self._due_invoice(self.business, 100.0, "2026-12-01", invoice_date="2026-12-01")
        first = self._batch("2026-12-14")
        first.with_user(self.manager).action_mark_sent()
        first_line = first.line_ids
        file_a = camt054([(first_line.end_to_end_id, self.mandate.name, "100.00", "AM04", "3.00")])
        booked = self._import(file_a)
        self.assertEqual(len(booked.return_ids), 1)
        self.assertEqual(
            (first_line.state, invoice.payment_state, invoice.amount_residual), ("returned", "not_paid", 100.0)
        )
        self.assertEqual(invoice.isp_dunning_level_id, self.reminder)

        second = self._batch("2026-12-21")
        second_line = second.line_ids
        self.assertEqual((second_line.move_id, second_line.amount), (invoice, 100.0), "the invoice is collected again")
        second.with_user(self.manager).action_mark_sent()
        second.with_user(self.manager).action_mark_debited()
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("paid", 0.0))

        again = self._import(file_a)
        self.assertFalse(again.return_ids, "nothing booked")
        self.assertIn("Already booked before", again.result)
        self.assertIn(first_line.end_to_end_id, again.result)
        self.assertEqual(second_line.state, "debited")
        payment = second_line.payment_id
        self.assertEqual(payment.state, "in_process", "the new payment stands, waiting for the bank statement")
        self.assertFalse(payment.move_id.reversal_move_ids, "and is not reversed")
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("paid", 0.0))
        self.assertEqual(self.env["isp.debit.return"].search_count([("move_id", "=", invoice.id)]), 1)
        fees = self._fee_invoices(invoice)
        self.assertEqual(len(fees), 1, "one return, one fee invoice")
        self.assertEqual(fees.amount_total, 8.0)
        self.assertEqual(invoice.isp_dunning_level_id, self.reminder, "the dunning level does not move again")
        self.assertEqual(len(invoice.isp_dunning_step_ids), 1)

        # every collection attempt has its own end-to-end id, readable as invoice and attempt
        self.assertEqual(first_line.end_to_end_id, f"{invoice.name}-1")
        self.assertEqual(second_line.end_to_end_id, f"{invoice.name}-2")
        self.assertEqual(self._file_end_to_end_ids(first), [f"{invoice.name}-1"])
        self.assertEqual(self._file_end_to_end_ids(second), [f"{invoice.name}-2"])

    def test_p05_end_to_end_ids_are_unique(self):
        """Issue 12, point 5: two debits of one company never share an end-to-end id."""
        invoice = self._due_invoice(self.business, 100.0, "2026-12-01", invoice_date="2026-12-01")
        line = self._batch("2026-12-14").line_ids
        other = self._batch("2026-12-21", preview_only=True)
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation):
            self.env["isp.debit.batch.line"].create(
                {
                    "batch_id": other.id,
                    "move_id": invoice.id,
                    "partner_id": self.business.id,
                    "mandate_id": self.mandate.id,
                    "amount": 100.0,
                    "scheme": "CORE",
                    "sequence_type": "RCUR",
                    "state": "cancel",
                    "end_to_end_id": line.end_to_end_id,
                }
            )
            self.env.flush_all()

    def test_p05_return_matched_to_the_original_message_and_payment_block(self):
        """Issue 12, point 5: a pain.002 naming another original message or payment block than the
        debit's is not booked on it; naming the debit's own, it is."""
        invoice = self._due_invoice(self.business, 100.0, "2026-12-01", invoice_date="2026-12-01")
        batch = self._batch("2026-12-14")
        line = batch.line_ids
        block = line._isp_payment_info_id()
        self.assertEqual(block, f"{batch.name}-CORE-FRST")
        self.assertIn(f"<PmtInfId>{block}</PmtInfId>", batch.file_id.raw.decode())
        rejected = [(line.end_to_end_id, self.mandate.name, "100.00", "MS03")]
        for message_id, payment_id in (("DD-OTHER", block), (batch.name, "OTHER-BLOCK")):
            wizard = self._import(pain002(rejected, message_id=message_id, payment_id=payment_id))
            self.assertFalse(wizard.return_ids)
            self.assertIn("Unknown references", wizard.result)
            self.assertEqual((line.state, invoice.payment_state), ("open", "in_payment"))
        wizard = self._import(pain002(rejected, message_id=batch.name, payment_id=block))
        self.assertEqual(wizard.return_ids.line_id, line)
        self.assertEqual((line.state, invoice.payment_state, invoice.amount_residual), ("returned", "not_paid", 100.0))

    def test_p17_refused_entries_are_listed_and_nothing_is_booked(self):
        """Issue 12, point 17: a file with a returned amount or currency that does not match the debit
        or a malformed amount or date is refused with every entry and its reason; nothing is booked."""
        invoices = [
            self._due_invoice(self.business, amount, "2026-12-01", invoice_date="2026-12-01")
            for amount in (100.0, 50.0, 40.0, 30.0)
        ]
        batch = self._batch("2026-12-14")
        good, short, foreign, broken = (batch.line_ids.filtered(lambda line, i=i: line.move_id == i) for i in invoices)
        data = camt054(
            [
                (good.end_to_end_id, self.mandate.name, "100.00", "AM04", "0"),
                (short.end_to_end_id, self.mandate.name, "49.99", "AM04", "0"),
                (foreign.end_to_end_id, self.mandate.name, "40.00", "AM04", "0"),
                (broken.end_to_end_id, self.mandate.name, "3O.00", "AM04", "0"),
            ]
        ).replace(b'Ccy="EUR">40.00<', b'Ccy="CHF">40.00<')
        returns_before = self.env["isp.debit.return"].search_count([])
        moves_before = self.env["account.move"].search_count([])
        with self.assertRefused(UserError, r"Entries of the bank file refused \(3\)") as caught:
            self._import(data)
        message = str(caught.exception)
        self.assertNotIn(good.end_to_end_id + ":", message, "the good entry is not listed as refused")
        self.assertIn(f"{short.end_to_end_id}: returned amount 49.99 differs from the debit's 50.00", message)
        self.assertIn(f"{foreign.end_to_end_id}: currency CHF differs from the debit's EUR", message)
        self.assertIn(f"{broken.end_to_end_id}: amount 3O.00 is not a positive amount", message)
        self.assertIn("Nothing of this file was booked", message)
        self.assertEqual(self.env["isp.debit.return"].search_count([]), returns_before)
        self.assertEqual(self.env["account.move"].search_count([]), moves_before, "no reversal, no fee")
        self.assertEqual(set(batch.line_ids.mapped("state")), {"open"})
        self.assertEqual({invoice.payment_state for invoice in invoices}, {"in_payment"})

        # a malformed date is refused as well; the corrected file books the returns
        with self.assertRefused(UserError, "date 2026-12-32 is not a date"):
            self._import(
                camt054([(good.end_to_end_id, self.mandate.name, "100.00", "AM04", "0")]).replace(
                    b"2026-12-18</Dt>", b"2026-12-32</Dt>"
                )
            )
        self.assertEqual(good.state, "open")
        wizard = self._import(
            camt054(
                [
                    (good.end_to_end_id, self.mandate.name, "100.00", "AM04", "0"),
                    (short.end_to_end_id, self.mandate.name, "50.00", "AM04", "0"),
                ]
            )
        )
        self.assertEqual(wizard.return_ids.line_id, good | short)
        self.assertEqual((invoices[0].amount_residual, invoices[1].amount_residual), (100.0, 50.0))

    def test_p17_file_with_external_entities_is_refused(self):
        """Issue 12, point 17: a bank file declaring entities is refused as unreadable, nothing is booked."""
        self._due_invoice(self.business, 100.0, "2026-12-01", invoice_date="2026-12-01")
        line = self._batch("2026-12-14").line_ids
        self.assertEqual(line.state, "open")
        data = camt054([(line.end_to_end_id, self.mandate.name, "100.00", "AM04", "0")]).replace(
            b"<Document ", b'<!DOCTYPE Document [<!ENTITY leak SYSTEM "file:///etc/passwd">]><Document ', 1
        )
        with self.assertRefused(UserError, "cannot be read: the file has a document type declaration"):
            self._import(data.replace(self.mandate.name.encode(), b"&leak;"))
        self.assertEqual(line.state, "open")
        self.assertFalse(self.env["isp.debit.return"].search([("line_id", "=", line.id)]))
