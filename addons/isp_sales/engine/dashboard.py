"""Figures of the manager's dashboard on plain data (no ORM): months, age buckets, monthly
recurring revenue and the estimate of the next invoice run."""

from collections import namedtuple
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from . import billing
from .periods import PERIOD_MONTHS

#: Age buckets of open receivables: key, first and last day overdue (None: open-ended).
#: Days overdue are today minus the due date; 0 or less is "not due yet".
AGE_BUCKETS = (
    ("not_due", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)

#: What the next-run estimate needs of one group of equal services of one customer:
#: the first unbilled day, the end date or None, the billing period, whether the run passes its
#: periods over (suspended), and the sum of price x quantity per billing period of the group.
DueServices = namedtuple("DueServices", "next_date end period skip amount")
#: The customer's billing settings: day of the month, billing interval, one invoice per service, discount (%).
BillingSettings = namedtuple("BillingSettings", "billing_day cycle per_service discount")


def month_starts(today, count):
    """First days of the ``count`` months that end with the month of ``today``, oldest first."""
    first = today.replace(day=1)
    return [first - relativedelta(months=back) for back in range(count - 1, -1, -1)]


def next_month(start):
    return start + relativedelta(months=1)


def monthly_amount(amount, period):
    """``amount`` per billing period ``period`` as an amount per month."""
    return amount / PERIOD_MONTHS[period]


def age_bucket(due_date, today):
    """Key of the age bucket of an item due on ``due_date``."""
    overdue = (today - due_date).days
    for key, first, last in AGE_BUCKETS:
        if (first is None or overdue >= first) and (last is None or overdue <= last):
            return key
    raise ValueError(overdue)


def age_bucket_dates(key, today):
    """(earliest due date, latest due date) of the bucket ``key``; None where it is open-ended."""
    for bucket, first, last in AGE_BUCKETS:
        if bucket == key:
            earliest = today - timedelta(days=last) if last is not None else None
            latest = today - timedelta(days=first) if first is not None else None
            return earliest, latest
    raise KeyError(key)


def next_run_date(next_dates, today, advance_days=0):
    """Date of the next invoice run that bills something: today, or the day on which the earliest
    unbilled period (``next_dates``) comes within the days in advance; None without any."""
    if not next_dates:
        return None
    return max(today, min(next_dates) - timedelta(days=advance_days))


def estimate_run(services_by_customer, settings, run_date, advance_days=0):
    """Untaxed amount a run on ``run_date`` invoices: the run's own planning (periods, proration,
    billing interval and day, suspended services passed over, discount) on the services' prices.

    Customers whose services have the same dates and periods and who have the same billing settings
    share one planning: most customers of a provider do.

    :param services_by_customer: {customer: [DueServices]}
    :param settings: {customer: BillingSettings}
    :return: (amount, {customer: amount}) for the customers with something to invoice
    """
    plans = {}
    per_customer = {}
    for customer, services in services_by_customer.items():
        setting = settings[customer]
        shape = (
            tuple((service.next_date, service.end, service.period, service.skip) for service in services),
            setting.billing_day or 1,
            setting.cycle or "monthly",
            setting.per_service,
        )
        if shape not in plans:
            plans[shape] = _billed_shares(services, run_date, advance_days, setting)
        amount = sum(service.amount * share for service, share in zip(services, plans[shape], strict=True))
        amount *= 1 - (setting.discount or 0.0) / 100.0
        if amount:
            per_customer[customer] = amount
    return sum(per_customer.values()), per_customer


def _billed_shares(services, run_date, advance_days, setting):
    """How many full periods of each service (in order) a run on ``run_date`` bills."""
    invoices = billing.plan_customer(
        [billing.ServiceInput(index, s.next_date, s.end, s.period, s.skip) for index, s in enumerate(services)],
        run_date,
        advance_days=advance_days,
        billing_day=setting.billing_day or 1,
        cycle=setting.cycle or "monthly",
        per_service=setting.per_service,
    )
    shares = [0.0] * len(services)
    for invoice in invoices:
        for part in invoice.segments:
            if not part.skipped:
                shares[part.key] += part.factor
    return shares
