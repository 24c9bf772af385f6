import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine.decisions import EXECUTED_STATES, decide

_logger = logging.getLogger(__name__)

DECISIONS = [
    ("executed", "Executed"),
    ("waiting_payment", "Waiting for payment"),
    ("waiting_credit", "Waiting for a credit top-up"),
    ("waiting_approval", "Waiting for approval"),
    ("accumulated", "Executed, invoiced with the reseller period"),
]
ORIGINS = [("staff", "Staff"), ("portal", "Portal"), ("api", "API")]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    isp_service_ids = fields.One2many("isp.service", "order_id", string="Services")
    isp_service_count = fields.Integer(compute="_compute_isp_service_count", string="Services Count")
    isp_renewal = fields.Boolean(string="Renewal Order", readonly=True)
    isp_has_pending_services = fields.Boolean(string="Has Pending Services", compute="_compute_isp_service_count")
    isp_origin = fields.Selection(
        ORIGINS,
        string="Order Origin",
        default=lambda self: "portal" if self.env.user._is_portal() or self.env.user._is_public() else "staff",
        readonly=True,
        copy=False,
        help="Orders from the portal or the API are processed automatically when confirmed; "
        "orders entered by staff only on request.",
    )
    isp_decision = fields.Selection(DECISIONS, string="Processing", readonly=True, copy=False, tracking=True)
    isp_decision_reason = fields.Text(string="Processing Reason", readonly=True, copy=False)
    isp_api_request_hash = fields.Char(
        string="API Request Hash",
        readonly=True,
        copy=False,
        help="SHA-256 of the remote order request that created the order: a retry with the same reference "
        "and other content is refused.",
    )

    def init(self):
        result = super().init()
        # a remote order reference makes one order per customer, whatever the requests do at once
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS sale_order_isp_api_reference_uniq "
            "ON sale_order (partner_id, client_order_ref) "
            "WHERE isp_origin = 'api' AND client_order_ref IS NOT NULL"
        )
        return result

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        # whoever the provider quotes is an ISP prospect (customers and former customers stay)
        orders.partner_id.commercial_partner_id.sudo()._isp_make_prospect()
        return orders

    @api.depends("isp_service_ids.state")
    def _compute_isp_service_count(self):
        for order in self:
            order.isp_service_count = len(order.isp_service_ids)
            order.isp_has_pending_services = "pending" in order.isp_service_ids.mapped("state")

    def _get_copiable_order_lines(self):
        # Setup fee lines are added again for the copied article lines.
        return super()._get_copiable_order_lines().filtered(lambda line: not line.isp_setup_parent_line_id)

    def _action_confirm(self):
        result = super()._action_confirm()
        self.order_line._isp_create_services()
        self.order_line._isp_extend_renewed_services()
        if not self.env.context.get("isp_no_auto_process"):
            self.filtered(lambda order: order.isp_origin != "staff" and not order.isp_decision)._isp_process()
        return result

    def _action_cancel(self):
        """Services of a cancelled order that never started end with it."""
        result = super()._action_cancel()
        self.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref("isp_sales.mail_activity_type_isp_approval")
        ).unlink()
        self.filtered("isp_decision").write({"isp_decision": False})
        pending = self.isp_service_ids.sudo().filtered(lambda service: service.state == "pending")
        if pending:
            pending.write({"state": "terminated", "date_end": fields.Date.context_today(self)})
            for service in pending:
                service.message_post(
                    body=self.env._(
                        "Order %(order)s cancelled: service ended before it started.", order=service.order_id.name
                    ),
                    subtype_xmlid="mail.mt_note",
                )
        return result

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_isp_process(self):
        """Staff: confirm (if needed) and process the orders by customer class."""
        done = self.filtered(lambda order: not order._isp_can_be_processed())
        if done:
            raise UserError(self.env._("Order %(order)s has been processed already.", order=done[0].name))
        drafts = self.filtered(lambda order: order.state in ("draft", "sent"))
        if drafts:
            drafts.with_context(isp_no_auto_process=True).action_confirm()
        wrong = self.filtered(lambda order: order.state != "sale")
        if wrong:
            raise UserError(self.env._("Only confirmed orders can be processed: %(order)s", order=wrong[0].name))
        self._isp_process()
        return True

    def _isp_can_be_processed(self):
        """Not processed yet, waiting for credit, or waiting for the payment of an invoice that was cancelled."""
        self.ensure_one()
        if self.isp_decision == "waiting_payment":
            return not self.invoice_ids.filtered(lambda move: move.state == "posted")
        return self.isp_decision in (False, "waiting_credit")

    def action_isp_approve(self):
        """ISP manager: execute orders that wait for approval above the quota."""
        # sale.order is the salesmen's model too: no access rule tells an approval from an edit
        if not self.env.user.has_group("isp_customer.group_isp_manager"):
            raise UserError(self.env._("Only ISP managers approve orders above the quota."))
        waiting = self.filtered(lambda order: order.isp_decision == "waiting_approval" and order.state == "sale")
        if waiting != self:
            raise UserError(self.env._("Only orders waiting for approval can be approved."))
        for order in waiting:
            partner = order.partner_id.commercial_partner_id
            if partner.isp_customer_class == "reseller":
                order._isp_execute()
                order._isp_set_decision(
                    "accumulated", self.env._("Approved above the quota by %(user)s.", user=self.env.user.name)
                )
            else:
                invoice = order._isp_invoice()
                order._isp_execute()
                order._isp_set_decision(
                    "executed",
                    self.env._("Approved above the quota by %(user)s.", user=self.env.user.name),
                    invoice=invoice,
                )
            order.activity_ids.filtered(
                lambda activity: activity.activity_type_id == self.env.ref("isp_sales.mail_activity_type_isp_approval")
            ).action_feedback(feedback=self.env._("Approved"))
        return True

    def action_isp_provision(self):
        """Execute the order's pending services (activation or a task for the operations team)."""
        self._isp_check_executed()
        pending = self.isp_service_ids.filtered(lambda service: service.state == "pending")
        if not pending:
            raise UserError(self.env._("The order has no pending services."))
        pending._isp_provision()
        return True

    def _isp_check_executed(self):
        """Services start only for executed orders, whoever asks: refuse the orders that wait for
        their payment, a top-up, a manager's approval or their processing."""
        waiting = self.filtered(lambda order: order.isp_decision not in EXECUTED_STATES)
        if waiting:
            order = waiting[0]
            not_processed = self.env._("not processed yet")
            decisions = dict(self._fields["isp_decision"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Order %(order)s is not executed (%(state)s): its services start when the order is executed "
                    "by the rules of the customer's class (payment, credit, quota) or a manager's approval.",
                    order=order.name,
                    state=decisions.get(order.isp_decision, not_processed),
                )
            )

    def action_isp_renew(self):
        """Renewal order for the next term of this order's live services."""
        self.ensure_one()
        services = self.isp_service_ids.filtered(lambda service: service.state != "terminated")
        if not services:
            raise UserError(self.env._("Order %(order)s has no live services to renew.", order=self.name))
        return services.action_isp_renew()

    def action_isp_view_services(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_sales.isp_service_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # Processing by customer class
    # ------------------------------------------------------------------

    def _isp_lock_customers(self):
        """Serialise the quota and credit checks of one customer across transactions and workers.

        Odoo's transactions are REPEATABLE READ: a plain row lock would let a second
        transaction wait and then decide on its old snapshot. Writing the row makes the
        second one fail with a serialization error once the first commits; Odoo retries
        the request (or cron) and the retry sees the first order's invoice or accumulation.
        That failure is expected, not an error: it is not logged as one. The remote order
        API takes the lock at the start of the request (``controllers/api.py``), so that
        its orders wait for each other instead of failing late.
        """
        partner_ids = sorted(set(self.partner_id.commercial_partner_id.ids))
        self.env.cr.execute(
            SQL("UPDATE res_partner SET write_date = write_date WHERE id IN %s", tuple(partner_ids)),
            log_exceptions=False,
        )

    def _isp_amount_company_currency(self):
        self.ensure_one()
        return self.currency_id._convert(
            self.amount_total,
            self.company_id.currency_id,
            self.company_id,
            fields.Date.context_today(self),
        )

    def _isp_process(self):
        """Decide and carry out what happens to confirmed orders, per customer class."""
        if not self:
            return
        self._isp_lock_customers()
        for order in self.sorted("id"):
            order.with_company(order.company_id)._isp_process_one()

    def _isp_process_one(self):
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        company = self.company_id
        currency = company.currency_id
        balances = partner.with_company(company).sudo()._isp_balances().get(partner.id, (0.0, 0.0))
        accumulated = partner.sudo()._isp_reseller_accumulated(exclude=self)
        amount = self._isp_amount_company_currency()
        decision = decide(
            partner.isp_customer_class,
            amount,
            receivable=balances[0],
            credit=balances[1],
            quota=partner.isp_order_quota,
            accumulated=accumulated,
            rounding=currency.rounding,
        )
        numbers = {
            "amount": currency.format(amount),
            "receivable": currency.format(balances[0]),
            "credit": currency.format(balances[1]),
            "accumulated": currency.format(accumulated),
            "quota": currency.format(partner.isp_order_quota),
            "exposure": currency.format(decision.exposure),
            "missing": currency.format(decision.missing),
        }
        invoice = self.env["account.move"]
        if decision.close_accumulation:
            partner._isp_invoice_reseller_orders()
        if decision.invoice:
            invoice = self._isp_invoice()
            if decision.pay_from_credit:
                invoice._isp_apply_outstanding_credit()
        state = decision.state
        if state == "waiting_payment" and invoice.payment_state in ("paid", "in_payment"):
            state = "executed"  # nothing to pay (e.g. a free article): execute at once
        if decision.execute or state != decision.state:
            self._isp_execute()
        reasons = {
            "waiting_payment": self.env._(
                "New client: invoice %(invoice)s of %(amount)s sent; the services start when it is paid.",
                invoice=invoice.name,
                **numbers,
            ),
            "executed": self.env._(
                "Paid from prepaid credit (%(credit)s available for %(amount)s); services executed.", **numbers
            )
            if decision.pay_from_credit
            else self.env._(
                "Trusted client: receivables %(receivable)s + order %(amount)s = %(exposure)s within the quota "
                "%(quota)s; invoiced and executed.",
                **numbers,
            ),
            "waiting_credit": self.env._(
                "Prepaid credit %(credit)s does not cover the order of %(amount)s: %(missing)s missing. "
                "The customer has been asked to top up; the order is processed when the credit arrives.",
                **numbers,
            ),
            "waiting_approval": self.env._(
                "Receivables %(receivable)s + uninvoiced %(accumulated)s + order %(amount)s = %(exposure)s "
                "exceed the quota %(quota)s: waiting for a manager's approval.",
                **numbers,
            ),
            "accumulated": self.env._(
                "Reseller: receivables %(receivable)s + uninvoiced %(accumulated)s + order %(amount)s = "
                "%(exposure)s within the quota %(quota)s; executed, invoiced at the end of the reseller period.",
                **numbers,
            ),
        }
        if state != decision.state:
            reasons["executed"] = self.env._(
                "New client: invoice %(invoice)s has nothing to pay; services executed.", invoice=invoice.name
            )
        self._isp_set_decision(state, reasons[state], invoice=invoice)
        if decision.state == "waiting_credit":
            self._isp_ask_for_top_up()
        elif decision.state == "waiting_approval":
            self._isp_request_approval(reasons["waiting_approval"])

    def _isp_set_decision(self, state, reason, invoice=None):
        self.ensure_one()
        self.write({"isp_decision": state, "isp_decision_reason": reason})
        self.message_post(body=reason, subtype_xmlid="mail.mt_note")
        self._isp_notify_sales_team(invoice or self.env["account.move"])

    def _isp_invoice(self):
        """Invoice the order, post the invoice and send it as the customer wishes."""
        self.ensure_one()
        invoice = self._create_invoices()
        invoice.action_post()
        invoice._isp_deliver()
        return invoice

    def _isp_execute(self):
        """Provision the order's pending services."""
        self.isp_service_ids.filtered(lambda service: service.state == "pending")._isp_provision()

    def _isp_ask_for_top_up(self):
        template = self.env.ref("isp_sales.mail_template_isp_order_top_up")
        self.with_context(mail_notify_author=True).message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def _isp_request_approval(self, reason):
        company = self.company_id
        approver = self.env["res.users"]._isp_staff_user(
            company.isp_approver_user_id, self.team_id.user_id, self.user_id
        )
        self.activity_schedule(
            "isp_sales.mail_activity_type_isp_approval",
            summary=self.env._("Approve order above quota"),
            note=Markup("<p>%s</p>") % reason,
            user_id=approver.id,
        )

    def _isp_notify_sales_team(self, invoice):
        """E-mail the order's sales team about an automatically processed order."""
        self.ensure_one()
        team = self.team_id
        recipients = (team.member_ids | team.user_id).partner_id.filtered("email")
        if not recipients:
            return
        attachments = self.env["ir.attachment"]
        if invoice and not invoice._isp_make_documents():
            # the invoice's documents as the customer receives them (none when its e-invoice is refused)
            attachments = invoice._isp_documents()
        template = self.env.ref("isp_sales.mail_template_isp_order_processed")
        template.send_mail(
            self.id,
            email_values={
                "recipient_ids": [(6, 0, recipients.ids)],
                "attachment_ids": [(4, attachment.id) for attachment in attachments],
            },
        )

    # ------------------------------------------------------------------
    # Resellers
    # ------------------------------------------------------------------

    @api.model
    def _isp_record_processing_error(self, order, message):
        order.message_post(
            body=self.env._(
                "Order %(order)s could not be processed after a top-up: %(error)s", order=order.name, error=message
            ),
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _cron_isp_process_waiting_credit(self):
        """Process again the orders of credited clients that waited for a top-up."""
        waiting = self.search([("isp_decision", "=", "waiting_credit"), ("state", "=", "sale")])
        # one order that fails (missing data, a bug) is recorded on the order; the others go on
        self.env["ir.cron"]._isp_process_isolated(
            waiting, lambda order: order._isp_process(), on_error=self._isp_record_processing_error
        )
        self.env["ir.cron"]._notify_progress(done=len(waiting), remaining=0)
