from odoo import models
from odoo.modules import module as odoo_module

from odoo.addons.queue_job.delay import group

#: the job channel of the ISP runs (data/queue_job_channel_data.xml)
ISP_CHANNEL = "root.isp"


class IspRunMixin(models.AbstractModel):
    _inherit = "isp.run.mixin"

    def _isp_dispatch(self, chunks):
        """Enqueue one job per chunk on the ISP channel, and a job that finishes the run when they
        are all done: the job runner's capacity for the channel decides how many chunks run at
        once, on one or several servers sharing the database.

        Exactly once does not rest on the jobs (a job may run again after its worker died, or
        twice when it is requeued by hand): a chunk locks its customers, and what it creates is
        guarded by the database's unique constraints.
        """
        self.ensure_one()
        chunks = chunks.filtered(lambda chunk: chunk.state != "done")
        if not chunks:
            return False
        chunks.sudo().write({"state": "queued"})
        run = self.with_context(**self._isp_job_context())
        group(*[chunk._isp_delayable() for chunk in chunks.with_env(run.env)]).on_done(
            run._isp_finish_delayable()
        ).delay()
        return True

    def _isp_job_context(self):
        """Context of the run's jobs. Under Odoo's test runner no job runner serves the jobs:
        they run at once, as queue_job's ``queue_job__no_delay`` does, unless a test asks for
        them to be stored (``queue_job__no_delay=False``)."""
        if odoo_module.current_test and "queue_job__no_delay" not in self.env.context:
            return {"queue_job__no_delay": True}
        return {}

    def _isp_finish_delayable(self):
        """The job that finishes this run once its chunks' jobs are done."""
        self.ensure_one()
        return self.delayable(
            channel=ISP_CHANNEL,
            description=self.env._("%(run)s: finish", run=self.display_name),
        )._isp_finish_if_done()
