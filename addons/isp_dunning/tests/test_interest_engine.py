from datetime import date
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..engine import interest
from ..engine.interest import MissingRate

#: §247 BGB base rates (valid from, percent per year), as the addon's data ships them
GERMAN_BASE_RATES = (
    (date(2024, 1, 1), Decimal("3.62")),
    (date(2024, 7, 1), Decimal("3.37")),
    (date(2025, 1, 1), Decimal("2.27")),
    (date(2025, 7, 1), Decimal("1.27")),
    (date(2026, 1, 1), Decimal("1.27")),
)


@tagged("post_install", "-at_install")
class TestInterestEngine(BaseCase):
    def test_rate_valid_on_a_day(self):
        self.assertEqual(interest.rate_on(date(2025, 6, 30), GERMAN_BASE_RATES), Decimal("2.27"))
        self.assertEqual(interest.rate_on(date(2025, 7, 1), GERMAN_BASE_RATES), Decimal("1.27"))
        self.assertEqual(interest.rate_on(date(2025, 7, 1), GERMAN_BASE_RATES, Decimal("9")), Decimal("10.27"))
        with self.assertRaises(MissingRate):
            interest.rate_on(date(2023, 12, 31), GERMAN_BASE_RATES)

    def test_consumer_and_business_across_the_july_change(self):
        # 1,000.00 in default from 1 June to 31 July 2025: 30 days at the old base rate
        # 2.27 %, 31 days at 1.27 % (hand-computed, 365 days a year, each period to the cent)
        cases = [
            # consumer: 7.27 % then 6.27 %
            (False, [Decimal("5.98"), Decimal("5.33")]),  # 1000*7.27%*30/365 = 5.975..; *6.27%*31/365 = 5.325..
            # business: 11.27 % then 10.27 %
            (True, [Decimal("9.26"), Decimal("8.72")]),  # 1000*11.27%*30/365 = 9.263..; *10.27%*31/365 = 8.722..
        ]
        for is_business, expected in cases:
            with self.subTest(is_business=is_business):
                periods = interest.interest_periods(
                    [(date(2025, 6, 1), 1000)],
                    date(2025, 6, 1),
                    date(2025, 7, 31),
                    GERMAN_BASE_RATES,
                    interest.statutory_points(is_business),
                )
                self.assertEqual([period.days for period in periods], [30, 31])
                self.assertEqual([period.amount for period in periods], expected)
                self.assertEqual(interest.total(periods), sum(expected))

    def test_partial_payment_lowers_the_principal_from_its_date(self):
        periods = interest.interest_periods(
            [(date(2026, 2, 1), 500), (date(2026, 2, 11), 200)],
            date(2026, 2, 1),
            date(2026, 2, 28),
            GERMAN_BASE_RATES,
            Decimal("5"),
        )
        self.assertEqual(
            [(period.start, period.end, period.principal, period.amount) for period in periods],
            [
                # 500 * 6.27 % * 10 / 365 = 0.8589..
                (date(2026, 2, 1), date(2026, 2, 10), Decimal("500"), Decimal("0.86")),
                # 200 * 6.27 % * 18 / 365 = 0.6184..
                (date(2026, 2, 11), date(2026, 2, 28), Decimal("200"), Decimal("0.62")),
            ],
        )

    def test_paid_in_full_stops_interest_and_fixed_rates(self):
        periods = interest.interest_periods(
            [(date(2026, 3, 1), 100), (date(2026, 3, 5), 0)],
            date(2026, 3, 1),
            date(2026, 3, 31),
            [(date(2000, 1, 1), Decimal("12"))],
        )
        # 100 * 12 % * 4 / 365 = 0.1315..
        self.assertEqual([(period.days, period.amount) for period in periods], [(4, Decimal("0.13"))])
        before_default = interest.interest_periods([(date(2026, 3, 1), 100)], date(2026, 3, 2), date(2026, 3, 1), [])
        self.assertEqual(before_default, [])

    def test_rates_of_a_profile(self):
        """Issue 15: statutory interest is the base rate plus 9 points for businesses and 5 for
        consumers; a fixed rate holds on every day, without points."""
        for is_business, points in ((True, Decimal("9")), (False, Decimal("5"))):
            with self.subTest(is_business=is_business):
                rates, found = interest.rates_for("statutory_de", is_business, GERMAN_BASE_RATES, 0.0)
                self.assertEqual((rates, found), (GERMAN_BASE_RATES, points))
        rates, points = interest.rates_for("fixed", True, GERMAN_BASE_RATES, 8.5)
        self.assertEqual(points, Decimal("0"))
        self.assertEqual(interest.rate_on(date(1990, 1, 1), rates), Decimal("8.5"))
        # 1,000.00 at 8.5 % for 30 days: 6.986.. (no base rate needed, even before 2024)
        periods = interest.interest_periods([(date(2023, 6, 1), 1000)], date(2023, 6, 1), date(2023, 6, 30), rates)
        self.assertEqual(interest.total(periods), Decimal("6.99"))
