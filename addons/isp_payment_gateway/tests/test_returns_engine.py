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
                date="2026-12-08",
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
            ("INV/2026/00002", "M-2", Decimal("1000.00"), "AC04", "2026-12-03"),
        )
        self.assertEqual(rejected.reason_text, "Account closed")
        self.assertIn("AC04", returns.MANDATE_ENDING)

    def test_other_files_refused(self):
        with self.assertRaisesRegex(ReturnFileError, "not well-formed"):
            returns.read(b"<Document>")
        with self.assertRaisesRegex(ReturnFileError, "CstmrDrctDbtInitn is neither"):
            returns.read(b"<Document xmlns='urn:x'><CstmrDrctDbtInitn/></Document>")
