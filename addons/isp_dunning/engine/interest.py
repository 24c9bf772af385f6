"""Default interest on overdue amounts, on plain data (no ORM).

Interest is simple and counted per day: for each day in default the open principal
bears the annual rate valid on that day, divided by 365. Periods are cut where the
rate or the open principal changes; each period's interest is rounded to the cent,
and the total is the sum of the periods (what a dunning letter lists).

German statutory interest (§288 BGB) is the base rate (§247 BGB, changed on 1 January
and 1 July) plus 5 points for consumers or 9 points for businesses.
"""

from collections import namedtuple
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

CONSUMER_POINTS = Decimal("5")
BUSINESS_POINTS = Decimal("9")
DAYS_PER_YEAR = 365
CENT = Decimal("0.01")

#: One stretch of days with the same principal and rate.
InterestPeriod = namedtuple("InterestPeriod", "start end days principal rate amount")


class MissingRate(ValueError):
    """No base rate is known for a day in default."""


def rate_on(day, rates, points=Decimal("0")):
    """Annual rate in percent on ``day``: the latest rate valid from that day or before, plus points."""
    valid = [rate for valid_from, rate in sorted(rates) if valid_from <= day]
    if not valid:
        raise MissingRate(f"no base rate is known for {day.isoformat()}")
    return valid[-1] + points


def interest_periods(principal_changes, start, end, rates, points=Decimal("0")):
    """Interest of one overdue item from ``start`` to ``end`` (both included).

    :param principal_changes: list of (from day, open principal) — the amount in default from
        that day on; partial payments lower it from their payment date, fees are not part of it
    :param start: first day in default (the day after the due date)
    :param end: last day to count (the calculation date)
    :param rates: list of (valid from, annual percent) — base rates, or one fixed rate
    :param points: percentage points added to the rate (5 or 9 for §288 BGB)
    :return: list of ``InterestPeriod`` with a positive principal
    """
    if end < start:
        return []
    cuts = {start, end + timedelta(days=1)}
    cuts.update(day for day, _amount in principal_changes if start < day <= end)
    cuts.update(day for day, _rate in rates if start < day <= end)
    bounds = sorted(cuts)
    changes = sorted(principal_changes)
    result = []
    for period_start, next_start in pairwise(bounds):
        principal = Decimal("0")
        for day, amount in changes:
            if day <= period_start:
                principal = Decimal(str(amount))
        if principal <= 0:
            continue
        rate = rate_on(period_start, rates, points)
        days = (next_start - period_start).days
        amount = (principal * rate / 100 * days / DAYS_PER_YEAR).quantize(CENT, rounding=ROUND_HALF_UP)
        result.append(InterestPeriod(period_start, next_start - timedelta(days=1), days, principal, rate, amount))
    return result


def statutory_points(is_business):
    """§288 BGB: 9 points above the base rate for businesses, 5 for consumers."""
    return BUSINESS_POINTS if is_business else CONSUMER_POINTS


def rates_for(basis, is_business, base_rates, fixed_rate):
    """The rates and points of a dunning profile's interest, for ``interest_periods``.

    :param basis: ``statutory_de`` (§288 BGB: the §247 base rates plus 5 or 9 points) or
        ``fixed`` (one annual rate on every day)
    :param is_business: the customer is a company or a sole proprietor
    :param base_rates: list of (valid from, annual percent): the §247 BGB base rates
    :param fixed_rate: the profile's annual percent for ``fixed``
    :return: (rates, points)
    """
    if basis == "statutory_de":
        return base_rates, statutory_points(is_business)
    return [(date.min, Decimal(str(fixed_rate)))], Decimal("0")


def total(periods):
    return sum((period.amount for period in periods), Decimal("0"))
