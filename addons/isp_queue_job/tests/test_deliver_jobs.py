from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.isp_queue_job.models.isp_run_mixin import ISP_CHANNEL
from odoo.addons.isp_sales.tests.test_billing_run import IspBillingCase
from odoo.addons.queue_job.job import Job

RUN_DATE = date(2027, 1, 1)
SENDING_TIME = "2027-01-01 02:00:00"


@tagged("post_install", "-at_install")
class TestDeliveryJobs(IspBillingCase):
    """Issue 13: the scheduled delivery hands the due invoices to parallel workers, a job per batch."""

    def setUp(self):
        super().setUp()
        for index in range(3):
            customer = self._customer(f"Deliver{index} GmbH", isp_invoice_delivery="email")
            self._service(customer, self.database, f"db_deliver_{index}", RUN_DATE, 10.0)
        self.invoices = self._run(RUN_DATE).invoice_ids.sorted("id")
        self.assertEqual(set(self.invoices.mapped("isp_email_state")), {"queued"})

    def _cron(self):
        """The scheduled delivery with the jobs stored (as with a job runner), batches of 2."""
        with (
            freeze_time(SENDING_TIME),
            patch("odoo.addons.isp_queue_job.models.account_move.SEND_BATCH", 2),
        ):
            self.env["account.move"].with_context(queue_job__no_delay=False)._cron_isp_deliver_invoices()

    def _jobs(self):
        return self.env["queue.job"].sudo().search([("method_name", "=", "_isp_send_due")], order="id")

    def _mails(self):
        return self.env["mail.mail"].search([("model", "=", "account.move"), ("res_id", "in", self.invoices.ids)])

    def _perform(self, jobs):
        with freeze_time(SENDING_TIME):
            for job in jobs:
                Job.load(self.env, job.uuid).perform()

    def test_a_job_per_batch_on_the_isp_channel_each_invoice_sent_once(self):
        """Issue 13: the due invoices go to a job per batch on root.isp, nothing is sent before the jobs run,
        no second set of jobs while they are open, and each invoice is sent once."""
        self._cron()
        jobs = self._jobs()
        self.assertEqual([job.records for job in jobs], [self.invoices[:2], self.invoices[2:]])
        self.assertEqual(set(jobs.mapped("channel")), {ISP_CHANNEL})
        self.assertEqual(set(jobs.mapped("state")), {"pending"})
        self.assertEqual(jobs[0].name, "Send 2 invoices")
        self.assertFalse(self._mails(), "sent by the jobs, not by the scheduled action")
        self._cron()
        self.assertEqual(self._jobs(), jobs, "the open jobs have them")
        self._perform(jobs)
        self.assertEqual(set(self.invoices.mapped("isp_email_state")), {"sent"})
        self.assertEqual(len(self._mails()), 3)
        jobs.write({"state": "done"})
        self._cron()
        self.assertEqual(self._jobs(), jobs, "nothing due: no new job")

    def test_a_job_run_again_sends_nothing_twice(self):
        """Issue 13: a delivery job performed again (retried after its worker died, requeued by hand) sends
        only what is still due."""
        self._cron()
        jobs = self._jobs()
        self._perform(jobs[:1])
        self.assertEqual(len(self._mails()), 2)
        self._perform(jobs)
        self.assertEqual(len(self._mails()), 3, "the first batch is not sent again")
        self.assertEqual(set(self.invoices.mapped("isp_email_state")), {"sent"})

    def test_without_stored_jobs_the_scheduled_action_sends_itself(self):
        """Issue 13: where no job runner serves the jobs (under the test runner, without queue_job__no_delay),
        the scheduled action sends the invoices itself."""
        with freeze_time(SENDING_TIME):
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertFalse(self._jobs())
        self.assertEqual(set(self.invoices.mapped("isp_email_state")), {"sent"})
