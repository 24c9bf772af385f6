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
ALLOWED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,&-/+*$%") | set(DIN_66003)
#: extension types: payer name, purpose, creditor name
EXT_PAYER, EXT_PURPOSE, EXT_CREDITOR = "01", "02", "03"

DtausDebit = namedtuple("DtausDebit", "payer_name payer_iban amount purpose customer_number", defaults=("", 0))
DtausFile = namedtuple("DtausFile", "creditor_name creditor_iban created execution debits reference", defaults=(0,))


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
    chars = list(record.ljust(record_size(len(extensions))))
    for index, (kind, part) in enumerate(extensions):
        start = extension_start(index)
        chars[start : start + EXTENSION_LENGTH] = kind + part.ljust(TEXT_LENGTH)
    return "".join(chars)


def extension_start(index):
    """Offset of the ``index``-th extension in a C record: two in the second section, then four per section."""
    if index < 2:
        return C_BASE_LENGTH + EXTENSION_LENGTH * index
    return 2 * SECTION + SECTION * ((index - 2) // 4) + EXTENSION_LENGTH * ((index - 2) % 4)


def record_size(extension_count):
    """Bytes a C record takes in the file: full 128-byte sections."""
    if extension_count <= 2:
        return 2 * SECTION
    return 2 * SECTION + SECTION * -(-(extension_count - 2) // 4)
