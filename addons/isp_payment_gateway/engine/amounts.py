"""Money amounts typed by a customer (the portal top-up), read strictly.

``parse_amount(text, decimal_places)`` accepts plain figures with one decimal separator
(``25``, ``25.50``, ``25,5``), at most ``MAX_WHOLE_DIGITS`` digits before the separator and
no more significant decimals than the currency has. Anything else — a sign, an exponent
(``1e400``), ``nan``, ``inf``, thousands separators, a currency symbol — raises
``AmountError`` with ``reason`` ``"format"``; too many decimals raise it with ``reason``
``"decimals"``. The result is a ``Decimal``; whether it is enough (a minimum) is for the
caller to decide.
"""

import re
from decimal import Decimal

MAX_WHOLE_DIGITS = 9
_AMOUNT = re.compile(rf"(\d{{1,{MAX_WHOLE_DIGITS}}})(?:[.,](\d+))?")


class AmountError(ValueError):
    """The text is not an amount of the currency; ``reason`` is ``"format"`` or ``"decimals"``."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def parse_amount(text, decimal_places):
    """The amount written in ``text`` for a currency with ``decimal_places`` decimals."""
    match = _AMOUNT.fullmatch((text or "").strip())
    if not match:
        raise AmountError("format")
    whole, fraction = match.group(1), (match.group(2) or "").rstrip("0")
    if len(fraction) > decimal_places:
        raise AmountError("decimals")
    return Decimal(f"{whole}.{fraction or '0'}")
