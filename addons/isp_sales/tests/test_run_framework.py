from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .test_billing_run import IspBillingCase


@tagged("post_install", "-at_install")
class TestRunFramework(IspBillingCase):
    """Issue 15: the run skeleton (isp.run.mixin), its chunks, progress, rights and extension hooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(cls.env, login="run_clerk", groups="isp_customer.group_isp_user")
        cls.manager = new_test_user(cls.env, login="run_manager", groups="isp_customer.group_isp_manager")

    def _customers(self, count):
        customers = self.env["res.partner"]
        for index in range(count):
            customer = self._customer(f"Chunk{index} GmbH")
            self._service(customer, self.database, f"db_chunk_{index}", date(2027, 1, 1), 10.0)
            customers |= customer
        return customers

    def test_clerk_cannot_preview_or_run(self):
        """Issue 15: only who may write runs (ISP managers) previews and confirms them; a clerk is refused."""
        self._customers(1)
        run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1)})
        for action in ("action_preview", "action_confirm"):
            with self.assertRefused(AccessError, "not allowed to modify"):
                getattr(run.with_user(self.clerk), action)()
        self.assertEqual(run.state, "draft")
        self.assertFalse(run.invoice_ids)
        self.assertFalse(run.preview_line_ids)
        self.assertFalse(run._isp_chunks())
        with freeze_time("2027-01-01"):
            run.with_user(self.manager).action_confirm()
        self.assertEqual((run.state, run.invoice_count), ("done", 1))

    def test_scheduled_run_goes_chunk_by_chunk_with_progress(self):
        """Issue 15: a started run splits its customers into chunks; the scheduled action does one per
        call, the run shows its progress and sums the chunks' counters when it finishes."""
        customers = self._customers(5)
        with freeze_time("2027-01-01 00:30:00"):
            run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1), "trigger": "cron"})
            run._isp_start(chunk_size=2)
            chunks = run._isp_chunks()
            self.assertEqual([len(chunk.partner_ids) for chunk in chunks], [2, 2, 1])
            self.assertEqual((run.chunk_count, run.chunk_done_count, run.progress), (3, 0, 0.0))
            self.assertTrue(run._isp_run_batch(), "two chunks remain")
            run.invalidate_recordset()
            self.assertEqual(run.chunk_done_count, 1)
            self.assertAlmostEqual(run.progress, 100.0 / 3)
            self.assertEqual(run.progress_summary, "1 of 3 parts done, 2 invoices so far")
            self.assertEqual(run.invoice_count, 0, "the run's totals are summed when it finishes")
            self.assertTrue(run._isp_run_batch())
            self.assertFalse(run._isp_run_batch(), "the last chunk finishes the run")
        self.assertEqual(run.state, "done")
        self.assertEqual((run.invoice_count, run.customer_count, run.amount_untaxed), (5, 5, 50.0))
        self.assertEqual(run.invoice_ids.partner_id, customers)
        self.assertFalse(run.progress_summary)

    def test_chunk_processed_twice_bills_once(self):
        """Issue 15: a chunk done is not processed again (a job delivered twice); the invoices exist once."""
        self._customers(2)
        with freeze_time("2027-01-01"):
            run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1), "trigger": "cron"})
            run._isp_start()
            chunk = run._isp_chunks()
            self.assertTrue(chunk._isp_process())
            self.assertTrue(chunk._isp_process())
            self.assertTrue(run._isp_finish_if_done())
        self.assertEqual((chunk.state, chunk.counters["invoice_count"]), ("done", 2))
        self.assertEqual(run.invoice_count, 2)
        self.assertEqual(len(run.invoice_ids), 2)

    def test_hooks_change_the_invoice_and_its_lines(self):
        """Issue 15: a provider's addon changes the run's invoices through the prepare hooks."""
        customer = self._customers(1)
        run_class = type(self.env["isp.billing.run"])
        prepare_invoice = run_class._isp_prepare_invoice_vals
        prepare_line = run_class._isp_prepare_invoice_line_vals
        created = []

        def invoice_vals(run, plan):
            vals = prepare_invoice(run, plan)
            vals["ref"] = f"Contract {plan.partner.name}"
            return vals

        def line_vals(run, plan, service, segment, price):
            vals = prepare_line(run, plan, service, segment, price)
            vals["name"] = f"{service.name} ({segment.start:%m/%Y})"
            return vals

        def invoices_created(run, plans):
            created.extend(plan.move for plan in plans)

        with (
            patch.object(run_class, "_isp_prepare_invoice_vals", invoice_vals),
            patch.object(run_class, "_isp_prepare_invoice_line_vals", line_vals),
            patch.object(run_class, "_isp_invoices_created", invoices_created),
        ):
            run = self._run(date(2027, 1, 1))
        invoice = run.invoice_ids
        self.assertEqual(invoice.ref, "Contract Chunk0 GmbH")
        self.assertEqual(invoice.invoice_line_ids.name, "db_chunk_0 (01/2027)")
        self.assertEqual(created, [invoice], "each plan keeps the invoice it created")
        self.assertEqual(invoice.partner_id, customer)

    def test_deleting_a_run_deletes_its_chunks(self):
        """Issue 15: a run's chunks go with it."""
        self._customers(1)
        run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1), "trigger": "cron"})
        run._isp_start()
        chunks = run._isp_chunks()
        self.assertTrue(chunks)
        run.unlink()
        self.assertFalse(chunks.exists())
