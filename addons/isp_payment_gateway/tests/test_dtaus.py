from datetime import date
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..engine import dtaus
from ..engine.dtaus import DtausDebit, DtausError, DtausFile
from .dtaus_reader import parse

CREDITOR_IBAN = "DE89370400440532013000"  # BLZ 37040044, account 0532013000


def sample(debits=None):
    return DtausFile(
        creditor_name="Netzwerk & Söhne GmbH",
        creditor_iban=CREDITOR_IBAN,
        created=date(2026, 12, 1),
        execution=date(2026, 12, 4),
        reference=4711,
        debits=debits
        or [
            DtausDebit("Müller & Söhne KG", "DE02120300000000202051", Decimal("19.90"), "RE 2026-00001 K00001", 1),
            DtausDebit(
                "Jörg Weißmann-Überlänge Consulting und Partner",
                "DE02500105170137075030",
                Decimal("1234.56"),
                "Rechnungen RE 2026-00002, RE 2026-00003, RE 2026-00004 und RE 2026-00005 vom Dezember 2026",
                2,
            ),
        ],
    )


@tagged("post_install", "-at_install")
class TestDtaus(BaseCase):
    def test_round_trip_every_field(self):
        data = dtaus.write(sample())
        self.assertEqual(len(data) % 128, 0)
        parsed = parse(data)
        self.assertEqual(
            (parsed.kind, parsed.bank_blz, parsed.creditor_account, parsed.reference, parsed.created, parsed.execution),
            ("LK", "37040044", "0532013000", "0000004711", "011226", "04122026"),
        )
        self.assertEqual(parsed.creditor_name, "NETZWERK & SÖHNE GMBH")
        first, second = parsed.debits
        self.assertEqual(
            (first.payer_blz, first.payer_account, first.cents, first.key, first.customer_number),
            ("12030000", "0000202051", 1990, "05000", "0000000000010"),
        )
        self.assertEqual((first.creditor_blz, first.creditor_account), ("37040044", "0532013000"))
        self.assertEqual(
            (first.payer_name, first.purpose, first.extensions), ("MÜLLER & SÖHNE KG", "RE 2026-00001 K00001", [])
        )
        self.assertEqual((second.payer_blz, second.payer_account, second.cents), ("50010517", "0137075030", 123456))
        name = second.payer_name + "".join(text for kind, text in second.extensions if kind == "01")
        purpose = second.purpose + "".join(text.ljust(27) for kind, text in second.extensions if kind == "02")
        self.assertEqual(name, "JÖRG WEIßMANN-ÜBERLÄNGE CONSULTING UND PARTNER")
        self.assertTrue(purpose.startswith("RECHNUNGEN RE 2026-00002, RE 2026-00003"))
        self.assertEqual(len(second.extensions), 4, "name and purpose continue in extensions")
        # A record, a C record of two sections, one of three (extensions 1-2 in the second, 3-4 in the third), E
        self.assertEqual(len(data), 128 * (1 + 2 + 3 + 1))
        # E record sums: count, payer accounts, payer bank codes, amounts
        self.assertEqual(
            parsed.totals,
            {"count": 2, "accounts": 202051 + 137075030, "blz": 12030000 + 50010517, "cents": 1990 + 123456},
        )

    def test_din_66003_umlauts(self):
        data = dtaus.write(sample())
        self.assertIn(b"M]LLER & S\\HNE KG", data)
        self.assertNotIn("Ü".encode(), data)

    def test_foreign_iban_refused(self):
        foreign = DtausDebit("Jan de Vries", "NL91ABNA0417164300", Decimal("10"), "RE 1")
        with self.assertRaisesRegex(DtausError, "German accounts only; NL91ABNA0417164300"):
            dtaus.write(sample([foreign]))
        with self.assertRaisesRegex(DtausError, "German"):
            dtaus.write(sample()._replace(creditor_iban="AT611904300234573201"))

    def test_corrupt_file_refused(self):
        data = bytearray(dtaus.write(sample()))
        # change one digit of the first amount: the E record sum no longer matches
        offset = 128 + 89
        data[offset : offset + 1] = b"1" if data[offset : offset + 1] != b"1" else b"2"
        with self.assertRaisesRegex(DtausError, "E record sums"):
            parse(bytes(data))
        with self.assertRaisesRegex(DtausError, "128-byte"):
            parse(bytes(data[:-1]))
