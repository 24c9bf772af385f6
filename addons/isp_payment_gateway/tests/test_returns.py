import base64

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import IspPaymentCase


def camt054(returned):
    """A camt.054 notification returning (end-to-end id, mandate, amount, reason, charge) debits."""
    entries = "".join(
        f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-18</Dt></BookgDt><AcctSvcrRef>REF-{index}</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><EndToEndId>{reference}</EndToEndId><MndtId>{mandate}</MndtId></Refs>
        <AmtDtls><InstdAmt><Amt Ccy="EUR">{amount}</Amt></InstdAmt></AmtDtls>
        <Chrgs><Rcrd><Amt Ccy="EUR">{charge}</Amt></Rcrd></Chrgs>
        <RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"""
        for index, (reference, mandate, amount, reason, charge) in enumerate(returned)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>CAMT-1</MsgId><CreDtTm>2026-12-18T08:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{entries}</Ntfctn>
</BkToCstmrDbtCdtNtfctn></Document>""".encode()


def pain002(rejected, message_id="DD", payment_id="P1"):
    """A pain.002 report rejecting (end-to-end id, mandate, amount, reason) debits of the pain.008
    message ``message_id``, payment information block ``payment_id``."""
    transactions = "".join(
        f"""<TxInfAndSts><OrgnlEndToEndId>{reference}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>
        <OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{amount}</InstdAmt></Amt>
        <MndtRltdInf><MndtId>{mandate}</MndtId></MndtRltdInf></OrgnlTxRef></TxInfAndSts>"""
        for reference, mandate, amount, reason in rejected
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>P002-1</MsgId><CreDtTm>2026-12-15T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>{payment_id}</OrgnlPmtInfId>{transactions}</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>""".encode()


@tagged("post_install", "-at_install")
class TestReturns(IspPaymentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.isp_sepa_return_fee = 5.0
        cls.business.isp_payment_method = "sepa"
        cls.mandate = cls.env["isp.sepa.mandate"].create(
            {"partner_id": cls.business.id, "bank_account_id": cls.business_account.id, "signature_date": "2025-01-15"}
        )
        cls.mandate.action_activate()

    def _debited(self, amount=100.0):
        invoice = self._due_invoice(self.business, amount, "2026-12-01", invoice_date="2026-12-01")
        batch = self._batch("2026-12-14")
        batch.action_mark_sent()
        return invoice, batch.line_ids.filtered(lambda line: line.move_id == invoice)

    def _import(self, data):
        wizard = self.env["isp.debit.return.import"].create({"data_file": base64.b64encode(data), "filename": "f.xml"})
        wizard.action_import()
        return wizard

    def test_camt054_return_reopens_charges_and_escalates(self):
        invoice, line = self._debited()
        self.assertEqual(invoice.payment_state, "in_payment")
        data = camt054([(line.end_to_end_id, self.mandate.name, "100.00", "AM04", "3.00")])
        wizard = self._import(data)
        record = wizard.return_ids
        self.assertEqual(
            (record.reason_code, record.reason_text, record.bank_charge), ("AM04", "Insufficient funds", 3.0)
        )
        self.assertEqual(record.date, fields.Date.to_date("2026-12-18"))
        self.assertEqual((line.state, invoice.payment_state), ("returned", "not_paid"), "the invoice is open again")
        self.assertEqual(invoice.amount_residual, 100.0)
        self.assertEqual(record.fee_move_id.state, "posted")
        self.assertEqual(record.fee_move_id.amount_total, 8.0, "bank charge 3.00 plus handling fee 5.00")
        self.assertEqual(record.reversal_move_id.state, "posted")
        self.assertEqual(invoice.isp_dunning_level_id, self.reminder, "the dunning level moves on one step")
        self.assertIn("Direct debit returned (AM04)", invoice.isp_dunning_step_ids.reason)
        self.assertEqual(self.mandate.state, "active", "insufficient funds: the mandate stays")
        # the same file again changes nothing
        again = self._import(data)
        self.assertFalse(again.return_ids)
        self.assertIn("Already booked before", again.result)
        self.assertEqual(self.env["isp.debit.return"].search_count([("line_id", "=", line.id)]), 1)

    def test_pain002_account_closed_revokes_the_mandate(self):
        team = self.env["crm.team"].create({"name": "Business", "user_id": self.manager.id})
        self.business.team_id = team
        invoice, line = self._debited()
        mails = self.env["mail.mail"].search_count([])
        wizard = self._import(
            pain002(
                [(line.end_to_end_id, self.mandate.name, "100.00", "AC04")],
                message_id=line.batch_id.name,
                payment_id=line._isp_payment_info_id(),
            )
        )
        self.assertEqual(wizard.return_ids.source, "pain.002")
        self.assertEqual(self.mandate.state, "revoked")
        self.assertIn("AC04", self.mandate.end_reason)
        self.assertEqual(self.business.isp_payment_method, "transfer")
        self.assertEqual(self.env["mail.mail"].search_count([]), mails + 1, "the customer is told")
        note = self.business.message_ids[0]
        self.assertIn("revoked", note.body)
        self.assertIn(self.manager.partner_id, note.partner_ids, "and the sales team")
        self.assertFalse(self._batch("2026-12-21").line_ids, "no more debits without a mandate")
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_unknown_references_are_listed_not_guessed(self):
        _invoice, line = self._debited()
        wizard = self._import(
            camt054(
                [
                    ("INV/1999/99999", "M-UNKNOWN", "12.00", "MS03", "0"),
                    (line.end_to_end_id, "OTHER-MANDATE", "100.00", "MS03", "0"),
                ]
            )
        )
        self.assertFalse(wizard.return_ids)
        self.assertIn("INV/1999/99999", wizard.result)
        self.assertIn("OTHER-MANDATE", wizard.result)
        self.assertEqual(line.state, "open")
        with self.assertRefused(UserError, "cannot be read"):
            self._import(b"not xml")

    def test_importing_returns_is_for_managers_by_the_access_rules(self):
        """Issue 15: only ISP managers import bank returns, by the wizard's access rules: a clerk neither opens
        the import nor runs a manager's, and nothing of the file is booked."""
        invoice, line = self._debited()
        values = {
            "data_file": base64.b64encode(camt054([(line.end_to_end_id, self.mandate.name, "100.00", "AM04", "3.00")])),
            "filename": "f.xml",
        }
        with self.assertRefused(AccessError, "not allowed to create"):
            self.env["isp.debit.return.import"].with_user(self.clerk).create(values)
        wizard = self.env["isp.debit.return.import"].with_user(self.manager).create(values)
        self.env.invalidate_all()  # the clerk's call comes in a request of its own
        with self.assertRefused(AccessError, "not allowed to access"):
            wizard.with_user(self.clerk).action_import()
        self.assertFieldUnchanged(line, "state", "open")
        self.assertFalse(line.return_id)
        self.assertEqual(invoice.payment_state, "in_payment")
        wizard.action_import()
        self.assertEqual(line.state, "returned", "the manager's import books it")

    def test_manual_return(self):
        invoice, line = self._debited(50.0)
        action = line.action_return()
        Manual = self.env["isp.debit.return.manual"].with_context(**action["context"])
        with self.assertRefused(AccessError, "not allowed to create"):
            Manual.with_user(self.clerk).create({"reason_code": "MD06", "bank_charge": 2.5})
        wizard = Manual.create({"reason_code": "MD06", "bank_charge": 2.5})
        self.env.invalidate_all()  # the clerk's call comes in a request of its own
        with self.assertRefused(AccessError, "not allowed to access"):
            wizard.with_user(self.clerk).action_return()
        self.assertFieldUnchanged(line, "state", "open")
        self.assertFalse(line.return_id)
        self.assertNotIn("action_return", self._view_buttons("isp.debit.batch", self.clerk))
        wizard.action_return()
        self.assertEqual(
            (line.state, line.return_id.source, line.return_id.fee_move_id.amount_total), ("returned", "manual", 7.5)
        )
        self.assertEqual(invoice.payment_state, "not_paid")
        with self.assertRefused(UserError, "only debits in transit or debited"):
            line._isp_return("MD06", fields.Date.to_date("2026-12-20"))

    def _return_as_manager(self, line, reason_code="MD06", day="2026-12-18"):
        """Book a return through the manual return wizard, as the ISP manager who does it."""
        action = line.action_return()
        wizard = (
            self.env["isp.debit.return.manual"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"reason_code": reason_code, "date": day})
        )
        wizard.action_return()
        return line.return_id

    def test_p01_return_undoes_only_the_debit_payment(self):
        """Issue 12, point 1: a returned debit reopens its own 70.00; the 30.00 paid by transfer stays paid."""
        invoice = self._due_invoice(self.business, 100.0, "2026-12-01", invoice_date="2026-12-01")
        transfer = self._pay(invoice, 30.0, "2026-12-05")
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 70.0))
        batch = self._batch("2026-12-14")
        line = batch.line_ids
        self.assertEqual((line.move_id, line.amount), (invoice, 70.0), "the debit takes what is open")
        batch.with_user(self.manager).action_mark_sent()
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("in_payment", 0.0))

        record = self._return_as_manager(line)
        self.assertEqual(line.state, "returned")
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 70.0))
        receivable = invoice.line_ids.filtered(
            lambda move_line: move_line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(
            receivable.matched_credit_ids.credit_move_id.move_id, transfer.move_id, "the transfer stays reconciled"
        )
        self.assertEqual(receivable.matched_credit_ids.amount, 30.0)
        self.assertEqual(record.reversal_move_id.state, "posted")
        self.assertEqual(record.reversal_move_id.amount_total, 70.0, "only the debit payment is reversed")
        loose = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.business.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ]
        )
        self.assertFalse(loose, "no payment of the customer is left as loose credit")
        self.assertEqual(record.fee_move_id.amount_total, 5.0)
        self.assertEqual(self.business.with_company(self.env.company).isp_credit_balance, 0.0)
