"""The official rules of EN 16931 e-invoices, run on an XML file (no ORM).

``validate(xml_bytes, syntax, xrechnung=False)`` checks a CII (``syntax="cii"``, also the
XML inside a ZUGFeRD / Factur-X PDF) or UBL (``syntax="ubl"``) invoice or credit note against
CEN's EN 16931 rules and, with ``xrechnung=True``, KoSIT's XRechnung rules too. It returns
``Finding`` tuples in the order the rules report them, EN 16931 first; ``fatal(findings)``
keeps those that make the e-invoice invalid, ``format_findings(findings)`` writes them one per
line as ``[BR-DE-15] text`` for the delivery-failed list.

The rules are third-party XSLT in ``isp_sales/rules/`` (versions and licences in its
README), run with Saxon-HE (``saxonche``) in a helper process: see ``_Worker``.
"""

import contextlib
import json
import logging
import os
import re
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

from lxml import etree

_logger = logging.getLogger(__name__)

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
# rule ids of the findings made here rather than by the official rules
XML_SYNTAX = "XML-SYNTAX"  # no XML, or a DOCTYPE
XML_ROOT = "XML-ROOT"  # XML, but no invoice of the syntax
VALIDATOR = "VALIDATOR"  # the rules could not be run: the e-invoice is not known to be valid

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
    and runs no rules; so does a failure to run the rules (``VALIDATOR``, logged as an error).
    An empty list means no rule reported anything.
    """
    if syntax not in ROOTS:
        raise ValueError(f"unknown e-invoice syntax {syntax!r}, expected one of {', '.join(ROOTS)}")
    problem, text = _check_document(xml_bytes, syntax)
    if problem:
        return [problem]
    return _WORKER.validate(syntax, ["en16931", "xrechnung"] if xrechnung else ["en16931"], text)


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


# --- the helper process --------------------------------------------------------------------
#
# Why not Saxon in the Odoo process: saxonche is a GraalVM native image, and creating its
# isolate reserves about 33 GB of address space (measured: VmSize 16 MB -> 33.7 GB, RSS
# 42 MB). Odoo's server sets RLIMIT_AS to limit_memory_hard (2.5 GB by default) in threaded
# and prefork mode alike; under it the isolate cannot be created and GraalVM ends the whole
# process ("graal_create_isolate error", exit code 2) - the Odoo server or worker, not just
# the call. saxonche passes no options to the isolate, so its size cannot be lowered.
# So each Odoo process that validates starts one helper (this file run as a script) on first
# use: the helper lifts its own soft RLIMIT_AS to the hard limit (the administrator's limit
# stays), creates Saxon once, compiles each stylesheet once on first use (0.2-0.4 s) and
# keeps them. A crash of the native code ends the helper only; the next call starts a new
# one. It ends when its Odoo process ends (end of file on its input).
#
# Threads: Odoo's threaded server runs requests and crons in threads; they share the helper
# through one lock, one document at a time. Saxon is single-threaded per helper anyway, and
# measured in one process (200 documents, EN 16931 + XRechnung): one thread 12.8 ms per
# document, two threads with their own clones of the stylesheets 13.5 ms, two threads under
# one lock 12.4 ms - saxonche keeps the GIL while it transforms, so parallel Saxon in one
# process buys nothing. A waiting thread waits in select() without the GIL.
#
# Protocol on the helper's stdin/stdout: 4-byte big-endian length, then JSON.
#   request  {"syntax": "cii", "rules": ["en16931", "xrechnung"], "xml": "<...>"}
#   answer   {"findings": [[rule_id, flag, text, location], ...]} or {"error": "..."}
# After start the helper sends {"ready": true} or {"error": "..."}.

_HELPER = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
_START_TIMEOUT = 60  # seconds: Python and Saxon start (about 0.2 s)
_REQUEST_TIMEOUT = 120  # seconds: a compile on first use and a large document
_ADDRESS_SPACE = 34 << 30  # what Saxon's isolate needs, with room


class _WorkerError(Exception):
    """The helper did not answer as it should; it is stopped and started anew."""


class _Worker:
    def __init__(self):
        self._lock = threading.Lock()
        self._process = None
        self._owner = None  # pid of the process that started the helper: a fork starts its own

    def validate(self, syntax, rules, text):
        request = json.dumps({"syntax": syntax, "rules": rules, "xml": text}).encode()
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._start()
                    self._send(request)
                    answer = self._receive(_REQUEST_TIMEOUT)
                    break
                except _WorkerError as error:
                    self._stop()
                    if attempt == 1:
                        _logger.warning("e-invoice rules: %s; starting a new helper process", error)
                        continue
                    _logger.error("e-invoice rules could not be run: %s", error)
                    return [Finding(VALIDATOR, "fatal", f"The e-invoice rules could not be run: {error}", "/")]
        if "error" in answer:
            _logger.error("e-invoice rules could not be run: %s", answer["error"])
            return [Finding(VALIDATOR, "fatal", f"The e-invoice rules could not be run: {answer['error']}", "/")]
        return [Finding(*finding) for finding in answer["findings"]]

    def _start(self):
        if self._process and self._owner != os.getpid():
            # inherited through a fork: the parent's helper is the parent's; close our copies only
            self._process.stdin.close()
            self._process.stdout.close()
            self._process = None
        if self._process:
            if self._process.poll() is None:
                return
            _logger.warning("e-invoice rules: %s; starting a new helper process", self._ended())
            self._stop()
        self._process = subprocess.Popen(
            [sys.executable, "-c", _HELPER, str(Path(__file__).resolve()), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # sys.path[0] of "-c" is the working directory: the rules folder holds no module
            # that could shadow one the helper imports (the engine folder might)
            cwd=RULES_DIR,
        )
        self._owner = os.getpid()
        answer = self._receive(_START_TIMEOUT)
        if not answer.get("ready"):
            raise _WorkerError(answer.get("error") or f"unexpected start answer {answer!r}")

    def _stop(self):
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):  # closing flushes what a dead helper did not read
                stream.close()
        if process.poll() is None:
            process.kill()
        process.wait()

    def _send(self, payload):
        try:
            self._process.stdin.write(struct.pack(">I", len(payload)) + payload)
            self._process.stdin.flush()
        except BrokenPipeError as error:
            raise _WorkerError(self._ended()) from error

    def _receive(self, timeout):
        deadline = time.monotonic() + timeout
        (size,) = struct.unpack(">I", self._read(4, deadline))
        try:
            return json.loads(self._read(size, deadline))
        except ValueError as error:
            raise _WorkerError(f"helper process {self._process.pid} answered no JSON ({error})") from error

    def _read(self, size, deadline):
        stream, data = self._process.stdout, b""
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
                raise _WorkerError(f"helper process {self._process.pid} gave no answer in time")
            chunk = os.read(stream.fileno(), size - len(data))
            if not chunk:
                raise _WorkerError(self._ended())
            data += chunk
        return data

    def _ended(self):
        try:
            code = self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = "none, it closed its output"
        return f"helper process {self._process.pid} ended (exit code {code})"


_WORKER = _Worker()


def _serve():
    """The helper: answer requests on stdin until it closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever native code prints goes to stderr, not into the answers

    def send(message):
        payload = json.dumps(message).encode()
        out.write(struct.pack(">I", len(payload)) + payload)
        out.flush()

    # Ctrl-C in a terminal reaches the whole process group: the helper ends with its Odoo process
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Odoo's per-request CPU limit (limit_time_cpu, RLIMIT_CPU of a prefork worker) is inherited
    # as a lifetime limit here: the parent's timeout bounds each request instead
    _lift_soft_limit(resource.RLIMIT_CPU)
    soft = _lift_soft_limit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and soft < _ADDRESS_SPACE:
        send({"error": f"Saxon needs {_ADDRESS_SPACE >> 30} GB of address space, the hard limit is {soft >> 20} MB"})
        return
    try:
        from saxonche import PySaxonApiError, PySaxonProcessor  # noqa: PLC0415 - only the helper loads Saxon
    except ImportError as error:
        send({"error": f"saxonche is not installed: {error}"})
        return
    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    executables = {}
    send({"ready": True})
    stdin = sys.stdin.buffer
    while True:
        header = stdin.read(4)
        if len(header) < 4:
            return
        request = json.loads(stdin.read(struct.unpack(">I", header)[0]))
        try:
            node = processor.parse_xml(xml_text=request["xml"])
            findings = []
            for rules in request["rules"]:
                key = (request["syntax"], rules)
                if key not in executables:
                    executables[key] = compiler.compile_stylesheet(stylesheet_file=str(STYLESHEETS[key]))
                findings.extend(_findings(executables[key].transform_to_string(xdm_node=node)))
        except (PySaxonApiError, etree.XMLSyntaxError) as error:  # answered; the helper goes on
            send({"error": f"{type(error).__name__}: {error}"})
            continue
        send({"findings": [list(finding) for finding in findings]})


def _lift_soft_limit(limit):
    """Raise the soft limit to the hard one (allowed to any process); return the new soft limit."""
    soft, hard = resource.getrlimit(limit)
    if soft != hard:
        resource.setrlimit(limit, (hard, hard))
    return hard


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()
