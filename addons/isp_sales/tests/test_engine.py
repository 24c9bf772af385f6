from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import periods
from ..engine.decisions import Decision, decide
from ..engine.identifiers import InvalidIdentifier, normalize


@tagged("post_install", "-at_install")
class TestIdentifiers(BaseCase):
    def test_valid_identifiers_are_normalised(self):
        cases = [
            ("domain", " Example.COM. ", "example.com"),
            ("domain", "münchen.de", "xn--mnchen-3ya.de"),
            ("domain", "xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
            ("hosting", "www.example.org", "www.example.org"),
            ("server", "srv-01.rack4.example.net", "srv-01.rack4.example.net"),
            ("ip_network", "203.0.113.0/24", "203.0.113.0/24"),
            ("ip_network", "2001:DB8:0:0::/48", "2001:db8::/48"),
            ("database", "shop_db", "shop_db"),
            ("access_line", "dsl-4711/0815", "DSL-4711/0815"),
            ("contract", "Support 2027", "Support 2027"),
        ]
        for article_type, value, expected in cases:
            with self.subTest(article_type=article_type, value=value):
                self.assertEqual(normalize(article_type, value), expected)

    def test_invalid_identifiers_are_refused_with_a_reason(self):
        cases = [
            ("domain", "localhost", "top-level"),
            ("domain", "-bad-.com", "hyphens"),
            ("domain", "exa mple.com", "letters"),
            ("domain", "example.123", "numeric"),
            ("hosting", "a" * 64 + ".com", "63"),
            ("ip_network", "203.0.113.5/24", "CIDR"),
            ("ip_network", "300.0.0.0/8", "CIDR"),
            ("database", "1shop", "database"),
            ("database", "Shop-DB", "database"),
            ("access_line", "x", "line id"),
            ("other", "  ", "required"),
        ]
        for article_type, value, reason in cases:
            with (
                self.subTest(article_type=article_type, value=value),
                self.assertRaisesRegex(InvalidIdentifier, reason),
            ):
                normalize(article_type, value)


@tagged("post_install", "-at_install")
class TestPeriods(BaseCase):
    def test_period_end(self):
        self.assertEqual(periods.period_end(date(2026, 1, 1), "monthly"), date(2026, 1, 31))
        self.assertEqual(periods.period_end(date(2026, 1, 1), "quarterly"), date(2026, 3, 31))
        self.assertEqual(periods.period_end(date(2026, 7, 15), "half_yearly"), date(2027, 1, 14))
        self.assertEqual(periods.period_end(date(2024, 2, 29), "yearly"), date(2025, 2, 27))

    def test_current_period(self):
        anchor = date(2026, 1, 31)
        self.assertEqual(
            periods.current_period(anchor, "monthly", date(2026, 2, 27)), (date(2026, 1, 31), date(2026, 2, 27))
        )
        self.assertEqual(
            periods.current_period(anchor, "monthly", date(2026, 2, 28)), (date(2026, 2, 28), date(2026, 3, 30))
        )
        self.assertEqual(
            periods.current_period(anchor, "quarterly", date(2026, 11, 22)), (date(2026, 10, 31), date(2027, 1, 30))
        )
        self.assertEqual(
            periods.current_period(anchor, "yearly", date(2025, 6, 1)), (date(2026, 1, 31), date(2027, 1, 30))
        )
        # every day of two years falls into exactly one period, and periods follow each other
        start = date(2026, 3, 15)
        previous_end = None
        for offset in range(730):
            day = date.fromordinal(start.toordinal() + offset)
            period_start, period_end = periods.current_period(start, "monthly", day)
            self.assertLessEqual(period_start, day)
            self.assertLessEqual(day, period_end)
            if previous_end and day > previous_end:
                self.assertEqual(period_start.toordinal(), previous_end.toordinal() + 1)
            previous_end = period_end

    def test_reseller_period_start(self):
        day = date(2026, 11, 18)  # a Wednesday
        self.assertEqual(periods.reseller_period_start(day, "daily"), day)
        self.assertEqual(periods.reseller_period_start(day, "weekly"), date(2026, 11, 16))
        self.assertEqual(periods.reseller_period_start(day, "monthly"), date(2026, 11, 1))
        self.assertEqual(periods.reseller_period_start(day, "yearly"), date(2026, 1, 1))

    def test_next_term(self):
        self.assertEqual(periods.next_term(date(2026, 12, 31), "yearly"), (date(2027, 1, 1), date(2027, 12, 31)))


@tagged("post_install", "-at_install")
class TestDecisions(BaseCase):
    def test_new_client_pays_first(self):
        self.assertEqual(decide("new", 100.0), Decision("waiting_payment", invoice=True))

    def test_credited_client(self):
        self.assertEqual(
            decide("credited", 100.0, credit=100.0),
            Decision("executed", invoice=True, pay_from_credit=True, execute=True),
        )
        decision = decide("credited", 100.0, credit=60.0)
        self.assertEqual((decision.state, decision.missing, decision.invoice), ("waiting_credit", 40.0, False))

    def test_trusted_client_within_and_above_quota(self):
        decision = decide("trusted", 100.0, receivable=400.0, quota=500.0)
        self.assertEqual((decision.state, decision.invoice, decision.execute), ("executed", True, True))
        decision = decide("trusted", 100.01, receivable=400.0, quota=500.0)
        self.assertEqual((decision.state, decision.exposure, decision.limit), ("waiting_approval", 500.01, 500.0))
        self.assertFalse(decision.execute)

    def test_reseller_accumulates_then_closes(self):
        decision = decide("reseller", 100.0, receivable=100.0, accumulated=200.0, quota=400.0)
        self.assertEqual((decision.state, decision.invoice, decision.execute), ("accumulated", False, True))
        decision = decide("reseller", 150.0, receivable=100.0, accumulated=200.0, quota=400.0)
        self.assertEqual((decision.state, decision.close_accumulation), ("waiting_approval", True))
        decision = decide("reseller", 500.0, quota=400.0)
        self.assertEqual((decision.state, decision.close_accumulation), ("waiting_approval", False))
