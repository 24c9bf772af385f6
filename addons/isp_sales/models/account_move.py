from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _isp_deliver(self):
        """Send posted invoices by e-mail where the customer's billing profile asks for it."""
        by_email = self.filtered(
            lambda move: move.commercial_partner_id.isp_invoice_delivery in ("email", "email_post")
        )
        for move in by_email.filtered(lambda move: not move.partner_id.email):
            move.message_post(
                body=self.env._("Not sent by e-mail: %(partner)s has no e-mail address.", partner=move.partner_id.name),
                subtype_xmlid="mail.mt_note",
            )
        by_email = by_email.filtered("partner_id.email")
        if by_email:
            self.env["account.move.send"]._generate_and_send_invoices(
                by_email, allow_raising=False, sending_methods={"email"}
            )

    def _isp_pdf_attachment(self):
        """The invoice PDF as an attachment (rendered when it was not sent yet)."""
        self.ensure_one()
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf("account.account_invoices", self.ids)
        return self.env["ir.attachment"].create(
            {
                "name": f"{self._get_invoice_report_filename()}",
                "raw": content,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    def _invoice_paid_hook(self):
        """New clients: the services of an order start when its invoice is paid."""
        result = super()._invoice_paid_hook()
        invoices = self.filtered(
            lambda move: move.move_type == "out_invoice" and move.payment_state in ("paid", "in_payment")
        )
        orders = invoices.invoice_line_ids.sale_line_ids.order_id.sudo().filtered(
            lambda order: order.isp_decision == "waiting_payment" and order.state == "sale"
        )
        for order in orders:
            order._isp_execute()
            order.write({"isp_decision": "executed"})
            order.message_post(
                body=self.env._("Invoice paid: services executed."),
                subtype_xmlid="mail.mt_note",
            )
        return result
