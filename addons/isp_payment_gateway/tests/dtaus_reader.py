"""Reads DTAUS files back, for the tests: the product writes DTAUS (``engine/dtaus.py``) and
never reads it. Checks the record lengths, the count and the three check sums of the E record."""

from collections import namedtuple

from ..engine.dtaus import (
    C_BASE_LENGTH,
    DIN_66003,
    EXTENSION_LENGTH,
    SECTION,
    DtausError,
    extension_start,
    record_size,
)

DIN_66003_BACK = {value: key for key, value in DIN_66003.items()}
#: a parsed C record: BLZ and account of both sides, amount in cents, texts with extensions
ParsedDebit = namedtuple(
    "ParsedDebit",
    "payer_blz payer_account customer_number key creditor_blz creditor_account cents "
    "payer_name creditor_name purpose extensions",
)
ParsedFile = namedtuple(
    "ParsedFile", "kind bank_blz creditor_name created creditor_account reference execution debits totals"
)


def decode(data):
    return "".join(DIN_66003_BACK.get(char, char) for char in data.decode("ascii"))


def parse(data):
    """Read a DTAUS file back; checks record lengths, the count and the three check sums."""
    text = decode(data)
    if len(text) % SECTION:
        raise DtausError("a DTAUS file is made of 128-byte sections")
    if text[:5] != "0128A":
        raise DtausError("the file does not start with an A record")
    a_record = text[:SECTION]
    position = SECTION
    debits = []
    while text[position + 4 : position + 5] == "C":
        length = int(text[position : position + 4])
        count = int(text[position + 185 : position + 187])
        if length != C_BASE_LENGTH + EXTENSION_LENGTH * count:
            raise DtausError(f"C record {len(debits) + 1}: length {length} does not match {count} extensions")
        size = record_size(count)
        record = text[position : position + size]
        extensions = [
            (record[start : start + 2], record[start + 2 : start + EXTENSION_LENGTH].rstrip())
            for start in map(extension_start, range(count))
        ]
        debits.append(
            ParsedDebit(
                payer_blz=record[13:21],
                payer_account=record[21:31],
                customer_number=record[31:44],
                key=record[44:49],
                creditor_blz=record[61:69],
                creditor_account=record[69:79],
                cents=int(record[79:90]),
                payer_name=record[93:120].rstrip(),
                creditor_name=record[128:155].rstrip(),
                purpose=record[155:182].rstrip(),
                extensions=extensions,
            )
        )
        position += size
    e_record = text[position : position + SECTION]
    if e_record[:5] != "0128E" or position + SECTION != len(text):
        raise DtausError("the file does not end with an E record after the C records")
    totals = {
        "count": int(e_record[10:17]),
        "accounts": int(e_record[30:47]),
        "blz": int(e_record[47:64]),
        "cents": int(e_record[64:77]),
    }
    expected = {
        "count": len(debits),
        "accounts": sum(int(debit.payer_account) for debit in debits),
        "blz": sum(int(debit.payer_blz) for debit in debits),
        "cents": sum(debit.cents for debit in debits),
    }
    if totals != expected:
        raise DtausError(f"E record sums {totals} do not match the C records {expected}")
    return ParsedFile(
        kind=a_record[5:7],
        bank_blz=a_record[7:15],
        creditor_name=a_record[23:50].rstrip(),
        created=a_record[50:56],
        creditor_account=a_record[60:70],
        reference=a_record[70:80],
        execution=a_record[95:103].strip(),
        debits=debits,
        totals=totals,
    )
