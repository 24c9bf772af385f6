import json

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError, ValidationError
from odoo.http import request


class ApiError(Exception):
    """A request that is answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class IspOrderApi(http.Controller):
    """Remote orders of resellers and shops, with the same rules as portal orders.

    ``POST /isp/api/v1/orders`` with ``Authorization: Bearer <Odoo API key>`` of a portal
    user (orders for their own commercial entity) or an internal sales user (orders for
    the customer given in ``customer``), and a JSON body::

        {"customer": "K010001" | 42,            # internal users only: number or id
         "reference": "shop order 1234",        # optional, the customer's reference
         "lines": [{"product": "DOM-DE" | 7,    # internal reference or product id
                    "quantity": 2,
                    "identifiers": ["example.de", "example.com"]}]}

    Answers 201 with the order number, the processing decision and the services; 400,
    401 or 403 with ``{"error": "..."}`` and nothing created.
    """

    @staticmethod
    def _json(status, payload):
        return request.make_response(json.dumps(payload), headers=[("Content-Type", "application/json")], status=status)

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AccessDenied()
        uid = request.env["res.users.apikeys"]._check_credentials(scope="rpc", key=token.strip())
        if not uid:
            raise AccessDenied()
        request.update_env(user=uid)
        return request.env.user

    def _customer(self, user, payload):
        if user._is_internal():
            reference = payload.get("customer")
            Partner = request.env["res.partner"]
            if isinstance(reference, int):
                customer = Partner.browse(reference).exists()
            elif isinstance(reference, str) and reference:
                customer = Partner.search([("isp_customer_number", "=", reference)], limit=1)
            else:
                raise ValidationError(request.env._("customer: give the customer number or id."))
            if not customer:
                raise ValidationError(request.env._("customer: %(customer)s not found.", customer=reference))
            return customer.commercial_partner_id
        if payload.get("customer") not in (
            None,
            user.commercial_partner_id.id,
            user.commercial_partner_id.isp_customer_number,
        ):
            raise AccessError(request.env._("customer: portal users order for their own account only."))
        return user.commercial_partner_id

    def _order_lines(self, payload):
        lines = payload.get("lines")
        if not isinstance(lines, list) or not lines:
            raise ValidationError(request.env._("lines: a non-empty list of order lines is required."))
        Product = request.env["product.product"].sudo()
        values = []
        for index, line in enumerate(lines, 1):
            if not isinstance(line, dict):
                raise ValidationError(request.env._("lines[%(index)s]: an object is expected.", index=index))
            reference = line.get("product")
            if isinstance(reference, int) and not isinstance(reference, bool):
                product = Product.browse(reference).exists()
            elif isinstance(reference, str) and reference:
                product = Product.search([("default_code", "=", reference), ("sale_ok", "=", True)], limit=1)
            else:
                product = Product
            if not product or not product.sale_ok or not product.active:
                raise ValidationError(
                    request.env._("lines[%(index)s].product: %(product)s not found.", index=index, product=reference)
                )
            quantity = line.get("quantity", 1)
            if not isinstance(quantity, int | float) or isinstance(quantity, bool) or quantity <= 0:
                raise ValidationError(
                    request.env._("lines[%(index)s].quantity: a positive number is expected.", index=index)
                )
            identifiers = line.get("identifiers", [])
            if isinstance(identifiers, str):
                identifiers = [identifiers]
            if not isinstance(identifiers, list) or not all(isinstance(item, str) for item in identifiers):
                raise ValidationError(
                    request.env._("lines[%(index)s].identifiers: a list of strings is expected.", index=index)
                )
            values.append(
                {"product_id": product.id, "product_uom_qty": quantity, "isp_identifiers": "\n".join(identifiers)}
            )
        return values

    def _payload(self):
        try:
            payload = json.loads(request.httprequest.get_data(as_text=True) or "null")
        except ValueError as error:
            raise ApiError(400, "The body is not valid JSON.") from error
        if not isinstance(payload, dict):
            raise ApiError(400, "The body must be a JSON object.")
        reference = payload.get("reference")
        if reference is not None and not (isinstance(reference, str) and 0 < len(reference) <= 100):
            raise ApiError(400, "reference: a text of at most 100 characters is expected.")
        return payload

    def _create_order(self, user, payload):
        """Existing order for a retried request (same customer and reference), else a new, processed one."""
        customer = self._customer(user, payload)
        reference = payload.get("reference")
        if reference:
            existing = (
                request.env["sale.order"]
                .sudo()
                .search(
                    [
                        ("partner_id", "=", customer.id),
                        ("client_order_ref", "=", reference),
                        ("isp_origin", "=", "api"),
                    ],
                    limit=1,
                )
            )
            if existing:
                return existing, 200
        # Portal users may not create sale orders themselves: the order is created on
        # their behalf, for their own commercial entity only.
        env = request.env if user._is_internal() else request.env(su=True)
        order = env["sale.order"].create(
            {
                "partner_id": customer.id,
                "client_order_ref": reference or False,
                "isp_origin": "api",
                "order_line": [(0, 0, vals) for vals in self._order_lines(payload)],
            }
        )
        order.action_confirm()
        return order, 201

    @http.route("/isp/api/v1/orders", type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def create_order(self, **kwargs):
        try:
            user = self._authenticate()
            payload = self._payload()
            with request.env.cr.savepoint():
                order, status = self._create_order(user, payload)
        except AccessDenied:
            return self._json(401, {"error": "A valid API key is required (Authorization: Bearer <key>)."})
        except ApiError as error:
            return self._json(error.status, {"error": error.message})
        except AccessError as error:
            return self._json(403, {"error": str(error)})
        except (UserError, ValidationError) as error:
            return self._json(400, {"error": str(error)})
        return self._order_response(status, order)

    def _order_response(self, status, order):
        return self._json(
            status,
            {
                "order": order.name,
                "id": order.id,
                "decision": order.isp_decision,
                "reason": order.isp_decision_reason,
                "amount_total": order.amount_total,
                "currency": order.currency_id.name,
                "invoices": order.invoice_ids.mapped("name"),
                "services": [
                    {"id": service.id, "identifier": service.name, "type": service.article_type, "state": service.state}
                    for service in order.isp_service_ids
                ],
            },
        )
