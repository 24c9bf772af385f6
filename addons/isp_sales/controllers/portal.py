from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

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
