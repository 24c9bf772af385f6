import base64

from odoo import fields, models
from odoo.exceptions import UserError

from ..engine import pain008, returns

#: debits the bank has (or may have) collected: only these can come back
RETURNABLE = ("open", "debited")


class IspDebitReturnImport(models.TransientModel):
    """Book the returns of a bank file: ISP managers only, by the access rules."""

    _name = "isp.debit.return.import"
    _description = "Import Returned Direct Debits"

    data_file = fields.Binary(string="Bank File", required=True, help="camt.054, camt.053 or pain.002 (XML).")
    filename = fields.Char()
    result = fields.Text(readonly=True)
    return_ids = fields.Many2many("isp.debit.return", string="Returns Booked", readonly=True)

    def action_import(self):
        """Book each return of the file once, on the collection attempt it names.

        Every entry is checked before anything is booked: when one cannot be read or does not
        match its debit (amount to the cent, currency), the file is refused with all such entries
        and nothing of it is booked. Returns booked before are passed over, unknown references listed.
        """
        self.ensure_one()
        try:
            entries = returns.read(base64.b64decode(self.data_file))
        except returns.ReturnFileError as error:
            raise UserError(self.env._("The file cannot be read: %(reason)s", reason=str(error))) from error
        plan, again, unknown, refused = self._isp_plan(entries)
        if refused:
            raise UserError(
                self.env._(
                    "Entries of the bank file refused (%(count)s):\n%(entries)s\n"
                    "Nothing of this file was booked. Correct the file (or book these returns by hand) "
                    "and import it again.",
                    count=len(refused),
                    entries="\n".join(
                        f"{_label(entry)}: {'; '.join(self._isp_problem_text(problem) for problem in problems)}"
                        for entry, problems in refused
                    ),
                )
            )
        booked = self.env["isp.debit.return"]
        for entry, line in plan:
            booked |= line._isp_return(
                entry.reason_code,
                entry.date or fields.Date.context_today(self),
                bank_charge=float(entry.charges),
                source=entry.source,
                reference=entry.reference,
            )
        summary = [self.env._("%(count)s returns booked.", count=len(booked))]
        if again:
            refs = [
                self.env._("%(reference)s (returned on %(date)s)", reference=_label(entry), date=line.return_id.date)
                if line.return_id
                else _label(entry)
                for entry, line in again
            ]
            summary.append(
                self.env._(
                    "Already booked before, nothing changed:\n%(refs)s",
                    refs="\n".join(refs),
                )
            )
        if unknown:
            summary.append(
                self.env._(
                    "Unknown references, not booked:\n%(refs)s",
                    refs="\n".join(
                        f"{entry.end_to_end_id or '?'} / {entry.mandate_id or '?'}: {entry.amount} {entry.currency}"
                        for entry in unknown
                    ),
                )
            )
        self.write({"result": "\n".join(summary), "return_ids": [fields.Command.set(booked.ids)]})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _isp_plan(self, entries):
        """Sort the entries of a bank file: (plan, again, unknown, refused).

        ``plan``: (entry, debit) pairs to book; ``again``: (entry, debit) pairs returned before (or twice
        in this file); ``unknown``: entries that name no debit sent to the bank; ``refused``: (entry,
        problems) of entries that cannot be read or do not match their debit.
        """
        lines = self._isp_lines(entries)
        plan, again, unknown, refused = [], [], [], []
        planned = set()
        for entry in entries:
            problems = list(entry.problems)
            line = self._isp_match(entry, lines.get(entry.end_to_end_id, []))
            if line and (line.state not in RETURNABLE or line in planned):
                again.append((entry, line))
                continue
            if line and not any(problem.kind in ("amount", "currency") for problem in problems):
                problems += returns.check(entry, line.amount, line.move_id.currency_id.name)
            if problems:
                refused.append((entry, problems))
            elif line:
                planned.add(line)
                plan.append((entry, line))
            else:
                unknown.append(entry)
        return plan, again, unknown, refused

    def _isp_lines(self, entries):
        """The debits sent to the bank under the end-to-end ids of ``entries``: {end-to-end id: [lines]}."""
        lines = (
            self.env["isp.debit.batch.line"]
            .sudo()
            .search(
                [
                    ("end_to_end_id", "in", [entry.end_to_end_id for entry in entries if entry.end_to_end_id]),
                    ("company_id", "in", self.env.companies.ids),
                    ("state", "in", (*RETURNABLE, "returned")),
                ]
            )
        )
        by_reference = {}
        for line in lines:
            by_reference.setdefault(line.end_to_end_id, []).append(line)
        return by_reference

    def _isp_match(self, entry, lines):
        """The one debit attempt among ``lines`` (same end-to-end id) that ``entry`` returns: the mandate,
        the original message and the payment information block must be the debit's where the file names
        them. None when no debit or several fit."""
        found = [
            line
            for line in lines
            if (not entry.mandate_id or line.mandate_id.name == entry.mandate_id)
            and (not entry.original_message_id or pain008.identifier(line.batch_id.name) == entry.original_message_id)
            and (
                not entry.original_payment_id
                or pain008.identifier(line._isp_payment_info_id()) == entry.original_payment_id
            )
        ]
        return found[0] if len(found) == 1 else None

    def _isp_problem_text(self, problem):
        """What is wrong with an entry (a ``returns.Problem``), for the clerk."""
        found, expected = problem.found, problem.expected
        texts = {
            "amount": lambda: (
                self.env._("amount %(found)s is not a positive amount", found=found)
                if found
                else self.env._("no amount")
            ),
            "currency": lambda: (
                self.env._("currency %(found)s is not a currency code", found=found)
                if found
                else self.env._("amount without currency")
            ),
            "date": lambda: self.env._("date %(found)s is not a date", found=found),
            "charges": lambda: self.env._(
                "bank charge %(found)s is not an amount in the currency of the return", found=found
            ),
            "reason": lambda: self.env._("no return reason code"),
            "amount_differs": lambda: self.env._(
                "returned amount %(found)s differs from the debit's %(expected)s", found=found, expected=expected
            ),
            "currency_differs": lambda: self.env._(
                "currency %(found)s differs from the debit's %(expected)s", found=found, expected=expected
            ),
        }
        return texts[problem.kind]()


def _label(entry):
    """How the clerk finds an entry of the bank file: its end-to-end id, else the bank's reference."""
    return entry.end_to_end_id or entry.reference or "?"
