"""Benchmark: the monthly invoice run for 2,500 customers with 4 monthly services each.

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons (no demo
data); `env` is the shell's environment. Explicit dates only (the run bills January 2027).

Figures:
- full run: selection, proration, consolidation, creation, posting, credit offset,
  committed batch by batch as the scheduled run does;
- baseline: the same 2,500 four-line invoices with plain `account.move.create` in batches
  of 100 and `action_post`, default context (what a custom script would do);
- second run the same day;
- PDF rendering of 200 run invoices in one batch (wkhtmltopdf).
"""

import os
import resource
import time
from datetime import date

from odoo import Command

CUSTOMERS = 2500
SERVICES_PER_CUSTOMER = 4
WITH_CREDIT = 250  # every tenth customer has prepaid credit
PDFS = 200
RUN_DATE = date(2027, 1, 1)

company = env.company  # noqa: F821 (provided by odoo shell)
# `make bench` serves the database, as in production: wkhtmltopdf loads the report styles from it
report_url = os.environ.get("ISP_BENCH_REPORT_URL")
if report_url:
    env["ir.config_parameter"].sudo().set_param("report.url", report_url)  # noqa: F821


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup():
    Product = env["product.product"]  # noqa: F821
    articles = Product.create(
        [
            {
                "name": name,
                "type": "service",
                "list_price": price,
                "isp_article_type": article_type,
                "isp_recurring": True,
                "isp_billing_period": "monthly",
            }
            for name, article_type, price in (
                ("Web hosting M", "hosting", 9.9),
                ("Database", "database", 2.5),
                ("DSL 100", "access_line", 39.9),
                ("Support", "contract", 15.0),
            )
        ]
    )
    customers = env["res.partner"].create(  # noqa: F821
        [
            {
                "name": f"Bench Customer {index:04d}",
                "is_company": True,
                "isp_lifecycle": "customer",
                "email": f"bench{index}@example.com",
                "lang": "en_US",
                "street": f"Teststr. {index}",
                "zip": "10115",
                "city": "Berlin",
            }
            for index in range(CUSTOMERS)
        ]
    )
    services = []
    for index, customer in enumerate(customers):
        for number, article in enumerate(articles):
            identifier = {
                "hosting": f"bench{index}.example.com",
                "database": f"bench_db_{index}",
                "access_line": f"DSL-{index:05d}",
                "contract": f"Support {index}",
            }[article.isp_article_type]
            services.append(
                {
                    "partner_id": customer.id,
                    "product_id": article.id,
                    "name": identifier,
                    # every fifth customer's first service starts mid-month: prorated
                    "date_start": date(2027, 1, 15) if number == 0 and index % 5 == 0 else RUN_DATE,
                    "price_unit": article.lst_price,
                    "state": "active",
                }
            )
    env["isp.service"].create(services)  # noqa: F821
    journal = env["account.journal"].search(  # noqa: F821
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    payments = env["account.payment"].create(  # noqa: F821
        [
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 50.0,
                "journal_id": journal.id,
                "date": date(2026, 12, 20),
            }
            for customer in customers[:: CUSTOMERS // WITH_CREDIT]
        ]
    )
    payments.action_post()
    env.cr.commit()  # noqa: F821
    return articles, customers


started = time.perf_counter()
articles, customers = setup()
setup_seconds = time.perf_counter() - started
print(f"\nsetup: {CUSTOMERS} customers, {CUSTOMERS * SERVICES_PER_CUSTOMER} services in {setup_seconds:.0f} s")
env.invalidate_all()  # noqa: F821


# --- full run, committed batch by batch like the scheduled run -------------------------
def scheduled_run():
    """A run as the cron makes it: one transaction per batch. Returns (run, seconds)."""
    started = time.perf_counter()
    run = env["isp.billing.run"].create({"date": RUN_DATE, "trigger": "cron"})  # noqa: F821
    run._isp_start()
    while run._isp_run_batch():
        env.cr.commit()  # noqa: F821
    run._isp_finish()
    env.cr.commit()  # noqa: F821
    return run, time.perf_counter() - started


run, run_seconds = scheduled_run()
run_peak = peak_mb()
print(f"run: {run.invoice_count} invoices, {run.line_count} lines in {run_seconds:.1f} s, peak {run_peak:.0f} MB")
assert run.invoice_count == CUSTOMERS, (run.invoice_count, run.error_ids.mapped("message")[:3])
assert run.line_count == CUSTOMERS * SERVICES_PER_CUSTOMER, run.line_count
paid_from_credit = env["account.move"].search_count(  # noqa: F821
    [("isp_billing_run_id", "=", run.id), ("isp_credit_applied", ">", 0)]
)
assert paid_from_credit == WITH_CREDIT, paid_from_credit

# --- second run the same day -------------------------------------------------------------
second, second_seconds = scheduled_run()
assert second.invoice_count == 0, second.invoice_count

# --- PDF rendering of 200 run invoices ------------------------------------------------
invoice_ids = run.invoice_ids.sorted("id")[:PDFS].ids
env.invalidate_all()  # noqa: F821
started = time.perf_counter()
pdf, _type = env["ir.actions.report"]._render_qweb_pdf("account.account_invoices", invoice_ids)  # noqa: F821
pdf_seconds = time.perf_counter() - started
assert pdf.startswith(b"%PDF"), pdf[:20]
env.cr.rollback()  # noqa: F821

# --- baseline: the same invoices with plain create + post, batches of 100 ------------
sale_journal = env["account.journal"].search(  # noqa: F821
    [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
)
invoices_vals = [
    {
        "move_type": "out_invoice",
        "partner_id": customer.id,
        "invoice_date": RUN_DATE,
        "journal_id": sale_journal.id,
        "invoice_line_ids": [
            Command.create({"product_id": article.id, "quantity": 1.0, "price_unit": article.lst_price})
            for article in articles
        ],
    }
    for customer in customers
]
env.invalidate_all()  # noqa: F821
started = time.perf_counter()
Move = env["account.move"]  # noqa: F821
for start in range(0, len(invoices_vals), 100):
    Move.create(invoices_vals[start : start + 100]).action_post()
env.flush_all()  # noqa: F821
baseline_seconds = time.perf_counter() - started
env.cr.rollback()  # noqa: F821

ratio = baseline_seconds / run_seconds
pdf_rate = PDFS / pdf_seconds


def at_most(measured, limit):
    return "ok" if measured <= limit else "MISSED"


def at_least(measured, limit):
    return "ok" if measured >= limit else "MISSED"


rows = [
    ("invoice run, 2,500 invoices (s)", "<= 150", f"{run_seconds:.1f}", at_most(run_seconds, 150)),
    ("  throughput (invoices/s)", "", f"{CUSTOMERS / run_seconds:.1f}", ""),
    ("peak memory of the process (MB)", "<= 1536", f"{run_peak:.0f}", at_most(run_peak, 1536)),
    ("baseline create + post, batches of 100 (s)", "", f"{baseline_seconds:.1f}", ""),
    ("run throughput / baseline throughput", ">= 1.2", f"{ratio:.2f}", at_least(ratio, 1.2)),
    ("second run the same day (s)", "<= 10", f"{second_seconds:.1f}", at_most(second_seconds, 10)),
    (f"PDF rendering, {PDFS} invoices (PDFs/s)", ">= 4", f"{pdf_rate:.1f}", at_least(pdf_rate, 4)),
]
print("\nInvoice run benchmark")
print(f"{'figure':<46} {'target':>8} {'measured':>10}  result")
for figure, target, measured, result in rows:
    print(f"{figure:<46} {target:>8} {measured:>10}  {result}")
