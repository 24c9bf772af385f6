"""Which dunning level an overdue item reaches next, on plain data (no ORM).

A profile's levels are walked in order and never skipped: an item reaches the level after
its current one when it is overdue by at least the level's days, enough days have passed
since its previous step (the notice period: a suspension announced today cannot happen
before the announced date), and the customer's overdue total reaches the level's minimum.
A run started late therefore does not send three letters at once; the levels follow each
other with the configured spacing.

What the steps of one letter charge (``price_steps``): the letter's fee once, the §288(5) BGB
flat fee once per item of a business customer, and interest from the day after the due date or
after the last day an earlier step charged.
"""

from collections import namedtuple
from datetime import timedelta
from decimal import Decimal

#: One level of a profile: ``days_overdue`` counted from the due date, ``min_days_since_previous``
#: since the item's previous step, ``min_amount`` of the customer's overdue total.
Level = namedtuple("Level", "key days_overdue min_days_since_previous min_amount")
#: One item reaching a level on a letter, as ``price_steps`` takes it: ``rank`` orders the levels of
#: a profile (the model's sequence and days overdue), ``fee`` is the level's fee, ``interest`` tells
#: whether the level charges interest (and the profile has an interest basis), ``interest_until``
#: is the last day an earlier step charged interest for (None before), ``flat_fee_charged`` whether
#: an earlier step charged the item the §288(5) flat fee.
PlannedStep = namedtuple(
    "PlannedStep", "key rank fee interest due_date interest_until flat_fee_charged", defaults=(None, False)
)
#: What one step charges: ``fee`` and ``flat_fee`` as Decimal, ``interest_start`` the first day of
#: interest (None when the step charges none).
StepCharges = namedtuple("StepCharges", "fee flat_fee interest_start")

ZERO = Decimal("0")


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


def top_step(steps):
    """The step whose level the letter announces: the highest ``rank``, the first of equal ones."""
    return max(steps, key=lambda step: step.rank)


def flat_fee(amount, is_business, already_charged):
    """§288(5) BGB: a business debtor in default owes a flat fee (EUR 40) once per claim;
    consumers owe none.

    :param amount: the profile's flat fee; 0 or None when the profile charges none
    :param is_business: the customer is a company or a sole proprietor
    :param already_charged: an earlier step charged the item the flat fee
    :return: Decimal
    """
    if not amount or not is_business or already_charged:
        return ZERO
    return Decimal(str(amount))


def interest_start(due_date, interest_until=None):
    """The first day of interest of an item: the day after its due date, or after the last day
    an earlier step charged interest for (interest is never charged twice for a day)."""
    return max(due_date, interest_until or due_date) + timedelta(days=1)


def price_steps(steps, is_business, flat_fee_amount):
    """Fees, §288(5) flat fees and interest starts of one customer's steps on one letter.

    The letter charges one fee, its highest level's, on that level's step; the other steps
    charge none. A step whose level charges interest starts it after the due date or after
    the interest already charged; with the first such step of an item a business customer
    owes the flat fee.

    :param steps: the letter's ``PlannedStep`` tuples (at least one)
    :param is_business: the customer is a company or a sole proprietor
    :param flat_fee_amount: the profile's flat fee; 0 or None when it charges none
    :return: (top, charges): the key of the top step, and ``StepCharges`` per step key
    """
    top = top_step(steps)
    charges = {}
    for step in steps:
        fee = Decimal(str(step.fee or 0)) if step is top else ZERO
        if step.interest:
            charges[step.key] = StepCharges(
                fee,
                flat_fee(flat_fee_amount, is_business, step.flat_fee_charged),
                interest_start(step.due_date, step.interest_until),
            )
        else:
            charges[step.key] = StepCharges(fee, ZERO, None)
    return top.key, charges
