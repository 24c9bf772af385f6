from odoo import api, models
from odoo.modules import module as odoo_module

from odoo.addons.isp_sales.models.account_move import SEND_BATCH
from odoo.addons.queue_job.job import identity_exact

from .isp_run_mixin import ISP_CHANNEL

#: the states of a delivery job still to run or running
OPEN_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _isp_dispatch_deliveries(self):
        """Enqueue the due advance notices and invoice e-mails on the ISP channel, a job per batch
        of SEND_BATCH invoices, so that several workers send them at once (rendering the PDFs and
        e-invoices is most of the time). While delivery jobs are still open, the scheduled action
        enqueues nothing: what they leave (held, failed), a later call hands out again.

        Under Odoo's test runner no job runner serves the jobs: the scheduled action sends the
        deliveries itself, unless a test asks for jobs (``queue_job__no_delay`` in the context).
        """
        if odoo_module.current_test and "queue_job__no_delay" not in self.env.context:
            return False
        if self._isp_open_delivery_jobs():
            return True
        for kind in ("notice", "email"):
            due = self._isp_due_deliveries(kind, limit=None)
            for start in range(0, len(due), SEND_BATCH):
                due[start : start + SEND_BATCH]._isp_send_due_delayable(kind).delay()
        return True

    @api.model
    def _isp_open_delivery_jobs(self):
        return (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_isp_send_due"),
                    ("state", "in", OPEN_JOB_STATES),
                ],
                limit=1,
            )
        )

    def _isp_send_due_delayable(self, kind):
        """The job that sends these invoices' deliveries of ``kind``."""
        description = (
            self.env._("Send advance notices of %(count)s invoices", count=len(self))
            if kind == "notice"
            else self.env._("Send %(count)s invoices", count=len(self))
        )
        return self.delayable(channel=ISP_CHANNEL, description=description, identity_key=identity_exact)._isp_send_due(
            kind
        )
