import json
import time

import psycopg2

from odoo import Command, http
from odoo.exceptions import AccessDenied, AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import SQL

from ..engine import order_request
from ..engine.order_request import RequestError

# How long a request waits for the customer's other orders (their transactions) to finish.
LOCK_WAIT_SECONDS = 10.0
# What a 503 answer asks the client to wait before it sends the same request again.
RETRY_AFTER_SECONDS = 5
# Failures that another transaction caused and that a fresh transaction overcomes.
CONCURRENCY_ERRORS = (
    # another request of the same customer and reference won: the retry finds its order
    psycopg2.errors.UniqueViolation,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)


class ApiError(Exception):
    """A request that is answered with ``status`` and ``{"error": message, **extra}``."""

    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


class CustomerBusy(Exception):
    """The customer's other orders kept it busy longer than ``LOCK_WAIT_SECONDS``."""


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

    Limits (``engine/order_request.py``): a body of at most 262,144 bytes (256 KiB) sent
    with its Content-Length; at most 100 lines per order; a quantity above 0 and at most
    10,000 (``NaN`` and ``Infinity`` are refused); at most 1,000 identifiers per order, each
    of 1 to 253 characters; reference, customer number and product reference of 1 to 100
    characters; ids are whole numbers from 1 to 2,147,483,647 (``true`` is not an id).

    Answers:

    - 201: the new order with its number, the processing decision and the services;
    - 200: a retry of an earlier request (same customer, same reference, same content —
      key order and spacing do not matter): the existing order, nothing created;
    - 409: the reference was used for another order with other content: ``error``, and the
      existing ``order`` and ``id``; nothing created;
    - 400, 401, 403: ``{"error": "..."}``, nothing created;
    - 503 with ``Retry-After`` (seconds, also ``retry_after`` in the body): the customer's
      other orders kept it busy longer than 10 seconds; nothing created. Send the same
      request again after that time: with a reference it can never create two orders.

    Orders of one customer are processed one after the other (the quota and credit checks
    see every earlier order): a request waits for the customer's orders in progress, up to
    ``LOCK_WAIT_SECONDS``.
    """

    @staticmethod
    def _json(status, payload, headers=()):
        return request.make_response(
            json.dumps(payload), headers=[("Content-Type", "application/json"), *headers], status=status
        )

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

    def _read_request(self):
        length = request.httprequest.content_length
        if length is None or length > order_request.MAX_BODY_BYTES:
            raise RequestError(
                f"The body must be JSON of at most {order_request.MAX_BODY_BYTES} bytes, sent with its Content-Length."
            )
        return order_request.parse(request.httprequest.get_data())

    def _customer(self, user, order_req):
        if user._is_internal():
            reference = order_req.customer
            Partner = request.env["res.partner"]
            if isinstance(reference, int):
                customer = Partner.browse(reference).exists()
            elif reference:
                customer = Partner.search([("isp_customer_number", "=", reference)], limit=1)
            else:
                raise ValidationError(request.env._("customer: give the customer number or id."))
            if not customer:
                raise ValidationError(request.env._("customer: %(customer)s not found.", customer=reference))
            return customer.commercial_partner_id
        if order_req.customer not in (
            None,
            user.commercial_partner_id.id,
            user.commercial_partner_id.isp_customer_number,
        ):
            raise AccessError(request.env._("customer: portal users order for their own account only."))
        return user.commercial_partner_id

    def _order_lines(self, order_req):
        Product = request.env["product.product"].sudo()
        values = []
        for index, line in enumerate(order_req.lines, 1):
            if isinstance(line.product, int):
                product = Product.browse(line.product).exists()
            else:
                product = Product.search([("default_code", "=", line.product), ("sale_ok", "=", True)], limit=1)
            if not product or not product.sale_ok or not product.active:
                raise ValidationError(
                    request.env._("lines[%(index)s].product: %(product)s not found.", index=index, product=line.product)
                )
            values.append(
                {
                    "product_id": product.id,
                    "product_uom_qty": line.quantity,
                    "isp_identifiers": "\n".join(line.identifiers),
                }
            )
        return values

    def _lock_customer(self, customer, deadline):
        """Start a fresh transaction that holds the customer's order lock, waiting for it until ``deadline``.

        Odoo's transactions are REPEATABLE READ: a transaction that waited for the lock
        while another one processed an order cannot see that order. The order processing
        writes the customer row (``sale.order._isp_lock_customers``), so taking the lock
        fails with a serialization error exactly when the snapshot is out of date; then
        the transaction starts over, with a snapshot that sees the other order. A lock
        taken without that error therefore comes with a snapshot that sees every order
        of the customer committed before.
        """
        env = request.env
        cr = env.cr
        while True:
            # nothing has been written yet: start over with a fresh snapshot
            cr.rollback()
            env.reset()
            env.registry.reset_changes()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CustomerBusy()
            try:
                cr.execute(SQL("SET LOCAL lock_timeout = %s", f"{max(1, int(remaining * 1000))}ms"))
                cr.execute(
                    SQL("SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE", customer.id),
                    log_exceptions=False,
                )
                cr.execute(SQL("SET LOCAL lock_timeout TO DEFAULT"))
                return
            except psycopg2.errors.SerializationFailure:
                continue
            except psycopg2.errors.LockNotAvailable:
                cr.rollback()
                raise CustomerBusy() from None

    def _place_order(self, user, order_req):
        """The order of this request: created and processed, or the existing one of a retry.

        Runs under the customer's lock, in a transaction that sees the customer's earlier
        orders; a concurrency failure on the way starts over in a fresh transaction.
        """
        customer = self._customer(user, order_req)
        line_values = self._order_lines(order_req)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            self._lock_customer(customer, deadline)
            try:
                with request.env.cr.savepoint():
                    return self._create_order(user, customer, order_req, line_values)
            except CONCURRENCY_ERRORS:
                if time.monotonic() >= deadline:
                    request.env.cr.rollback()
                    raise CustomerBusy() from None

    def _create_order(self, user, customer, order_req, line_values):
        """Existing order for a retried request (same customer and reference), else a new, processed one."""
        reference = order_req.reference
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
                if existing.isp_api_request_hash and existing.isp_api_request_hash != order_req.fingerprint:
                    raise ApiError(
                        409,
                        f"reference: {reference!r} belongs to order {existing.name}, placed with other content; "
                        "use a new reference for a new order.",
                        order=existing.name,
                        id=existing.id,
                    )
                return existing, 200
        # Portal users may not create sale orders themselves: the order is created on
        # their behalf, for their own commercial entity only.
        env = request.env if user._is_internal() else request.env(su=True)
        order = env["sale.order"].create(
            {
                "partner_id": customer.id,
                "client_order_ref": reference or False,
                "isp_origin": "api",
                "isp_api_request_hash": order_req.fingerprint,
                "order_line": [Command.create(vals) for vals in line_values],
            }
        )
        order.action_confirm()
        return order, 201

    @http.route("/isp/api/v1/orders", type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def create_order(self, **kwargs):
        try:
            user = self._authenticate()
            order_req = self._read_request()
            order, status = self._place_order(user, order_req)
        except (RequestError, ApiError, CustomerBusy, UserError) as error:
            return self._error_response(error)
        return self._order_response(status, order)

    def _error_response(self, error):
        """The JSON answer to a refused request (AccessDenied, AccessError and ValidationError are UserErrors)."""
        headers = ()
        if isinstance(error, AccessDenied):
            status, payload = 401, {"error": "A valid API key is required (Authorization: Bearer <key>)."}
        elif isinstance(error, ApiError):
            status, payload = error.status, {"error": error.message, **error.extra}
        elif isinstance(error, CustomerBusy):
            status = 503
            payload = {
                "error": "The customer's other orders are being processed: send the same request again "
                f"in {RETRY_AFTER_SECONDS} seconds.",
                "retry_after": RETRY_AFTER_SECONDS,
            }
            headers = [("Retry-After", str(RETRY_AFTER_SECONDS))]
        elif isinstance(error, AccessError):
            status, payload = 403, {"error": str(error)}
        else:  # RequestError, UserError, ValidationError
            status, payload = 400, {"error": str(error)}
        return self._json(status, payload, headers=headers)

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
