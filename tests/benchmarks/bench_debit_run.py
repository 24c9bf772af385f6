"""Benchmark: the SEPA direct debit run for 10,000 due invoices of 2,500 customers (4 each).

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons (no demo
data); `env` is the shell's environment. Explicit dates only; the runs are made under
freezegun on the run date (a batch's date is `fields.Date.context_today`).

Scenario: the company collects to its bank journal (IBAN and BIC, creditor identifier
DE98ZZZ09999999999) with the default lead time (5 days) and pre-notification (14 days).
The bench company is the one of a fresh database (generic chart, USD): when its currency
is not EUR, EUR is activated with one rate, so that the invoices (in EUR, as SEPA wants)
and their payments reconcile without exchange differences. 2,500 customers pay by direct debit: each has a valid
German IBAN (BLZ 12030000, distinct account numbers, BIC BYLADEM1001), a postal address
and an active recurrent mandate never used, and four posted invoices without taxes dated
26 October, 2, 9 and 16 November 2026. On the run date, 1 December 2026, all of them are
due for collection on 2 December: 2,500 first debits (FRST) and 7,500 recurrent (RCUR).
The database is analysed after the setup (as autovacuum would have done); the run's own
10,000 payment entries are written in one transaction, as the scheduled run does.

Figures:
- the scheduled debit run (`_cron_isp_debit_run`, one batch per company): planning, the
  pain.008.001.08 file validated against the ISO schema, one payment per debit on the
  outstanding receipts account reconciled with its invoice, then commit; its throughput
  and the peak memory of the process while it runs;
- XML writing and schema validation alone for the same 10,000 debits (`pain008.write`,
  `pain008.validate`), and, apart, the reading of the debits from the database
  (`batch._isp_message()`);
- a second scheduled run the same day, which must create nothing;
- lines, payments and file size of the batch; the invoices must be "in payment".
"""

import contextlib
import resource
import time
from datetime import date, timedelta

from freezegun import freeze_time
from stdnum import iban as stdnum_iban

from odoo import Command

from odoo.addons.isp_payment_gateway.engine import pain008

CUSTOMERS = 2500
INVOICES_PER_CUSTOMER = 4
BUSINESS_EVERY = 3  # every third customer is a business, the others consumers
INVOICE_BATCH = 500
INVOICE_DATES = (date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16))
SIGNED = date(2025, 1, 15)
RUN_DATE = date(2026, 12, 1)
COLLECTION_DATE = date(2026, 12, 2)
ITEMS = CUSTOMERS * INVOICES_PER_CUSTOMER
BLZ = "12030000"
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}
# the real clock: freezegun replaces time.perf_counter while a run's date is frozen
clock = time.perf_counter

company = env.company  # noqa: F821 (provided by odoo shell)
# `make bench` serves the database with a cron thread: no scheduled debit run, mandate
# expiry or dunning run in the background
for xmlid in (
    "isp_payment_gateway.ir_cron_isp_debit_run",
    "isp_payment_gateway.ir_cron_isp_sepa_mandate_expire",
    "isp_dunning.ir_cron_isp_dunning_run",
):
    env.ref(xmlid).active = False  # noqa: F821
env.cr.commit()  # noqa: F821


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak():
    """Start the peak memory (VmHWM, ru_maxrss) afresh at the current size (Linux)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")


def german_iban(account_number):
    bban = f"{BLZ}{account_number:010d}"
    return f"DE{stdnum_iban.calc_check_digits(f'DE00{bban}')}{bban}"


def setup_company():
    """EUR (with a rate when the company books in another currency) and the collection account."""
    eur = env.ref("base.EUR")  # noqa: F821
    if company.currency_id != eur:
        eur.active = True
        if not eur.rate_ids:
            env["res.currency.rate"].create(  # noqa: F821
                {"currency_id": eur.id, "name": date(2020, 1, 1), "rate": 0.9, "company_id": company.id}
            )
    journal = env["account.journal"].search(  # noqa: F821
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    if not journal.bank_account_id:
        journal.bank_account_id = env["res.partner.bank"].create(  # noqa: F821
            {
                "acc_number": "DE89370400440532013000",
                "partner_id": company.partner_id.id,
                "bank_id": env["res.bank"].create({"name": "Commerzbank", "bic": "COBADEFF"}).id,  # noqa: F821
            }
        )
    company.write({"isp_sepa_creditor_id": "DE98ZZZ09999999999", "isp_sepa_journal_id": journal.id})
    return eur, journal


def setup(eur):
    germany = env.ref("base.de")  # noqa: F821
    customers = (
        env["res.partner"]  # noqa: F821
        .with_context(**QUIET)
        .create(
            [
                {
                    "name": f"Bench Lastschrift {index:04d}" + (" GmbH" if index % BUSINESS_EVERY == 0 else ""),
                    "is_company": index % BUSINESS_EVERY == 0,
                    "isp_customer_kind": "company" if index % BUSINESS_EVERY == 0 else "individual",
                    "isp_lifecycle": "customer",
                    "isp_payment_method": "sepa",
                    "email": f"sepa{index}@example.com",
                    "lang": "en_US",
                    "street": f"Müllerstraße {index}",
                    "zip": "10115",
                    "city": "Berlin",
                    "country_id": germany.id,
                }
                for index in range(CUSTOMERS)
            ]
        )
    )
    bank = env["res.bank"].create({"name": "Deutsche Kreditbank", "bic": "BYLADEM1001"})  # noqa: F821
    accounts = env["res.partner.bank"].create(  # noqa: F821
        [
            {"acc_number": german_iban(1000000 + index), "partner_id": customer.id, "bank_id": bank.id}
            for index, customer in enumerate(customers)
        ]
    )
    mandates = (
        env["isp.sepa.mandate"]  # noqa: F821
        .with_context(**QUIET)
        .create(
            [
                {
                    "partner_id": customer.id,
                    "bank_account_id": account.id,
                    "signature_date": SIGNED + timedelta(days=index % 365),
                }
                for index, (customer, account) in enumerate(zip(customers, accounts, strict=True))
            ]
        )
    )
    mandates.action_activate()
    env.cr.commit()  # noqa: F821
    journal = env["account.journal"].search(  # noqa: F821
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    invoices_vals = [
        {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "journal_id": journal.id,
            "currency_id": eur.id,
            "invoice_date": day,
            "invoice_date_due": day + timedelta(days=14),
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": f"Hosting and access {day:%B %Y}",
                        "quantity": 1,
                        "price_unit": 19.9 + (index % 7) * 10 + number * 5,
                        "tax_ids": [],
                    }
                )
            ],
        }
        for index, customer in enumerate(customers)
        for number, day in enumerate(INVOICE_DATES)
    ]
    Move = env["account.move"].with_context(**QUIET)  # noqa: F821
    invoice_ids = []
    for start in range(0, len(invoices_vals), INVOICE_BATCH):
        invoices = Move.create(invoices_vals[start : start + INVOICE_BATCH])
        invoices.action_post()
        invoice_ids += invoices.ids
        env.cr.commit()  # noqa: F821
        env.invalidate_all()  # noqa: F821
    # planner statistics of the data as autovacuum keeps them in production, whenever it ran
    env.cr.execute("ANALYZE")  # noqa: F821
    env.cr.commit()  # noqa: F821
    return customers, mandates, Move.browse(invoice_ids)


def scheduled_run(day):
    """The daily run as the cron makes it on ``day``, committed. Returns the seconds it took."""
    with freeze_time(day, tick=True):
        started = clock()
        env["isp.debit.batch"]._cron_isp_debit_run()  # noqa: F821
        env.cr.commit()  # noqa: F821
        seconds = clock() - started
    return seconds


started = clock()
eur, journal = setup_company()
customers, mandates, invoices = setup(eur)
setup_seconds = clock() - started
print(
    f"\nsetup: {CUSTOMERS} SEPA customers with mandates, {len(invoices)} posted {eur.name} invoices "
    f"(company currency {company.currency_id.name}) in {setup_seconds:.0f} s"
)
assert len(invoices) == ITEMS, len(invoices)
assert set(mandates.mapped("state")) == {"active"}, set(mandates.mapped("state"))
candidates = env["isp.debit.batch"]._isp_candidates(company)  # noqa: F821
assert set(candidates) == set(invoices), f"{len(candidates)} candidates, {len(invoices)} invoices"
env.invalidate_all()  # noqa: F821

Batch = env["isp.debit.batch"]  # noqa: F821
Line = env["isp.debit.batch.line"]  # noqa: F821
Payment = env["account.payment"]  # noqa: F821

# --- the scheduled run -------------------------------------------------------------------
batches_before = Batch.search([])
reset_peak()
run_seconds = scheduled_run(RUN_DATE)
run_peak = peak_mb()
batch = Batch.search([("id", "not in", batches_before.ids)])
assert len(batch) == 1, batch
assert batch.state == "generated", (batch.state, batch.message_ids[:1].body)
lines = batch.line_ids
payments = lines.payment_id
file_size = len(batch.file_id.raw or b"")
sequence_types = dict(Line._read_group([("batch_id", "=", batch.id)], ["sequence_type"], ["__count"]))
payment_states = dict(
    env["account.move"]._read_group([("id", "in", invoices.ids)], ["payment_state"], ["__count"])  # noqa: F821
)
print(
    f"run: batch {batch.name}, collection {batch.collection_date}, {len(lines)} lines "
    f"({', '.join(f'{count} {kind}' for kind, count in sorted(sequence_types.items()))}), "
    f"{len(payments)} payments, file {batch.file_id.name} {file_size / 1024:.0f} KiB, "
    f"{batch.waiting_count} waiting in {run_seconds:.1f} s, peak {run_peak:.0f} MB"
)
print(f"invoices by payment state: {payment_states}")
assert batch.collection_date == COLLECTION_DATE, batch.collection_date
assert lines.move_id == invoices, (len(lines.move_id), len(invoices))
assert sequence_types == {"FRST": CUSTOMERS, "RCUR": ITEMS - CUSTOMERS}, sequence_types
assert len(payments) == ITEMS, len(payments)
payment_states_seen = set(payments.mapped("state"))
assert payment_states_seen <= {"in_process", "paid"}, payment_states_seen
assert payment_states == {"in_payment": ITEMS}, payment_states
assert pain008.validate(batch.file_id.raw, batch.pain_version) == [], "the stored file does not validate"
assert not any(mandates.mapped("first_use")), "the mandates are used now"

# --- XML writing and schema validation alone ---------------------------------------------
env.invalidate_all()  # noqa: F821
started = clock()
message = batch._isp_message()
message_seconds = clock() - started
started = clock()
document = pain008.write(message, "08")
write_seconds = clock() - started
started = clock()
reasons = pain008.validate(document, "08")
validate_seconds = clock() - started
xml_seconds = write_seconds + validate_seconds
debits = sum(len(group.debits) for group in message.groups)
print(
    f"xml: {debits} debits read in {message_seconds:.1f} s, written in {write_seconds:.2f} s "
    f"({len(document) / 1024:.0f} KiB), validated in {validate_seconds:.2f} s"
)
assert debits == ITEMS, debits
assert reasons == [], reasons[:5]
env.cr.rollback()  # noqa: F821

# --- a second scheduled run the same day -------------------------------------------------
lines_before = Line.search_count([])
payments_before = Payment.search_count([])
batches_before = Batch.search([])
second_seconds = scheduled_run(RUN_DATE)
second_lines = Line.search_count([]) - lines_before
second_payments = Payment.search_count([]) - payments_before
second_batches = len(Batch.search([("id", "not in", batches_before.ids)]))
print(
    f"second run: {second_batches} batches, {second_lines} lines, {second_payments} payments in {second_seconds:.1f} s"
)


def verdict(measured, limit):
    return "ok" if measured <= limit else "MISSED"


def expected(measured, value):
    return "ok" if measured == value else "MISSED"


rows = [
    (f"debit run, scheduled, {ITEMS:,} debits (s)", "<= 180", f"{run_seconds:.1f}", verdict(run_seconds, 180)),
    ("  throughput (debits/s)", "", f"{ITEMS / run_seconds:.1f}", ""),
    ("  peak memory of the process (MB)", "", f"{run_peak:.0f}", ""),
    (f"XML write + validation, {ITEMS:,} debits (s)", "<= 10", f"{xml_seconds:.2f}", verdict(xml_seconds, 10)),
    ("  write pain.008.001.08 (s)", "", f"{write_seconds:.2f}", ""),
    ("  validate against the ISO schema (s)", "", f"{validate_seconds:.2f}", ""),
    ("  read the debits, batch._isp_message() (s)", "", f"{message_seconds:.1f}", ""),
    ("second run the same day (s)", "<= 10", f"{second_seconds:.1f}", verdict(second_seconds, 10)),
    (
        "  batches, lines and payments it created",
        "0",
        f"{second_batches + second_lines + second_payments}",
        expected(second_batches + second_lines + second_payments, 0),
    ),
    ("lines of the batch", f"{ITEMS}", f"{len(lines)}", expected(len(lines), ITEMS)),
    ("payments of the batch", f"{ITEMS}", f"{len(payments)}", expected(len(payments), ITEMS)),
    (
        "invoices in payment",
        f"{ITEMS}",
        f"{payment_states.get('in_payment', 0)}",
        expected(payment_states.get("in_payment", 0), ITEMS),
    ),
    ("pain.008 file size (KiB)", "", f"{file_size / 1024:.0f}", ""),
]
print("\nDirect debit run benchmark")
print(f"{'figure':<46} {'target':>8} {'measured':>10}  result")
for figure, target, measured, result in rows:
    print(f"{figure:<46} {target:>8} {measured:>10}  {result}")
