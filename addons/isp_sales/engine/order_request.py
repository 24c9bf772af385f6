"""The body of a remote order (``POST /isp/api/v1/orders``): parsing, limits, fingerprint.

``parse(body)`` takes the raw request body (bytes) and returns an ``OrderRequest`` with
plain values, or raises ``RequestError`` with an English message that names the field
(``lines[2].quantity: ...``). Nothing here looks anything up: products and customers are
references (an id or a text) that the caller resolves.

Limits (answered with 400 when exceeded):

- ``MAX_BODY_BYTES``: size of the body;
- ``MAX_LINES``: order lines per order;
- ``MAX_QUANTITY``: quantity of one line (a finite number above 0);
- ``MAX_IDENTIFIERS``: service identifiers per order, all lines together;
- ``MAX_IDENTIFIER_LENGTH``: characters of one service identifier (a full domain name);
- ``MAX_REFERENCE_LENGTH``: characters of the order reference and of a product or
  customer reference given as text;
- ids are whole numbers from 1 to ``MAX_ID`` (PostgreSQL ``integer``); ``true`` and
  ``false`` are not ids, ``NaN`` and ``Infinity`` are not numbers.

``OrderRequest.fingerprint`` is the SHA-256 of the canonical request (reference and lines,
with the defaults filled in): two bodies that ask for the same order have the same
fingerprint whatever their key order, spacing or number notation (``2`` or ``2.0``).
"""

import hashlib
import json
import math
from typing import NamedTuple

MAX_BODY_BYTES = 256 * 1024
MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_IDENTIFIERS = 1_000
MAX_IDENTIFIER_LENGTH = 253
MAX_REFERENCE_LENGTH = 100
MAX_ID = 2**31 - 1


class RequestError(ValueError):
    """The body is not an acceptable order request; the message says why."""


class OrderLineRequest(NamedTuple):
    product: int | str
    quantity: float
    identifiers: tuple[str, ...]


class OrderRequest(NamedTuple):
    customer: int | str | None
    reference: str | None
    lines: tuple[OrderLineRequest, ...]
    fingerprint: str


def _reject_constant(name):
    raise RequestError(f"The body is not valid JSON: {name} is not a number.")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise RequestError(f"The body is not valid JSON: {text} is too large a number.")
    return value


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _is_text(value, max_length):
    return isinstance(value, str) and 0 < len(value) <= max_length


def _load(body):
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float)
    except RequestError:
        raise
    except (ValueError, RecursionError) as error:
        # ValueError includes bad UTF-8 and integers with more digits than Python converts
        raise RequestError("The body is not valid JSON.") from error


def _reference(value, field):
    if value is None:
        return None
    if not _is_text(value, MAX_REFERENCE_LENGTH):
        raise RequestError(f"{field}: a text of 1 to {MAX_REFERENCE_LENGTH} characters is expected.")
    return value


def _record_reference(value, field):
    """An id or a non-empty text (customer number, product's internal reference)."""
    if _is_id(value) or _is_text(value, MAX_REFERENCE_LENGTH):
        return value
    raise RequestError(
        f"{field}: an id (1 to {MAX_ID}) or a text of 1 to {MAX_REFERENCE_LENGTH} characters is expected."
    )


def _quantity(value, field):
    if value is None:
        return 1.0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= MAX_QUANTITY
    ):
        raise RequestError(f"{field}: a number above 0 and at most {MAX_QUANTITY} is expected.")
    return float(value)


def _identifiers(value, field):
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequestError(f"{field}: a list of texts is expected.")
    for index, item in enumerate(value, 1):
        if not 0 < len(item) <= MAX_IDENTIFIER_LENGTH:
            raise RequestError(f"{field}[{index}]: a text of 1 to {MAX_IDENTIFIER_LENGTH} characters is expected.")
    return tuple(value)


def _line(line, index):
    field = f"lines[{index}]"
    if not isinstance(line, dict):
        raise RequestError(f"{field}: an object is expected.")
    if line.get("product") is None:
        raise RequestError(f"{field}.product: the product is required.")
    return OrderLineRequest(
        product=_record_reference(line["product"], f"{field}.product"),
        quantity=_quantity(line.get("quantity"), f"{field}.quantity"),
        identifiers=_identifiers(line.get("identifiers"), f"{field}.identifiers"),
    )


def fingerprint(reference, lines):
    """SHA-256 (hex) of the canonical JSON of an order's reference and lines."""
    canonical = {
        "reference": reference,
        "lines": [
            {"product": line.product, "quantity": line.quantity, "identifiers": list(line.identifiers)}
            for line in lines
        ],
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse(body):
    """The order request in ``body`` (bytes), or ``RequestError``."""
    payload = _load(body)
    if not isinstance(payload, dict):
        raise RequestError("The body must be a JSON object.")
    customer = payload.get("customer")
    if customer is not None:
        customer = _record_reference(customer, "customer")
    reference = _reference(payload.get("reference"), "reference")
    raw_lines = payload.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise RequestError("lines: a non-empty list of order lines is required.")
    if len(raw_lines) > MAX_LINES:
        raise RequestError(f"lines: at most {MAX_LINES} order lines per order.")
    lines = tuple(_line(line, index) for index, line in enumerate(raw_lines, 1))
    if sum(len(line.identifiers) for line in lines) > MAX_IDENTIFIERS:
        raise RequestError(f"lines: at most {MAX_IDENTIFIERS} identifiers per order.")
    return OrderRequest(customer=customer, reference=reference, lines=lines, fingerprint=fingerprint(reference, lines))
