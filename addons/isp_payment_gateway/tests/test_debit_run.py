from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import IspDebitCase
from .test_debit_batch import NS


@tagged("post_install", "-at_install")
class TestDebitRun(IspDebitCase):
    """Issue 15: generating a debit batch is a run of the run framework (chunks of customers)."""

    def test_failing_customer_leaves_the_batch_and_the_others_are_debited(self):
        """Issue 15: a customer whose payment cannot be registered is recorded on the batch; its debit
        leaves the batch (the invoice may go into the next one); the others are debited and filed."""
        self._sepa_customer(self.consumer, self.consumer_account)
        broken = self._invoice_on(self.business, 100.0, "2026-12-01")
        good = self._invoice_on(self.consumer, 30.0, "2026-12-01")
        batch_class = type(self.env["isp.debit.batch"])
        register = batch_class._isp_register_payments

        def failing_register(batch, lines):
            if self.business in lines.partner_id:
                raise ValueError("bank journal locked")
            return register(batch, lines)

        with patch.object(batch_class, "_isp_register_payments", failing_register):
            batch = self._batch("2026-12-14")
        self.assertEqual(batch.state, "generated")
        self.assertEqual(batch.line_ids.move_id, good)
        self.assertEqual(good.payment_state, "in_payment")
        self.assertEqual(broken.payment_state, "not_paid")
        self.assertEqual(batch.run_errors, f"{self.business.display_name}: ValueError: bank journal locked")
        self.assertEqual(batch.error_ids.partner_id, self.business)
        tree = etree.fromstring(batch.file_id.raw)
        self.assertEqual(tree.xpath("//p:GrpHdr/p:NbOfTxs", namespaces=NS)[0].text, "1")
        self.assertEqual(batch._isp_chunks().mapped("state"), ["done"])
        later = self._batch("2026-12-21")
        self.assertEqual(later.line_ids.move_id, broken, "the invoice goes into the next batch")

    def test_batch_generated_chunk_by_chunk_shows_progress(self):
        """Issue 15: a batch's customers are split into chunks; the file is written when the last is done."""
        self._sepa_customer(self.consumer, self.consumer_account)
        invoices = self._invoice_on(self.business, 100.0, "2026-12-01") | self._invoice_on(
            self.consumer, 30.0, "2026-12-01"
        )
        with freeze_time("2026-12-14"):
            batch = self.env["isp.debit.batch"].create({})
            batch.action_preview()
            batch._isp_start(chunk_size=1)
            self.assertEqual((batch.state, batch.chunk_count), ("running", 2))
            with patch.object(type(batch), "_isp_cron_chunks_per_call", 1):
                self.assertTrue(batch._isp_run_batch())
                batch.invalidate_recordset()
                self.assertEqual(batch.progress, 50.0)
                self.assertEqual(batch.progress_summary, "1 of 2 parts done, 1 debits registered so far")
                self.assertFalse(batch.file_id, "the file is written at the end")
                self.assertFalse(batch._isp_run_batch())
        self.assertEqual(batch.state, "generated")
        self.assertTrue(batch.file_id)
        self.assertEqual(set(invoices.mapped("payment_state")), {"in_payment"})

    def test_invalid_file_moves_no_money(self):
        """Issue 15: a batch whose file would not validate registers no payment."""
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        with (
            patch("odoo.addons.isp_payment_gateway.engine.pain008.validate", return_value=["cvc-complex-type: broken"]),
            self.assertRefused(UserError, "does not validate"),
        ):
            self._batch("2026-12-14")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(self.env["isp.debit.batch.line"].search([("move_id", "=", invoice.id)]))

    def test_payment_hook_changes_the_debits_payment(self):
        """Issue 15: a provider's addon changes the payment of a debit through _isp_prepare_debit_payment_vals."""
        invoice = self._invoice_on(self.business, 100.0, "2026-12-01")
        batch_class = type(self.env["isp.debit.batch"])
        prepare = batch_class._isp_prepare_debit_payment_vals

        def payment_vals(batch, line, journal, method_line, outstanding):
            vals = prepare(batch, line, journal, method_line, outstanding)
            vals["memo"] = f"SEPA {line.end_to_end_id}"
            return vals

        with patch.object(batch_class, "_isp_prepare_debit_payment_vals", payment_vals):
            batch = self._batch("2026-12-14")
        payment = batch.line_ids.payment_id
        self.assertEqual(payment.memo, f"SEPA {batch.line_ids.end_to_end_id}")
        self.assertEqual((payment.amount, payment.partner_id), (100.0, self.business))
        self.assertEqual(invoice.payment_state, "in_payment")
