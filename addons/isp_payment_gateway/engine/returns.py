"""Returned direct debits (R-transactions) from bank files, on plain data (no ORM).

- pain.002 (payment status report): debits the banks rejected before settlement, per
  transaction with status RJCT;
- camt.054 (debit notification) and camt.053 (statement): entries that return a collected
  debit, with the return reason and the bank's charge.

Any version of these messages is read (elements are matched by name, not namespace).
Every return carries the original end-to-end id and mandate id, matched against the
debit batch lines by the caller; nothing is guessed here.
"""

from collections import namedtuple
from decimal import Decimal

from lxml import etree

#: ``charges``: the bank's fee for the return (0 when the file states none)
Return = namedtuple(
    "Return", "end_to_end_id mandate_id amount currency reason_code reason_text date charges source reference"
)

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


class ReturnFileError(ValueError):
    """The file is not a pain.002, camt.053 or camt.054 message."""


def _local(element):
    return etree.QName(element).localname


def _first(element, path):
    """Text of the first descendant along ``path`` (local names separated by '/'), or ''."""
    xpath = "./" + "/".join(f"*[local-name()='{name}']" for name in path.split("/"))
    found = element.xpath(xpath)
    return (found[0].text or "").strip() if found else ""


def _descendant(element, path):
    xpath = ".//" + "/".join(f"*[local-name()='{name}']" for name in path.split("/"))
    found = element.xpath(xpath)
    return (found[0].text or "").strip() if found else ""


def _amount(element, path, direct=False):
    xpath = ("./" if direct else ".//") + "/".join(f"*[local-name()='{name}']" for name in path.split("/"))
    found = element.xpath(xpath)
    if not found:
        return Decimal("0"), ""
    return Decimal(found[0].text.strip()), found[0].get("Ccy", "")


def read(data):
    """The returns in a pain.002, camt.053 or camt.054 file (bytes)."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as error:
        raise ReturnFileError(f"not well-formed XML: {error}") from error
    children = root.xpath("./*")
    body = children[0] if children else root
    message = _local(body)
    if message == "CstmrPmtStsRpt":
        return _read_pain002(body)
    if message in ("BkToCstmrDbtCdtNtfctn", "BkToCstmrStmt"):
        return _read_camt(body, "camt.054" if message == "BkToCstmrDbtCdtNtfctn" else "camt.053")
    raise ReturnFileError(f"{message} is neither a payment status report (pain.002) nor a camt.053/054 message")


def _read_pain002(report):
    reference = _first(report, "GrpHdr/MsgId")
    day = _first(report, "GrpHdr/CreDtTm")[:10]
    returns = []
    for transaction in report.xpath(".//*[local-name()='TxInfAndSts']"):
        if _first(transaction, "TxSts") != "RJCT":
            continue
        code = _descendant(transaction, "StsRsnInf/Rsn/Cd")
        amount, currency = _amount(transaction, "OrgnlTxRef/Amt/InstdAmt")
        returns.append(
            Return(
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
            )
        )
    return returns


def _read_camt(message, source):
    returns = []
    for entry in message.xpath(".//*[local-name()='Ntry']"):
        day = _descendant(entry, "BookgDt/Dt") or _descendant(entry, "BookgDt/DtTm")[:10]
        for details in entry.xpath(".//*[local-name()='TxDtls']"):
            code = _descendant(details, "RtrInf/Rsn/Cd")
            if not code:
                # not a return: a collection booked, a transfer received, ...
                continue
            amount, currency = _amount(details, "AmtDtls/InstdAmt/Amt")
            if not amount:
                amount, currency = _amount(details, "Amt", direct=True)
            if not amount:
                amount, currency = _amount(entry, "Amt", direct=True)
            charges = sum(
                (
                    Decimal(found.text.strip())
                    for found in details.xpath(".//*[local-name()='Chrgs']//*[local-name()='Amt']")
                ),
                Decimal("0"),
            )
            returns.append(
                Return(
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
                )
            )
    return returns
