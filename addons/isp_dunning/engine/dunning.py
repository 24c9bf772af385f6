"""Which dunning level an overdue item reaches next, on plain data (no ORM).

A profile's levels are walked in order and never skipped: an item reaches the level after
its current one when it is overdue by at least the level's days, enough days have passed
since its previous step (the notice period: a suspension announced today cannot happen
before the announced date), and the customer's overdue total reaches the level's minimum.
A run started late therefore does not send three letters at once; the levels follow each
other with the configured spacing.
"""

from collections import namedtuple
from datetime import timedelta

#: One level of a profile: ``days_overdue`` counted from the due date, ``min_days_since_previous``
#: since the item's previous step, ``min_amount`` of the customer's overdue total.
Level = namedtuple("Level", "key days_overdue min_days_since_previous min_amount")


def next_level(levels, current_key, days_overdue, last_step_date, customer_overdue, today):
    """The level the item reaches on ``today``, or None.

    :param levels: the profile's ``Level`` tuples in their order
    :param current_key: key of the item's current level (None before the first step)
    :param days_overdue: days since the due date
    :param last_step_date: date of the item's previous step (None before the first step)
    :param customer_overdue: the customer's overdue open total (company currency)
    :param today: the run date
    """
    keys = [level.key for level in levels]
    position = keys.index(current_key) + 1 if current_key in keys else 0
    if position >= len(levels):
        return None
    level = levels[position]
    if days_overdue < level.days_overdue:
        return None
    # never two steps of one item on the same day
    if last_step_date and (today - last_step_date).days < max(1, level.min_days_since_previous):
        return None
    if customer_overdue < level.min_amount:
        return None
    return level


def principal_changes(amount, due_date, payments):
    """The open principal of an item over time, for ``interest.interest_periods``.

    :param amount: the item's total (what was due on ``due_date``)
    :param due_date: the due date; default starts the day after
    :param payments: list of (date, amount) that reduced the item (payments, credit notes);
        a payment lowers the principal from its date on
    :return: list of (from day, open principal)
    """
    start = due_date + timedelta(days=1)
    open_amount = amount - sum(paid for day, paid in payments if day <= start)
    changes = [(start, open_amount)]
    for day, paid in sorted(payments):
        if day <= start:
            continue
        open_amount -= paid
        if changes[-1][0] == day:
            changes[-1] = (day, open_amount)
        else:
            changes.append((day, open_amount))
    return changes
