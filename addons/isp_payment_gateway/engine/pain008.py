"""SEPA direct debit initiation (ISO 20022 pain.008.001.08 and .02) on plain data (no ORM).

``write()`` turns a ``Message`` into the XML document; ``validate()`` checks a document
against the official ISO schema and returns the reasons it fails. Texts are transliterated
to the SEPA character set; addresses are written structured (street, building number,
post code, town, country) or hybrid (town and country plus at most two address lines),
never unstructured only.
"""

import importlib.resources
import re
import unicodedata
from collections import namedtuple
from decimal import Decimal
from functools import cache

from lxml import etree
from stdnum import iban as stdnum_iban

VERSIONS = ("08", "02")
SCHEMES = ("CORE", "B2B")
SEQUENCE_TYPES = ("FRST", "RCUR", "OOFF", "FNAL")
MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")

#: Postal address: ``street``/``building``/``postcode`` for a structured address, ``lines``
#: (at most two) for a hybrid one; ``town`` and ``country`` (ISO code) always.
Address = namedtuple("Address", "street building postcode town country lines", defaults=("", "", "", "", "", ()))
Creditor = namedtuple("Creditor", "name iban bic creditor_id address", defaults=("", None))
Debit = namedtuple(
    "Debit",
    "end_to_end_id amount mandate_id mandate_date debtor_name debtor_iban debtor_bic debtor_address remittance",
    defaults=("", None, ""),
)
#: One payment information block: one scheme, one sequence type, one collection date.
PaymentGroup = namedtuple("PaymentGroup", "payment_id scheme sequence_type collection_date debits")
Message = namedtuple("Message", "message_id created_at initiating_party creditor groups")


class SepaError(ValueError):
    """The data cannot be written as a valid SEPA direct debit."""


# ----------------------------------------------------------------------
# Character set
# ----------------------------------------------------------------------

#: The SEPA basic character set (EPC): what every bank in the scheme accepts.
BASIC_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
#: German banks also take these (DK character set).
GERMAN_CHARS = set("ÄÖÜäöüß&")
SPECIAL = {
    "Ä": "Ae",
    "Ö": "Oe",
    "Ü": "Ue",
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",
    "&": "+",
    "Æ": "AE",
    "æ": "ae",
    "Ø": "O",
    "ø": "o",
    "Œ": "OE",
    "œ": "oe",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "_": "-",
    "@": "(at)",
    '"': "'",
}


def transliterate(text, german=False):
    """``text`` in the SEPA character set: umlauts spelt out, accents dropped, others replaced.

    :param german: keep Ä Ö Ü ä ö ü ß & (German banks accept them)
    """
    allowed = BASIC_CHARS | GERMAN_CHARS if german else BASIC_CHARS
    result = []
    for char in text or "":
        if char in allowed:
            result.append(char)
        elif char in SPECIAL:
            result.append(SPECIAL[char])
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            base = "".join(part for part in decomposed if part in allowed)
            result.append(base or (" " if char.isspace() else "."))
    return re.sub(r" {2,}", " ", "".join(result)).strip()


def text(value, max_length, german=False):
    """A transliterated text cut to ``max_length`` characters."""
    return transliterate(value, german)[:max_length].strip()


def identifier(value, max_length=35):
    """An identifier (message, payment, end-to-end, mandate id): SEPA characters without
    spaces, not starting or ending with '/' and without '//'."""
    result = transliterate(value).replace(" ", "")
    while "//" in result:
        result = result.replace("//", "/")
    result = result.strip("/")[:max_length].strip("/")
    if not result:
        raise SepaError(f"identifier {value!r} has no usable characters")
    return result


def attempt_identifier(reference, attempt, max_length=35):
    """The end-to-end id of collection attempt number ``attempt`` of ``reference`` (an invoice number):
    "<reference>-<attempt>" as an identifier, the reference shortened so that the attempt always fits."""
    suffix = f"-{attempt}"
    return identifier(reference, max_length - len(suffix)) + suffix


def amount_text(amount):
    amount = Decimal(str(amount)).quantize(CENT)
    if not CENT <= amount <= MAX_AMOUNT:
        raise SepaError(f"amount {amount} is outside 0.01 to 999999999.99")
    return f"{amount:.2f}"


# ----------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------


def _sub(parent, tag, value=None, **attributes):
    element = etree.SubElement(parent, tag, **attributes)
    if value is not None:
        element.text = value
    return element


def _address(parent, address, german):
    if not address:
        return
    if not (address.town and address.country):
        raise SepaError("an address needs at least the town and the country")
    if len(address.lines) > 2:
        raise SepaError("a hybrid address has at most two address lines")
    postal = _sub(parent, "PstlAdr")
    if address.street:
        _sub(postal, "StrtNm", text(address.street, 70, german))
    if address.building:
        _sub(postal, "BldgNb", text(address.building, 16, german))
    if address.postcode:
        _sub(postal, "PstCd", text(address.postcode, 16, german))
    _sub(postal, "TwnNm", text(address.town, 35, german))
    _sub(postal, "Ctry", address.country.upper())
    for line in address.lines:
        _sub(postal, "AdrLine", text(line, 70, german))


def _agent(parent, tag, bic, version):
    agent = _sub(_sub(parent, tag), "FinInstnId")
    if bic:
        _sub(agent, "BICFI" if version == "08" else "BIC", bic.replace(" ", "").upper())
    else:
        _sub(_sub(agent, "Othr"), "Id", "NOTPROVIDED")


def write(message, version="08", german=False):
    """The pain.008 document of ``message`` as UTF-8 bytes.

    :param version: "08" (pain.008.001.08, German banks since November 2026) or "02"
    :param german: keep the German special characters instead of transliterating them
    """
    if version not in VERSIONS:
        raise SepaError(f"unknown pain.008 version {version!r}")
    groups = [group for group in message.groups if group.debits]
    if not groups:
        raise SepaError("a direct debit file needs at least one debit")
    namespace = f"urn:iso:std:iso:20022:tech:xsd:pain.008.001.{version}"
    root = etree.Element("Document", nsmap={None: namespace})
    initiation = _sub(root, "CstmrDrctDbtInitn")
    all_debits = [debit for group in groups for debit in group.debits]
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", identifier(message.message_id))
    _sub(header, "CreDtTm", message.created_at.replace(microsecond=0).isoformat())
    _sub(header, "NbOfTxs", str(len(all_debits)))
    _sub(header, "CtrlSum", amount_sum(all_debits))
    _sub(_sub(header, "InitgPty"), "Nm", text(message.initiating_party, 70, german))
    for group in groups:
        _payment_information(initiation, group, message.creditor, version, german)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _payment_information(initiation, group, creditor, version, german):
    if group.scheme not in SCHEMES:
        raise SepaError(f"unknown scheme {group.scheme!r}")
    if group.sequence_type not in SEQUENCE_TYPES:
        raise SepaError(f"unknown sequence type {group.sequence_type!r}")
    info = _sub(initiation, "PmtInf")
    _sub(info, "PmtInfId", identifier(group.payment_id))
    _sub(info, "PmtMtd", "DD")
    _sub(info, "NbOfTxs", str(len(group.debits)))
    _sub(info, "CtrlSum", amount_sum(group.debits))
    payment_type = _sub(info, "PmtTpInf")
    _sub(_sub(payment_type, "SvcLvl"), "Cd", "SEPA")
    _sub(_sub(payment_type, "LclInstrm"), "Cd", group.scheme)
    _sub(payment_type, "SeqTp", group.sequence_type)
    _sub(info, "ReqdColltnDt", group.collection_date.isoformat())
    creditor_party = _sub(info, "Cdtr")
    _sub(creditor_party, "Nm", text(creditor.name, 70, german))
    _address(creditor_party, creditor.address, german)
    _sub(_sub(_sub(info, "CdtrAcct"), "Id"), "IBAN", compact(creditor.iban))
    _agent(info, "CdtrAgt", creditor.bic, version)
    _sub(info, "ChrgBr", "SLEV")
    scheme_id = _sub(_sub(_sub(_sub(info, "CdtrSchmeId"), "Id"), "PrvtId"), "Othr")
    _sub(scheme_id, "Id", compact(creditor.creditor_id))
    _sub(_sub(scheme_id, "SchmeNm"), "Prtry", "SEPA")
    for debit in group.debits:
        _transaction(info, debit, version, german)


def _transaction(info, debit, version, german):
    transaction = _sub(info, "DrctDbtTxInf")
    _sub(_sub(transaction, "PmtId"), "EndToEndId", identifier(debit.end_to_end_id))
    _sub(transaction, "InstdAmt", amount_text(debit.amount), Ccy="EUR")
    mandate = _sub(_sub(transaction, "DrctDbtTx"), "MndtRltdInf")
    _sub(mandate, "MndtId", identifier(debit.mandate_id))
    _sub(mandate, "DtOfSgntr", debit.mandate_date.isoformat())
    _agent(transaction, "DbtrAgt", debit.debtor_bic, version)
    debtor = _sub(transaction, "Dbtr")
    _sub(debtor, "Nm", text(debit.debtor_name, 70, german))
    _address(debtor, debit.debtor_address, german)
    _sub(_sub(_sub(transaction, "DbtrAcct"), "Id"), "IBAN", compact(debit.debtor_iban))
    if debit.remittance:
        _sub(_sub(transaction, "RmtInf"), "Ustrd", text(debit.remittance, 140, german))


def debit_problems(debit):
    """What keeps ``debit`` out of a valid file (debtor account, mandate, name, amount): the reasons,
    empty when it can be written. A batch leaves such debits out instead of failing as a whole."""
    problems = []
    if not compact(debit.debtor_iban):
        problems.append("the debtor IBAN is missing")
    elif not stdnum_iban.is_valid(compact(debit.debtor_iban)):
        problems.append(f"the debtor IBAN {debit.debtor_iban} is not valid")
    if not debit.mandate_date:
        problems.append("the mandate has no date of signature")
    for value, what in ((debit.mandate_id, "the mandate reference"), (debit.end_to_end_id, "the end-to-end id")):
        try:
            identifier(value or "")
        except SepaError:
            problems.append(f"{what} {value!r} has no usable characters")
    if not text(debit.debtor_name, 70):
        problems.append("the debtor has no name")
    try:
        amount_text(debit.amount)
    except SepaError as error:
        problems.append(str(error))
    return problems


def amount_sum(debits):
    return f"{sum((Decimal(str(debit.amount)).quantize(CENT) for debit in debits), Decimal('0')):.2f}"


def compact(value):
    return (value or "").replace(" ", "").upper()


# ----------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------


@cache
def schema(version):
    """The official ISO 20022 schema of pain.008.001.<version> (shipped by the sepaxml package)."""
    resource = importlib.resources.files("sepaxml") / "schemas" / f"pain.008.001.{version}.xsd"
    with resource.open("rb") as xsd:
        return etree.XMLSchema(etree.parse(xsd))


def validate(document, version="08"):
    """The reasons ``document`` (bytes) is not a valid pain.008.001.<version>; empty when valid."""
    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    xsd = schema(version)
    if xsd.validate(tree):
        return []
    return [f"line {error.line}: {error.message}" for error in xsd.error_log]
