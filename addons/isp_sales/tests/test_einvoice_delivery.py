import io
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.pdf import OdooPdfFileReader

from ..engine import einvoice_rules
from .common import IspSalesCase
from .einvoice_common import LEITWEG_ID, EInvoiceMixin, IspEInvoiceCase, read

CII_GUIDELINE = "//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
FX = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


def embedded_files(pdf):
    """{name: content} of the files embedded in a PDF."""
    return dict(OdooPdfFileReader(io.BytesIO(pdf), strict=False).getAttachments())


class EInvoiceDeliveryMixin:
    """Deliver run invoices through the scheduled delivery, with real PDFs."""

    def _render_real_pdfs(self):
        # wkhtmltopdf loads the styles from the test server, which must see this transaction
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def _deliver(self, day="2027-01-01 02:00:00"):
        with freeze_time(day):
            self.env["account.move"].with_context(force_report_rendering=True)._cron_isp_deliver_invoices()

    def _mails(self, invoice):
        return self.env["mail.mail"].search([("model", "=", "account.move"), ("res_id", "=", invoice.id)])


@tagged("post_install", "-at_install")
class TestEInvoiceDelivery(EInvoiceDeliveryMixin, IspEInvoiceCase):
    def _check_valid(self, xml, syntax, xrechnung=False):
        fatal = einvoice_rules.fatal(einvoice_rules.validate(xml, syntax, xrechnung=xrechnung))
        self.assertEqual(einvoice_rules.format_findings(fatal), "", "no rule of the format is broken")

    def test_facturx_pdf_of_b2b_transfer_customer_is_pdfa3_with_en16931_xml(self):
        """Issue 13: a business customer's e-mailed invoice is a PDF/A-3 with factur-x.xml in the EN 16931 profile."""
        self._render_real_pdfs()
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)])
        self._deliver()
        self.assertEqual((invoice.isp_email_state, invoice.isp_delivery_error), ("sent", False))
        pdf = invoice.invoice_pdf_report_id.raw
        self.assertEqual(pdf[:8], b"%PDF-1.7", "PDF/A-3 is based on PDF 1.7")
        files = embedded_files(pdf)
        self.assertEqual(list(files), ["factur-x.xml"])
        xml = files["factur-x.xml"]
        self.assertEqual(read(xml, CII_GUIDELINE), "urn:cen.eu:en16931:2017")
        self.assertEqual(read(xml, "//rsm:ExchangedDocument/ram:ID"), invoice.name)
        self.assertEqual(read(xml, "//ram:DuePayableAmount"), "11.90")
        self._check_valid(xml, "cii")
        root = OdooPdfFileReader(io.BytesIO(pdf), strict=False).trailer["/Root"]
        filespec = root["/AF"][0].get_object()
        self.assertEqual(filespec["/AFRelationship"], "/Alternative")
        self.assertEqual(filespec["/EF"]["/F"].get_object()["/Subtype"], "/text/xml")
        xmp = etree.fromstring(root["/Metadata"].get_object().get_data().split(b"?>", 1)[1].rsplit(b"<?", 1)[0])
        self.assertEqual(xmp.findtext(f".//{FX}ConformanceLevel"), "EN 16931", "XMP and XML profile agree")
        self.assertEqual(xmp.findtext(f".//{FX}DocumentFileName"), "factur-x.xml")
        self.assertEqual((xmp.findtext(f".//{PDFAID}part"), xmp.findtext(f".//{PDFAID}conformance")), ("3", "B"))
        self.assertFalse(invoice.ubl_cii_xml_id, "the XML is inside the PDF, not beside it")
        message = self._mails(invoice).mail_message_id
        self.assertEqual(message.attachment_ids.mapped("name"), [invoice.invoice_pdf_report_id.name])
        self.assertEqual(message.attachment_ids.raw, pdf, "the e-mail carries the stored PDF")

    def test_consumer_gets_the_pdf_only(self):
        """Issue 13: a consumer (PDF only) gets a plain PDF: no XML inside, no XML beside it."""
        self._render_real_pdfs()
        invoice = self._einvoice_run(self.consumer_de, [(self.hosting_19, "www.musterfrau.example", 10.0)])
        self._deliver()
        self.assertEqual(invoice.isp_email_state, "sent")
        pdf = invoice.invoice_pdf_report_id.raw
        self.assertTrue(pdf.startswith(b"%PDF-"))
        self.assertEqual(embedded_files(pdf), {})
        self.assertFalse(invoice.ubl_cii_xml_id)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", invoice.id), ("res_field", "!=", False)]
        ) | self.env["ir.attachment"].search([("res_model", "=", "account.move"), ("res_id", "=", invoice.id)])
        self.assertEqual(attachments.mapped("mimetype"), ["application/pdf"], "no XML anywhere")
        message = self._mails(invoice).mail_message_id
        self.assertEqual(message.attachment_ids.mapped("mimetype"), ["application/pdf"])

    def test_xrechnung_xml_beside_the_pdf_on_the_invoice_and_the_mail(self):
        """Issue 13: an XRechnung customer gets the XML as a file of its own beside the PDF, not inside it."""
        self._render_real_pdfs()
        invoice = self._einvoice_run(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 10.0)])
        self._deliver()
        self.assertEqual((invoice.isp_email_state, invoice.isp_delivery_error), ("sent", False))
        xml_file = invoice.ubl_cii_xml_id
        self.assertTrue(xml_file)
        xml = xml_file.raw
        self.assertEqual(read(xml, "//cbc:BuyerReference"), LEITWEG_ID)
        self.assertEqual(read(xml, "/*/cbc:ID"), invoice.name)
        self.assertIn("xrechnung_3.0", read(xml, "/*/cbc:CustomizationID"))
        self.assertIsNone(read(xml, "//cbc:EmbeddedDocumentBinaryObject"), "no PDF inside the XML")
        self._check_valid(xml, "ubl", xrechnung=True)
        self.assertEqual(embedded_files(invoice.invoice_pdf_report_id.raw), {}, "no XML inside the PDF")
        message = self._mails(invoice).mail_message_id
        self.assertEqual(
            sorted(message.attachment_ids.mapped("name")), sorted([invoice.invoice_pdf_report_id.name, xml_file.name])
        )
        self.assertEqual(message.attachment_ids.filtered(lambda a: a.name == xml_file.name).raw, xml)

    def test_xrechnung_without_leitweg_id_is_not_sent_and_fails_with_br_de_15(self):
        """Issue 13: an e-invoice that breaks a rule is refused with the rule id; nothing is made, nothing sent."""
        self._render_real_pdfs()
        self.public_sector.isp_buyer_reference = False
        invoice = self._einvoice_run(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 10.0)])
        self._deliver()
        self.assertEqual(invoice.isp_email_state, "failed")
        self.assertIn("[BR-DE-15]", invoice.isp_delivery_error)
        self.assertIn(invoice.name, invoice.isp_delivery_error)
        self.assertEqual(invoice.isp_delivery_attempts, 3, "no automatic retry: the data must be corrected")
        self.assertFalse(self._mails(invoice), "no mail queued")
        self.assertFalse(invoice.invoice_pdf_report_id, "no PDF stored")
        self.assertFalse(invoice.ubl_cii_xml_id, "no XML stored")
        self.assertFalse(invoice.is_move_sent)
        self.assertIn(invoice, self.env["account.move"].search([("isp_email_state", "=", "failed")]))
        # corrected, retried by the back office: now it goes out
        self.public_sector.isp_buyer_reference = LEITWEG_ID
        invoice.with_user(self.clerk).action_isp_retry_delivery()
        self._deliver("2027-01-01 03:00:00")
        self.assertEqual((invoice.isp_email_state, invoice.isp_delivery_error), ("sent", False))
        self.assertEqual(read(invoice.ubl_cii_xml_id.raw, "//cbc:BuyerReference"), LEITWEG_ID)

    def test_batch_of_three_run_invoices_each_pdf_carries_its_own_facturx(self):
        """Issue 13: three run invoices rendered in one wkhtmltopdf call give each its own factur-x.xml."""
        self._render_real_pdfs()
        customers = (
            self.b2b_de
            | self._einvoice_customer(
                "Nord Hosting GmbH",
                street="Deichweg 2",
                zip="25980",
                city="Sylt",
                country_id=self.env.ref("base.de").id,
                vat="DE812526315",
            )
            | self._einvoice_customer(
                "Süd Server GmbH",
                street="Alpenstraße 9",
                zip="80331",
                city="München",
                country_id=self.env.ref("base.de").id,
                vat="DE129273398",
            )
        )
        for number, customer in enumerate(customers, 1):
            self._einvoice_service(customer, self.hosting_19, f"batch{number}.example", 10.0 * number)
        with freeze_time("2027-01-01"):
            run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1)})
            run.action_confirm()
        invoices = run.invoice_ids.filtered(lambda move: move.commercial_partner_id in customers)
        self.assertEqual(len(invoices), 3)
        Report = type(self.env["ir.actions.report"])
        with patch.object(Report, "_run_wkhtmltopdf", autospec=True, side_effect=Report._run_wkhtmltopdf) as renders:
            self._deliver()
        self.assertEqual([len(call.args[1]) for call in renders.call_args_list], [3], "one rendering of the three")
        self.assertEqual(set(invoices.mapped("isp_email_state")), {"sent"})
        for invoice in invoices:
            with self.subTest(invoice=invoice.name):
                pdf = invoice.invoice_pdf_report_id.raw
                self.assertEqual(pdf[:8], b"%PDF-1.7")
                xml = embedded_files(pdf)["factur-x.xml"]
                self.assertEqual(read(xml, "//rsm:ExchangedDocument/ram:ID"), invoice.name)
                self.assertEqual(read(xml, "//ram:BuyerTradeParty/ram:Name"), invoice.partner_id.name)
                self.assertEqual(read(xml, "//ram:DuePayableAmount"), f"{invoice.amount_total:.2f}")
                self._check_valid(xml, "cii")

    def test_advance_notice_carries_the_einvoice(self):
        """Issue 13: the advance notice sends the invoice's documents, the XRechnung XML with the PDF."""
        self._render_real_pdfs()
        self._einvoice_service(self.public_sector, self.hosting_19, "www.musterhausen.example", 10.0)
        with freeze_time("2026-12-27"):
            run = self.env["isp.billing.run"].create({"date": date(2026, 12, 27), "days_in_advance": 5})
            run.action_confirm()
        invoice = run.invoice_ids.filtered(lambda move: move.commercial_partner_id == self.public_sector)
        self.assertEqual((invoice.invoice_date, invoice.isp_notice_state), (date(2027, 1, 1), "queued"))
        self._deliver("2026-12-31 02:00:00")
        self.assertEqual((invoice.isp_notice_state, invoice.isp_email_state), ("sent", "sent"))
        notice = self._mails(invoice)
        self.assertEqual(len(notice), 1)
        self.assertEqual(notice.attachment_ids, invoice.invoice_pdf_report_id | invoice.ubl_cii_xml_id)
        self.assertEqual(read(invoice.ubl_cii_xml_id.raw, "//cbc:BuyerReference"), LEITWEG_ID)
        self._check_valid(invoice.ubl_cii_xml_id.raw, "ubl", xrechnung=True)

    def test_documents_of_a_posted_invoice_are_made_once(self):
        """Issue 13 (GoBD): sending again, printing and the notice use the first documents, never new ones."""
        self._render_real_pdfs()
        invoice = self._einvoice_run(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 10.0)])
        self._deliver()
        pdf, xml = invoice.invoice_pdf_report_id, invoice.ubl_cii_xml_id
        contents = (pdf.raw, xml.raw)
        # the same documents, whatever sends or prints the invoice again
        self.env["account.move.send"].with_context(force_report_rendering=True)._generate_and_send_invoices(
            invoice, sending_methods={"email"}
        )
        self.assertEqual(invoice._isp_documents(), pdf | xml)
        printed, _type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.account_invoices", invoice.ids)
        )
        self.assertEqual(printed, pdf.raw, "a print is the issued PDF")
        invoice.invalidate_recordset()
        self.assertEqual((invoice.invoice_pdf_report_id, invoice.ubl_cii_xml_id), (pdf, xml))
        self.assertEqual((pdf.raw, xml.raw), contents)
        stored = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", invoice.id), ("res_field", "!=", False)]
        )
        self.assertEqual(stored, pdf | xml)

    def test_postal_print_is_the_stored_pdf_and_refuses_an_invalid_einvoice(self):
        """Issue 13: a postal invoice's print is made with its e-invoice; an invalid one is refused, nothing printed."""
        self._render_real_pdfs()
        self.b2b_de.isp_invoice_delivery = "post"
        invoice = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)])
        self.public_sector.write({"isp_invoice_delivery": "post", "isp_buyer_reference": False})
        refused = self._einvoice_run(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 10.0)])
        clerk_env = self.env(user=self.clerk, context={"force_report_rendering": True, "discard_logo_check": True})
        with self.assertRefused(UserError, r"\[BR-DE-15\]"):
            (invoice | refused).with_env(clerk_env).action_isp_print_and_mark_sent()
        self.assertEqual((invoice | refused).mapped("isp_print_state"), ["to_print", "to_print"])
        self.assertFalse((invoice | refused).invoice_pdf_report_id, "nothing made")
        action = invoice.with_env(clerk_env).action_isp_print_and_mark_sent()
        self.assertEqual(invoice.isp_print_state, "printed")
        stored = invoice.invoice_pdf_report_id.raw
        self.assertEqual(read(embedded_files(stored)["factur-x.xml"], "//rsm:ExchangedDocument/ram:ID"), invoice.name)
        printed, _type = (
            self.env["ir.actions.report"].with_env(clerk_env)._render_qweb_pdf(action["report_name"], invoice.ids)
        )
        self.assertEqual(printed, stored, "the letter is the stored PDF with its e-invoice")


@tagged("post_install", "-at_install")
class TestEInvoicePortal(EInvoiceMixin, IspSalesCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.public_sector.isp_invoice_delivery = "portal"
        cls.owner = new_test_user(cls.env, login="stadt", groups="base.group_portal", partner_id=cls.public_sector.id)
        cls.stranger = new_test_user(cls.env, login="mueller", groups="base.group_portal", partner_id=cls.b2b_de.id)

    def test_portal_einvoice_download_for_its_customer_only(self):
        """Issue 13: the portal offers the XRechnung XML to its customer (made on first request) and to no one else."""
        invoice = self._einvoice_run(self.public_sector, [(self.hosting_19, "www.musterhausen.example", 10.0)])
        other = self._einvoice_run(self.b2b_de, [(self.hosting_19, "www.mueller.example", 10.0)])
        self.assertFalse(invoice.isp_email_state or invoice.isp_print_state, "portal only")
        url = f"/my/invoices/{invoice.id}/einvoice"

        self.authenticate("mueller", "mueller")
        response = self.url_open(url, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertNotIn(b"CreditorReference", response.content)
        self.assertNotIn(LEITWEG_ID.encode(), response.content, "no e-invoice content for a stranger")
        self.assertFalse(invoice.ubl_cii_xml_id, "nothing made for a stranger")
        page = self.url_open(f"/my/invoices/{other.id}")
        self.assertNotIn("Download e-invoice (XML)", page.text, "Factur-X: the XML is inside the PDF")

        self.authenticate("stadt", "stadt")
        page = self.url_open(f"/my/invoices/{invoice.id}")
        self.assertIn("Download e-invoice (XML)", page.text)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/xml")
        invoice.invalidate_recordset()
        self.assertEqual(response.content, invoice.ubl_cii_xml_id.raw, "the stored e-invoice")
        self.assertEqual(read(response.content, "//cbc:BuyerReference"), LEITWEG_ID)
        self.assertEqual(read(response.content, "/*/cbc:ID"), invoice.name)
        self.assertTrue(invoice.invoice_pdf_report_id, "the PDF was made with it")

        # with the invoice's access token, as in the invoice e-mail's link
        self.authenticate(None, None)
        response = self.url_open(invoice.get_portal_url(suffix="/einvoice"))
        self.assertEqual(response.content, invoice.ubl_cii_xml_id.raw)
        response = self.url_open(f"{url}?access_token=wrong", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
