import datetime
import socket
import tempfile
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..engine import returns
from ..engine.returns import ReturnFileError

CAMT054 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>CAMT054-1</MsgId><CreDtTm>2026-12-09T08:00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N1</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
      <Ntry>
        <Amt Ccy="EUR">22.90</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-08</Dt></BookgDt>
        <AcctSvcrRef>BANKREF-1</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>INV/2026/00001</EndToEndId><MndtId>M-1</MndtId></Refs>
          <Amt Ccy="EUR">22.90</Amt>
          <AmtDtls><InstdAmt><Amt Ccy="EUR">19.90</Amt></InstdAmt></AmtDtls>
          <Chrgs><TtlChrgsAndTaxAmt Ccy="EUR">3.00</TtlChrgsAndTaxAmt><Rcrd><Amt Ccy="EUR">3.00</Amt></Rcrd></Chrgs>
          <RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-08</Dt></BookgDt>
        <NtryDtls><TxDtls><Refs><EndToEndId>BATCH-1</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>"""

PAIN002 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>P002-1</MsgId><CreDtTm>2026-12-03T10:00:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>BATCH/2026/0001</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId></OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>P1</OrgnlPmtInfId>
      <TxInfAndSts>
        <OrgnlEndToEndId>INV/2026/00002</OrgnlEndToEndId><TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf>
        <OrgnlTxRef><Amt><InstdAmt Ccy="EUR">1000.00</InstdAmt></Amt>
          <MndtRltdInf><MndtId>M-2</MndtId></MndtRltdInf></OrgnlTxRef>
      </TxInfAndSts>
      <TxInfAndSts><OrgnlEndToEndId>INV/2026/00003</OrgnlEndToEndId><TxSts>ACSP</TxSts></TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>"""


@tagged("post_install", "-at_install")
class TestReturnsEngine(BaseCase):
    def test_camt054_return_with_charges(self):
        (returned,) = returns.read(CAMT054)
        self.assertEqual(
            returned,
            returns.Return(
                end_to_end_id="INV/2026/00001",
                mandate_id="M-1",
                amount=Decimal("19.90"),
                currency="EUR",
                reason_code="AM04",
                reason_text="Insufficient funds",
                date=datetime.date(2026, 12, 8),
                charges=Decimal("3.00"),
                source="camt.054",
                reference="BANKREF-1",
            ),
        )
        self.assertNotIn("AM04", returns.MANDATE_ENDING, "insufficient funds: the mandate stays usable")

    def test_camt053_statement_entries(self):
        statement = (
            CAMT054.replace(b"camt.054.001.08", b"camt.053.001.08")
            .replace(b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrStmt")
            .replace(b"Ntfctn>", b"Stmt>")
        )
        (returned,) = returns.read(statement)
        self.assertEqual((returned.source, returned.end_to_end_id), ("camt.053", "INV/2026/00001"))

    def test_pain002_rejects_only(self):
        (rejected,) = returns.read(PAIN002)
        self.assertEqual(
            (rejected.end_to_end_id, rejected.mandate_id, rejected.amount, rejected.reason_code, rejected.date),
            ("INV/2026/00002", "M-2", Decimal("1000.00"), "AC04", datetime.date(2026, 12, 3)),
        )
        self.assertEqual(
            (rejected.original_message_id, rejected.original_payment_id),
            ("BATCH/2026/0001", "P1"),
            "the pain.008 message and payment information block the rejected debit came from",
        )
        self.assertEqual(rejected.reason_text, "Account closed")
        self.assertIn("AC04", returns.MANDATE_ENDING)

    def test_other_files_refused(self):
        with self.assertRaisesRegex(ReturnFileError, "not well-formed"):
            returns.read(b"<Document>")
        with self.assertRaisesRegex(ReturnFileError, "CstmrDrctDbtInitn is neither"):
            returns.read(b"<Document xmlns='urn:x'><CstmrDrctDbtInitn/></Document>")

    def test_p17_external_entities_are_neither_resolved_nor_fetched(self):
        """Issue 12, point 17: a bank file with a DTD or external entities is refused unread: no file
        content leaks, nothing is fetched from the network."""
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as secret:
            secret.write("TOP-SECRET-4711")
            secret.flush()
            declarations = [
                f'<!DOCTYPE Document [<!ENTITY leak SYSTEM "file://{secret.name}">]>',
                f'<!DOCTYPE Document [<!ENTITY leak SYSTEM "{url}/entity">]>',
                f'<!DOCTYPE Document SYSTEM "{url}/camt.dtd">',
                f'<!DOCTYPE Document [<!ENTITY % remote SYSTEM "{url}/parameter"> %remote;]>',
                f'<!DOCTYPE Document [<!ENTITY % local SYSTEM "file://{secret.name}"> %local;]>',
                '<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
            ]
            for declaration in declarations:
                document = CAMT054.replace(b"<Document ", declaration.encode() + b"<Document ", 1)
                if "leak" in declaration:
                    document = document.replace(b"INV/2026/00001", b"&leak;")
                elif "ENTITY b" in declaration:
                    document = document.replace(b"INV/2026/00001", b"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;")
                with self.subTest(declaration=declaration):
                    with self.assertRaisesRegex(ReturnFileError, "document type declaration") as caught:
                        returns.read(document)
                    self.assertNotIn("TOP-SECRET-4711", str(caught.exception))
        with self.assertRaises(BlockingIOError, msg="no request reached the network"):
            listener.accept()

    def test_p17_malformed_values_are_reported_per_entry(self):
        """Issue 12, point 17: malformed amounts, currencies, dates and charges are reported with the
        entry they belong to, the well-formed entries read as before."""

        def entry(reference, amount="19.90", currency='Ccy="EUR"', day="2026-12-08", charge="3.00", charged="EUR"):
            return f"""<Ntry><Amt {currency}>{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>
              <BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>REF-{reference}</AcctSvcrRef>
              <NtryDtls><TxDtls><Refs><EndToEndId>{reference}</EndToEndId><MndtId>M-1</MndtId></Refs>
              <AmtDtls><InstdAmt><Amt {currency}>{amount}</Amt></InstdAmt></AmtDtls>
              <Chrgs><Rcrd><Amt Ccy="{charged}">{charge}</Amt></Rcrd></Chrgs>
              <RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"""

        entries = [
            entry("GOOD"),
            entry("COMMA", amount="19,90"),
            entry("NAN", amount="NaN"),
            entry("EXP", amount="1e3"),
            entry("NEG", amount="-19.90"),
            entry("ZERO", amount="0.00"),
            entry("NOCCY", currency=""),
            entry("EURO", currency='Ccy="EURO"'),
            entry("DAY", day="2026-13-45"),
            entry("CHARGE", charge="three"),
            entry("CHF", charged="CHF"),
        ]
        document = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>C-2</MsgId><CreDtTm>2026-12-09T08:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id>{"".join(entries)}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()
        read = {found.end_to_end_id: found for found in returns.read(document)}
        Problem = returns.Problem
        self.assertEqual(
            {reference: found.problems for reference, found in read.items()},
            {
                "GOOD": (),
                "COMMA": (Problem("amount", "19,90"),),
                "NAN": (Problem("amount", "NaN"),),
                "EXP": (Problem("amount", "1e3"),),
                "NEG": (Problem("amount", "-19.90"),),
                "ZERO": (Problem("amount", "0.00"),),
                "NOCCY": (Problem("currency", ""),),
                "EURO": (Problem("currency", "EURO"),),
                "DAY": (Problem("date", "2026-13-45"),),
                "CHARGE": (Problem("charges", "three"),),
                "CHF": (Problem("charges", "3.00 CHF"),),
            },
        )
        good = read["GOOD"]
        self.assertEqual(
            (good.amount, good.currency, good.date, good.charges),
            (Decimal("19.90"), "EUR", datetime.date(2026, 12, 8), Decimal("3.00")),
        )

    def test_p17_returned_amount_and_currency_must_match_the_debit(self):
        """Issue 12, point 17: a return whose amount or currency differs from the debit attempt's
        (to the cent) is refused with the amounts found and expected."""
        (returned,) = returns.read(CAMT054)
        Problem = returns.Problem
        self.assertEqual(returns.check(returned, Decimal("19.90"), "EUR"), [])
        self.assertEqual(returns.check(returned, 19.9, "EUR"), [], "a float amount of the debit compares to the cent")
        self.assertEqual(
            returns.check(returned, Decimal("19.91"), "EUR"), [Problem("amount_differs", "19.90", "19.91")]
        )
        self.assertEqual(
            returns.check(returned._replace(amount=Decimal("19.901")), Decimal("19.90"), "EUR"),
            [Problem("amount_differs", "19.901", "19.90")],
        )
        self.assertEqual(returns.check(returned, Decimal("19.90"), "CHF"), [Problem("currency_differs", "EUR", "CHF")])

    def test_p05_original_references_are_read(self):
        """Issue 12, point 5: the original payment information id a camt return names is read (a
        placeholder NOTPROVIDED counts as none), so that a return is matched to its exact debit attempt."""
        with_block = CAMT054.replace(
            b"<EndToEndId>INV/2026/00001</EndToEndId>",
            b"<PmtInfId>DD-2026-0001-CORE-RCUR</PmtInfId><EndToEndId>INV/2026/00001-2</EndToEndId>",
        )
        (returned,) = returns.read(with_block)
        self.assertEqual(
            (returned.end_to_end_id, returned.original_payment_id), ("INV/2026/00001-2", "DD-2026-0001-CORE-RCUR")
        )
        (returned,) = returns.read(with_block.replace(b"DD-2026-0001-CORE-RCUR", b"NOTPROVIDED"))
        self.assertEqual(returned.original_payment_id, "")
