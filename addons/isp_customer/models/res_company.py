from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_customer_sequence_id = fields.Many2one(
        "ir.sequence",
        string="Customer Number Sequence",
        help="Sequence that numbers this company's customers. "
        "When empty, the shared sequence 'isp.customer.number' is used.",
    )

    def _isp_customer_sequence(self):
        self.ensure_one()
        sequence = self.isp_customer_sequence_id
        if not sequence:
            sequence = self.env.ref("isp_customer.seq_isp_customer_number", raise_if_not_found=False)
        return sequence.sudo()
