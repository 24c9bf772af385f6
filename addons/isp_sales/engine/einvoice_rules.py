"""The official rules of EN 16931 e-invoices, run on an XML file (no ORM).

``validate(xml_bytes, syntax, xrechnung=False)`` checks a CII (``syntax="cii"``, also the
XML inside a ZUGFeRD / Factur-X PDF) or UBL (``syntax="ubl"``) invoice or credit note against
CEN's EN 16931 rules and, with ``xrechnung=True``, KoSIT's XRechnung rules too. It returns
``Finding`` tuples in the order the rules report them; ``fatal(findings)`` keeps those that
make the e-invoice invalid, ``format_findings(findings)`` writes them one per line as
``[BR-DE-15] text`` for the delivery-failed list.

The rules are third-party XSLT in ``isp_sales/rules/`` (versions and licences in its
README), run with Saxon-HE (``saxonche``). Each stylesheet is compiled once per process, on
first use, and kept.
"""

import re
import threading
from pathlib import Path
from typing import NamedTuple

from lxml import etree

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
STYLESHEETS = {
    ("cii", "en16931"): RULES_DIR / "en16931" / "EN16931-CII-validation.xslt",
    ("ubl", "en16931"): RULES_DIR / "en16931" / "EN16931-UBL-validation.xslt",
    ("cii", "xrechnung"): RULES_DIR / "xrechnung" / "XRechnung-CII-validation.xsl",
    ("ubl", "xrechnung"): RULES_DIR / "xrechnung" / "XRechnung-UBL-validation.xsl",
}
ROOTS = {
    "cii": ("{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice",),
    "ubl": (
        "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice",
        "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote",
    ),
}
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
# rule ids of the checks made here, before the official rules run
XML_SYNTAX = "XML-SYNTAX"
XML_ROOT = "XML-ROOT"

# The invoice is ours, but parse it as untrusted all the same: no DTD, no entities, no network.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class Finding(NamedTuple):
    """One rule the e-invoice breaks, as the rules report it (SVRL failed-assert)."""

    rule_id: str  # e.g. "BR-DE-15", "BR-CO-10", "PEPPOL-EN16931-R010"
    flag: str  # "fatal" makes the e-invoice invalid; "warning" and "information" do not
    text: str  # the rule's own text: CEN's and Peppol's in English, KoSIT's BR-DE rules in German
    location: str  # XPath of the element the rule fired on

    @property
    def is_fatal(self):
        return self.flag == "fatal"


def fatal(findings):
    """The findings that make the e-invoice invalid."""
    return [finding for finding in findings if finding.is_fatal]


def format_findings(findings):
    """One line per finding, ``[rule id] text``, for the delivery-failed list."""
    return "\n".join(f"[{finding.rule_id}] {finding.text}" for finding in findings)


def validate(xml_bytes, syntax, xrechnung=False):
    """Check an e-invoice against EN 16931 (and XRechnung) and return its ``Finding`` list.

    ``syntax`` is ``"cii"`` or ``"ubl"``. Input that is no XML, has a DOCTYPE, or whose root
    is not an invoice of that syntax yields one fatal finding (``XML-SYNTAX`` / ``XML-ROOT``)
    and runs no rules. An empty list means no rule reported anything.
    """
    if syntax not in ROOTS:
        raise ValueError(f"unknown e-invoice syntax {syntax!r}, expected one of {', '.join(ROOTS)}")
    problem, text = _check_document(xml_bytes, syntax)
    if problem:
        return [problem]
    rule_sets = ["en16931", "xrechnung"] if xrechnung else ["en16931"]
    with _LOCK:
        processor = _processor()
        node = processor.parse_xml(xml_text=text)
        reports = [_executable(processor, syntax, rules).transform_to_string(xdm_node=node) for rules in rule_sets]
    findings = []
    for report in reports:
        findings.extend(_findings(report))
    return findings


def _check_document(xml_bytes, syntax):
    """(finding, None) when the input is no invoice of ``syntax``; else (None, the XML as text)."""
    if isinstance(xml_bytes, str):
        xml_bytes = xml_bytes.encode()
    if not xml_bytes or not xml_bytes.strip():
        return Finding(XML_SYNTAX, "fatal", "The e-invoice is empty.", "/"), None
    try:
        tree = etree.fromstring(xml_bytes, _PARSER).getroottree()
    except etree.XMLSyntaxError as error:
        return Finding(XML_SYNTAX, "fatal", f"The e-invoice is not well-formed XML: {error}", "/"), None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return Finding(XML_SYNTAX, "fatal", "The e-invoice must not contain a DOCTYPE declaration.", "/"), None
    root = tree.getroot()
    if root.tag not in ROOTS[syntax]:
        expected = " or ".join(etree.QName(tag).localname for tag in ROOTS[syntax])
        found = f"{etree.QName(root).localname} in namespace {etree.QName(root).namespace or '(none)'}"
        return (
            Finding(XML_ROOT, "fatal", f"The e-invoice is no {syntax.upper()} {expected}: its root is {found}.", "/"),
            None,
        )
    return None, etree.tostring(root, encoding="unicode")


def _findings(report):
    """The failed asserts and successful reports of an SVRL document, as ``Finding``."""
    findings = []
    svrl = etree.fromstring(report.encode(), _PARSER)
    for element in svrl.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
        rule_id = element.get("id") or ""
        text = " ".join("".join(element.find(f"{SVRL}text").itertext()).split())
        # CEN's texts start with their own id, "[BR-65]-The Item ...": the line format adds it
        text = re.sub(rf"^\[{re.escape(rule_id)}\]\s*-?\s*", "", text) if rule_id else text
        # an assert without flag is an error in Schematron's sense: treat it as fatal
        findings.append(Finding(rule_id, element.get("flag") or "fatal", text, element.get("location") or ""))
    return findings


# One Saxon processor per process, each stylesheet compiled once on first use (0.2-0.4 s) and
# reused. A compiled stylesheet (PyXsltExecutable) is not thread-safe, and Odoo's threaded
# server runs requests and crons in threads: all Saxon work goes through one lock. Measured on
# the 2-core machine (200 documents, EN 16931 + XRechnung each): one thread 12.8 ms per
# document, two threads with a clone of the stylesheets each 13.5 ms, two threads sharing them
# under the lock 12.4 ms: saxonche keeps the GIL while it transforms, so per-thread clones buy
# no parallelism, only memory; the lock costs nothing. Prefork workers each build their own
# processor on first use (a processor made before a fork also kept working in the child).
_LOCK = threading.Lock()
_STATE = {}


def _processor():
    if "processor" not in _STATE:
        from saxonche import PySaxonProcessor  # noqa: PLC0415 - only loaded by the first validation

        _STATE["processor"] = PySaxonProcessor(license=False)
        _STATE["compiler"] = _STATE["processor"].new_xslt30_processor()
    return _STATE["processor"]


def _executable(processor, syntax, rules):
    key = (syntax, rules)
    if key not in _STATE:
        _STATE[key] = _STATE["compiler"].compile_stylesheet(stylesheet_file=str(STYLESHEETS[key]))
    return _STATE[key]
