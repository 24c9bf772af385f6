"""Billing period arithmetic on plain dates."""

from dateutil.relativedelta import relativedelta

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}


def period_end(start, period):
    """Last day of the period of kind ``period`` that begins on ``start``."""
    return start + relativedelta(months=PERIOD_MONTHS[period]) - relativedelta(days=1)


def current_period(anchor, period, day):
    """(start, end) of the period, counted from ``anchor`` in steps of ``period``, that contains ``day``.

    Days before ``anchor`` belong to the first period.
    """
    months = PERIOD_MONTHS[period]
    if day < anchor:
        return anchor, period_end(anchor, period)
    elapsed = (day.year - anchor.year) * 12 + day.month - anchor.month
    steps = elapsed // months
    start = anchor + relativedelta(months=steps * months)
    if start > day:
        steps -= 1
    elif anchor + relativedelta(months=(steps + 1) * months) <= day:
        steps += 1
    start = anchor + relativedelta(months=steps * months)
    return start, anchor + relativedelta(months=(steps + 1) * months) - relativedelta(days=1)


def next_term(end, period):
    """(start, end) of the term that follows a term ending on ``end`` (renewals)."""
    start = end + relativedelta(days=1)
    return start, period_end(start, period)


def reseller_period_start(day, period):
    """First day of the reseller billing period (daily / weekly / monthly / yearly) that contains ``day``.

    Weeks start on Monday. Orders from before this day belong to an ended period.
    """
    if period == "weekly":
        return day - relativedelta(days=day.weekday())
    if period == "monthly":
        return day.replace(day=1)
    if period == "yearly":
        return day.replace(month=1, day=1)
    return day
