from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from odoo.addons.isp_queue_job.models.isp_run_chunk import HELD_RETRY_ATTEMPTS
from odoo.addons.isp_queue_job.models.isp_run_mixin import ISP_CHANNEL
from odoo.addons.isp_sales.tests.test_billing_run import IspBillingCase
from odoo.addons.queue_job.job import Job

RUN_DATE = date(2027, 1, 1)


@tagged("post_install", "-at_install")
class TestRunDispatch(IspBillingCase):
    """Issue 15: a confirmed run hands its chunks to the job queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="dispatch_manager", groups="isp_customer.group_isp_manager")

    def setUp(self):
        super().setUp()
        self.customers = self.env["res.partner"]
        for index in range(3):
            customer = self._customer(f"Dispatch{index} GmbH")
            self._service(customer, self.database, f"db_dispatch_{index}", RUN_DATE, 10.0)
            self.customers |= customer

    def _confirm(self, **context):
        run = self.env["isp.billing.run"].with_user(self.manager).create({"date": RUN_DATE})
        with freeze_time(RUN_DATE), patch.object(type(run), "_isp_chunk_size", 2):
            run.with_context(**context).action_confirm()
        return run

    def _new_jobs(self, since):
        return self.env["queue.job"].sudo().search([("id", ">", since)], order="id")

    def _last_job_id(self):
        return self.env["queue.job"].sudo().search([], order="id desc", limit=1).id or 0

    def test_one_job_per_chunk_on_the_isp_channel_then_the_finish(self):
        """Issue 15: one job per chunk on root.isp (identity: the chunk), the chunks queued, and a job that
        finishes the run after them; performed, they bill every customer."""
        since = self._last_job_id()
        run = self._confirm(queue_job__no_delay=False)
        chunks = run._isp_chunks()
        self.assertEqual(chunks.mapped("state"), ["queued", "queued"])
        self.assertEqual((run.state, run.invoice_ids), ("running", self.env["account.move"]))
        jobs = self._new_jobs(since)
        finish = jobs.filtered(lambda job: job.model_name == "isp.billing.run")
        chunk_jobs = (jobs - finish).sorted(lambda job: job.records.sequence)
        self.assertEqual([job.records for job in chunk_jobs], list(chunks))
        for job, chunk in zip(chunk_jobs, chunks, strict=True):
            self.assertEqual(
                (job.method_name, job.channel, job.identity_key, job.state, job.user_id),
                ("_isp_process", ISP_CHANNEL, f"isp.run.chunk,{chunk.id}", "pending", self.manager),
            )
            self.assertEqual(job.name, f"Invoice Run 2027-01-01: part {chunk.sequence}")
        self.assertEqual(
            (finish.records, finish.method_name, finish.channel, finish.state),
            (run, "_isp_finish_if_done", ISP_CHANNEL, "wait_dependencies"),
        )
        self.assertEqual(set(finish.dependencies["depends_on"]), set(chunk_jobs.mapped("uuid")))
        with freeze_time(RUN_DATE):
            for job in [*chunk_jobs, finish]:
                Job.load(self.env, job.uuid).perform()
        self.assertEqual(chunks.mapped("state"), ["done", "done"])
        self.assertEqual((run.state, run.invoice_count), ("done", 3))
        self.assertEqual(run.invoice_ids.partner_id, self.customers)

    def test_held_customers_enqueue_the_chunk_again_then_leave_it_to_the_scheduled_action(self):
        """Issue 15: a chunk's job that finds the chunk's customers held by another transaction enqueues the
        chunk again a few seconds later, with a job that finishes the run after it; the last of
        HELD_RETRY_ATTEMPTS jobs leaves the chunk to the run's scheduled action, which bills it."""
        since = self._last_job_id()
        run = self._confirm(queue_job__no_delay=False)
        first = run._isp_chunks()[0]
        dispatched = self._new_jobs(since)
        job = dispatched.filtered(lambda job: job.records == first)
        job.state = "started"  # a worker runs it
        held = patch.object(type(run), "_isp_lock_partners", lambda run, partners: partners.browse())
        with freeze_time("2027-01-01 06:00:00"):
            with held:
                self.assertFalse(Job.load(self.env, job.uuid).perform())
            again = self._new_jobs(since) - dispatched
            chunk_job = again.filtered(lambda job: job.model_name == "isp.run.chunk")
            self.assertEqual(
                (chunk_job.records, chunk_job.kwargs, chunk_job.identity_key, chunk_job.channel, chunk_job.state),
                (first, {"held_attempt": 1}, f"isp.run.chunk,{first.id}", ISP_CHANNEL, "pending"),
            )
            self.assertEqual(str(chunk_job.eta), "2027-01-01 06:00:05", "tried again five seconds later")
            finish = again - chunk_job
            self.assertEqual((finish.records, finish.state), (run, "wait_dependencies"))
            self.assertEqual(finish.dependencies["depends_on"], [chunk_job.uuid])
            self.assertEqual((first.state, len(first.partner_ids)), ("queued", 2), "nothing billed, nothing lost")

            cron = self.env.ref("isp_sales.ir_cron_isp_billing_run")
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            with held:
                self.assertFalse(
                    first.with_context(job_uuid=chunk_job.uuid)._isp_process(held_attempt=HELD_RETRY_ATTEMPTS - 1)
                )
            self.assertFalse(self._new_jobs(since) - dispatched - again, "not enqueued again")
            self.assertEqual(first.state, "pending", "left to the scheduled action")
            self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers)
            self.assertFalse(run._isp_run_batch(), "no pending chunk left: the queued one is the jobs'")
        self.assertEqual(first.state, "done")
        self.assertEqual(run.invoice_ids.partner_id, self.customers[:2])
        self.assertEqual(run.state, "running", "its other chunk's job finishes it")

    def test_jobs_open_their_run(self):
        """Issue 15: the related action of a chunk's job and of the finishing job opens the run."""
        since = self._last_job_id()
        run = self._confirm(queue_job__no_delay=False)
        jobs = self._new_jobs(since)
        self.assertEqual(len(jobs), 3)
        for job in jobs:
            action = job.open_related_action()
            self.assertEqual((action["res_model"], action["res_id"]), ("isp.billing.run", run.id))

    def test_under_the_test_runner_jobs_run_at_once(self):
        """Issue 15: without a job runner (other addons' tests), a run's jobs run at once as with queue_job's
        queue_job__no_delay: the run is done when confirm returns, no job is stored."""
        since = self._last_job_id()
        run = self._confirm()
        self.assertEqual((run.state, run.invoice_count), ("done", 3))
        self.assertEqual(run._isp_chunks().mapped("state"), ["done", "done"])
        self.assertFalse(self._new_jobs(since))
