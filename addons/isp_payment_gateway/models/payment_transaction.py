from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _post_process(self):
        """A payment not made for given invoices (a credit top-up, an online payment on account)
        settles the customer's open invoices oldest first; what is left stays as prepaid credit."""
        result = super()._post_process()
        on_account = self.filtered(
            lambda tx: tx.state == "done" and tx.payment_id and not tx.invoice_ids and tx.operation != "validation"
        )
        for tx in on_account:
            tx.payment_id._isp_apply_to_open_invoices()
        return result
