from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import BaseCase, HttpCase, new_test_user, tagged

from ..engine import dashboard
from .test_billing_run import IspBillingCase

TODAY = date(2027, 3, 15)


@tagged("post_install", "-at_install")
class TestDashboardEngine(BaseCase):
    def test_months_ages_and_monthly_amounts(self):
        """Issue 14: the dashboard's twelve months end with the current one; age buckets by days past due."""
        months = dashboard.month_starts(TODAY, 12)
        self.assertEqual((months[0], months[-1], len(months)), (date(2026, 4, 1), date(2027, 3, 1), 12))
        self.assertEqual(dashboard.monthly_amount(480.0, "yearly"), 40.0)
        self.assertEqual(dashboard.monthly_amount(90.0, "quarterly"), 30.0)
        expected = {
            date(2027, 3, 15): "not_due",
            date(2027, 3, 20): "not_due",
            date(2027, 3, 14): "1_30",
            date(2027, 2, 13): "1_30",
            date(2027, 2, 12): "31_60",
            date(2027, 1, 14): "31_60",
            date(2027, 1, 13): "61_90",
            date(2026, 12, 15): "61_90",
            date(2026, 12, 14): "over_90",
        }
        for due, bucket in expected.items():
            with self.subTest(due=due):
                self.assertEqual(dashboard.age_bucket(due, TODAY), bucket)
                earliest, latest = dashboard.age_bucket_dates(bucket, TODAY)
                self.assertTrue((earliest is None or earliest <= due) and (latest is None or due <= latest))

    def test_next_run_estimate_uses_the_run_planning(self):
        """Issue 14: the next run's estimate prorates, bills due periods, passes over suspended services, discounts."""
        self.assertEqual(dashboard.next_run_date([date(2027, 4, 1), date(2027, 5, 1)], TODAY, 5), date(2027, 3, 27))
        self.assertEqual(dashboard.next_run_date([date(2027, 3, 1)], TODAY, 0), TODAY)
        self.assertIsNone(dashboard.next_run_date([], TODAY))
        services = {
            "a": [
                # half of April from the 16th (15 of 30 days), and the whole of May is not due yet
                dashboard.DueServices(date(2027, 4, 16), None, "monthly", False, 60.0),
                dashboard.DueServices(date(2027, 4, 1), None, "monthly", True, 100.0),
            ],
            "b": [dashboard.DueServices(date(2027, 4, 1), None, "quarterly", False, 90.0)],
            # the same dates and settings as "b": planned once, its own amount
            "c": [dashboard.DueServices(date(2027, 4, 1), None, "quarterly", False, 30.0)],
        }
        settings = {
            "a": dashboard.BillingSettings(1, "monthly", False, 0.0),
            "b": dashboard.BillingSettings(1, "monthly", False, 10.0),
            "c": dashboard.BillingSettings(1, "monthly", False, 0.0),
        }
        total, per_customer = dashboard.estimate_run(services, settings, date(2027, 4, 16))
        self.assertEqual(per_customer, {"a": 30.0, "b": 81.0, "c": 30.0})
        self.assertEqual(total, 141.0)
        # a quarterly billing interval bills the quarter's three monthly periods at once
        quarterly = {"a": dashboard.BillingSettings(1, "quarterly", False, 0.0)}
        _total, per_customer = dashboard.estimate_run({"a": services["a"][:1]}, quarterly, date(2027, 4, 16))
        self.assertEqual(per_customer, {"a": 150.0})


class IspDashboardCase(IspBillingCase):
    """Services of every billing period and state, invoices and a credit note over a year."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(cls.env, login="isp_dash_portal", groups="base.group_portal")
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.other_currency = cls.env.ref("base.USD" if cls.currency.name != "USD" else "base.EUR")
        cls.other_currency.active = True
        # 1 of the company's currency = 1.25 of the other one
        cls.env["res.currency.rate"].create(
            [
                {"name": date(2027, 3, 1), "rate": 1.0, "currency_id": cls.currency.id, "company_id": cls.company.id},
                {
                    "name": date(2027, 3, 1),
                    "rate": 1.25,
                    "currency_id": cls.other_currency.id,
                    "company_id": cls.company.id,
                },
            ]
        )
        cls.company.isp_billing_days_in_advance = 0
        cls.customer_a = cls._customer(cls, "Alpha GmbH")
        cls.customer_b = cls._customer(cls, "Beta GmbH", isp_discount=10.0)

        def service(customer, product, name, start, price, **values):
            values.setdefault("price_source", "manual")
            return cls._service(cls, customer, product, name, start, price, **values)

        a = cls.customer_a
        cls.hosting_2 = service(a, cls.hosting, "a.example.com", date(2027, 1, 1), 9.9, quantity=2.0)
        cls.yearly_domain = service(a, cls.domain, "alpha.de", date(2026, 6, 1), 12.0)
        cls.yearly_contract = service(a, cls.contract, "Support A", date(2027, 3, 10), 480.0)
        cls.ended_server = service(
            a, cls.server, "srv.example.com", date(2026, 10, 1), 89.0, state="terminated", date_end=date(2027, 3, 5)
        )
        cls.suspended_db = service(a, cls.database, "db_alpha", date(2027, 2, 1), 2.5, state="suspended")
        cls.pending_line = service(a, cls.line, "DSL-1", date(2027, 3, 20), 39.9, state="pending")
        cls.quarterly_net = service(
            a, cls.network, "198.51.100.0/24", date(2027, 2, 20), 90.0, billing_period="quarterly"
        )
        cls.discounted = service(cls.customer_b, cls.database, "db_beta", date(2027, 1, 1), 50.0)
        # billed up to the end of March (the yearly ones to the end of the year, the ended one to its end)
        for record, next_date in (
            (cls.hosting_2, date(2027, 4, 1)),
            (cls.yearly_domain, date(2028, 1, 1)),
            (cls.yearly_contract, date(2028, 1, 1)),
            (cls.ended_server, date(2027, 3, 6)),
            (cls.suspended_db, date(2027, 4, 1)),
            (cls.quarterly_net, date(2027, 4, 1)),
            (cls.discounted, date(2027, 4, 1)),
        ):
            record.next_invoice_date = next_date

        def invoice(day, due, lines, move_type="out_invoice", post=True, partner=None):
            move = cls.env["account.move"].create(
                {
                    "move_type": move_type,
                    "partner_id": (partner or a).id,
                    "invoice_date": day,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "quantity": 1, "price_unit": price, "tax_ids": []})
                        for product, price in lines
                    ],
                }
            )
            if post:
                move.action_post()
            return move

        cls.old = invoice(date(2026, 2, 10), date(2026, 2, 10), [(cls.hosting, 999.0)])
        cls.october = invoice(date(2026, 10, 1), date(2026, 10, 1), [(cls.hosting, 40.0)])
        cls.january = invoice(date(2027, 1, 10), date(2027, 1, 10), [(cls.hosting, 100.0), (cls.domain, 20.0)])
        cls.paid = invoice(date(2027, 2, 1), date(2027, 2, 1), [(cls.hosting, 15.0)])
        cls.february = invoice(date(2027, 2, 20), date(2027, 3, 1), [(cls.database, 10.0)])
        cls.march = invoice(date(2027, 3, 5), date(2027, 3, 20), [(cls.hosting, 50.0), (cls.setup_fee, 19.0)])
        cls.credit_note = invoice(date(2027, 3, 8), date(2027, 3, 8), [(cls.hosting, 30.0)], move_type="out_refund")
        cls.draft = invoice(date(2027, 3, 1), date(2027, 3, 1), [(cls.hosting, 777.0)], post=False)
        for move, amount in ((cls.january, 20.0), (cls.paid, 15.0)):
            cls.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
                {"amount": amount, "payment_date": date(2027, 2, 1)}
            )._create_payments()

    def _data(self, user=None, companies=None):
        env = self.env(user=user or self.manager)
        if companies:
            env = env(context=dict(env.context, allowed_company_ids=companies.ids))
        with freeze_time(TODAY):
            return env["isp.dashboard"].get_dashboard_data()

    @staticmethod
    def _figure(data, key):
        return next(figure for section in data["sections"] for figure in section["figures"] if figure["key"] == key)

    @staticmethod
    def _chart(data, key):
        return next(chart for section in data["sections"] for chart in section["charts"] if chart["key"] == key)

    @staticmethod
    def _series(chart):
        """{dataset key: {label: value}} without the zeros."""
        return {
            dataset["key"]: {
                label: value for label, value in zip(chart["labels"], dataset["data"], strict=True) if value
            }
            for dataset in chart["datasets"]
        }

    def _records(self, action):
        with freeze_time(TODAY):
            return self.env[action["res_model"]].with_user(self.manager).search(action["domain"]).sudo()

    def _bar_action(self, chart, dataset_key, label):
        dataset = next(dataset for dataset in chart["datasets"] if dataset["key"] == dataset_key)
        return dataset["actions"][chart["labels"].index(label)]


@tagged("post_install", "-at_install")
class TestDashboard(IspDashboardCase):
    def test_mrr_and_its_change(self):
        """Issue 14: monthly recurring revenue of the active services (yearly / 12, quarterly / 3) and its changes."""
        figure = self._figure(self._data(), "mrr")
        # 2 x 9.90 + 12 / 12 + 480 / 12 + 90 / 3 + 50: not the ended, suspended or pending services
        self.assertAlmostEqual(figure["value"], 140.80)
        changes = {change["key"]: (change["value"], change["percent"]) for change in figure["comparisons"]}
        # 1 March: the server ran, the contract had not started: 19.80 + 1 + 89 + 30 + 50 = 189.80
        # 15 February: neither had the network: 19.80 + 1 + 89 + 50 = 159.80
        self.assertEqual(changes, {"2027-03-01": (-49.0, -25.8), "2027-02-15": (-19.0, -11.9)})
        expected = self.hosting_2 | self.yearly_domain | self.yearly_contract | self.quarterly_net | self.discounted
        self.assertEqual(self._records(figure["action"]), expected)

    def test_revenue_per_article_type_and_month(self):
        """Issue 14: revenue per article type and month from posted invoices less credit notes, last 12 months."""
        chart = self._chart(self._data(), "revenue")
        self.assertEqual(len(chart["labels"]), 12)
        self.assertEqual((chart["labels"][0], chart["labels"][-1]), ("Apr 2026", "Mar 2027"))
        self.assertEqual(
            self._series(chart),
            {
                "hosting": {"Oct 2026": 40.0, "Jan 2027": 100.0, "Feb 2027": 15.0, "Mar 2027": 20.0},
                "domain": {"Jan 2027": 20.0},
                "database": {"Feb 2027": 10.0},
                "none": {"Mar 2027": 19.0},
            },
        )
        march_hosting = self._records(self._bar_action(chart, "hosting", "Mar 2027"))
        self.assertEqual(march_hosting.move_id, self.march | self.credit_note)
        self.assertEqual(march_hosting.product_id, self.hosting)
        self.assertEqual(self._records(self._bar_action(chart, "none", "Mar 2027")).product_id, self.setup_fee)

    def test_new_and_cancelled_services(self):
        """Issue 14: churn: recurring services started and ended per month, pending ones not counted."""
        chart = self._chart(self._data(), "churn")
        self.assertEqual(
            self._series(chart),
            {
                "new": {"Jun 2026": 1, "Oct 2026": 1, "Jan 2027": 2, "Feb 2027": 2, "Mar 2027": 1},
                "cancelled": {"Mar 2027": 1},
            },
        )
        self.assertEqual(
            self._records(self._bar_action(chart, "new", "Feb 2027")), self.suspended_db | self.quarterly_net
        )
        self.assertEqual(self._records(self._bar_action(chart, "cancelled", "Mar 2027")), self.ended_server)

    def test_receivables_by_age(self):
        """Issue 14: open receivables by days past due; the open total and the overdue part as figures."""
        data = self._data()
        chart = self._chart(data, "receivables_age")
        self.assertEqual(
            dict(zip(chart["labels"], chart["datasets"][0]["data"], strict=True)),
            {"Not due": 69.0, "1-30 days": 10.0, "31-60 days": 0.0, "61-90 days": 100.0, "Over 90 days": 1039.0},
        )
        self.assertEqual(self._figure(data, "receivables")["value"], 1218.0)
        self.assertEqual(self._figure(data, "overdue")["value"], 1149.0)
        open_invoices = self.old | self.october | self.january | self.february | self.march
        self.assertEqual(self._records(self._figure(data, "receivables")["action"]), open_invoices)
        self.assertEqual(self._records(self._figure(data, "overdue")["action"]), open_invoices - self.march)
        by_age = {
            "Not due": self.march,
            "1-30 days": self.february,
            "31-60 days": self.env["account.move"],
            "61-90 days": self.january,
            "Over 90 days": self.old | self.october,
        }
        for label, invoices in by_age.items():
            with self.subTest(age=label):
                self.assertEqual(self._records(self._bar_action(chart, "amount", label)), invoices)

    def test_next_invoice_run_estimate(self):
        """Issue 14: the next run's estimate equals the untaxed amount of that run's own preview."""
        figure = self._figure(self._data(), "next_run")
        # on 1 April: 2 x 9.90 + the suspended 2.50 (billed by default) + a quarter of 90 + 50 less 10 %
        self.assertAlmostEqual(figure["value"], 157.30)
        self.assertEqual(figure["notes"], ["Run on 04/01/2027, 2 customers"])
        self.assertEqual(
            self._records(figure["action"]), self.hosting_2 | self.suspended_db | self.quarterly_net | self.discounted
        )
        with freeze_time(date(2027, 4, 1)):
            run = self.env["isp.billing.run"].create({"date": date(2027, 4, 1)})
            run.action_preview()
        self.assertAlmostEqual(run.preview_amount_untaxed, figure["value"])

    def test_second_company_in_another_currency(self):
        """Issue 14: with two companies selected, the other currency's amounts are converted at today's rate."""
        company_b = self.env["res.company"].create({"name": "ISP USD Inc.", "currency_id": self.other_currency.id})
        self.manager.company_ids |= company_b
        customer = self.env["res.partner"].create(
            {"name": "Gamma Inc.", "is_company": True, "company_id": company_b.id}
        )
        self.env["isp.service"].with_company(company_b).create(
            {
                "partner_id": customer.id,
                "product_id": self.server.id,
                "name": "srv.gamma.example",
                "date_start": date(2027, 1, 1),
                "price_unit": 125.0,
                "price_source": "manual",
                "currency_id": self.other_currency.id,
                "company_id": company_b.id,
                "state": "active",
            }
        )
        both = self.company | company_b
        data = self._data(companies=both)
        self.assertEqual(data["currency"]["name"], self.currency.name)
        self.assertEqual(data["companies"], both.mapped("name"))
        # 125 of the other currency are 100 of the company's
        self.assertAlmostEqual(self._figure(data, "mrr")["value"], 240.80)
        # company B alone: its own currency
        only_b = self._data(companies=company_b)
        self.assertEqual(only_b["currency"]["name"], self.other_currency.name)
        self.assertAlmostEqual(self._figure(only_b, "mrr")["value"], 125.0)
        self.assertEqual(self._records(self._figure(only_b, "mrr")["action"]).company_id, company_b)

    def test_other_partners_invoices_left_out(self):
        """Issue 14: invoices of partners that are no ISP customers (e.g. Odoo's demo data) are not in the figures."""
        other = self.env["res.partner"].create({"name": "Deco Addict", "is_company": True})
        other_invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": other.id,
                "invoice_date": date(2027, 3, 1),
                "invoice_date_due": date(2027, 3, 1),
                "invoice_line_ids": [
                    Command.create({"product_id": self.hosting.id, "quantity": 1, "price_unit": 500.0, "tax_ids": []})
                ],
            }
        )
        # posted as Odoo's demo data is, without the ISP addons making its partner a customer
        with patch.object(type(other), "_isp_make_customer"):
            other_invoice.action_post()
        self.assertFalse(other.isp_lifecycle)
        data = self._data()
        self.assertEqual(self._figure(data, "receivables")["value"], 1218.0)
        self.assertEqual(self._series(self._chart(data, "revenue"))["hosting"]["Mar 2027"], 20.0)
        self.assertNotIn(other_invoice, self._records(self._figure(data, "overdue")["action"]))

    def test_clerk_and_portal_user_refused(self):
        """Issue 14: only ISP managers get the dashboard's figures: a clerk and a portal user are refused."""
        for user in (self.clerk, self.portal):
            with self.subTest(user=user.login), self.assertRefused(AccessError, "Only ISP managers"):
                self._data(user=user)

    def test_dashboard_menu_for_managers_only(self):
        """Issue 14: the ISP app opens on the dashboard for managers; clerks have no dashboard menu."""
        root = self.env.ref("isp_customer.isp_menu_root")
        dashboard_menu = self.env.ref("isp_sales.isp_dashboard_menu")
        action = self.env.ref("isp_sales.isp_dashboard_action")
        manager_menus = self.env["ir.ui.menu"].with_user(self.manager).load_web_menus(False)
        self.assertEqual(manager_menus[root.id]["actionID"], action.id)
        self.assertEqual(manager_menus[root.id]["children"][0], dashboard_menu.id)
        clerk_menus = self.env["ir.ui.menu"].with_user(self.clerk).load_web_menus(False)
        self.assertNotIn(dashboard_menu.id, clerk_menus)
        self.assertNotEqual(clerk_menus[root.id]["actionID"], action.id)
        self.assertEqual(clerk_menus[root.id]["actionID"], self.env.ref("isp_customer.isp_customer_action").id)


#: opens the dashboard, shows the receivables chart as a table and opens the invoices of one bar
DASHBOARD_JS = """
(async () => {
    const find = async (selector) => {
        for (let attempt = 0; attempt < 200; attempt++) {
            const element = document.querySelector(selector);
            if (element) {
                return element;
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`${selector} not found`);
    };
    await find('.o_isp_dashboard canvas[data-chart="revenue"]');
    const mrr = await find('.o_isp_dashboard_figure[data-figure="mrr"] .o_isp_dashboard_value');
    if (!mrr.textContent.includes("140.80")) {
        throw new Error(`MRR shows ${mrr.textContent}`);
    }
    (await find('[data-chart-card="receivables_age"] .o_isp_dashboard_table_toggle')).click();
    (await find('[data-chart-table="receivables_age"] td[data-dataset="amount"][data-index="4"]')).click();
    await find(".o_list_view .o_data_row");
    const rows = document.querySelectorAll(".o_list_view .o_data_row").length;
    if (rows !== 2) {
        throw new Error(`${rows} invoices over 90 days overdue listed`);
    }
    console.log("test successful");
})();
"""


@tagged("post_install", "-at_install")
class TestDashboardClient(IspDashboardCase, HttpCase):
    def test_manager_opens_the_dashboard_and_a_bar(self):
        """Issue 14: the manager's dashboard renders its figures and charts; a bar opens its invoices."""
        with freeze_time(TODAY, tick=True):
            self.browser_js("/odoo/isp-dashboard", DASHBOARD_JS, login="isp_manager", timeout=120)
