import logging

from odoo import api, fields, models

from ..engine import einvoice_rules
from ..engine.facturx import facturx_level, facturx_metadata, facturx_pdf
from .account_edi_common import EDI_FORMATS

# Odoo's PDF/A-3 conversion reads each font of the PDF with fontTools, which warns about the
# fonts wkhtmltopdf embeds ("timestamp seems very low") once per font and invoice.
logging.getLogger("fontTools.ttLib.tables._h_e_a_d").setLevel(logging.ERROR)

#: Odoo e-invoice format -> (syntax the rules read, XRechnung rules too)
EINVOICE_SYNTAX = {
    "facturx": ("cii", False),
    "isp_xrechnung_cii": ("cii", True),
    "xrechnung": ("ubl", True),
}


class AccountMoveSend(models.AbstractModel):
    """Invoices and credit notes go out with the e-invoice of the customer's billing profile.

    Before the PDF is made, the e-invoice is built and checked against the official rules
    (EN 16931, for XRechnung also KoSIT's); an e-invoice that breaks a rule blocks the
    invoice: no PDF, no XML, nothing sent. After the PDF is made: ZUGFeRD / Factur-X embeds
    the XML into a PDF/A-3; XRechnung keeps the XML as a file of its own beside the PDF;
    "PDF only" is the PDF alone.
    """

    _inherit = "account.move.send"

    @api.model
    def _isp_einvoice_profile(self, move):
        """Whether the documents of ``move`` follow the customer's e-invoice format of the billing profile."""
        return move.is_sale_document() and bool(move.commercial_partner_id.isp_einvoice_format)

    @api.model
    def _get_default_invoice_edi_format(self, move, **kwargs):
        """The e-invoice format of the customer's billing profile ("PDF only": none)."""
        if self._isp_einvoice_profile(move):
            return EDI_FORMATS[move.commercial_partner_id.isp_einvoice_format]
        return super()._get_default_invoice_edi_format(move, **kwargs)

    @api.model
    def _get_placeholder_mail_attachments_data(self, move, invoice_edi_format=None, extra_edis=None):
        """No factur-x.xml beside the PDF in the sending wizard: it goes inside (EXTENDS account_edi_ubl_cii)."""
        results = super()._get_placeholder_mail_attachments_data(
            move, invoice_edi_format=invoice_edi_format, extra_edis=extra_edis
        )
        if invoice_edi_format == "facturx" and self._isp_einvoice_profile(move):
            results = [result for result in results if result.get("mimetype") != "application/xml"]
        return results

    @api.model
    def _isp_check_einvoice(self, xml_content, invoice_edi_format):
        """The lines ``[rule id] text`` of the rules the e-invoice breaks (empty: it is valid)."""
        syntax, xrechnung = EINVOICE_SYNTAX[invoice_edi_format]
        findings = einvoice_rules.fatal(einvoice_rules.validate(xml_content, syntax, xrechnung=xrechnung))
        lines = [einvoice_rules.format_findings([finding]) for finding in findings]
        if invoice_edi_format == "facturx" and not lines and not facturx_level(xml_content):
            lines.append(self.env._("The guideline id (BT-24) of the XML is no ZUGFeRD / Factur-X profile."))
        return lines

    @api.model
    def _isp_refuse_einvoice(self, invoice, invoice_data, errors):
        invoice_data["error"] = {
            "error_title": self.env._(
                "The e-invoice of %(invoice)s was not created and the invoice was not sent; it breaks these rules:",
                invoice=invoice.name,
            ),
            "errors": errors,
        }
        # an invalid e-invoice is never replaced by a PDF without it
        invoice_data["error_but_continue"] = False
        invoice_data.pop("ubl_cii_xml_attachment_values", None)
        invoice_data.pop("ubl_cii_xml_options", None)

    def _hook_invoice_document_before_pdf_report_render(self, invoice, invoice_data):
        """Check the e-invoice Odoo's builder made (EXTENDS account_edi_ubl_cii).

        The builder of the format writes the XML (``res.partner._get_edi_builder``); here it
        is checked as it will be stored or embedded. The builder's own errors and broken rules
        block the invoice.
        """
        super()._hook_invoice_document_before_pdf_report_render(invoice, invoice_data)
        if not self._isp_einvoice_profile(invoice):
            return
        invoice_data["isp_einvoice"] = True
        invoice_edi_format = invoice_data.get("invoice_edi_format")
        if invoice_edi_format not in EINVOICE_SYNTAX:
            return
        if invoice_data.get("error"):
            # the builder refused (its constraints): blocking as well
            invoice_data["error_but_continue"] = False
            return
        values = invoice_data.get("ubl_cii_xml_attachment_values")
        if not values:
            if not invoice.invoice_pdf_report_id and not invoice.ubl_cii_xml_id:
                # no builder made the XML the customer must receive
                self._isp_refuse_einvoice(
                    invoice,
                    invoice_data,
                    [
                        self.env._(
                            "No e-invoice was built in the format %(format)s.",
                            format=dict(
                                invoice.partner_id._fields["invoice_edi_format"]._description_selection(self.env)
                            ).get(invoice_edi_format, invoice_edi_format),
                        )
                    ],
                )
            # else made before: the documents of a posted invoice are not made again
            return
        errors = self._isp_check_einvoice(values["raw"], invoice_edi_format)
        if errors:
            self._isp_refuse_einvoice(invoice, invoice_data, errors)
        elif invoice_edi_format == "facturx":
            # the XML lives inside the PDF, not as a file of its own
            invoice_data["isp_facturx_xml"] = invoice_data.pop("ubl_cii_xml_attachment_values")["raw"]
            invoice_data.pop("ubl_cii_xml_options", None)

    def _hook_invoice_document_after_pdf_report_render(self, invoice, invoice_data):
        """Put the e-invoice where its format wants it (EXTENDS account_edi_ubl_cii).

        For invoices of the billing profile's formats, super() is not called:
        account_edi_ubl_cii embeds an EXTENDED-profile factur-x.xml it builds again into every
        PDF (also "PDF only" and XRechnung ones), makes PDF/A only for Factur-X partners, puts
        the PDF into the XRechnung XML, and in test mode skips the PDF and stores a stray
        factur-x.xml attachment instead. Here the checked XML goes into the PDF exactly as it
        was checked, and only for ZUGFeRD / Factur-X.
        """
        if not invoice_data.get("isp_einvoice"):
            return super()._hook_invoice_document_after_pdf_report_render(invoice, invoice_data)
        xml_content = invoice_data.get("isp_facturx_xml")
        pdf_values = invoice_data.get("pdf_attachment_values")
        # without force_report_rendering, Odoo's tests render HTML instead of a PDF: nothing to embed into
        if not xml_content or not pdf_values or not pdf_values["raw"].startswith(b"%PDF-"):
            return None
        pdf_values["raw"] = facturx_pdf(pdf_values["raw"], xml_content, self._isp_facturx_xmp(invoice, xml_content))
        return None

    @api.model
    def _isp_facturx_xmp(self, invoice, xml_content):
        """The XMP metadata of a ZUGFeRD / Factur-X PDF: PDF/A-3B, the conformance level of the XML's guideline id."""
        xmp = self.env["ir.qweb"]._render(
            "account_edi_ubl_cii.account_invoice_pdfa_3_facturx_metadata",
            {"title": invoice.name, "date": fields.Date.context_today(self)},
        )
        return facturx_metadata(str(xmp).encode(), facturx_level(xml_content))

    @api.model
    def _isp_generate_documents(self, moves):
        """Make the PDF and e-invoice of posted invoices as sending makes them, without sending.

        Documents are made once: invoices that have their PDF keep it. An invoice whose
        e-invoice is refused gets no document; the reason goes to its chatter.

        :return: {invoice: error text} of the refused invoices
        """
        moves = moves.filtered(lambda move: not move.invoice_pdf_report_id)
        if not moves:
            return {}
        self._check_sending_data(moves)
        moves_data = {move.sudo(): self._get_default_sending_settings(move, sending_methods=set()) for move in moves}
        self._generate_invoice_documents(moves_data)
        errors = {move: move_data for move, move_data in moves_data.items() if move_data.get("error")}
        if errors:
            self._hook_if_errors(errors, allow_raising=False)
        return {move: self._format_error_text(move_data["error"]) for move, move_data in errors.items()}
