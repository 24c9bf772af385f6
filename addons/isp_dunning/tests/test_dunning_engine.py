from datetime import date
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..engine import dunning
from ..engine.dunning import Level, PlannedStep, StepCharges

#: the German standard profile's spacing: reminder at 7 days, notices 14 days apart, a minimum for the last
LEVELS = [
    Level("reminder", 7, 0, Decimal("0")),
    Level("dunning_1", 21, 14, Decimal("0")),
    Level("final", 35, 14, Decimal("50")),
]


def planned(key, rank, fee, interest, **values):
    return PlannedStep(key, rank, Decimal(fee), interest, values.pop("due_date", date(2025, 5, 31)), **values)


@tagged("post_install", "-at_install")
class TestDunningEngine(BaseCase):
    def test_levels_follow_each_other_with_their_spacing(self):
        """Issue 15: an item reaches the level after its current one only when overdue long enough,
        spaced from its previous step and above the level's minimum; levels are never skipped."""
        today = date(2025, 7, 1)
        self.assertIsNone(dunning.next_level(LEVELS, None, 6, None, Decimal("100"), today))
        self.assertEqual(dunning.next_level(LEVELS, None, 60, None, Decimal("100"), today).key, "reminder")
        self.assertEqual(
            dunning.next_level(LEVELS, "reminder", 21, date(2025, 6, 17), Decimal("100"), today).key, "dunning_1"
        )
        self.assertIsNone(
            dunning.next_level(LEVELS, "reminder", 21, date(2025, 6, 18), Decimal("100"), today),
            "13 days after the reminder",
        )
        self.assertIsNone(
            dunning.next_level(LEVELS, "dunning_1", 40, date(2025, 6, 1), Decimal("49.99"), today),
            "the customer owes less than the final notice's minimum",
        )
        self.assertIsNone(dunning.next_level(LEVELS, "final", 99, date(2025, 6, 1), Decimal("100"), today))

    def test_principal_changes_with_payments(self):
        """Issue 15: payments up to the first day in default lower the starting principal, later
        ones lower it from their date; two on one day count once."""
        changes = dunning.principal_changes(
            Decimal("1000"),
            date(2025, 5, 31),
            [
                (date(2025, 6, 20), Decimal("100")),
                (date(2025, 5, 20), Decimal("200")),
                (date(2025, 6, 20), Decimal("50")),
                (date(2025, 6, 1), Decimal("10")),
            ],
        )
        self.assertEqual(changes, [(date(2025, 6, 1), Decimal("790")), (date(2025, 6, 20), Decimal("640"))])

    def test_one_fee_per_letter_on_its_highest_level(self):
        """Issue 15: a letter charges one fee, the fee of its highest level, on that level's step;
        of equal levels the first carries it."""
        top, charges = dunning.price_steps(
            [
                planned("a", (10, 21), "2.50", False),
                planned("b", (20, 35), "5.00", False),
                planned("c", (10, 21), "2.50", False),
            ],
            True,
            None,
        )
        self.assertEqual(top, "b")
        self.assertEqual(
            charges,
            {
                "a": StepCharges(Decimal("0"), Decimal("0"), None),
                "b": StepCharges(Decimal("5.00"), Decimal("0"), None),
                "c": StepCharges(Decimal("0"), Decimal("0"), None),
            },
        )
        top, charges = dunning.price_steps(
            [planned("first", (10, 21), "2.50", False), planned("second", (10, 21), "2.50", False)], False, None
        )
        self.assertEqual((top, charges["first"].fee, charges["second"].fee), ("first", Decimal("2.50"), Decimal("0")))

    def test_business_flat_fee_once_per_item(self):
        """Issue 15: §288(5) BGB: with the first step that charges interest a business customer owes
        the flat fee once per item; a consumer never, nor a step without interest, nor a profile without it."""
        steps = [
            planned("new", (10, 21), "0", True),
            planned("charged before", (10, 21), "0", True, flat_fee_charged=True),
            planned("no interest", (5, 7), "0", False),
        ]
        _top, charges = dunning.price_steps(steps, True, 40.0)
        self.assertEqual(
            {key: charge.flat_fee for key, charge in charges.items()},
            {"new": Decimal("40"), "charged before": Decimal("0"), "no interest": Decimal("0")},
        )
        _top, charges = dunning.price_steps(steps, False, 40.0)
        self.assertEqual({charge.flat_fee for charge in charges.values()}, {Decimal("0")}, "a consumer")
        _top, charges = dunning.price_steps(steps, True, False)
        self.assertEqual({charge.flat_fee for charge in charges.values()}, {Decimal("0")}, "the profile charges none")
        self.assertEqual(dunning.flat_fee(Decimal("40"), True, False), Decimal("40"))

    def test_interest_starts_after_due_date_or_last_charged_day(self):
        """Issue 15: interest runs from the day after the due date, or after the last day an earlier
        step charged; a step whose level charges no interest has no start."""
        _top, charges = dunning.price_steps(
            [
                planned("first", (10, 21), "0", True, due_date=date(2025, 5, 31)),
                planned("again", (20, 35), "0", True, due_date=date(2025, 5, 31), interest_until=date(2025, 6, 21)),
                planned("none", (5, 7), "0", False, due_date=date(2025, 5, 31)),
            ],
            False,
            None,
        )
        self.assertEqual(charges["first"].interest_start, date(2025, 6, 1))
        self.assertEqual(charges["again"].interest_start, date(2025, 6, 22))
        self.assertIsNone(charges["none"].interest_start)
        # a date before the due date (set back by hand) never starts interest before default
        self.assertEqual(dunning.interest_start(date(2025, 5, 31), date(2025, 5, 1)), date(2025, 6, 1))
