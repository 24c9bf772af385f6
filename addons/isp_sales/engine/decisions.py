"""What happens to an automatically processed order, per customer class (DOMAIN.md).

All amounts are in the company currency. ``decide`` returns a ``Decision``:

- ``state``: executed / waiting_payment / waiting_credit / waiting_approval / accumulated
- ``invoice``: invoice the order now
- ``pay_from_credit``: pay that invoice from the prepaid credit
- ``execute``: provision the services now
- ``close_accumulation``: invoice the reseller's accumulated orders now
- ``exposure``: open receivables (+ accumulated) + this order, for quota classes
- ``limit``: the quota, ``missing``: credit that is missing
"""

from typing import NamedTuple

#: decisions under which the order's services run: only these orders are provisioned, by the
#: system or by hand; the others wait for a payment, a top-up, an approval or their processing
EXECUTED_STATES = frozenset({"executed", "accumulated"})


class Decision(NamedTuple):
    state: str
    invoice: bool = False
    pay_from_credit: bool = False
    execute: bool = False
    close_accumulation: bool = False
    exposure: float = 0.0
    limit: float = 0.0
    missing: float = 0.0


def decide(customer_class, amount, receivable=0.0, credit=0.0, quota=0.0, accumulated=0.0, rounding=0.01):  # noqa: PLR0911
    """Decision for an order of ``amount`` by a customer of ``customer_class``."""

    def fits(value, limit):
        return value <= limit + rounding / 2

    if customer_class == "credited":
        if fits(amount, credit):
            return Decision("executed", invoice=True, pay_from_credit=True, execute=True)
        return Decision("waiting_credit", missing=round(amount - credit, 10))
    if customer_class == "trusted":
        exposure = receivable + amount
        if fits(exposure, quota):
            return Decision("executed", invoice=True, execute=True, exposure=exposure, limit=quota)
        return Decision("waiting_approval", exposure=exposure, limit=quota)
    if customer_class == "reseller":
        exposure = receivable + accumulated + amount
        if fits(exposure, quota):
            return Decision("accumulated", execute=True, exposure=exposure, limit=quota)
        return Decision("waiting_approval", close_accumulation=accumulated > 0, exposure=exposure, limit=quota)
    return Decision("waiting_payment", invoice=True)
