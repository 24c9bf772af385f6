from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import debit_plan
from ..engine.debit_plan import Candidate


@tagged("post_install", "-at_install")
class TestDebitPlan(BaseCase):
    def test_target_days(self):
        self.assertEqual(debit_plan.easter_sunday(2026), date(2026, 4, 5))
        self.assertEqual(debit_plan.easter_sunday(2027), date(2027, 3, 28))
        for holiday in (date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 12, 25)):
            self.assertFalse(debit_plan.is_target_day(holiday), holiday)
        self.assertFalse(debit_plan.is_target_day(date(2026, 12, 5)), "a Saturday")
        self.assertTrue(debit_plan.is_target_day(date(2026, 12, 24)))
        self.assertEqual(debit_plan.next_target_day(date(2026, 12, 25)), date(2026, 12, 28))

    def test_lead_time_and_pre_notification(self):
        self.assertEqual(debit_plan.expected_collection_date(date(2026, 12, 1), 5, 14), date(2026, 12, 15))
        self.assertEqual(debit_plan.expected_collection_date(date(2026, 12, 1), 20, 14), date(2026, 12, 21))
        # 11 December + 14 days is Christmas: the next business day after the holidays
        self.assertEqual(debit_plan.expected_collection_date(date(2026, 12, 11), 5, 14), date(2026, 12, 28))

    def test_plan_groups_by_date_scheme_and_sequence(self):
        candidates = [
            Candidate("first", "new", date(2026, 12, 1), "CORE", True, True),
            Candidate("again", "used", date(2026, 11, 20), "CORE", True, False),
            Candidate("once", "one-off", date(2026, 11, 30), "CORE", False, True),
            Candidate("business", "b2b", date(2026, 11, 25), "B2B", True, False),
            Candidate("too early", "late", date(2026, 12, 5), "CORE", True, False),
        ]
        groups, waiting = debit_plan.plan(candidates, date(2026, 12, 14), 5, 14)
        self.assertEqual(
            [
                (group.collection_date, group.scheme, group.sequence_type, [c.key for c in group.candidates])
                for group in groups
            ],
            [
                (date(2026, 12, 15), "B2B", "RCUR", ["business"]),
                (date(2026, 12, 15), "CORE", "FRST", ["first"]),
                (date(2026, 12, 15), "CORE", "OOFF", ["once"]),
                (date(2026, 12, 15), "CORE", "RCUR", ["again"]),
            ],
        )
        self.assertEqual([(c.key, day) for c, day in waiting], [("too early", date(2026, 12, 21))])
        # a run on Christmas Eve collects on the next business day after the holidays
        groups, _waiting = debit_plan.plan(candidates[:1], date(2026, 12, 24), 5, 14)
        self.assertEqual(groups[0].collection_date, date(2026, 12, 28))

    def test_mandate_expiry(self):
        self.assertFalse(debit_plan.mandate_expired(date(2023, 12, 15), date(2020, 1, 1), date(2026, 12, 14)))
        self.assertTrue(debit_plan.mandate_expired(date(2023, 12, 14), date(2020, 1, 1), date(2026, 12, 14)))
        self.assertTrue(debit_plan.mandate_expired(None, date(2023, 11, 30), date(2026, 12, 14)), "never used")

    def test_one_first_collection_per_mandate(self):
        """Issue 15: of the debits under a recurrent mandate not used yet, the earliest invoice's is FRST
        (the first given of equal dates), the others RCUR; each debit under a one-off mandate is OOFF."""
        candidates = [
            Candidate("new 2", "new", date(2026, 12, 1), "CORE", True, True),
            Candidate("new 1", "new", date(2026, 11, 20), "CORE", True, True),
            Candidate("new later", "new", date(2026, 12, 5), "CORE", True, True),
            Candidate("twin 1", "twin", date(2026, 11, 20), "CORE", True, True),
            Candidate("twin 2", "twin", date(2026, 11, 20), "CORE", True, True),
            Candidate("one-off 1", "one-off", date(2026, 11, 20), "CORE", False, True),
            Candidate("one-off 2", "one-off", date(2026, 11, 21), "CORE", False, True),
            Candidate("used", "used", date(2026, 11, 20), "CORE", True, False),
        ]
        self.assertEqual(debit_plan.first_uses(candidates), {1, 3}, "new 1 and twin 1")
        groups, waiting = debit_plan.plan(candidates, date(2026, 12, 14), 5, 14)
        self.assertEqual(
            {group.sequence_type: [c.key for c in group.candidates] for group in groups},
            {
                "FRST": ["new 1", "twin 1"],
                "OOFF": ["one-off 1", "one-off 2"],
                "RCUR": ["new 2", "twin 2", "used"],
            },
        )
        self.assertEqual([c.key for c, _day in waiting], ["new later"])
