"""Planning of the periodic invoice run on plain data (no ORM).

A service is billed in periods of its own length (monthly, quarterly, half-yearly,
yearly), aligned to the calendar and to the customer's billing day: monthly periods
start every month, quarterly ones in January, April, July and October, half-yearly ones
in January and July, yearly ones in January, each on the billing day. A customer is
invoiced once per billing cycle (the billing interval of the profile, aligned the same
way); one invoice lists every service period that starts within the cycle, whatever the
services' start dates. First and last periods are prorated by days.
"""

from collections import namedtuple
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from .periods import PERIOD_MONTHS

#: One service as the planner needs it.
#: ``next_date`` is the first day not billed yet, ``end`` the last day of service or None,
#: ``skip`` whether its periods are passed over without a line (suspended services).
ServiceInput = namedtuple("ServiceInput", "key next_date end period skip")

#: One billed part of one service period.
Segment = namedtuple("Segment", "key start end period_start period_end factor skipped")

#: One invoice to create: the group key, the invoice date and its segments.
PlannedInvoice = namedtuple("PlannedInvoice", "group cycle_start invoice_date segments")


def aligned_period(day, months, billing_day=1):
    """(start, end) of the aligned period of ``months`` months that contains ``day``."""
    index = day.year * 12 + day.month - 1
    if day.day < billing_day:
        index -= 1
    index -= index % months
    start = date(index // 12, index % 12 + 1, billing_day)
    return start, start + relativedelta(months=months) - timedelta(days=1)


def proration(start, end, period_start, period_end):
    """Share of the period from ``period_start`` to ``period_end`` that ``start`` to ``end`` covers."""
    return round(((end - start).days + 1) / ((period_end - period_start).days + 1), 6)


def segments(service, horizon, billing_day=1):
    """Billable parts of the service's periods that start on or before ``horizon``.

    Periods are cut at the service's first unbilled day and at its end date; the last
    segment's end + 1 day is the service's next unbilled day.
    """
    months = PERIOD_MONTHS[service.period]
    result = []
    day = service.next_date
    while day <= horizon and (service.end is None or day <= service.end):
        period_start, period_end = aligned_period(day, months, billing_day)
        end = period_end if service.end is None else min(period_end, service.end)
        result.append(
            Segment(
                key=service.key,
                start=day,
                end=end,
                period_start=period_start,
                period_end=period_end,
                factor=proration(day, end, period_start, period_end),
                skipped=service.skip,
            )
        )
        day = end + timedelta(days=1)
    return result


def is_due(service, due_date):
    """Whether the service has a period to bill that starts on or before ``due_date``."""
    return service.next_date <= due_date and (service.end is None or service.next_date <= service.end)


def plan_customer(services, run_date, advance_days=0, billing_day=1, cycle="monthly", per_service=False):
    """The invoices one customer gets from a run on ``run_date``.

    :param services: the customer's recurring services (``ServiceInput``)
    :param advance_days: bill periods that start up to this many days after the run date
    :param cycle: the customer's billing interval (a key of ``PERIOD_MONTHS``)
    :param per_service: one invoice per service instead of one per customer and cycle
    :return: list of ``PlannedInvoice`` in date order; an invoice whose segments are all
        skipped is planned too (it moves the services on but creates no invoice)
    """
    due_date = run_date + timedelta(days=advance_days)
    cycle_months = PERIOD_MONTHS[cycle]
    pending = {service.key: service for service in services}
    invoices = []
    while True:
        due = [service for service in pending.values() if is_due(service, due_date)]
        if not due:
            return invoices
        cycle_start, horizon = aligned_period(min(service.next_date for service in due), cycle_months, billing_day)
        # per customer: every service with a period in the cycle joins the invoice
        members = due if per_service else [s for s in pending.values() if is_due(s, horizon)]
        by_group = {}
        for service in members:
            parts = segments(service, horizon, billing_day)
            if not parts:
                continue
            group = service.key if per_service else cycle_start
            by_group.setdefault(group, []).extend(parts)
            pending[service.key] = service._replace(next_date=parts[-1].end + timedelta(days=1))
        for group, parts in by_group.items():
            first = min(part.start for part in parts)
            invoices.append(PlannedInvoice(group, cycle_start, max(run_date, first), parts))


def next_dates(invoices):
    """The first unbilled day of each service after the planned invoices: {key: date}."""
    result = {}
    for invoice in invoices:
        for part in invoice.segments:
            day = part.end + timedelta(days=1)
            if day > result.get(part.key, day - timedelta(days=1)):
                result[part.key] = day
    return result


def _rounded(value, rounding):
    """``value`` rounded half up (away from zero) to a multiple of ``rounding`` (0.01 for cents)."""
    step = Decimal(repr(rounding))
    units = (Decimal(repr(value)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(units * step)


def prorated_price(full_price, factor, rounding):
    """The unit price of a part of a period: the full price times the proration factor, rounded
    half up to the currency's ``rounding``; a whole period costs the full price unrounded (a price
    list may give more decimals than the currency)."""
    if factor == 1:
        return full_price
    return _rounded(full_price * factor, rounding)


def line_subtotal(quantity, price_unit, discount, rounding):
    """quantity x unit price less the customer's discount (in percent), rounded half up to the
    currency's ``rounding``: the line's untaxed amount as the invoice shows it."""
    return _rounded(quantity * price_unit * (1 - discount / 100.0), rounding)
