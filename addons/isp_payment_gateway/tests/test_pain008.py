from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from odoo.tests import BaseCase, tagged

from ..engine import pain008
from ..engine.pain008 import Address, Creditor, Debit, Message, PaymentGroup, SepaError

CREDITOR = Creditor(
    name="Netzwerk & Söhne GmbH",
    iban="DE89 3704 0044 0532 0130 00",
    bic="COBADEFF",
    creditor_id="DE98ZZZ09999999999",
    address=Address(street="Hauptstraße", building="1", postcode="10115", town="Berlin", country="DE"),
)


def debit(number, amount, **values):
    return Debit(
        end_to_end_id=f"INV/2026/{number:05d}",
        amount=Decimal(amount),
        mandate_id=f"M-{number}",
        mandate_date=date(2025, 3, 1),
        debtor_name=values.pop("debtor_name", "Müller & Söhne KG"),
        debtor_iban="DE02120300000000202051",
        **values,
    )


def message(groups):
    return Message("BATCH/2026/0001", datetime(2026, 12, 1, 9, 30, 15, 123), "Netzwerk & Söhne GmbH", CREDITOR, groups)


@tagged("post_install", "-at_install")
class TestPain008(BaseCase):
    def _groups(self):
        return [
            PaymentGroup(
                "BATCH-1-CORE-FRST",
                "CORE",
                "FRST",
                date(2026, 12, 4),
                [debit(1, "19.90", remittance="Invoice INV/2026/00001 customer K00001")],
            ),
            PaymentGroup(
                "BATCH-1-CORE-RCUR",
                "CORE",
                "RCUR",
                date(2026, 12, 4),
                [
                    debit(
                        2,
                        "1000.00",
                        debtor_bic="GENODEF1S04",
                        debtor_address=Address(town="Zürich", country="CH", lines=("Bahnhofstrasse 1", "8001 Zürich")),
                    ),
                    debit(3, "0.01"),
                ],
            ),
            PaymentGroup("BATCH-1-B2B-RCUR", "B2B", "RCUR", date(2026, 12, 3), [debit(4, "250.5")]),
        ]

    def _tree(self, version):
        document = pain008.write(message(self._groups()), version)
        self.assertEqual(pain008.validate(document, version), [], "valid against the ISO schema")
        tree = etree.fromstring(document)
        namespace = {"p": f"urn:iso:std:iso:20022:tech:xsd:pain.008.001.{version}"}
        return tree, namespace

    @staticmethod
    def _texts(tree, ns):
        return lambda path: [element.text for element in tree.xpath(path, namespaces=ns)]

    def test_both_versions_validate_with_sums_and_groups(self):
        for version in ("08", "02"):
            with self.subTest(version=version):
                tree, ns = self._tree(version)

                texts = self._texts(tree, ns)
                self.assertEqual(texts("//p:GrpHdr/p:NbOfTxs"), ["4"])
                self.assertEqual(texts("//p:GrpHdr/p:CtrlSum"), ["1270.41"])
                self.assertEqual(texts("//p:GrpHdr/p:CreDtTm"), ["2026-12-01T09:30:15"])
                self.assertEqual(texts("//p:PmtInf/p:PmtTpInf/p:SeqTp"), ["FRST", "RCUR", "RCUR"])
                self.assertEqual(texts("//p:PmtInf/p:PmtTpInf/p:LclInstrm/p:Cd"), ["CORE", "CORE", "B2B"])
                self.assertEqual(texts("//p:PmtInf/p:CtrlSum"), ["19.90", "1000.01", "250.50"])
                self.assertEqual(texts("//p:PmtInf/p:NbOfTxs"), ["1", "2", "1"])
                self.assertEqual(texts("//p:InstdAmt"), ["19.90", "1000.00", "0.01", "250.50"])
                self.assertEqual(texts("//p:CdtrSchmeId//p:Id/p:PrvtId/p:Othr/p:Id"), ["DE98ZZZ09999999999"] * 3)
                self.assertEqual(texts("//p:CdtrAcct/p:Id/p:IBAN")[0], "DE89370400440532013000")
                bic = "BICFI" if version == "08" else "BIC"
                self.assertEqual(texts(f"//p:CdtrAgt/p:FinInstnId/p:{bic}"), ["COBADEFF"] * 3)
                self.assertEqual(texts("//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id"), ["NOTPROVIDED"] * 3)
                self.assertEqual(texts("//p:EndToEndId")[0], "INV/2026/00001")
                self.assertEqual(texts("//p:MndtId")[0], "M-1")

    def test_structured_and_hybrid_addresses(self):
        tree, ns = self._tree("08")
        creditor = tree.xpath("//p:PmtInf[1]/p:Cdtr/p:PstlAdr", namespaces=ns)[0]
        self.assertEqual(
            [(child.tag.split("}")[1], child.text) for child in creditor],
            [("StrtNm", "Hauptstrasse"), ("BldgNb", "1"), ("PstCd", "10115"), ("TwnNm", "Berlin"), ("Ctry", "DE")],
        )
        swiss = tree.xpath("//p:DrctDbtTxInf[p:PmtId/p:EndToEndId='INV/2026/00002']/p:Dbtr/p:PstlAdr", namespaces=ns)[0]
        self.assertEqual(
            [(child.tag.split("}")[1], child.text) for child in swiss],
            [("TwnNm", "Zuerich"), ("Ctry", "CH"), ("AdrLine", "Bahnhofstrasse 1"), ("AdrLine", "8001 Zuerich")],
        )
        with self.assertRaisesRegex(SepaError, "town and the country"):
            pain008.write(
                message(
                    [
                        PaymentGroup(
                            "P",
                            "CORE",
                            "RCUR",
                            date(2026, 12, 4),
                            [debit(5, "1", debtor_address=Address(lines=("Somewhere 1",)))],
                        )
                    ]
                )
            )

    def test_transliteration(self):
        self.assertEqual(pain008.transliterate("Müller & Söhne"), "Mueller + Soehne")
        self.assertEqual(pain008.transliterate("Müller & Söhne", german=True), "Müller & Söhne")
        self.assertEqual(pain008.transliterate("Øresund Łódź Café_Crème «Straße»"), "Oresund Lodz Cafe-Creme .Strasse.")
        self.assertEqual(pain008.identifier("/INV//2026 0001/"), "INV/20260001")
        tree, ns = self._tree("08")
        self.assertEqual(
            tree.xpath("//p:Dbtr/p:Nm", namespaces=ns)[0].text, "Mueller + Soehne KG", "names in the SEPA set"
        )
        self.assertEqual(tree.xpath("//p:InitgPty/p:Nm", namespaces=ns)[0].text, "Netzwerk + Soehne GmbH")

    def test_p05_each_collection_attempt_has_its_own_end_to_end_id(self):
        """Issue 12, point 5: the end-to-end id is the invoice number and the attempt, at most 35 SEPA
        characters; a long invoice number is shortened, the attempt always stays."""
        self.assertEqual(pain008.attempt_identifier("INV/2026/00001", 1), "INV/2026/00001-1")
        self.assertEqual(pain008.attempt_identifier("INV/2026/00001", 2), "INV/2026/00001-2")
        self.assertEqual(pain008.attempt_identifier("RE 2026/Müller", 12), "RE2026/Mueller-12")
        long = pain008.attempt_identifier("INV/" + "9" * 40, 123)
        self.assertEqual((len(long), long[-4:]), (35, "-123"))
        self.assertEqual(pain008.attempt_identifier("INV/2026/" + "1" * 22 + "/7", 10), "INV/2026/" + "1" * 22 + "-10")

    def test_limits_and_refusals(self):
        long_name = debit(6, "5", debtor_name="X" * 90, remittance="R" * 200)
        document = pain008.write(message([PaymentGroup("P", "CORE", "OOFF", date(2026, 12, 4), [long_name])]))
        self.assertEqual(pain008.validate(document), [])
        tree = etree.fromstring(document)
        ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
        self.assertEqual(len(tree.xpath("//p:Dbtr/p:Nm", namespaces=ns)[0].text), 70)
        self.assertEqual(len(tree.xpath("//p:Ustrd", namespaces=ns)[0].text), 140)
        for amount in ("0", "1000000000.00"):
            with self.assertRaisesRegex(SepaError, "outside"):
                pain008.write(message([PaymentGroup("P", "CORE", "RCUR", date(2026, 12, 4), [debit(7, amount)])]))
        with self.assertRaisesRegex(SepaError, "at least one debit"):
            pain008.write(message([PaymentGroup("P", "CORE", "RCUR", date(2026, 12, 4), [])]))
        with self.assertRaisesRegex(SepaError, "sequence type"):
            pain008.write(message([PaymentGroup("P", "CORE", "NEXT", date(2026, 12, 4), [debit(8, "1")])]))

    def test_validation_gives_the_reasons(self):
        document = pain008.write(message(self._groups()))
        broken = document.replace(b"<SeqTp>RCUR</SeqTp>", b"<SeqTp>LATER</SeqTp>", 1)
        reasons = pain008.validate(broken)
        self.assertTrue(reasons)
        self.assertIn("SeqTp", reasons[0])
        self.assertEqual(pain008.validate(b"<Document>"), [pain008.validate(b"<Document>")[0]])
        self.assertIn("not well-formed", pain008.validate(b"<Document>")[0])
        self.assertTrue(pain008.validate(document, "02"), "an .08 document is not a valid .02 one")

    def test_debit_problems_name_what_keeps_a_debit_out_of_the_file(self):
        """Issue 12, point 8: a debit with broken data is recognised before the file, with the reasons."""
        self.assertEqual(pain008.debit_problems(debit(9, "10.00")), [])
        broken = debit(9, "0", debtor_name=" ")._replace(debtor_iban="", mandate_date=None, mandate_id="//")
        self.assertEqual(
            pain008.debit_problems(broken),
            [
                "the debtor IBAN is missing",
                "the mandate has no date of signature",
                "the mandate reference '//' has no usable characters",
                "the debtor has no name",
                "amount 0.00 is outside 0.01 to 999999999.99",
            ],
        )
        wrong_iban = debit(9, "10.00")._replace(debtor_iban="DE02120300000000202052")
        self.assertEqual(pain008.debit_problems(wrong_iban), ["the debtor IBAN DE02120300000000202052 is not valid"])
