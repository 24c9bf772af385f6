import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest.mock import patch

from lxml import etree

from odoo.tests import BaseCase, tagged

from ..engine import einvoice_rules
from ..engine.einvoice_rules import Finding, fatal, format_findings, validate

DATA = Path(__file__).resolve().parent / "data" / "einvoice"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
BR_DE_15_TEXT = 'Das Element "Buyer reference" (BT-10) muss übermittelt werden.'
BR_CO_16_TEXT = (
    "Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) -Paid amount (BT-113) "
    "+Rounding amount (BT-114)."
)


def _read(name):
    return (DATA / name).read_bytes()


def _edit(name, change):
    """The file ``name`` of the test data with ``change(root)`` applied, as bytes."""
    tree = etree.fromstring(_read(name)).getroottree()
    change(tree.getroot())
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _remove(xpath):
    def change(root):
        for element in root.xpath(xpath, namespaces={"ram": RAM, "cbc": CBC}):
            element.getparent().remove(element)

    return change


def _set_text(xpath, text):
    def change(root):
        (element,) = root.xpath(xpath, namespaces={"ram": RAM, "cbc": CBC})
        element.text = text

    return change


def _helper_pid(worker=None):
    """The process id of the helper process of ``worker`` (the engine's by default), None when it runs none."""
    worker = worker or einvoice_rules._WORKER
    with worker._lock:
        process = worker._process
        alive = process and worker._owner == os.getpid() and process.poll() is None
        return process.pid if alive else None


@tagged("post_install", "-at_install")
class TestEinvoiceRules(BaseCase):
    """The official EN 16931 and XRechnung rules as ``engine/einvoice_rules`` runs them."""

    def test_official_en16931_examples_have_no_fatal_finding(self):
        """Issue 13: CEN's own CII invoice, UBL invoice and UBL credit note pass the EN 16931 rules."""
        for name, syntax in (
            ("CII_example4.xml", "cii"),
            ("ubl-tc434-example9.xml", "ubl"),
            ("ubl-tc434-creditnote1.xml", "ubl"),
        ):
            with self.subTest(name=name):
                self.assertEqual(fatal(validate(_read(name), syntax)), [])

    def test_official_xrechnung_instances_pass_both_rule_sets(self):
        """Issue 13: KoSIT's XRechnung test instances (CII, UBL) pass EN 16931 and XRechnung without a fatal finding."""
        cii = validate(_read("cii-br-de-15-test.xml"), "cii", xrechnung=True)
        # the XRechnung rules ran: their note on the missing delivery date is information only
        self.assertEqual([(f.rule_id, f.flag) for f in cii], [("BR-DE-TMP-32", "information")])
        self.assertEqual(fatal(cii), [])
        self.assertEqual(validate(_read("ubl-inv-br-de-15-test.xml"), "ubl", xrechnung=True), [])

    def test_typical_isp_invoice_passes_both_rule_sets(self):
        """Issue 13: a 4-line 19 % invoice with periods (direct debit in CII, transfer in UBL) is clean."""
        self.assertEqual(validate(_read("isp-4-lines-xrechnung-cii.xml"), "cii", xrechnung=True), [])
        self.assertEqual(validate(_read("isp-4-lines-xrechnung-ubl.xml"), "ubl", xrechnung=True), [])

    def test_missing_buyer_reference_is_fatal_br_de_15_for_xrechnung_only(self):
        """Issue 13: without BT-10 an XRechnung fails BR-DE-15 (fatal, KoSIT's text); EN 16931 alone passes."""
        for name, syntax, xpath in (
            ("cii-br-de-15-test.xml", "cii", "//ram:BuyerReference"),
            ("ubl-inv-br-de-15-test.xml", "ubl", "//cbc:BuyerReference"),
            ("isp-4-lines-xrechnung-cii.xml", "cii", "//ram:BuyerReference"),
            ("isp-4-lines-xrechnung-ubl.xml", "ubl", "//cbc:BuyerReference"),
        ):
            with self.subTest(name=name):
                xml = _edit(name, _remove(xpath))
                self.assertEqual(fatal(validate(xml, syntax)), [])
                (finding,) = fatal(validate(xml, syntax, xrechnung=True))
                self.assertEqual((finding.rule_id, finding.flag, finding.text), ("BR-DE-15", "fatal", BR_DE_15_TEXT))
                root = "CrossIndustryInvoice" if syntax == "cii" else "Invoice"
                self.assertRegex(finding.location, rf"^/Q\{{[^}}]+\}}{root}\[1\]$")
                self.assertEqual(format_findings([finding]), f"[BR-DE-15] {BR_DE_15_TEXT}")

    def test_wrong_amount_due_is_fatal_br_co_16(self):
        """Issue 13: an amount due that is not total minus paid fails EN 16931 BR-CO-16, named once in the line."""
        for name, syntax, xpath in (
            ("isp-4-lines-xrechnung-cii.xml", "cii", "//ram:DuePayableAmount"),
            ("isp-4-lines-xrechnung-ubl.xml", "ubl", "//cbc:PayableAmount"),
        ):
            with self.subTest(name=name):
                findings = validate(_edit(name, _set_text(xpath, "100.00")), syntax, xrechnung=True)
                self.assertEqual(
                    [(f.rule_id, f.flag, f.text) for f in findings], [("BR-CO-16", "fatal", BR_CO_16_TEXT)]
                )
                # CEN's text starts with "[BR-CO-16]-": the line carries the id once
                self.assertEqual(format_findings(findings), f"[BR-CO-16] {BR_CO_16_TEXT}")
                self.assertIn("LegalMonetaryTotal" if syntax == "ubl" else "MonetarySummation", findings[0].location)

    def test_warnings_are_reported_but_not_fatal(self):
        """Issue 13: a warning (UBL-CR-005, a UUID) is a finding but does not make the e-invoice invalid."""

        def add_uuid(root):
            uuid = etree.Element(f"{{{CBC}}}UUID")
            uuid.text = "0b4d5e53-3e1a-4c3e-9d43-6c2f7c1a0b42"
            root.find(f"{{{CBC}}}ID").addnext(uuid)

        findings = validate(_edit("isp-4-lines-xrechnung-ubl.xml", add_uuid), "ubl", xrechnung=True)
        self.assertEqual(
            findings,
            [
                Finding(
                    "UBL-CR-005",
                    "warning",
                    "A UBL invoice should not include the UUID",
                    "/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]",
                )
            ],
        )
        self.assertFalse(findings[0].is_fatal)
        self.assertEqual(fatal(findings), [])

    def test_several_findings_one_line_each(self):
        """Issue 13: the delivery-failed text names every failed rule on its own line, EN 16931 before XRechnung."""
        xml = _edit(
            "isp-4-lines-xrechnung-cii.xml",
            lambda root: (
                _remove("//ram:BuyerReference")(root),
                _set_text("//ram:DuePayableAmount", "100.00")(root),
            ),
        )
        self.assertEqual(
            format_findings(fatal(validate(xml, "cii", xrechnung=True))),
            f"[BR-CO-16] {BR_CO_16_TEXT}\n[BR-DE-15] {BR_DE_15_TEXT}",
        )

    def test_input_that_is_no_invoice_is_one_fatal_finding(self):
        """Issue 13: empty input, broken XML, a DOCTYPE or the other syntax give one clear finding, not an exception."""
        xxe = (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
            b"&x;</rsm:CrossIndustryInvoice>"
        )
        cases = [
            (b"", "cii", "XML-SYNTAX", "The e-invoice is empty."),
            (b"  \n", "ubl", "XML-SYNTAX", "The e-invoice is empty."),
            (b"%PDF-1.7", "cii", "XML-SYNTAX", "The e-invoice is not well-formed XML: "),
            (b"<Invoice>", "ubl", "XML-SYNTAX", "The e-invoice is not well-formed XML: "),
            (xxe, "cii", "XML-SYNTAX", "The e-invoice must not contain a DOCTYPE declaration."),
            (
                _read("isp-4-lines-xrechnung-ubl.xml"),
                "cii",
                "XML-ROOT",
                "The e-invoice is no CII CrossIndustryInvoice: its root is Invoice in namespace "
                "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2.",
            ),
            (
                _read("isp-4-lines-xrechnung-cii.xml"),
                "ubl",
                "XML-ROOT",
                "The e-invoice is no UBL Invoice or CreditNote: its root is CrossIndustryInvoice in namespace "
                "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100.",
            ),
            (b"<Invoice/>", "ubl", "XML-ROOT", "The e-invoice is no UBL Invoice or CreditNote: its root is Invoice"),
        ]
        for xml, syntax, rule_id, text in cases:
            with self.subTest(xml=xml[:40], syntax=syntax):
                for xrechnung in (False, True):
                    (finding,) = validate(xml, syntax, xrechnung=xrechnung)
                    self.assertEqual((finding.rule_id, finding.flag, finding.location), (rule_id, "fatal", "/"))
                    self.assertTrue(finding.text.startswith(text), finding.text)
        self.assertNotIn("root:x:", validate(xxe, "cii")[0].text)  # nothing of /etc/passwd
        with self.assertRaisesRegex(ValueError, "unknown e-invoice syntax 'xrechnung'"):
            validate(_read("isp-4-lines-xrechnung-cii.xml"), "xrechnung")

    def test_threads_share_one_helper_process_and_get_the_same_findings(self):
        """Issue 13: threads validating at once get the same findings as one by one, from one helper process."""
        documents = [
            ("isp-4-lines-xrechnung-cii.xml", "cii", None),
            ("isp-4-lines-xrechnung-ubl.xml", "ubl", None),
            ("isp-4-lines-xrechnung-cii.xml", "cii", _remove("//ram:BuyerReference")),
            ("isp-4-lines-xrechnung-ubl.xml", "ubl", _set_text("//cbc:PayableAmount", "100.00")),
        ]
        inputs = [(_edit(name, change) if change else _read(name), syntax) for name, syntax, change in documents]
        expected = [validate(xml, syntax, xrechnung=True) for xml, syntax in inputs]
        self.assertEqual([[f.rule_id for f in findings] for findings in expected], [[], [], ["BR-DE-15"], ["BR-CO-16"]])
        helper = _helper_pid()
        self.assertTrue(helper)

        def work(_worker):
            return [[validate(xml, syntax, xrechnung=True) for xml, syntax in inputs] for _round in range(3)]

        with ThreadPoolExecutor(max_workers=4) as pool:
            # list() raises here what a thread raised
            runs = [run for rounds in pool.map(work, range(4)) for run in rounds]
        self.assertEqual(len(runs), 4 * 3)
        for run in runs:
            self.assertEqual(run, expected)
        self.assertEqual(_helper_pid(), helper)

    def test_validation_works_under_odoos_address_space_limit(self):
        """Issue 13: with Odoo's limit_memory_hard (RLIMIT_AS 2.5 GB) validation works and does not end the process."""
        # Saxon's GraalVM isolate reserves ~33 GB of address space: created in a process under
        # Odoo's limit, it ends that process (exit code 2). Run as Odoo's server sets it up.
        script = (
            "import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (2560 * 1024 * 1024, resource.getrlimit(resource.RLIMIT_AS)[1]))\n"
            "sys.path.insert(0, sys.argv[1])\n"
            "import einvoice_rules\n"
            "for path in sys.argv[2:]:\n"
            "    findings = einvoice_rules.validate(open(path, 'rb').read(), 'cii', xrechnung=True)\n"
            "    print(einvoice_rules.format_findings(findings) or 'clean')\n"
        )
        broken = DATA / "isp-4-lines-xrechnung-cii.xml"
        with tempfile.NamedTemporaryFile(suffix=".xml") as without_bt10:
            without_bt10.write(_edit(broken.name, _remove("//ram:BuyerReference")))
            without_bt10.flush()
            result = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    script,
                    str(Path(einvoice_rules.__file__).parent),
                    str(broken),
                    without_bt10.name,
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        self.assertEqual((result.returncode, result.stdout), (0, f"clean\n[BR-DE-15] {BR_DE_15_TEXT}\n"), result.stderr)

    def test_a_helper_that_died_is_replaced(self):
        """Issue 13: when the helper process dies (killed, crashed), the next validation starts a new one."""
        xml = _read("isp-4-lines-xrechnung-ubl.xml")
        self.assertEqual(validate(xml, "ubl"), [])
        helper = _helper_pid()
        os.kill(helper, signal.SIGKILL)
        with self.assertLogs(einvoice_rules._logger.name, "WARNING") as logs:
            self.assertEqual(validate(xml, "ubl", xrechnung=True), [])
        self.assertRegex(
            logs.output[0],
            rf"e-invoice rules: helper process {helper} ended \(exit code -9\); starting a new helper process$",
        )
        self.assertNotIn(_helper_pid(), (None, helper))

    def test_rules_that_cannot_run_are_one_fatal_finding(self):
        """Issue 13: if the rules cannot run (no helper), the e-invoice is not valid: one fatal VALIDATOR finding."""
        worker = einvoice_rules._Worker()
        with (
            patch.object(einvoice_rules, "_WORKER", worker),
            patch.object(einvoice_rules, "_HELPER", "import sys; sys.exit(3)"),
            self.assertLogs(einvoice_rules._logger.name, "WARNING") as logs,
        ):
            (finding,) = validate(_read("isp-4-lines-xrechnung-cii.xml"), "cii")
        self.assertEqual((finding.rule_id, finding.flag, finding.location), ("VALIDATOR", "fatal", "/"))
        self.assertRegex(
            format_findings([finding]),
            r"^\[VALIDATOR\] The e-invoice rules could not be run: helper process \d+ ended \(exit code 3\)$",
        )
        self.assertEqual([record.levelname for record in logs.records], ["WARNING", "ERROR"])
        self.assertIsNone(_helper_pid(worker))
