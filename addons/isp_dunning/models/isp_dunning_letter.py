import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

SEND_STATES = [("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed")]
PRINT_STATES = [("to_print", "To Print"), ("printed", "Printed")]
#: letters e-mailed per call of the delivery cron
SEND_BATCH = 50
MAX_ATTEMPTS = 3


class IspDunningLetter(models.Model):
    """One communication of a run to one customer, listing all their overdue items."""

    _name = "isp.dunning.letter"
    _description = "Dunning Letter"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    run_id = fields.Many2one("isp.dunning.run", string="Dunning Run", index=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, readonly=True)
    level_id = fields.Many2one("isp.dunning.level", readonly=True, index=True)
    step_ids = fields.One2many("isp.dunning.step", "letter_id", string="Steps", readonly=True)
    move_ids = fields.Many2many(
        "account.move",
        string="Overdue Items",
        readonly=True,
        help="Every overdue item of the customer on the letter's date.",
    )
    open_total = fields.Monetary(string="Overdue Total", currency_field="currency_id", readonly=True)
    fee_total = fields.Monetary(string="Fees", currency_field="currency_id", readonly=True)
    interest_total = fields.Monetary(string="Interest", currency_field="currency_id", readonly=True)
    charge_total = fields.Monetary(string="Charged", currency_field="currency_id", readonly=True)
    waived_total = fields.Monetary(
        string="Waived", currency_field="currency_id", compute="_compute_waived_total", store=True
    )
    charge_move_id = fields.Many2one("account.move", string="Charge Invoice", readonly=True)
    suspension_date = fields.Date(
        string="Suspension From", readonly=True, help="Announced: services are suspended from this day if still unpaid."
    )
    email_state = fields.Selection(SEND_STATES, string="E-mail", readonly=True, copy=False, index="btree_not_null")
    print_state = fields.Selection(PRINT_STATES, string="Post", readonly=True, copy=False, index="btree_not_null")
    delivery_attempts = fields.Integer(readonly=True)
    delivery_error = fields.Text(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="Letter PDF", readonly=True)

    _sql_constraints = [
        ("run_partner_uniq", "UNIQUE(run_id, partner_id)", "A run writes one letter per customer."),
    ]

    @api.depends("partner_id", "date", "level_id")
    def _compute_name(self):
        for letter in self:
            letter.name = f"{letter.level_id.name or ''} {letter.partner_id.name or ''} {letter.date or ''}".strip()

    @api.depends("step_ids.waived_amount")
    def _compute_waived_total(self):
        for letter in self:
            letter.waived_total = sum(letter.step_ids.mapped("waived_amount"))

    def _isp_items(self):
        """The letter's items with their amounts and levels, for the letter and the e-mail."""
        self.ensure_one()
        steps = {step.move_id: step for step in self.step_ids}
        return [
            {
                "move": move,
                "step": steps.get(move),
                "level": steps[move].level_id if move in steps else move.isp_dunning_level_id,
                "days_overdue": (self.date - move.invoice_date_due).days,
            }
            for move in self.move_ids.sorted(lambda move: (move.invoice_date_due, move.name))
        ]

    # ------------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------------

    def _isp_render_pdf(self):
        """The letter PDF, rendered once and kept: what was sent stays what is shown."""
        self.ensure_one()
        if not self.attachment_id:
            content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
                "isp_dunning.action_report_dunning_letter", self.ids
            )
            self.attachment_id = self.env["ir.attachment"].create(
                {
                    "name": f"{self.name}.pdf".replace("/", "-"),
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        return self.attachment_id

    @api.model
    def _cron_isp_send_letters(self):
        """E-mail one batch of queued letters with their PDF; the cron calls again while some remain."""
        letters = self.search(
            [
                "|",
                ("email_state", "=", "queued"),
                "&",
                "&",
                ("email_state", "=", "failed"),
                ("delivery_attempts", "<", MAX_ATTEMPTS),
                ("write_date", "<", fields.Datetime.now() - timedelta(hours=1)),
            ],
            order="id",
            limit=SEND_BATCH,
        )
        letters._isp_send()
        remaining = self.search_count([("email_state", "=", "queued")])
        self.env["ir.cron"]._notify_progress(done=len(letters), remaining=remaining)

    def _isp_send(self):
        for letter in self:
            level = letter.level_id
            email = letter.partner_id.email
            if not email:
                letter.write(
                    {
                        "email_state": "failed",
                        "delivery_attempts": MAX_ATTEMPTS,
                        "delivery_error": self.env._(
                            "%(partner)s has no e-mail address.", partner=letter.partner_id.name
                        ),
                    }
                )
                continue
            try:
                with self.env.cr.savepoint():
                    attachments = letter._isp_render_pdf() if level.send_letter else self.env["ir.attachment"]
                    if letter.charge_move_id:
                        attachments |= letter.charge_move_id._isp_documents()
                    template = level.mail_template_id or self.env.ref("isp_dunning.mail_template_dunning_letter")
                    template.send_mail(
                        letter.id, email_values={"attachment_ids": [Command.link(a.id) for a in attachments]}
                    )
            except Exception as error:
                _logger.warning("Dunning letter %s failed: %s", letter.id, error)
                letter.write(
                    {
                        "email_state": "failed",
                        "delivery_attempts": letter.delivery_attempts + 1,
                        "delivery_error": str(error),
                    }
                )
                continue
            letter.write({"email_state": "sent", "delivery_error": False})

    def action_retry(self):
        self.filtered(lambda letter: letter.email_state == "failed").write(
            {"email_state": "queued", "delivery_attempts": 0, "delivery_error": False}
        )
        self.env.ref("isp_dunning.ir_cron_isp_send_dunning_letters")._trigger()
        return True

    def action_print_and_mark_sent(self):
        """One PDF of the selected postal letters; they leave the print queue."""
        letters = self.filtered(lambda letter: letter.print_state == "to_print")
        if not letters:
            raise UserError(self.env._("None of the selected letters is waiting to be printed."))
        letters.write({"print_state": "printed"})
        return self.env.ref("isp_dunning.action_report_dunning_letter").report_action(letters, config=False)

    def action_waive(self):
        return self.step_ids.action_waive()
