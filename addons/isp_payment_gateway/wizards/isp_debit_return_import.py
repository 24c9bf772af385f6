import base64

from odoo import fields, models
from odoo.exceptions import UserError

from ..engine import returns


class IspDebitReturnImport(models.TransientModel):
    _name = "isp.debit.return.import"
    _description = "Import Returned Direct Debits"

    data_file = fields.Binary(string="Bank File", required=True, help="camt.054, camt.053 or pain.002 (XML).")
    filename = fields.Char()
    result = fields.Text(readonly=True)
    return_ids = fields.Many2many("isp.debit.return", string="Returns Booked", readonly=True)

    def action_import(self):
        """Book each return once; returns already booked are passed over, unknown references listed."""
        self.ensure_one()
        if not self.env.user.has_group("isp_customer.group_isp_manager"):
            raise UserError(self.env._("Only ISP managers import returned direct debits."))
        try:
            entries = returns.read(base64.b64decode(self.data_file))
        except returns.ReturnFileError as error:
            raise UserError(self.env._("The file cannot be read: %(reason)s", reason=str(error))) from error
        lines = (
            self.env["isp.debit.batch.line"]
            .sudo()
            .search(
                [
                    ("end_to_end_id", "in", [entry.end_to_end_id for entry in entries]),
                    ("company_id", "in", self.env.companies.ids),
                ],
                order="id desc",
            )
        )
        by_reference = {}
        for line in lines:
            by_reference.setdefault(line.end_to_end_id, []).append(line)
        booked = self.env["isp.debit.return"]
        again, unknown = [], []
        for entry in entries:
            candidates = [
                line
                for line in by_reference.get(entry.end_to_end_id, [])
                if not entry.mandate_id or line.mandate_id.name == entry.mandate_id
            ]
            if not candidates:
                unknown.append(
                    f"{entry.end_to_end_id or '?'} / {entry.mandate_id or '?'}: {entry.amount} {entry.currency}"
                )
                continue
            open_lines = [line for line in candidates if line.state in ("open", "debited")]
            if not open_lines:
                again.append(entry.end_to_end_id)
                continue
            booked |= open_lines[0]._isp_return(
                entry.reason_code,
                fields.Date.to_date(entry.date) or fields.Date.context_today(self),
                bank_charge=float(entry.charges),
                source=entry.source,
                reference=entry.reference,
            )
        summary = [self.env._("%(count)s returns booked.", count=len(booked))]
        if again:
            summary.append(self.env._("Already booked before: %(refs)s", refs=", ".join(again)))
        if unknown:
            summary.append(self.env._("Unknown references, not booked:\n%(refs)s", refs="\n".join(unknown)))
        self.write({"result": "\n".join(summary), "return_ids": [fields.Command.set(booked.ids)]})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
