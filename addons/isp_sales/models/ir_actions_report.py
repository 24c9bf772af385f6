import functools
import io
import logging
import re
import subprocess
from collections import OrderedDict

from odoo import models
from odoo.tools.pdf import ArrayObject, DictionaryObject, NameObject, NumberObject, PdfReader, PdfWriter

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)

#: link target of the invisible marker that starts each document of a merged rendering
SPLIT_URL = "https://isp-pdf-document.invalid/"
_BODY_OPEN = re.compile(r"<body[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body>", re.IGNORECASE)


@functools.cache
def _wkhtmltopdf_has_patched_qt():
    """Whether wkhtmltopdf is built with its patched Qt (which renders several documents at once)."""
    try:
        version = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "patched qt" in version.lower()


def merge_bodies(bodies):
    """One HTML document with the bodies one after the other, each starting on a new page
    with a marker link that ``split_marks`` finds in the PDF."""
    head = _BODY_OPEN.search(bodies[0])
    tail = _BODY_CLOSE.search(bodies[0], head.end())
    parts = [bodies[0][: head.end()]]
    for index, body in enumerate(bodies):
        start = _BODY_OPEN.search(body)
        end = _BODY_CLOSE.search(body, start.end())
        if index:
            parts.append('<div style="page-break-before: always;"></div>')
        parts.append(f'<a href="{SPLIT_URL}{index}" style="display: block; height: 1px;"></a>')
        parts.append(body[start.end() : end.start()])
    parts.append(bodies[0][tail.start() :])
    return "".join(parts)


def split_marks(pdf_content, count):
    """A PDF where the documents of a merged rendering are found by Odoo's report splitter.

    Removes the marker links; returns None when the markers are not all there.
    """
    pages = list(PdfReader(io.BytesIO(pdf_content)).pages)
    starts = {}
    for number, page in enumerate(pages):
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        kept = ArrayObject()
        for annotation in annotations.get_object():
            uri = str(annotation.get_object().get("/A", {}).get("/URI", ""))
            if uri.startswith(SPLIT_URL):
                starts.setdefault(int(uri[len(SPLIT_URL) :]), number)
            else:
                kept.append(annotation)
        page[NameObject("/Annots")] = kept
    if sorted(starts) != list(range(count)) or starts[0] != 0:
        return None
    return with_outlines(pages, [starts[index] for index in range(count)])


def with_outlines(pages, starts):
    """The pages as one PDF with a top-level outline entry where each document starts.

    That is what wkhtmltopdf with patched Qt writes, and what Odoo's report splitter reads.
    """
    writer = PdfWriter()
    for page in pages:
        writer.add_page(page)
    destinations = DictionaryObject()
    nodes = []
    for index, start in enumerate(starts):
        name = NameObject(f"/isp_document_{index}")
        destinations[name] = ArrayObject([NumberObject(start), NameObject("/Fit")])
        nodes.append(DictionaryObject({NameObject("/Dest"): name}))
    references = [writer._add_object(node) for node in nodes]
    for index, node in enumerate(nodes):
        if index + 1 < len(nodes):
            node[NameObject("/Next")] = references[index + 1]
        if index:
            node[NameObject("/Prev")] = references[index - 1]
    outlines = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Outlines"),
            NameObject("/First"): references[0],
            NameObject("/Last"): references[-1],
            NameObject("/Count"): NumberObject(len(nodes)),
        }
    )
    root = writer._root_object
    root[NameObject("/Outlines")] = writer._add_object(outlines)
    root[NameObject("/Dests")] = writer._add_object(destinations)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        """Posted invoices that have their documents print as they were issued (GoBD).

        The stored PDF (with its ZUGFeRD / Factur-X XML) is what the customer received: a
        postal print, the portal and the back office show that one, not a new rendering.
        Pro-forma renderings and invoices without documents are rendered as usual.
        """
        data = data or {}
        if (
            not res_ids
            or not self._is_invoice_report(report_ref)
            or data.get("proforma")
            or self.env.context.get("proforma_invoice")
        ):
            return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
        issued = {
            move.id: move.invoice_pdf_report_id
            for move in self.env["account.move"].browse(res_ids)
            if move.state == "posted" and move.invoice_pdf_report_id
        }
        if not issued:
            return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
        others = [res_id for res_id in dict.fromkeys(res_ids) if res_id not in issued]
        rendered = super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=others) if others else {}
        streams = OrderedDict()
        for res_id in dict.fromkeys(res_ids):
            if res_id in issued:
                streams[res_id] = {"stream": io.BytesIO(issued[res_id].raw), "attachment": issued[res_id]}
            else:
                streams[res_id] = rendered[res_id]
        return streams

    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        """Render several documents in one wkhtmltopdf run also without patched Qt.

        Debian's wkhtmltopdf (unpatched Qt) refuses several input documents, so Odoo cannot
        print a batch of invoices with it. The documents are merged into one, rendered
        once, and marked so that Odoo's splitter gives each record its own PDF.
        """
        kwargs = {
            "report_ref": report_ref,
            "header": header,
            "footer": footer,
            "landscape": landscape,
            "specific_paperformat_args": specific_paperformat_args,
            "set_viewport_size": set_viewport_size,
        }
        if len(bodies) < 2 or _wkhtmltopdf_has_patched_qt():
            return super()._run_wkhtmltopdf(bodies, **kwargs)
        pdf_content = super()._run_wkhtmltopdf([merge_bodies(bodies)], **kwargs)
        marked = split_marks(pdf_content, len(bodies))
        if marked is not None:
            return marked
        _logger.warning("Could not find the documents in a merged PDF rendering; rendering them one by one")
        pages, starts = [], []
        for body in bodies:
            starts.append(len(pages))
            pdf = super()._run_wkhtmltopdf([body], **kwargs)
            pages.extend(PdfReader(io.BytesIO(pdf)).pages)
        return with_outlines(pages, starts)
