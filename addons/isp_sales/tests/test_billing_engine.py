from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import billing
from ..engine.billing import ServiceInput


def _service(key, next_date, period="monthly", end=None, skip=False):
    return ServiceInput(key=key, next_date=next_date, end=end, period=period, skip=skip)


def _summary(invoices):
    return [
        (
            invoice.group,
            invoice.invoice_date,
            [(part.key, part.start, part.end, part.factor, part.skipped) for part in invoice.segments],
        )
        for invoice in invoices
    ]


@tagged("post_install", "-at_install")
class TestBillingEngine(BaseCase):
    def test_aligned_periods(self):
        cases = [
            (date(2026, 3, 15), 1, 1, (date(2026, 3, 1), date(2026, 3, 31))),
            (date(2026, 3, 15), 3, 1, (date(2026, 1, 1), date(2026, 3, 31))),
            (date(2026, 8, 2), 6, 1, (date(2026, 7, 1), date(2026, 12, 31))),
            (date(2026, 8, 2), 12, 1, (date(2026, 1, 1), date(2026, 12, 31))),
            # billing day 15: the March period runs from 15 March to 14 April
            (date(2026, 3, 10), 1, 15, (date(2026, 2, 15), date(2026, 3, 14))),
            (date(2026, 3, 15), 1, 15, (date(2026, 3, 15), date(2026, 4, 14))),
            (date(2027, 1, 3), 3, 15, (date(2026, 10, 15), date(2027, 1, 14))),
        ]
        for day, months, billing_day, expected in cases:
            with self.subTest(day=day, months=months, billing_day=billing_day):
                self.assertEqual(billing.aligned_period(day, months, billing_day), expected)

    def test_first_and_last_periods_are_prorated_by_days(self):
        service = _service(1, date(2026, 3, 15), end=date(2026, 5, 10))
        parts = billing.segments(service, date(2026, 12, 31))
        self.assertEqual(
            [(part.start, part.end, part.factor) for part in parts],
            [
                (date(2026, 3, 15), date(2026, 3, 31), round(17 / 31, 6)),
                (date(2026, 4, 1), date(2026, 4, 30), 1.0),
                (date(2026, 5, 1), date(2026, 5, 10), round(10 / 31, 6)),
            ],
        )

    def test_one_invoice_per_customer_and_cycle_whatever_the_start_dates(self):
        services = [
            _service(1, date(2026, 1, 1)),
            _service(2, date(2026, 1, 20)),
            _service(3, date(2026, 1, 1), period="yearly"),
            _service(4, date(2026, 2, 1)),  # next month: not on this invoice
        ]
        invoices = billing.plan_customer(services, date(2026, 1, 1))
        self.assertEqual(
            _summary(invoices),
            [
                (
                    date(2026, 1, 1),
                    date(2026, 1, 1),
                    [
                        (1, date(2026, 1, 1), date(2026, 1, 31), 1.0, False),
                        (2, date(2026, 1, 20), date(2026, 1, 31), round(12 / 31, 6), False),
                        (3, date(2026, 1, 1), date(2026, 12, 31), 1.0, False),
                    ],
                )
            ],
        )
        self.assertEqual(billing.next_dates(invoices), {1: date(2026, 2, 1), 2: date(2026, 2, 1), 3: date(2027, 1, 1)})

    def test_one_invoice_per_service(self):
        services = [_service(1, date(2026, 1, 1)), _service(2, date(2026, 1, 1))]
        invoices = billing.plan_customer(services, date(2026, 1, 1), per_service=True)
        self.assertEqual([invoice.group for invoice in invoices], [1, 2])

    def test_quarterly_customer_gets_three_months_of_a_monthly_service(self):
        invoices = billing.plan_customer([_service(1, date(2026, 4, 1))], date(2026, 4, 1), cycle="quarterly")
        self.assertEqual(len(invoices), 1)
        self.assertEqual(
            [(part.start, part.end) for part in invoices[0].segments],
            [
                (date(2026, 4, 1), date(2026, 4, 30)),
                (date(2026, 5, 1), date(2026, 5, 31)),
                (date(2026, 6, 1), date(2026, 6, 30)),
            ],
        )

    def test_missed_runs_catch_up_one_invoice_per_cycle(self):
        invoices = billing.plan_customer([_service(1, date(2026, 1, 1))], date(2026, 3, 5))
        self.assertEqual(
            [invoice.cycle_start for invoice in invoices], [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
        )
        self.assertEqual({invoice.invoice_date for invoice in invoices}, {date(2026, 3, 5)})

    def test_billing_in_advance_dates_the_invoice_on_the_period_start(self):
        service = _service(1, date(2027, 1, 1), period="quarterly")
        self.assertEqual(billing.plan_customer([service], date(2026, 12, 27), advance_days=4), [])
        invoices = billing.plan_customer([service], date(2026, 12, 27), advance_days=5, cycle="quarterly")
        self.assertEqual(invoices[0].invoice_date, date(2027, 1, 1))
        self.assertEqual(invoices[0].segments[0].end, date(2027, 3, 31))

    def test_ended_and_suspended_services(self):
        ended = _service(1, date(2026, 6, 1), end=date(2026, 5, 31))
        self.assertEqual(billing.plan_customer([ended], date(2026, 6, 1)), [])
        suspended = _service(2, date(2026, 6, 1), skip=True)
        invoices = billing.plan_customer([suspended], date(2026, 6, 1))
        self.assertTrue(invoices[0].segments[0].skipped)
        self.assertEqual(billing.next_dates(invoices), {2: date(2026, 7, 1)})

    def test_nothing_due_plans_nothing(self):
        self.assertEqual(billing.plan_customer([_service(1, date(2026, 2, 1))], date(2026, 1, 31)), [])

    def test_prorated_price_rounds_half_up_to_the_currency(self):
        """Issue 15: proration is rounded in the engine: half up, to the currency's rounding."""
        self.assertEqual(billing.prorated_price(10.0, 0.25, 0.01), 2.5)
        self.assertEqual(billing.prorated_price(10.0, 0.516129, 0.01), 5.16)
        self.assertEqual(billing.prorated_price(0.45, 0.5, 0.01), 0.23, "0.225 rounds up")
        self.assertEqual(billing.prorated_price(12.3456, 1, 0.01), 12.3456, "a whole period keeps its price")
        self.assertEqual(billing.prorated_price(10.0, 0.33, 0.05), 3.3)
        self.assertEqual(billing.prorated_price(10.0, 0.334, 0.05), 3.35)

    def test_line_subtotal_applies_discount_and_rounds(self):
        """Issue 15: a line's untaxed amount (quantity, price, discount) is rounded in the engine."""
        self.assertEqual(billing.line_subtotal(3, 9.99, 0.0, 0.01), 29.97)
        self.assertEqual(billing.line_subtotal(1, 10.05, 10.0, 0.01), 9.05, "9.045 rounds up")
        self.assertEqual(billing.line_subtotal(2, 0.0, 5.0, 0.01), 0.0)
