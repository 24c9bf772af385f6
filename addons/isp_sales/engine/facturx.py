"""ZUGFeRD / Factur-X PDFs: the XML of the invoice inside a PDF/A-3 (no ORM).

``facturx_pdf`` embeds the CII file into the PDF Odoo rendered and makes it PDF/A-3;
``facturx_level`` reads the conformance level the XML declares, so that the PDF's XMP
metadata (``facturx_metadata``) says the same as the XML.
"""

import io

from lxml import etree

from odoo.tools.pdf import DictionaryObject, NameObject, NumberObject, OdooPdfFileReader, OdooPdfFileWriter

#: name of the XML inside a ZUGFeRD / Factur-X PDF (Factur-X 1.0, ZUGFeRD 2.x)
FACTURX_FILENAME = "factur-x.xml"
#: guideline id of the CII file (BT-24) -> Factur-X conformance level of the PDF's XMP metadata
FACTURX_LEVELS = {
    "urn:factur-x.eu:1p0:minimum": "MINIMUM",
    "urn:factur-x.eu:1p0:basicwl": "BASIC WL",
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic": "BASIC",
    "urn:cen.eu:en16931:2017": "EN 16931",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": "EXTENDED",
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0": "XRECHNUNG",
}
_CII_GUIDELINE = (
    "/*[local-name()='CrossIndustryInvoice']/*[local-name()='ExchangedDocumentContext']"
    "/*[local-name()='GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID']/text()"
)
_FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def facturx_level(xml_content):
    """The Factur-X conformance level the guideline id of a CII file declares, or None."""
    guideline = etree.fromstring(xml_content, _PARSER).xpath(_CII_GUIDELINE)
    return FACTURX_LEVELS.get(str(guideline[0]).strip()) if guideline else None


def facturx_metadata(xmp, level):
    """XMP metadata ``xmp`` (bytes) with ``fx:ConformanceLevel`` set to ``level``."""
    tree = etree.fromstring(xmp, _PARSER)
    for node in tree.iter(f"{{{_FX_NAMESPACE}}}ConformanceLevel"):
        node.text = level
    return etree.tostring(tree)


def facturx_pdf(pdf_content, xml_content, xmp):
    """A PDF/A-3 of ``pdf_content`` with ``xml_content`` embedded as factur-x.xml and the XMP metadata ``xmp``.

    The XML is the invoice in another form: its file specification has the relationship
    /Alternative and the mimetype text/xml (Factur-X 1.0, ZUGFeRD 2.x).
    """
    reader = OdooPdfFileReader(io.BytesIO(pdf_content), strict=False)
    writer = OdooPdfFileWriter()
    writer.cloneReaderDocumentRoot(reader)
    root = writer._root_object
    if "/Outlines" not in root:
        # Odoo's PDF/A conversion counts the outlines; a PDF split from a batch rendering has none
        root[NameObject("/Outlines")] = writer._addObject(
            DictionaryObject({NameObject("/Type"): NameObject("/Outlines"), NameObject("/Count"): NumberObject(0)})
        )
    writer.addAttachment(FACTURX_FILENAME, xml_content, subtype="text/xml")
    for reference in root["/AF"].get_object():
        filespec = reference.get_object()
        if str(filespec["/F"]) == FACTURX_FILENAME:
            filespec[NameObject("/AFRelationship")] = NameObject("/Alternative")
    writer.convert_to_pdfa()
    writer.add_file_metadata(xmp)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()
