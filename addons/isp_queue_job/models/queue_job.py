from odoo import models


class QueueJob(models.Model):
    _inherit = "queue.job"

    def related_action_isp_run(self):
        """The related action of a run part's job: the run."""
        self.ensure_one()
        chunk = self.records.exists()
        run = chunk and chunk._isp_run().exists()
        if not run:
            return None
        return {
            "type": "ir.actions.act_window",
            "name": run.display_name,
            "res_model": run._name,
            "res_id": run.id,
            "view_mode": "form",
        }
