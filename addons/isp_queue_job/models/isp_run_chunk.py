from odoo import models

from odoo.addons.queue_job.utils import must_run_without_delay

from .isp_run_mixin import ISP_CHANNEL

#: seconds before a chunk whose customers another transaction held is tried again ...
HELD_RETRY_SECONDS = 5
#: ... and how many jobs try it before the run's scheduled action takes it over
HELD_RETRY_ATTEMPTS = 12


class IspRunChunk(models.Model):
    _inherit = "isp.run.chunk"

    def _isp_process(self, held_attempt=0):
        """As a job: when customers of the chunk were held by another transaction, the chunk is enqueued
        again a few seconds later, followed by a job that finishes the run. After HELD_RETRY_ATTEMPTS
        jobs (or when jobs run at once, as under the test runner) the chunk goes back to the run's
        scheduled action, which processes pending chunks.

        :param held_attempt: how many jobs of this chunk found customers held before this one
        """
        done = super()._isp_process()
        if not done and self.env.context.get("job_uuid"):
            run = self._isp_run()
            if held_attempt + 1 < HELD_RETRY_ATTEMPTS and not must_run_without_delay(self.env):
                self._isp_delayable(eta=HELD_RETRY_SECONDS, held_attempt=held_attempt + 1).on_done(
                    run._isp_finish_delayable()
                ).delay()
            else:
                self.sudo().state = "pending"
                self.env.ref(run._isp_cron_xmlid).sudo()._trigger()
        return done

    def _isp_delayable(self, eta=None, held_attempt=0):
        """The job that processes this chunk."""
        self.ensure_one()
        run = self._isp_run()
        delayable = self.delayable(
            channel=ISP_CHANNEL,
            eta=eta,
            description=self.env._("%(run)s: part %(part)s", run=run.display_name, part=self.sequence),
            identity_key=f"isp.run.chunk,{self.id}",
        )
        if held_attempt:
            return delayable._isp_process(held_attempt=held_attempt)
        return delayable._isp_process()
