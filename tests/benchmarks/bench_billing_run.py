"""Benchmark: the monthly invoice run for 2,500 customers with 4 monthly services each.

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons (no demo
data); `env` is the shell's environment. Explicit dates only (the run bills January 2027).

Scenario: the seller is a German company as an e-invoice states it (name, address, VAT ID,
phone, e-mail, the IBAN/BIC its invoices name); the four articles carry German VAT 19 %.
The 2,500 customers are German businesses with a VAT ID, e-mail delivery and the default
e-invoice format of businesses, ZUGFeRD / Factur-X.

Figures, each checked against a baseline measured in this process:
- full run: selection, proration, consolidation, creation, posting, credit offset,
  committed chunk by chunk as the scheduled run does without a job queue; its throughput
  against the baseline: the same 2,500 four-line invoices with plain `account.move.create`
  in batches of 100 and `action_post`, default context (what a custom script would do);
- second run the same day (at most 30 s) and the peak memory of every process (at most 1.5 GB);
- PDF rendering of 200 run invoices in one batch (wkhtmltopdf) against 200 of the baseline's
  plain invoices rendered the same way;
- e-invoices, the 2,500 run invoices sent on the invoice date: PDF, CII XML, validation
  against the EN 16931 rules, PDF/A-3 with the embedded factur-x.xml, e-mail queued. The
  first half by the delivery cron's batches in this process (`_isp_deliver_due_batch`, one
  batch of SEND_BATCH invoices per call, committed per batch), measured against the same
  path for a sample of the same invoices with their customers set to "PDF only" (rolled back
  afterwards), with the share of the rules' validation in that time
  (`einvoice_rules.validate` timed in this process). The second half by two queue_job
  workers (isp_queue_job): the scheduled action enqueues a job per batch, two worker
  processes (delivery_worker.py) share them; e-invoices per second (issue 13: at least 10 on
  the 2-core machine) and against the one process. Checked: every invoice sent, none failed,
  2,500 stored PDFs, the embedded XML of a sample (its invoice, profile, amounts, no fatal
  rule) and its XMP conformance level.

BENCH_SCALE=10 (only this scale is asked for) bills ten times the customers, 25,000 with
100,000 services, and measures only the run against itself at today's size: the first 2,500
customers' services start a month earlier, so a run on 1 December 2026 bills those 2,500 (the
baseline), and the run on 1 January 2027 all 25,000. Time per invoice within 10 % of the
baseline's (no growth with volume), peak memory of every process at most 1.5 GB, a second run
the same day at most 30 s.
"""

import io
import json
import logging
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from unittest import mock

from figures import PEAK_MEMORY_LIMIT_MB, Table, largest, peak_memory_mb, ratio, reset_peak
from lxml import etree
from stdnum.iso7064 import mod_11_10

from odoo import Command, fields
from odoo.tools import config
from odoo.tools.pdf import OdooPdfFileReader

from odoo.addons.isp_sales.engine import einvoice_rules
from odoo.addons.isp_sales.models.account_move import SEND_BATCH

#: BENCH_SCALE=10: 25,000 customers, the run only (see above)
SCALE = int(os.environ.get("BENCH_SCALE") or 1)
BASE_CUSTOMERS = 2500
CUSTOMERS = BASE_CUSTOMERS * SCALE
SERVICES_PER_CUSTOMER = 4
WITH_CREDIT = CUSTOMERS // 10  # every tenth customer has prepaid credit
PDFS = 200
RUN_DATE = date(2027, 1, 1)
#: at scale, the first BASE_CUSTOMERS customers' services start a month earlier: billed on this day
EARLY_DATE = date(2026, 12, 1)
PDF_ONLY_BATCHES = 6  # baseline of the e-invoices: 300 invoices sent as "PDF only"
XML_SAMPLE = 25  # embedded factur-x.xml read back and checked
IBAN = "DE89370400440532013000"

company = env.company  # noqa: F821 (provided by odoo shell)
# `make bench` serves the database, as in production: wkhtmltopdf loads the report styles from it
report_url = os.environ.get("ISP_BENCH_REPORT_URL")
if report_url:
    env["ir.config_parameter"].sudo().set_param("report.url", report_url)  # noqa: F821

#: ratio targets, measured on the shared 2-core machine (see the rows below)
RUN_RATIO = 1.5  # the target
PDF_RATIO = 0.8
EINVOICE_RATIO = 0.7
SECOND_RUN_LIMIT = 30  # seconds, the target
PER_INVOICE_GROWTH = 1.10  # at scale: time per invoice within 10 % of today's size
EINVOICES_PER_SECOND = 10  # issue 13's target, with DELIVERY_WORKERS workers
PARALLEL_DELIVERY_RATIO = 1.5  # two workers against one process, on 2 cores (as the invoice run's)
DELIVERY_WORKERS = 2
# beside figures.py, in the folder `make bench` puts on the PYTHONPATH
DELIVERY_WORKER = Path(sys.modules["figures"].__file__).with_name("delivery_worker.py")


def setup_company():
    """The seller as a German e-invoice states it, and German VAT 19 % (found or added to the chart)."""
    germany = env.ref("base.de")  # noqa: F821
    company.write(
        {
            "name": "Bench Hosting GmbH",
            "street": "Hafenstraße 12",
            "zip": "20457",
            "city": "Hamburg",
            "country_id": germany.id,
            "vat": "DE123456788",
            "company_registry": "HRB 123456",
            "phone": "+49 40 1234560",
            "email": "rechnung@bench-hosting.example",
        }
    )
    # a fresh database has the generic chart with the fiscal country US: the German VAT belongs to Germany
    company.account_fiscal_country_id = germany
    # the account the invoices name (partner_bank_id), also the bank journal's
    Bank = env["res.partner.bank"]  # noqa: F821
    bank = Bank.search([("sanitized_acc_number", "=", IBAN), ("partner_id", "=", company.partner_id.id)], limit=1)
    if not bank:
        bank = Bank.create(
            {
                "acc_number": IBAN,
                "partner_id": company.partner_id.id,
                "bank_id": env["res.bank"].create({"name": "Commerzbank", "bic": "COBADEFFXXX"}).id,  # noqa: F821
                "allow_out_payment": True,
            }
        )
    journal = env["account.journal"].search(  # noqa: F821
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    if not journal.bank_account_id:
        journal.bank_account_id = bank
    Tax = env["account.tax"]  # noqa: F821
    vat_19 = Tax.search(
        [
            *Tax._check_company_domain(company),
            ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"),
            ("amount", "=", 19.0),
            ("price_include", "=", False),
            ("country_id", "=", germany.id),
        ],
        limit=1,
    )
    if not vat_19:
        # the chart's sales tax as the model: its tax accounts, 19 % in a German tax group
        group = env["account.tax.group"].create(  # noqa: F821
            {"name": "VAT 19%", "company_id": company.id, "country_id": germany.id}
        )
        vat_19 = company.account_sale_tax_id.copy(
            {
                "name": "19%",
                "description": "19%",
                "amount": 19.0,
                "country_id": germany.id,
                "tax_group_id": group.id,
            }
        )
    return bank, vat_19


def vat_id(index):
    """A German VAT ID with a valid check digit."""
    digits = f"{30000000 + index:08d}"
    return f"DE{digits}{mod_11_10.calc_check_digit(digits)}"


def create_committed(model, vals_list):
    """Create ``vals_list`` in ``model``, commit and empty the cache (a batch of the setup)."""
    records = env[model].create(vals_list)  # noqa: F821
    env.cr.commit()  # noqa: F821
    env.invalidate_all()  # noqa: F821
    return records


def setup():
    bank, vat_19 = setup_company()
    Product = env["product.product"]  # noqa: F821
    articles = Product.create(
        [
            {
                "name": name,
                "type": "service",
                "list_price": price,
                "taxes_id": [Command.set(vat_19.ids)],
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
    # made in batches of today's size, so that the setup at scale stays as small as the runs
    customers = env["res.partner"]  # noqa: F821
    for first in range(0, CUSTOMERS, BASE_CUSTOMERS):
        customers |= create_committed(
            "res.partner",
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
                    "country_id": env.ref("base.de").id,  # noqa: F821
                    "vat": vat_id(index),
                }
                for index in range(first, min(first + BASE_CUSTOMERS, CUSTOMERS))
            ],
        )
    services = []
    for index, customer in enumerate(customers):
        # at scale the first BASE_CUSTOMERS customers start a month earlier (the baseline run bills them)
        start = EARLY_DATE if SCALE > 1 and index < BASE_CUSTOMERS else RUN_DATE
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
                    "date_start": start.replace(day=15) if number == 0 and index % 5 == 0 else start,
                    "price_unit": article.lst_price,
                    "state": "active",
                }
            )
    for first in range(0, len(services), BASE_CUSTOMERS * SERVICES_PER_CUSTOMER):
        create_committed("isp.service", services[first : first + BASE_CUSTOMERS * SERVICES_PER_CUSTOMER])
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
    return articles, customers, bank, vat_19


started = time.perf_counter()
articles, customers, company_bank, vat_19 = setup()
setup_seconds = time.perf_counter() - started
print(f"\nsetup: {CUSTOMERS} customers, {CUSTOMERS * SERVICES_PER_CUSTOMER} services in {setup_seconds:.0f} s")
env.invalidate_all()  # noqa: F821
reset_peak()  # the runs' peak memory, not the setup's


# --- full run, committed chunk by chunk like the scheduled run --------------------------
def scheduled_run(day=RUN_DATE):
    """A run as the scheduled action makes it without a job queue: one transaction per chunk of
    customers. Returns (run, seconds)."""
    started = time.perf_counter()
    run = env["isp.billing.run"].create({"date": day, "trigger": "cron"})  # noqa: F821
    run._isp_start()
    env.cr.commit()  # noqa: F821
    while run._isp_run_batch():
        env.cr.commit()  # noqa: F821
    run._isp_finish_if_done()
    env.cr.commit()  # noqa: F821
    return run, time.perf_counter() - started


def check_run(run, invoices, credited):
    """The run billed ``invoices`` customers, ``credited`` of them paid from their prepaid credit."""
    print(f"run {run.date}: {run.invoice_count} invoices, {run.line_count} lines in {run.duration:.1f} s")
    assert run.state == "done", run.state
    assert run.invoice_count == invoices, (run.invoice_count, run.error_ids.mapped("message")[:3])
    assert run.line_count == invoices * SERVICES_PER_CUSTOMER, run.line_count
    paid_from_credit = env["account.move"].search_count(  # noqa: F821
        [("isp_billing_run_id", "=", run.id), ("isp_credit_applied", ">", 0)]
    )
    assert paid_from_credit == credited, paid_from_credit
    # what the e-invoices state: the 19 % on every line, the company's account for the transfer
    untaxed_lines = env["account.move.line"].search_count(  # noqa: F821
        [
            ("move_id.isp_billing_run_id", "=", run.id),
            ("display_type", "=", "product"),
            ("tax_ids", "!=", vat_19.id),
        ]
    )
    assert not untaxed_lines, untaxed_lines
    banks = set(run.invoice_ids.mapped("partner_bank_id").ids)
    assert banks == {company_bank.id}, banks


if SCALE > 1:
    # the baseline: the run at today's size, on the same database
    early, early_seconds = scheduled_run(EARLY_DATE)
    check_run(early, BASE_CUSTOMERS, BASE_CUSTOMERS // 10)
run, run_seconds = scheduled_run()
run_peaks = peak_memory_mb()
# at scale the early customers' credit went to their first invoice, in the early run
check_run(run, CUSTOMERS, WITH_CREDIT - (BASE_CUSTOMERS // 10 if SCALE > 1 else 0))

# --- second run the same day -------------------------------------------------------------
second, second_seconds = scheduled_run()
assert second.invoice_count == 0, second.invoice_count

if SCALE > 1:
    per_invoice = run_seconds / run.invoice_count
    early_per_invoice = early_seconds / early.invoice_count
    process, peak = largest(peak_memory_mb())
    table = Table(f"Invoice run benchmark at scale {SCALE}: {CUSTOMERS:,} customers, {run.line_count:,} invoice lines")
    table.at_most(
        f"time per invoice, {CUSTOMERS:,} / {BASE_CUSTOMERS:,} customers "
        f"({1000 * per_invoice:.1f} / {1000 * early_per_invoice:.1f} ms)",
        per_invoice / early_per_invoice,
        PER_INVOICE_GROWTH,
    )
    table.at_most(f"peak memory of any process, {process} (MB)", peak, PEAK_MEMORY_LIMIT_MB, digits=0)
    table.at_most("second run the same day (s)", second_seconds, SECOND_RUN_LIMIT, digits=1)
    table.equal(f"invoices of the run of {BASE_CUSTOMERS:,} customers", early.invoice_count, BASE_CUSTOMERS)
    table.equal(f"invoices of the run of {CUSTOMERS:,} customers", run.invoice_count, CUSTOMERS)
    table.equal("invoices of the second run", second.invoice_count, 0)
    table.print()
    print(
        f"runs: {BASE_CUSTOMERS:,} customers in {early_seconds:.1f} s, {CUSTOMERS:,} in {run_seconds:.1f} s "
        f"({CUSTOMERS / run_seconds:.1f} invoices/s); peaks: "
        + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(run_peaks.items(), key=lambda item: -item[1])[:4])
    )
    raise SystemExit(0)  # the rest is measured at today's size only

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
plain_ids = []
for start in range(0, len(invoices_vals), 100):
    plain = Move.create(invoices_vals[start : start + 100])
    plain.action_post()
    plain_ids += plain.ids
env.flush_all()  # noqa: F821
baseline_seconds = time.perf_counter() - started
# the baseline of the PDFs: as many of these plain invoices, rendered the same way
env.invalidate_all()  # noqa: F821
started = time.perf_counter()
pdf, _type = env["ir.actions.report"]._render_qweb_pdf("account.account_invoices", plain_ids[:PDFS])  # noqa: F821
plain_pdf_seconds = time.perf_counter() - started
assert pdf.startswith(b"%PDF"), pdf[:20]
env.cr.rollback()  # noqa: F821


# --- e-invoices: the delivery cron sends the 2,500 run invoices -------------------------
class Stopwatch:
    """A function that adds up the calls and the time spent in it."""

    def __init__(self, function):
        self.function = function
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


# PDF/A-3 conversion (Odoo's, through fontTools) warns about the timestamps of every font
# wkhtmltopdf embeds: thousands of lines that would bury the figures
logging.getLogger("fontTools").setLevel(logging.ERROR)

validate = einvoice_rules.validate
validation = Stopwatch(validate)
# the delivery path calls einvoice_rules.validate(); an addon module that imported the function
# by name gets the timed one as well (the count below shows a call the timer missed)
for module in list(sys.modules.values()):
    if getattr(module, "__name__", "").startswith("odoo.addons.isp_") and getattr(module, "validate", None) is validate:
        module.validate = validation
einvoice_rules.validate = validation

RUN_INVOICES = [("isp_billing_run_id", "=", run.id)]
WAITING = [*RUN_INVOICES, ("isp_email_state", "=", "queued")]


def deliver(batches=None, commit=True):
    """The delivery cron's batches (``_isp_deliver_due_batch``, in this process) on the invoice date,
    until no run invoice waits (or ``batches`` times).

    Each call sends one batch of SEND_BATCH invoices; the batch is committed (or only flushed,
    to be rolled back) and the cache emptied as a new cron transaction would have it. The
    invoices are dated 1 January 2027: the cron's "today" is that day (the clock is not).
    Returns (calls, seconds).
    """
    Move = env["account.move"]  # noqa: F821
    on_invoice_date = mock.patch.object(
        fields.Date, "context_today", staticmethod(lambda record, timestamp=None: RUN_DATE)
    )
    calls = 0
    waiting = Move.search_count(WAITING)
    started = time.perf_counter()
    with on_invoice_date:
        while waiting and (batches is None or calls < batches):
            Move._isp_deliver_due_batch()
            calls += 1
            if commit:
                env.cr.commit()  # noqa: F821
            else:
                env.flush_all()  # noqa: F821
            env.invalidate_all()  # noqa: F821
            left = Move.search_count(WAITING)
            if left == waiting:
                break  # no progress: the checks below say which invoices and why
            waiting = left
    return calls, time.perf_counter() - started


def deliver_by_workers(count):
    """The rest of the run's invoices sent by ``count`` queue_job workers at once: the scheduled
    action (``_cron_isp_deliver_invoices``, with isp_queue_job) enqueues a job per batch of
    SEND_BATCH invoices, and ``count`` worker processes (delivery_worker.py, started and ready
    beforehand) share the jobs until none is left. Returns (invoices sent, seconds, {worker: peak MB}).
    """
    if "isp_queue_job" not in env.registry._init_modules:  # noqa: F821
        raise SystemExit("bench_billing_run: isp_queue_job is not installed in the benchmark database")
    odoo_args = [f"--addons-path={config['addons_path']}", f"--data-dir={config['data_dir']}", "--log-level=warn"]
    if config.rcfile:
        odoo_args.insert(0, f"--config={config.rcfile}")
    for option in ("db_host", "db_port", "db_user", "db_password"):
        if config[option]:
            odoo_args.append(f"--{option.replace('_', '-')}={config[option]}")
    options = json.dumps({"odoo_args": odoo_args, "database": env.cr.dbname, "today": RUN_DATE.isoformat()})  # noqa: F821
    workers = [
        subprocess.Popen(
            [sys.executable, str(DELIVERY_WORKER), options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _worker in range(count)
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", "a delivery worker did not start"
    Move = env["account.move"]  # noqa: F821
    waiting = Move.search_count(WAITING)
    started = time.perf_counter()
    with mock.patch.object(fields.Date, "context_today", staticmethod(lambda record, timestamp=None: RUN_DATE)):
        Move._cron_isp_deliver_invoices()
    env.cr.commit()  # noqa: F821 (the jobs are stored: the workers find them)
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    peaks = {}
    for worker in workers:
        _done, jobs, peak_kb = worker.stdout.readline().split()
        worker.wait(60)
        peaks[f"delivery worker {worker.pid} ({jobs} jobs)"] = int(peak_kb) / 1024
    seconds = time.perf_counter() - started
    env.invalidate_all()  # noqa: F821
    return waiting - Move.search_count(WAITING), seconds, peaks


queue = env["account.move"].search(WAITING, order="invoice_date, id")  # noqa: F821 (the cron's order)
assert len(queue) == CUSTOMERS, len(queue)
formats = set(queue.commercial_partner_id.mapped("isp_einvoice_format"))
assert formats == {"facturx"}, formats

# baseline: the same path with the customers of the first invoices set to "PDF only", rolled back;
# one batch first, not measured, so that both paths start with the templates loaded
pdf_only_sample = queue[: (1 + PDF_ONLY_BATCHES) * SEND_BATCH]
pdf_only_sample.commercial_partner_id.write({"isp_einvoice_format": "pdf"})
SAMPLE_SENT = [("id", "in", pdf_only_sample.ids), ("isp_email_state", "=", "sent")]
deliver(batches=1, commit=False)
warm_up_sent = env["account.move"].search_count(SAMPLE_SENT)  # noqa: F821
_calls, pdf_only_seconds = deliver(batches=PDF_ONLY_BATCHES, commit=False)
pdf_only_sent = env["account.move"].search_count(SAMPLE_SENT)  # noqa: F821
assert pdf_only_sent == len(pdf_only_sample), (pdf_only_sent, len(pdf_only_sample))
pdf_only_count = pdf_only_sent - warm_up_sent
assert validation.calls == 0, f"{validation.calls} e-invoices validated for PDF-only customers"
pdf_only_files = dict(
    OdooPdfFileReader(io.BytesIO(pdf_only_sample[-1].invoice_pdf_report_id.raw), strict=False).getAttachments()
)
assert not pdf_only_files, f"a PDF-only invoice carries {sorted(pdf_only_files)}"
env.cr.rollback()  # noqa: F821
env.invalidate_all()  # noqa: F821

# the first half as e-invoices in this process, committed batch by batch
einvoice_calls, einvoice_seconds = deliver(batches=CUSTOMERS // 2 // SEND_BATCH)
einvoice_count = env["account.move"].search_count([*RUN_INVOICES, ("isp_email_state", "=", "sent")])  # noqa: F821
einvoice_peaks = peak_memory_mb()
validation_calls, validation_seconds = validation.calls, validation.seconds
einvoice_rules.validate = validate

# the second half by queue_job workers in processes of their own
parallel_count, parallel_seconds, worker_peaks = deliver_by_workers(DELIVERY_WORKERS)
einvoice_peaks.update(worker_peaks)

# every invoice sent, none failed, each with its stored PDF
Move = env["account.move"]  # noqa: F821
einvoices_sent = Move.search_count([*RUN_INVOICES, ("isp_email_state", "=", "sent")])
not_sent = Move.search(
    [*RUN_INVOICES, "|", ("isp_email_state", "!=", "sent"), ("isp_delivery_error", "!=", False)], order="id"
)
stored_pdfs = env["ir.attachment"].search_count(  # noqa: F821
    [
        ("res_model", "=", "account.move"),
        ("res_field", "=", "invoice_pdf_report_file"),
        ("res_id", "in", run.invoice_ids.ids),
        ("mimetype", "=", "application/pdf"),
    ]
)

# a sample read back: the embedded factur-x.xml is this invoice's, EN 16931, valid, with its amounts
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
FX = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"


def check_einvoice(invoice):
    """What is wrong with the e-invoice of ``invoice`` (empty: nothing)."""
    pdf = invoice.invoice_pdf_report_id.raw
    if not pdf:
        return [f"{invoice.name}: no PDF ({invoice.isp_email_state}: {invoice.isp_delivery_error})"]
    reader = OdooPdfFileReader(io.BytesIO(pdf), strict=False)
    files = dict(reader.getAttachments())
    if "factur-x.xml" not in files:
        return [f"{invoice.name}: no factur-x.xml in the PDF ({sorted(files)})"]
    xml = files["factur-x.xml"]
    tree = etree.fromstring(xml)

    def text(path):
        return tree.findtext(path, namespaces=NS)

    def amount(path):
        found = text(path)
        return None if found is None else round(float(found), 2)

    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    taxes = {
        (
            tax.findtext("ram:CategoryCode", namespaces=NS),
            float(tax.findtext("ram:RateApplicablePercent", namespaces=NS)),
        )
        for tax in tree.iterfind(f"{settlement}/ram:ApplicableTradeTax", NS)
    }
    metadata = reader.trailer["/Root"].get("/Metadata")
    xmp = etree.fromstring(metadata.getObject().getData()) if metadata else etree.Element("none")
    found = {
        "invoice number (BT-1)": (text("rsm:ExchangedDocument/ram:ID"), invoice.name),
        "profile (BT-24)": (
            text("rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
            "urn:cen.eu:en16931:2017",
        ),
        "XMP conformance level": (xmp.findtext(f".//{FX}ConformanceLevel"), "EN 16931"),
        "XMP file name": (xmp.findtext(f".//{FX}DocumentFileName"), "factur-x.xml"),
        "VAT (BG-23)": (taxes, {("S", 19.0)}),
        "total (BT-112)": (amount(f"{summation}/ram:GrandTotalAmount"), round(invoice.amount_total, 2)),
        "amount due (BT-115)": (amount(f"{summation}/ram:DuePayableAmount"), round(invoice.amount_residual, 2)),
        "payment means (BT-81)": (text(f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"), "58"),
        "IBAN (BT-84)": (
            text(
                f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"
            ),
            IBAN,
        ),
    }
    problems = [
        f"{invoice.name}: {term} is {measured!r}, expected {expected!r}"
        for term, (measured, expected) in found.items()
        if measured != expected
    ]
    fatal = einvoice_rules.fatal(validate(xml, "cii"))
    problems += [f"{invoice.name}: [{finding.rule_id}] {finding.text}" for finding in fatal]
    return problems


run_invoices = run.invoice_ids.sorted("id")
with_credit = run_invoices.filtered("isp_credit_applied")[:5]
xml_sample = with_credit | run_invoices[:: CUSTOMERS // (XML_SAMPLE - len(with_credit))]
xml_problems = [problem for invoice in xml_sample for problem in check_einvoice(invoice)]
xml_sample_ok = len(xml_sample) - len({problem.split(":")[0] for problem in xml_problems})

run_rate = CUSTOMERS / run_seconds
baseline_rate = CUSTOMERS / baseline_seconds
pdf_rate = PDFS / pdf_seconds
plain_pdf_rate = PDFS / plain_pdf_seconds
einvoice_rate = einvoice_count / einvoice_seconds
parallel_rate = parallel_count / parallel_seconds
pdf_only_rate = pdf_only_count / pdf_only_seconds
validation_share = 100 * validation_seconds / einvoice_seconds
process, peak = largest({**run_peaks, **einvoice_peaks})

table = Table("Invoice run benchmark")
table.at_least(
    f"run / create+post baseline ({run_rate:.1f} / {baseline_rate:.1f} invoices/s)",
    ratio(baseline_seconds, run_seconds),
    RUN_RATIO,
)
table.at_most("second run the same day (s)", second_seconds, SECOND_RUN_LIMIT, digits=1)
# the same report for both: what the run puts on its invoices must not make them slower to render
table.at_least(
    f"PDFs of run / plain invoices, {PDFS} ({pdf_rate:.1f} / {plain_pdf_rate:.1f} per s)",
    ratio(plain_pdf_seconds, pdf_seconds),
    PDF_RATIO,
)
# each e-invoice adds Odoo's CII builder, the rules and the PDF/A-3 conversion to what a PDF
# costs: measured 0.82 on the shared 2-core machine (0.67 with a 100-invoice sample under heavy
# load); building or checking the XML twice would bring it near 0.7
table.at_least(
    f"e-invoice / PDF-only delivery ({einvoice_rate:.1f} / {pdf_only_rate:.1f} per s)",
    einvoice_rate / pdf_only_rate,
    EINVOICE_RATIO,
)
# issue 13: at least 10 e-invoices per second on the 2-core machine, validation included
table.at_least(
    f"e-invoices/s, {DELIVERY_WORKERS} queue_job workers, {parallel_count:,} invoices",
    parallel_rate,
    EINVOICES_PER_SECOND,
    digits=1,
)
table.at_least(
    f"e-invoices, {DELIVERY_WORKERS} workers / 1 process ({parallel_rate:.1f} / {einvoice_rate:.1f} per s)",
    parallel_rate / einvoice_rate,
    PARALLEL_DELIVERY_RATIO,
)
table.at_most(
    f"validation share of the e-invoices' time ({1000 * validation_seconds / max(validation_calls, 1):.0f} ms each, %)",
    validation_share,
    25,
    digits=1,
)
table.at_most(f"peak memory of any process, {process} (MB)", peak, PEAK_MEMORY_LIMIT_MB, digits=0)
table.equal("invoices sent", einvoices_sent, CUSTOMERS)
table.equal("invoices failed or with a delivery error", len(not_sent), 0)
table.equal("stored invoice PDFs", stored_pdfs, CUSTOMERS)
table.equal("sample: embedded factur-x.xml right and valid", xml_sample_ok, len(xml_sample))
table.print()
print(
    f"run {run_seconds:.1f} s, baseline {baseline_seconds:.1f} s; e-invoices: {einvoice_calls} cron calls of "
    f"{SEND_BATCH} in {einvoice_seconds:.1f} s, {validation_calls} validations in {validation_seconds:.1f} s; "
    "peaks: "
    + ", ".join(
        f"{name} {mb:.0f} MB"
        for name, mb in sorted({**run_peaks, **einvoice_peaks}.items(), key=lambda item: -item[1])[:4]
    )
)

assert validation_calls >= einvoice_count, (
    f"only {validation_calls} validations timed: the timer missed the delivery path's"
)
assert not not_sent, [(move.name, move.isp_email_state, move.isp_delivery_error) for move in not_sent[:5]]
assert einvoices_sent == CUSTOMERS, einvoices_sent
assert stored_pdfs == CUSTOMERS, stored_pdfs
assert not xml_problems, "\n".join(xml_problems[:20])
