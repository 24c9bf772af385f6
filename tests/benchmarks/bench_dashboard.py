"""Benchmark: the manager's dashboard on 2,500 customers, 10,000 services and three months of invoices.

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons (no demo
data); `env` is the shell's environment. Dates are relative to today: the dashboard shows
today's figures, so the history ends today.

Scenario: 2,500 business customers with four recurring services each (hosting, database
and access line monthly, the support contract yearly), started on the first day of the
month two months ago; every fiftieth customer's access line ended last month. Three
invoice runs made by the product, committed batch by batch as the scheduled run does, on
the first day of each of the last three months: about 7,500 posted invoices of three or
four lines, all open (no PDFs, no e-mails: the delivery cron does not run).

Figures:
- `isp.dashboard.get_dashboard_data()` as an ISP manager (record rules apply), warm (a first
  call loads the registry's caches), the record cache emptied before each call as a new
  request has it: median of the calls, and its SQL queries, against the baseline measured in
  the same process: one plain `_read_group` of the revenue chart's invoice lines by month and
  article (what one chart of Odoo's own graph view would cost);
- each section's time (printed with the figures);
- the exact figure beside the estimate: the next invoice run's preview (the run's own planning
  of all due services, with preview lines; rolled back) against the dashboard's estimate.
"""

import statistics
import time
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from figures import Table

from odoo import Command, fields

CUSTOMERS = 2500
ENDED_EVERY = 50  # every fiftieth customer's access line ended last month
CALLS = 7
#: the dashboard, all its sections, may cost this many plain _read_groups of one chart
DASHBOARD_RATIO = 10
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}

company = env.company  # noqa: F821 (provided by odoo shell)
today = fields.Date.context_today(env["res.users"])  # noqa: F821
this_month = today.replace(day=1)
RUN_DATES = [this_month - relativedelta(months=back) for back in (2, 1, 0)]
START = RUN_DATES[0]
# `make bench` serves the database without cron threads; no invoice delivery here either
env.ref("isp_sales.ir_cron_isp_deliver_invoices").active = False  # noqa: F821


def setup():
    Product = env["product.product"].with_context(**QUIET)  # noqa: F821
    articles = Product.create(
        [
            {
                "name": name,
                "type": "service",
                "list_price": price,
                "taxes_id": [],
                "isp_article_type": article_type,
                "isp_recurring": True,
                "isp_billing_period": period,
            }
            for name, article_type, price, period in (
                ("Web hosting M", "hosting", 9.9, "monthly"),
                ("Database", "database", 2.5, "monthly"),
                ("DSL 100", "access_line", 39.9, "monthly"),
                ("Support contract", "contract", 180.0, "yearly"),
            )
        ]
    )
    customers = (
        env["res.partner"]  # noqa: F821
        .with_context(**QUIET)
        .create(
            [
                {
                    "name": f"Dashboard Customer {index:04d}",
                    "is_company": True,
                    "isp_lifecycle": "customer",
                    "email": f"dash{index}@example.com",
                    "lang": "en_US",
                    "isp_einvoice_format": "pdf",
                }
                for index in range(CUSTOMERS)
            ]
        )
    )
    ended = RUN_DATES[1] + timedelta(days=14)
    services = []
    for index, customer in enumerate(customers):
        for article in articles:
            identifier = {
                "hosting": f"dash{index}.example.com",
                "database": f"dash_db_{index}",
                "access_line": f"DSL-{index:05d}",
                "contract": f"Support {index}",
            }[article.isp_article_type]
            ends = article.isp_article_type == "access_line" and index % ENDED_EVERY == 0
            services.append(
                {
                    "partner_id": customer.id,
                    "product_id": article.id,
                    "name": identifier,
                    "date_start": START,
                    "price_unit": article.lst_price,
                    "price_source": "manual",
                    "state": "active",
                    **({"date_end": ended} if ends else {}),
                }
            )
    env["isp.service"].with_context(**QUIET).create(services)  # noqa: F821
    manager = (
        env["res.users"]  # noqa: F821
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Dashboard Manager",
                "login": "dashboard_manager",
                "groups_id": [Command.set([env.ref("isp_customer.group_isp_manager").id])],  # noqa: F821
            }
        )
    )
    env.cr.commit()  # noqa: F821
    return articles, customers, manager


clock = time.perf_counter
started = clock()
articles, customers, manager = setup()
print(f"\nsetup: {CUSTOMERS} customers, {4 * CUSTOMERS} services in {clock() - started:.0f} s")

for run_date in RUN_DATES:
    started = clock()
    run = env["isp.billing.run"].create({"date": run_date, "trigger": "cron"})  # noqa: F821
    run._isp_start()
    env.cr.commit()  # noqa: F821
    while run._isp_run_batch():
        env.cr.commit()  # noqa: F821
    run._isp_finish_if_done()
    env.cr.commit()  # noqa: F821
    print(f"invoice run {run_date}: {run.invoice_count} invoices, {run.line_count} lines in {clock() - started:.0f} s")
    assert run.invoice_count == CUSTOMERS, (run.invoice_count, run.error_ids.mapped("message")[:3])

# the access lines that ended last month are terminated by the daily cron
env["isp.service"]._cron_terminate_ended()  # noqa: F821
env.cr.commit()  # noqa: F821
invoices = env["account.move"].search_count([("move_type", "=", "out_invoice"), ("state", "=", "posted")])  # noqa: F821
lines = env["account.move.line"].search_count(  # noqa: F821
    [("parent_state", "=", "posted"), ("display_type", "=", "product")]
)
print(f"history: {invoices} posted invoices, {lines} invoice lines")

Dashboard = env["isp.dashboard"].with_user(manager)  # noqa: F821


def timed(function, calls=CALLS):
    """Median seconds and SQL queries of ``function`` over ``calls`` calls, each on an empty record cache."""
    seconds, queries, result = [], [], None
    for _call in range(calls):
        env.invalidate_all()  # noqa: F821
        count = env.cr.sql_log_count  # noqa: F821
        started = clock()
        result = function()
        seconds.append(clock() - started)
        queries.append(env.cr.sql_log_count - count)  # noqa: F821
    return statistics.median(seconds), statistics.median(queries), result


Dashboard.get_dashboard_data()  # warm: registry caches, views, translations
dashboard_seconds, dashboard_queries, data = timed(Dashboard.get_dashboard_data)

scope = Dashboard._isp_dashboard_scope()
section_seconds = {}
for name in (
    "_isp_dashboard_mrr",
    "_isp_dashboard_next_run",
    "_isp_dashboard_receivables",
    "_isp_dashboard_revenue",
    "_isp_dashboard_churn",
    "_isp_dashboard_dunning",
    "_isp_dashboard_debits",
):
    section_seconds[name] = timed(lambda name=name: getattr(Dashboard, name)(dict(scope, rates={})), calls=3)[0]

revenue_domain = Dashboard._isp_dashboard_revenue_domain(scope)
baseline_seconds, _queries, _rows = timed(
    lambda: env["account.move.line"]  # noqa: F821
    .with_user(manager)
    ._read_group(revenue_domain, ["date:month", "product_id"], ["balance:sum"])
)


# --- what the figures say, checked against the data ---------------------------------------
def figure(key):
    return next(f for section in data["sections"] for f in section["figures"] if f["key"] == key)


def chart(key):
    return next(c for section in data["sections"] for c in section["charts"] if c["key"] == key)


ended_lines = len(range(0, CUSTOMERS, ENDED_EVERY))
expected_mrr = round(CUSTOMERS * (9.9 + 2.5 + 180.0 / 12) + (CUSTOMERS - ended_lines) * 39.9, 2)
assert abs(figure("mrr")["value"] - expected_mrr) < 0.01, (figure("mrr")["value"], expected_mrr)
revenue_total = sum(sum(dataset["data"]) for dataset in chart("revenue")["datasets"])
booked = -sum(
    balance
    for (balance,) in env["account.move.line"]._read_group(revenue_domain, [], ["balance:sum"])  # noqa: F821
)
assert abs(revenue_total - booked) < 0.05, (revenue_total, booked)
churn = {dataset["key"]: sum(dataset["data"]) for dataset in chart("churn")["datasets"]}
assert churn == {"new": 4 * CUSTOMERS, "cancelled": ended_lines}, churn
open_total = figure("receivables")["value"]

# the exact figure: the next run's own preview (rolled back)
next_run = figure("next_run")
run_date = max(today, this_month + relativedelta(months=1) - timedelta(days=company.isp_billing_days_in_advance))
env.invalidate_all()  # noqa: F821
started = clock()
preview = env["isp.billing.run"].create({"date": run_date})  # noqa: F821
preview.action_preview()
env.flush_all()  # noqa: F821
preview_seconds = clock() - started
preview_amount = preview.preview_amount_untaxed
env.cr.rollback()  # noqa: F821
estimate_difference = abs(next_run["value"] - preview_amount)


ratio = dashboard_seconds / baseline_seconds
table = Table("Dashboard benchmark")
table.at_most(
    f"dashboard / one _read_group of its lines ({1000 * dashboard_seconds:.0f} / {1000 * baseline_seconds:.0f} ms, "
    f"{dashboard_queries:.0f} queries)",
    ratio,
    DASHBOARD_RATIO,
    digits=1,
)
table.at_most(f"next run: estimate - preview amount (preview in {preview_seconds:.1f} s)", estimate_difference, 0.01)
print(
    f"\n{invoices} invoices, {lines} lines, MRR {figure('mrr')['value']:.2f}, open {open_total:.2f}, "
    f"next run {next_run['value']:.2f} ({', '.join(next_run['notes'])})"
)
print(
    "sections (ms): "
    + ", ".join(
        f"{name.removeprefix('_isp_dashboard_')} {1000 * seconds:.0f}" for name, seconds in section_seconds.items()
    )
)
table.print()
