from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # A partner becomes a customer when its first customer invoice is posted.
        invoices = posted.filtered(lambda move: move.move_type == "out_invoice")
        if invoices:
            invoices.commercial_partner_id.sudo()._isp_make_customer()
        return posted
