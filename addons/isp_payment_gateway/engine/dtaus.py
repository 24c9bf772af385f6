"""DTAUS direct debit files (the German format before SEPA) on plain data (no ORM).

A legacy export for German accounts only: the bank code (BLZ) and account number come
from German IBANs. Fixed-width records in 128-byte sections: the A record (file header),
one C record per debit (187 bytes plus 29 per extension), the E record (file trailer with
the count and the check sums). Numbers are right-aligned and zero-padded, texts upper case,
left-aligned and blank-padded, Ä Ö Ü ß in DIN 66003 (the bytes of [ \\ ] ~).
"""

import re
from collections import namedtuple
from decimal import Decimal

SECTION = 128
C_BASE_LENGTH = 187
EXTENSION_LENGTH = 29
MAX_EXTENSIONS = 15
TEXT_LENGTH = 27
#: Textschlüssel and Ergänzung of a direct debit with the debtor's authorisation
DEBIT_KEY = "05000"
DIN_66003 = {"Ä": "[", "Ö": "\\", "Ü": "]", "ß": "~"}
DIN_66003_BACK = {value: key for key, value in DIN_66003.items()}
ALLOWED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,&-/+*$%") | set(DIN_66003)
#: extension types: payer name, purpose, creditor name
EXT_PAYER, EXT_PURPOSE, EXT_CREDITOR = "01", "02", "03"

DtausDebit = namedtuple("DtausDebit", "payer_name payer_iban amount purpose customer_number", defaults=("", 0))
DtausFile = namedtuple("DtausFile", "creditor_name creditor_iban created execution debits reference", defaults=(0,))
#: a parsed C record: BLZ and account of both sides, amount in cents, texts with extensions
ParsedDebit = namedtuple(
    "ParsedDebit",
    "payer_blz payer_account customer_number key creditor_blz creditor_account cents "
    "payer_name creditor_name purpose extensions",
)
ParsedFile = namedtuple(
    "ParsedFile", "kind bank_blz creditor_name created creditor_account reference execution debits totals"
)


class DtausError(ValueError):
    """Data that DTAUS cannot carry, or a file that is not well-formed DTAUS."""


def german_account(iban):
    """(BLZ, account number) of a German IBAN; other countries are refused."""
    iban = (iban or "").replace(" ", "").upper()
    if not re.fullmatch(r"DE\d{20}", iban):
        raise DtausError(f"DTAUS carries German accounts only; {iban or 'an empty IBAN'} is not a German IBAN")
    return iban[4:12], iban[12:22]


def dtaus_text(value):
    """Upper case, Ä Ö Ü ß kept (written in DIN 66003), other letters spelt out or blanked."""
    result = []
    # upper case, but ß has no capital in DIN 66003 (str.upper would make it SS)
    for char in "".join(char if char == "ß" else char.upper() for char in value or ""):
        if char in ALLOWED:
            result.append(char)
        elif char in "ÁÀÂÃÅ":
            result.append("A")
        elif char in "ÉÈÊË":
            result.append("E")
        elif char in "ÍÌÎÏ":
            result.append("I")
        elif char in "ÓÒÔÕØ":
            result.append("O")
        elif char in "ÚÙÛ":
            result.append("U")
        elif char == "Ç":
            result.append("C")
        elif char == "Ñ":
            result.append("N")
        else:
            result.append(" ")
    return re.sub(" {2,}", " ", "".join(result)).strip()


def _alpha(value, length):
    return dtaus_text(value)[:length].ljust(length)


def _num(value, length):
    text = str(int(value))
    if len(text) > length or int(value) < 0:
        raise DtausError(f"{value} does not fit in {length} digits")
    return text.zfill(length)


def _chunks(text, size):
    return [text[index : index + size] for index in range(0, len(text), size)]


def _encode(record):
    return "".join(DIN_66003.get(char, char) for char in record).encode("ascii")


def write(dtaus):
    """The DTAUS file (bytes) of ``dtaus``: debits from German accounts to a German account."""
    if not dtaus.debits:
        raise DtausError("a DTAUS file needs at least one debit")
    creditor_blz, creditor_account = german_account(dtaus.creditor_iban)
    records = [
        "0128A"
        + "LK"
        + creditor_blz
        + "0" * 8
        + _alpha(dtaus.creditor_name, TEXT_LENGTH)
        + dtaus.created.strftime("%d%m%y")
        + " " * 4
        + creditor_account
        + _num(dtaus.reference, 10)
        + " " * 15
        + (dtaus.execution.strftime("%d%m%Y") if dtaus.execution else " " * 8)
        + " " * 24
        + "1"
    ]
    account_sum = blz_sum = cents_sum = 0
    for debit in dtaus.debits:
        payer_blz, payer_account = german_account(debit.payer_iban)
        cents = int((Decimal(str(debit.amount)) * 100).quantize(Decimal("1")))
        if cents <= 0:
            raise DtausError(f"amount {debit.amount} of {debit.payer_name} must be positive")
        account_sum += int(payer_account)
        blz_sum += int(payer_blz)
        cents_sum += cents
        records.append(_c_record(debit, payer_blz, payer_account, cents, creditor_blz, creditor_account, dtaus))
    records.append(
        "0128E"
        + " " * 5
        + _num(len(dtaus.debits), 7)
        + "0" * 13
        + _num(account_sum, 17)
        + _num(blz_sum, 17)
        + _num(cents_sum, 13)
        + " " * 51
    )
    return b"".join(_encode(record) for record in records)


def _c_record(debit, payer_blz, payer_account, cents, creditor_blz, creditor_account, dtaus):
    payer_name = dtaus_text(debit.payer_name)
    creditor_name = dtaus_text(dtaus.creditor_name)
    purpose = dtaus_text(debit.purpose)
    extensions = [(EXT_PAYER, part) for part in _chunks(payer_name, TEXT_LENGTH)[1:]]
    extensions += [(EXT_PURPOSE, part) for part in _chunks(purpose, TEXT_LENGTH)[1:]]
    extensions += [(EXT_CREDITOR, part) for part in _chunks(creditor_name, TEXT_LENGTH)[1:]]
    if len(extensions) > MAX_EXTENSIONS:
        raise DtausError(f"the texts of the debit of {debit.payer_name} need more than 15 extensions")
    length = C_BASE_LENGTH + EXTENSION_LENGTH * len(extensions)
    record = (
        _num(length, 4)
        + "C"
        + "0" * 8
        + payer_blz
        + payer_account
        + "0"
        + _num(debit.customer_number or 0, 11)
        + "0"
        + DEBIT_KEY
        + " "
        + "0" * 11
        + creditor_blz
        + creditor_account
        + _num(cents, 11)
        + " " * 3
        + _alpha(payer_name, TEXT_LENGTH)
        + " " * 8
        + _alpha(creditor_name, TEXT_LENGTH)
        + _alpha(purpose, TEXT_LENGTH)
        + "1"
        + " " * 2
        + _num(len(extensions), 2)
    )
    # the second section holds two extensions, each further section four; blanks fill the sections
    chars = list(record.ljust(_record_size(len(extensions))))
    for index, (kind, part) in enumerate(extensions):
        start = _extension_start(index)
        chars[start : start + EXTENSION_LENGTH] = kind + part.ljust(TEXT_LENGTH)
    return "".join(chars)


def _extension_start(index):
    """Offset of the ``index``-th extension in a C record: two in the second section, then four per section."""
    if index < 2:
        return C_BASE_LENGTH + EXTENSION_LENGTH * index
    return 2 * SECTION + SECTION * ((index - 2) // 4) + EXTENSION_LENGTH * ((index - 2) % 4)


def _record_size(extension_count):
    """Bytes a C record takes in the file: full 128-byte sections."""
    if extension_count <= 2:
        return 2 * SECTION
    return 2 * SECTION + SECTION * -(-(extension_count - 2) // 4)


# ----------------------------------------------------------------------
# Reading (to check files, and for the tests)
# ----------------------------------------------------------------------


def _decode(data):
    return "".join(DIN_66003_BACK.get(char, char) for char in data.decode("ascii"))


def parse(data):
    """Read a DTAUS file back; checks record lengths, the count and the three check sums."""
    text = _decode(data)
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
        size = _record_size(count)
        record = text[position : position + size]
        extensions = [
            (record[start : start + 2], record[start + 2 : start + EXTENSION_LENGTH].rstrip())
            for start in map(_extension_start, range(count))
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
