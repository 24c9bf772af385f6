from odoo import models

from odoo.addons.queue_job.utils import must_run_without_delay

from .isp_run_mixin import ISP_CHANNEL

#: seconds before a chunk whose customers another transaction held is tried again
HELD_RETRY_SECONDS = 5


class IspRunChunk(models.Model):
    _inherit = "isp.run.chunk"

    def _isp_process(self):
        """As a job: when customers of the chunk were held by another transaction, enqueue the
        chunk again (in a few seconds), followed by a job that finishes the run."""
        done = super()._isp_process()
        if not done and self.env.context.get("job_uuid"):
            if must_run_without_delay(self.env):
                # jobs run at once (tests): the scheduled action processes the rest
                self.sudo().state = "pending"
            else:
                self._isp_delayable(eta=HELD_RETRY_SECONDS).on_done(self._isp_run()._isp_finish_delayable()).delay()
        return done

    def _isp_delayable(self, eta=None):
        """The job that processes this chunk."""
        self.ensure_one()
        run = self._isp_run()
        return self.delayable(
            channel=ISP_CHANNEL,
            eta=eta,
            description=self.env._("%(run)s: part %(part)s", run=run.display_name, part=self.sequence),
            identity_key=f"isp.run.chunk,{self.id}",
        )._isp_process()
