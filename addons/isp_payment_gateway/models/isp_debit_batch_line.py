from decimal import Decimal

from odoo import api, fields, models

from ..engine import pain008


def postal_address(partner):
    """A structured postal address of ``partner`` (street, post code, town, country), or None."""
    if not (partner.city and partner.country_id):
        return None
    return pain008.Address(
        street=" ".join(part for part in (partner.street, partner.street2) if part),
        postcode=partner.zip or "",
        town=partner.city,
        country=partner.country_id.code,
    )


class IspDebitBatchLine(models.Model):
    _name = "isp.debit.batch.line"
    _description = "SEPA Direct Debit"
    _order = "batch_id, sequence_type, id"
    _check_company_auto = True

    batch_id = fields.Many2one("isp.debit.batch", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="batch_id.company_id", store=True)
    currency_id = fields.Many2one(related="batch_id.currency_id")
    move_id = fields.Many2one("account.move", string="Invoice", required=True, index=True, check_company=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    mandate_id = fields.Many2one("isp.sepa.mandate", required=True)
    amount = fields.Monetary(currency_field="currency_id")
    scheme = fields.Selection([("CORE", "CORE"), ("B2B", "B2B")], required=True)
    sequence_type = fields.Selection(
        [("FRST", "First"), ("RCUR", "Recurrent"), ("OOFF", "One-off"), ("FNAL", "Final")], required=True
    )
    attempt = fields.Integer(
        readonly=True, copy=False, help="The how-manieth direct debit of the invoice this is (1 for the first)."
    )
    end_to_end_id = fields.Char(
        string="End-to-End Id",
        readonly=True,
        copy=False,
        index=True,
        help="Identifies this collection attempt at the banks: the invoice number and the attempt "
        "(INV/2026/00001-2 is the second debit of INV/2026/00001). Returns are matched by it.",
    )
    state = fields.Selection(
        [
            ("draft", "Planned"),
            ("open", "In Transit"),
            ("debited", "Debited"),
            ("returned", "Returned"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
    )
    payment_id = fields.Many2one("account.payment", readonly=True)

    _sql_constraints = [
        (
            "end_to_end_id_uniq",
            "UNIQUE(company_id, end_to_end_id)",
            "Each direct debit needs its own end-to-end id: a return must match one collection attempt.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self._isp_number_attempts([vals for vals in vals_list if not vals.get("end_to_end_id")])
        return super().create(vals_list)

    def init(self):
        result = super().init()
        # an invoice is in one open batch at most
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS isp_debit_batch_line_open_move_uniq "
            "ON isp_debit_batch_line (move_id) WHERE state IN ('draft', 'open')"
        )
        return result

    @api.model
    def _isp_number_attempts(self, vals_list):
        """Number the new debits of each invoice on from its earlier ones and give each its end-to-end id
        (fixed from then on: the file and the bank's returns carry it)."""
        move_ids = {vals["move_id"] for vals in vals_list if vals.get("move_id")}
        if not move_ids:
            return
        latest = dict(self.sudo()._read_group([("move_id", "in", list(move_ids))], ["move_id"], ["attempt:max"]))
        last = {move.id: attempt or 0 for move, attempt in latest.items()}
        moves = self.env["account.move"].sudo().browse(move_ids)
        names = {move.id: move.name for move in moves}
        for vals in vals_list:
            move_id = vals.get("move_id")
            if not move_id:
                continue
            last[move_id] = attempt = last.get(move_id, 0) + 1
            vals["attempt"] = attempt
            vals["end_to_end_id"] = pain008.attempt_identifier(names[move_id] or str(move_id), attempt)

    def _isp_payment_info_id(self):
        """The id of the payment information block of the pain.008 this debit is in (one per scheme and
        sequence type): a return naming another block is not this debit's."""
        self.ensure_one()
        return f"{self.batch_id.name}-{self.scheme}-{self.sequence_type}"

    def _isp_debit(self):
        mandate = self.mandate_id
        partner = self.partner_id
        return pain008.Debit(
            end_to_end_id=self.end_to_end_id,
            amount=Decimal(str(self.amount)),
            mandate_id=mandate.name,
            mandate_date=mandate.signature_date,
            debtor_name=partner.name,
            debtor_iban=mandate.iban,
            debtor_bic=mandate.bic or "",
            # required for debtors outside the EEA (CH, GB, ...), given for all who have one
            debtor_address=postal_address(partner),
            remittance=" ".join(
                part for part in (self.move_id.name, partner.isp_customer_number, self.move_id.ref) if part
            ),
        )
