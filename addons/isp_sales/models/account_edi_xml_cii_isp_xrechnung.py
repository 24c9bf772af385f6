from odoo import api, models

#: guideline (BT-24) of XRechnung 3.0 in the CII syntax
XRECHNUNG_CII = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


class AccountEdiXmlCiiIspXrechnung(models.AbstractModel):
    """XRechnung 3.0 in the CII syntax: the product's Factur-X builder with the XRechnung guideline.

    XRechnung asks for more than EN 16931 (buyer reference / Leitweg-ID BT-10, seller contact,
    electronic addresses, payment instructions); the shared builder states all of it, so only the
    guideline and the file name differ. The file is sent beside the PDF, not inside it.
    """

    _name = "account.edi.xml.cii_isp_xrechnung"
    _inherit = "account.edi.xml.cii"
    _description = "XRechnung CII 3.0"

    @api.model
    def _isp_guideline_id(self):
        return XRECHNUNG_CII

    def _export_invoice_filename(self, invoice):
        return f"{invoice.name.replace('/', '_')}_xrechnung_cii.xml"
