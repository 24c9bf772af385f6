from odoo import fields, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    isp_topup = fields.Boolean(
        string="Credit Top-Up",
        readonly=True,
        copy=False,
        help="Made with the portal's credit top-up: a payment on account that settles the customer's open "
        "invoices oldest first; the rest stays as prepaid credit.",
    )

    def _post_process(self):
        """A credit top-up settles the customer's open invoices oldest first; what is left stays as
        prepaid credit. Every other payment follows Odoo: an invoice payment pays its invoices, a
        quotation payment confirms its order and pays the order's invoice (sale), a payment for
        nothing stays on the customer's account for the accountant."""
        result = super()._post_process()
        top_ups = self.filtered(
            lambda tx: tx.isp_topup and tx.state == "done" and tx.payment_id and tx.operation != "validation"
        )
        top_ups.payment_id._isp_apply_to_open_invoices()
        return result
