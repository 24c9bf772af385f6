"""Returned direct debits (R-transactions) from bank files, on plain data (no ORM).

- pain.002 (payment status report): debits the banks rejected before settlement, per
  transaction with status RJCT;
- camt.054 (debit notification) and camt.053 (statement): entries that return a collected
  debit, with the return reason and the bank's charge.

Any version of these messages is read (elements are matched by name, not namespace).
Every return carries the original end-to-end id and mandate id, and where the bank gives
them the original message and payment information ids, matched against the debit batch
lines by the caller; nothing is guessed here.

Bank files are parsed without entities, DTDs or network access; a file that declares a
document type is refused. Values that cannot be read (amounts, currencies, dates, charges,
reason codes) are reported per entry in ``Return.problems``; ``check`` compares a return
with the debit it returns.
"""

import datetime
import re
from collections import namedtuple
from decimal import Decimal

from lxml import etree

#: ``date``: a ``datetime.date`` or None when the file states none; ``charges``: the bank's fee
#: for the return (0 when the file states none); ``reference``: the bank's reference of the entry
#: (camt AcctSvcrRef, the pain.002 message id); ``original_message_id`` and ``original_payment_id``:
#: the pain.008 message and payment information block of the debit, "" when the file does not say;
#: ``problems``: what cannot be read (``Problem`` tuples), the entry must not be booked then
Return = namedtuple(
    "Return",
    "end_to_end_id mandate_id amount currency reason_code reason_text date charges source reference "
    "original_message_id original_payment_id problems",
    defaults=("", "", ()),
)
#: ``kind``: amount, currency, date, charges, reason (what could not be read, ``found`` the text in
#: the file), amount_differs, currency_differs (the return does not match the debit: ``expected``)
Problem = namedtuple("Problem", "kind found expected", defaults=("",))

#: ISO 20022 / EPC reason codes of returned SEPA direct debits
REASONS = {
    "AC01": "Account identifier incorrect",
    "AC04": "Account closed",
    "AC06": "Account blocked",
    "AC13": "Debtor account is a consumer account",
    "AG01": "Transaction forbidden on this account",
    "AG02": "Operation code not valid",
    "AM04": "Insufficient funds",
    "AM05": "Duplicate collection",
    "BE05": "Creditor identifier incorrect",
    "CNOR": "Creditor bank is not registered",
    "DNOR": "Debtor bank is not registered",
    "FF01": "File format incorrect",
    "MD01": "No valid mandate",
    "MD02": "Mandate data missing or incorrect",
    "MD06": "Refund request by the debtor",
    "MD07": "Debtor deceased",
    "MS02": "Refused by the debtor",
    "MS03": "Reason not specified",
    "RC01": "Bank identifier incorrect",
    "RR01": "Regulatory reason: debtor account or identification missing",
    "RR02": "Regulatory reason: debtor name or address missing",
    "RR03": "Regulatory reason: creditor name or address missing",
    "RR04": "Regulatory reason",
    "SL01": "Specific service offered by the debtor bank",
}
#: after these the mandate cannot be used again: account gone or blocked, no mandate, debtor deceased
MANDATE_ENDING = frozenset({"AC01", "AC04", "AC06", "AC13", "MD01", "MD07"})


#: ISO 20022 amounts: a plain decimal number, at most 5 decimals (no sign, exponent or comma)
AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")
CURRENCY = re.compile(r"[A-Z]{3}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CENT = Decimal("0.01")
#: what banks write where a reference is not known
NOT_PROVIDED = "NOTPROVIDED"

#: no entities, no DTD, no network, no huge documents: a bank file is plain data
PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_pis=True,
)


class ReturnFileError(ValueError):
    """The file is not a pain.002, camt.053 or camt.054 message."""


def _local(element):
    return etree.QName(element).localname


def _xpath(path, direct):
    return ("./" if direct else ".//") + "/".join(f"*[local-name()='{name}']" for name in path.split("/"))


def _first(element, path):
    """Text of the first descendant along ``path`` (local names separated by '/'), or ''."""
    found = element.xpath(_xpath(path, True))
    return (found[0].text or "").strip() if found else ""


def _descendant(element, path):
    found = element.xpath(_xpath(path, False))
    return (found[0].text or "").strip() if found else ""


def _reference(value):
    return "" if value == NOT_PROVIDED else value


def _amount(element, path, direct=False):
    """(amount, currency, problems) of the first amount along ``path``; (None, "", []) when there is none."""
    found = element.xpath(_xpath(path, direct))
    if not found:
        return None, "", []
    text = (found[0].text or "").strip()
    currency = (found[0].get("Ccy") or "").strip()
    problems = []
    amount = Decimal(text) if AMOUNT.fullmatch(text) else None
    if amount is None or not amount:
        problems.append(Problem("amount", text))
    if not CURRENCY.fullmatch(currency):
        problems.append(Problem("currency", currency))
    return amount, currency, problems


def _date(text):
    """(date, problems) of an ISO date or date-time; (None, []) when there is none."""
    if not text:
        return None, []
    if DATE.fullmatch(text[:10]):
        try:
            return datetime.date.fromisoformat(text[:10]), []
        except ValueError:
            # the right shape, but no such day (2026-02-30)
            return None, [Problem("date", text)]
    return None, [Problem("date", text)]


def read(data):
    """The returns in a pain.002, camt.053 or camt.054 file (bytes)."""
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as error:
        raise ReturnFileError(f"not well-formed XML: {error}") from error
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ReturnFileError("the file has a document type declaration; bank files have none")
    children = root.xpath("./*")
    body = children[0] if children else root
    message = _local(body)
    if message == "CstmrPmtStsRpt":
        return _read_pain002(body)
    if message in ("BkToCstmrDbtCdtNtfctn", "BkToCstmrStmt"):
        return _read_camt(body, "camt.054" if message == "BkToCstmrDbtCdtNtfctn" else "camt.053")
    raise ReturnFileError(f"{message} is neither a payment status report (pain.002) nor a camt.053/054 message")


def check(entry, amount, currency):
    """What differs between the return ``entry`` and the debit it returns (``amount`` to the cent, in
    ``currency``, its ISO code): a list of ``Problem``, empty when they match."""
    expected = Decimal(str(amount)).quantize(CENT)
    problems = []
    if entry.currency != currency:
        problems.append(Problem("currency_differs", entry.currency, currency))
    if entry.amount is None or entry.amount != expected:
        problems.append(Problem("amount_differs", "" if entry.amount is None else str(entry.amount), str(expected)))
    return problems


def _read_pain002(report):
    reference = _first(report, "GrpHdr/MsgId")
    day, day_problems = _date(_first(report, "GrpHdr/CreDtTm"))
    message_id = _reference(_descendant(report, "OrgnlGrpInfAndSts/OrgnlMsgId"))
    returns = []
    for block in report.xpath(_xpath("OrgnlPmtInfAndSts", False)):
        payment_id = _reference(_first(block, "OrgnlPmtInfId"))
        for transaction in block.xpath(_xpath("TxInfAndSts", False)):
            if _first(transaction, "TxSts") != "RJCT":
                continue
            returns.append(_pain002_return(transaction, reference, day, day_problems, message_id, payment_id))
    return returns


def _pain002_return(transaction, reference, day, day_problems, message_id, payment_id):
    code = _descendant(transaction, "StsRsnInf/Rsn/Cd")
    amount, currency, problems = _amount(transaction, "OrgnlTxRef/Amt/InstdAmt")
    if amount is None and not problems:
        problems = [Problem("amount", "")]
    if not code:
        problems.append(Problem("reason", ""))
    return Return(
        end_to_end_id=_first(transaction, "OrgnlEndToEndId"),
        mandate_id=_descendant(transaction, "MndtRltdInf/MndtId"),
        amount=amount,
        currency=currency,
        reason_code=code,
        reason_text=REASONS.get(code, ""),
        date=day,
        charges=Decimal("0"),
        source="pain.002",
        reference=reference,
        original_message_id=message_id,
        original_payment_id=payment_id,
        problems=tuple(problems + day_problems),
    )


def _read_camt(message, source):
    returns = []
    for entry in message.xpath(_xpath("Ntry", False)):
        day, day_problems = _date(_descendant(entry, "BookgDt/Dt") or _descendant(entry, "BookgDt/DtTm"))
        for details in entry.xpath(_xpath("TxDtls", False)):
            if not _descendant(details, "RtrInf/Rsn/Cd"):
                # not a return: a collection booked, a transfer received, ...
                continue
            returns.append(_camt_return(entry, details, source, day, day_problems))
    return returns


def _camt_return(entry, details, source, day, day_problems):
    code = _descendant(details, "RtrInf/Rsn/Cd")
    # the instructed amount of the original debit, else the transaction's or the entry's amount
    places = ((details, "AmtDtls/InstdAmt/Amt", False), (details, "Amt", True), (entry, "Amt", True))
    for element, path, direct in places:
        amount, currency, problems = _amount(element, path, direct)
        if amount is not None or problems:
            break
    else:
        problems = [Problem("amount", "")]
    charges = Decimal("0")
    for found in details.xpath(".//*[local-name()='Chrgs']//*[local-name()='Amt']"):
        text = (found.text or "").strip()
        charge_currency = (found.get("Ccy") or currency).strip()
        if not AMOUNT.fullmatch(text):
            problems.append(Problem("charges", text))
        elif charge_currency != currency and CURRENCY.fullmatch(currency) and Decimal(text):
            # a charge in another currency than the return cannot be passed on as it is
            problems.append(Problem("charges", f"{text} {charge_currency}"))
        else:
            charges += Decimal(text)
    return Return(
        end_to_end_id=_descendant(details, "Refs/EndToEndId"),
        mandate_id=_descendant(details, "Refs/MndtId"),
        amount=amount,
        currency=currency,
        reason_code=code,
        reason_text=REASONS.get(code, ""),
        date=day,
        charges=charges,
        source=source,
        reference=_descendant(entry, "AcctSvcrRef") or _descendant(details, "Refs/AcctSvcrRef"),
        original_payment_id=_reference(_descendant(details, "Refs/PmtInfId")),
        problems=tuple(problems + day_problems),
    )
