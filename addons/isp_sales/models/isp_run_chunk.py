import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

CHUNK_STATES = [
    ("pending", "Pending"),
    ("queued", "Queued"),
    ("done", "Done"),
]


class IspRunChunk(models.Model):
    """A part of a started run: the customers one transaction (a scheduled call, a job) processes.

    A run splits its due customers into chunks when it starts. Each chunk is processed once: in the
    run's own transaction (a small manual run), by the run's scheduled action (one chunk per call),
    or by a job per chunk when a job queue is installed. A chunk stores what it did (its counters);
    the run sums them when it finishes, so that parallel workers never write the same run record.
    """

    _name = "isp.run.chunk"
    _description = "ISP Run Part"
    _order = "run_model, run_id, sequence, id"

    run_model = fields.Char(required=True, index=True)
    run_id = fields.Many2oneReference(model_field="run_model", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    sequence = fields.Integer(required=True)
    partner_ids = fields.Json(string="Customers To Do", help="Ids of the customers still to process.")
    partner_count = fields.Integer(string="Customers", help="Customers in this part when the run started.")
    state = fields.Selection(CHUNK_STATES, default="pending", required=True, index=True)
    counters = fields.Json(help="What processing this part did, summed into the run's totals.")
    error_count = fields.Integer(string="Number of Errors")
    date_done = fields.Datetime(string="Done At")

    def _isp_run(self):
        self.ensure_one()
        return self.env[self.run_model].browse(self.run_id)

    def _isp_process(self):
        """Process this chunk in the current transaction.

        :return: True when the chunk is done; False when customers of it were held by another
            transaction (they stay in the chunk for the next attempt)
        """
        self.ensure_one()
        if self.state == "done":
            return True
        run = self._isp_run()
        if run.state != "running":
            _logger.info("%s: part %s skipped, the run is %s", run.display_name, self.sequence, run.state)
            return True
        return run._isp_process_chunk(self)

    @api.model
    def _isp_sum(self, chunks):
        """The counters of ``chunks`` added up: {counter: total}."""
        totals = {}
        for counters in chunks.mapped("counters"):
            for name, value in (counters or {}).items():
                totals[name] = totals.get(name, 0) + value
        return totals
