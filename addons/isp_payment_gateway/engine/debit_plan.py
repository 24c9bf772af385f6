"""When invoices are collected by SEPA direct debit, on plain data (no ORM).

Collections happen on TARGET2 business days (no weekends, 1 January, Good Friday, Easter
Monday, 1 May, 25 and 26 December). An invoice is collected no earlier than its date plus
the company's lead time and plus the pre-notification period (the invoice is the
pre-notification: it states amount, date, mandate and creditor identifier). A run on day D
submits CORE and B2B files for the next business day at the earliest (D-1).
"""

from collections import namedtuple
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

#: one invoice to collect under ``mandate`` (any hashable key of the mandate): ``recurrent`` for a
#: recurrent mandate (else one-off), ``unused`` when no debit has been collected under it yet
Candidate = namedtuple("Candidate", "key mandate invoice_date scheme recurrent unused")
#: ``key`` of the collection: (collection date, scheme, sequence type)
Group = namedtuple("Group", "collection_date scheme sequence_type candidates")

MANDATE_VALIDITY_MONTHS = 36


def easter_sunday(year):
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def is_target_day(day):
    """A TARGET2 business day: settlement of SEPA direct debits."""
    if day.weekday() >= 5:
        return False
    easter = easter_sunday(day.year)
    holidays = {
        date(day.year, 1, 1),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        date(day.year, 5, 1),
        date(day.year, 12, 25),
        date(day.year, 12, 26),
    }
    return day not in holidays


def next_target_day(day):
    """``day`` itself when it is a business day, else the next one."""
    while not is_target_day(day):
        day += timedelta(days=1)
    return day


def expected_collection_date(invoice_date, lead_days, prenotification_days):
    """The debit date the invoice announces: after the lead time and the pre-notification period."""
    return next_target_day(invoice_date + timedelta(days=max(lead_days, prenotification_days)))


def sequence_type(recurrent, first_use):
    """OOFF for one-off mandates, FRST for the first collection of a recurrent one, RCUR after."""
    if not recurrent:
        return "OOFF"
    return "FRST" if first_use else "RCUR"


def first_uses(candidates):
    """One FRST per mandate: of the debits under a recurrent mandate not used yet, the one of the
    earliest invoice (the first given of equal dates) is its first collection; its others are RCUR.

    :param candidates: the ``Candidate`` tuples collected together
    :return: set of the positions in ``candidates`` that are a first collection
    """
    first = {}
    for position, candidate in sorted(enumerate(candidates), key=lambda item: (item[1].invoice_date, item[0])):
        if candidate.recurrent and candidate.unused:
            first.setdefault(candidate.mandate, position)
    return set(first.values())


def plan(candidates, today, lead_days, prenotification_days):
    """Group the invoices that can be collected on the next business day after ``today``.

    Each recurrent mandate not used yet is collected once as FRST (``first_uses``) among the
    invoices due now; its other debits are RCUR, one-off mandates OOFF.

    :return: (groups, waiting): groups of candidates per (collection date, scheme, sequence
        type); waiting lists the candidates whose lead time or pre-notification has not
        passed yet, with their expected date
    """
    earliest = next_target_day(today + timedelta(days=1))
    grouped = {}
    waiting = []
    due = []
    for candidate in candidates:
        expected = expected_collection_date(candidate.invoice_date, lead_days, prenotification_days)
        if expected > earliest:
            waiting.append((candidate, expected))
        else:
            due.append(candidate)
    first = first_uses(due)
    for position, candidate in enumerate(due):
        key = (earliest, candidate.scheme, sequence_type(candidate.recurrent, position in first))
        grouped.setdefault(key, []).append(candidate)
    groups = [Group(*key, candidates) for key, candidates in sorted(grouped.items())]
    return groups, waiting


def mandate_expired(last_used, signed, today):
    """A mandate not used for 36 months expires (counted from its last use, or its signature)."""
    return (last_used or signed) + relativedelta(months=MANDATE_VALIDITY_MONTHS) <= today


def add_target_days(day, count):
    """The TARGET2 business day ``count`` business days after ``day``."""
    for _index in range(count):
        day = next_target_day(day + timedelta(days=1))
    return day


def dunning_hold_until(invoice_date, lead_days, prenotification_days, return_days):
    """The last day an invoice that announces its direct debit is not dunned: the announced
    collection date plus ``return_days`` TARGET2 business days in which the debtor's bank may
    still return the debit (CORE: 5, B2B: 2)."""
    return add_target_days(expected_collection_date(invoice_date, lead_days, prenotification_days), return_days)


def first_held_invoice_date(day, lead_days, prenotification_days, return_days):
    """The earliest invoice date whose hold still covers ``day``.

    The hold ends later the later the invoice is dated, so the invoices held on ``day`` are
    exactly those dated on or after this date.
    """
    first = day
    while dunning_hold_until(first - timedelta(days=1), lead_days, prenotification_days, return_days) >= day:
        first -= timedelta(days=1)
    return first
