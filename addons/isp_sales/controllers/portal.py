from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import content_disposition, request

from odoo.addons.account.controllers.portal import PortalAccount
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class IspServicePortal(CustomerPortal):
    """My services: the customer's services, filtered by the record rules."""

    _items_per_page = 40

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "isp_service_count" in counters:
            Service = request.env["isp.service"]
            values["isp_service_count"] = Service.search_count([]) if Service.has_access("read") else 0
        return values

    @http.route(["/my/services", "/my/services/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_isp_services(self, page=1, sortby=None, filterby=None, **kw):
        Service = request.env["isp.service"]
        searchbar_sortings = {
            "identifier": {"label": request.env._("Identifier"), "order": "name"},
            "type": {"label": request.env._("Type"), "order": "article_type, name"},
            "start": {"label": request.env._("Start Date"), "order": "date_start desc"},
        }
        searchbar_filters = {
            "live": {"label": request.env._("Current"), "domain": [("state", "!=", "terminated")]},
            "all": {"label": request.env._("All"), "domain": []},
        }
        sortby = sortby if sortby in searchbar_sortings else "identifier"
        filterby = filterby if filterby in searchbar_filters else "live"
        domain = searchbar_filters[filterby]["domain"]
        total = Service.search_count(domain)
        pager = portal_pager(
            url="/my/services",
            url_args={"sortby": sortby, "filterby": filterby},
            total=total,
            page=page,
            step=self._items_per_page,
        )
        services = Service.search(
            domain, order=searchbar_sortings[sortby]["order"], limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "services": services,
                "page_name": "isp_service",
                "pager": pager,
                "default_url": "/my/services",
                "searchbar_sortings": searchbar_sortings,
                "searchbar_filters": searchbar_filters,
                "sortby": sortby,
                "filterby": filterby,
            }
        )
        return request.render("isp_sales.portal_my_isp_services", values)

    @http.route(["/my/services/<int:service_id>"], type="http", auth="public", website=True)
    def portal_my_isp_service(self, service_id, access_token=None, **kw):
        try:
            service = self._document_check_access("isp.service", service_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            service,
            access_token,
            {"service": service, "page_name": "isp_service"},
            "my_isp_services_history",
            False,
            **kw,
        )
        return request.render("isp_sales.portal_my_isp_service", values)


class IspInvoicePortal(PortalAccount):
    """My invoices: the PDF as it was issued, and the XRechnung e-invoice to download."""

    def _get_optional_fields(self):
        # the e-invoice format is the billing profile's, which ISP managers keep
        return [field for field in super()._get_optional_fields() if field != "invoice_edi_format"]

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        # no "Electronic format" choice on the portal's account details (see _get_optional_fields)
        values["invoice_edi_formats"] = {}
        return values

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        if invoice._isp_offers_xml_einvoice():
            values["isp_einvoice_url"] = invoice.get_portal_url(suffix="/einvoice")
        return values

    @http.route(["/my/invoices/<int:invoice_id>"], type="http", auth="public", website=True)
    def portal_my_invoice_detail(self, invoice_id, access_token=None, report_type=None, download=False, **kw):
        """The PDF of a posted invoice is its document, made with its e-invoice when first asked for
        (customers without e-mail delivery see it here first)."""
        if report_type == "pdf":
            try:
                invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
            except (AccessError, MissingError):
                return request.redirect("/my")
            invoice_sudo._isp_make_documents()
        return super().portal_my_invoice_detail(
            invoice_id, access_token=access_token, report_type=report_type, download=download, **kw
        )

    @http.route(["/my/invoices/<int:invoice_id>/einvoice"], type="http", auth="public", website=True)
    def portal_my_invoice_einvoice(self, invoice_id, access_token=None, **kw):
        """The XRechnung XML file of an invoice, for its customer (or whoever holds the invoice's access token)."""
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if not invoice_sudo._isp_offers_xml_einvoice() or invoice_sudo._isp_make_documents():
            return request.redirect(invoice_sudo.get_portal_url())
        xml = invoice_sudo.ubl_cii_xml_id
        if not xml:
            return request.redirect(invoice_sudo.get_portal_url())
        content = xml.raw
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/xml"),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(xml.name)),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
