from odoo import api, fields, models
from odoo.exceptions import UserError

RUN_STATES = [
    ("draft", "Draft"),
    ("preview", "Previewed"),
    ("running", "Running"),
    ("done", "Done"),
]


class IspRunMixin(models.AbstractModel):
    """What the automatic runs (invoice run, dunning run) share: company, state, trigger,
    timing and per-customer errors.

    A run model defines ``error_ids`` (one2many to a model with ``run_id``, ``partner_id``,
    ``message``) and ``preview_line_ids``.
    """

    _name = "isp.run.mixin"
    _description = "ISP Automatic Run"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(RUN_STATES, default="draft", required=True, readonly=True, copy=False)
    trigger = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled")], default="manual", required=True, readonly=True
    )
    started_at = fields.Datetime(readonly=True, copy=False)
    finished_at = fields.Datetime(readonly=True, copy=False)
    duration = fields.Float(string="Duration (s)", digits=(16, 1), readonly=True, copy=False)
    error_count = fields.Integer(compute="_compute_error_count", string="Number of Errors")

    @api.depends("error_ids")
    def _compute_error_count(self):
        for run in self:
            run.error_count = len(run.error_ids)

    def _isp_check_open(self):
        """Managers only, runs not started yet; forget an earlier preview."""
        if not (self.env.su or self.env.user.has_group("isp_customer.group_isp_manager")):
            raise UserError(self.env._("Only ISP managers start and preview runs."))
        started = self.filtered(lambda run: run.state in ("running", "done"))
        if started:
            raise UserError(self.env._("%(run)s has been run already.", run=started[0].display_name))
        self.preview_line_ids.unlink()
        self.error_ids.unlink()

    def _isp_start(self):
        self.ensure_one()
        self.write({"state": "running", "started_at": fields.Datetime.now()})
        return True

    def _isp_finish(self):
        """Done; a run's duration is its finish minus its start (a resumed run counts the time between)."""
        self.ensure_one()
        finished = fields.Datetime.now()
        self.write({"state": "done", "finished_at": finished, "duration": (finished - self.started_at).total_seconds()})
        return True

    def _isp_record_errors(self, errors):
        """:param errors: {customer: message}"""
        if errors:
            self.env[self._fields["error_ids"].comodel_name].create(
                [
                    {"run_id": self.id, "partner_id": partner.id, "message": message}
                    for partner, message in errors.items()
                ]
            )
