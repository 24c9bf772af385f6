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
The database is analysed after the setup (as autovacuum would have done).

Figures, timings checked against a baseline measured in this process:
- the debit run as the scheduled action makes it without a job queue (one batch for the
  company: planning, the pain.008.001.08 file validated against the ISO schema, the chunks of
  customers each registering one payment per debit on the outstanding receipts account
  reconciled with its invoice, committed chunk by chunk, then the file): its throughput
  against the baseline of plain `account.payment` create + `action_post` + reconciliation of
  each payment's receivable line with its invoice's, in batches of 100, default context,
  for the same 10,000 invoices (measured before the run and rolled back); and the absolute
  target of 180 s that the issue keeps;
- the peak memory of every process (at most 1.5 GB);
- XML writing and schema validation alone for the same 10,000 debits (`pain008.write`,
  `pain008.validate`), and, apart, the reading of the debits from the database
  (`batch._isp_message()`);
- a second scheduled run the same day (at most 30 s), which must create nothing;
- lines, payments and file size of the batch; the invoices must be "in payment".
"""

import time
from datetime import date, timedelta

from figures import PEAK_MEMORY_LIMIT_MB, Table, largest, peak_memory_mb, ratio, reset_peak
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
BASELINE_BATCH = 100
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}
# targets (see the rows at the end)
RUN_RATIO = 1.5  # the issue's: debit run throughput / plain create + post + reconcile
RUN_LIMIT = 180  # seconds, the absolute target the issue keeps from the last one
# XML writing and validation depend on lxml and the schema, not on the database or the ORM: an
# absolute limit, as the last issue set it. A ratio to the run would loosen with a slower run and
# tighten with a faster one, which is not what this figure is about.
XML_LIMIT = 10  # seconds
SECOND_RUN_LIMIT = 30  # seconds, the target
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
    """The debit run as the scheduled action makes it on ``day`` without a job queue: today's batch
    of the company planned, then generated chunk by chunk, one transaction per chunk of customers.
    Returns (batch or nothing, seconds)."""
    with freeze_time(day, tick=True):
        started = clock()
        # the scheduled action works for every company, whoever the cron user is
        batch = env["isp.debit.batch"].sudo().with_company(company)._isp_cron_new_run(company)  # noqa: F821
        if batch:
            batch._isp_start()
            env.cr.commit()  # noqa: F821
            while batch._isp_run_batch():
                env.cr.commit()  # noqa: F821
            batch._isp_finish_if_done()
        env.cr.commit()  # noqa: F821
        seconds = clock() - started
    return batch, seconds


def baseline(invoices, journal, outstanding):
    """Plain Odoo for the same invoices, default context, in batches of BASELINE_BATCH: one customer
    payment per invoice created and posted, then each payment's receivable line reconciled with its
    invoice's, as the register payment wizard does. Rolled back. Returns the seconds it took."""
    method_line = journal.inbound_payment_method_line_ids[:1]
    env.invalidate_all()  # noqa: F821
    Payment = env["account.payment"]  # noqa: F821
    started = clock()
    for start in range(0, len(invoices), BASELINE_BATCH):
        batch = invoices[start : start + BASELINE_BATCH]
        payments = Payment.create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.commercial_partner_id.id,
                    "amount": invoice.amount_residual,
                    "currency_id": invoice.currency_id.id,
                    "date": COLLECTION_DATE,
                    "journal_id": journal.id,
                    "payment_method_line_id": method_line.id,
                    "outstanding_account_id": outstanding.id,
                    "memo": invoice.name,
                }
                for invoice in batch
            ]
        )
        payments.action_post()
        for invoice, payment in zip(batch, payments, strict=True):
            (invoice.line_ids | payment.move_id.line_ids).filtered(
                lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
            ).reconcile()
    env.flush_all()  # noqa: F821
    seconds = clock() - started
    # "paid": Odoo's own payments are no debit in transit (the run's make the invoices "in payment")
    paid = env["account.move"].search_count(  # noqa: F821
        [("id", "in", invoices.ids), ("payment_state", "in", ("in_payment", "paid")), ("amount_residual", "=", 0)]
    )
    assert paid == len(invoices), paid
    env.cr.rollback()  # noqa: F821
    env.invalidate_all()  # noqa: F821
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
Move = env["account.move"]  # noqa: F821

# --- baseline: plain create + post + reconcile of the same invoices, rolled back -------------
outstanding = Batch.new({"company_id": company.id})._isp_outstanding_receipts()
baseline_seconds = baseline(invoices, journal, outstanding)
print(f"baseline: {ITEMS} payments created, posted and reconciled in {baseline_seconds:.1f} s")
assert Payment.search_count([]) == 0, "the baseline's payments are rolled back"

# --- the scheduled run -------------------------------------------------------------------
reset_peak()
batch, run_seconds = scheduled_run(RUN_DATE)
peaks = peak_memory_mb()
assert len(batch) == 1, batch
assert batch.state == "generated", (batch.state, batch.run_errors)
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
    f"{batch.waiting_count} waiting in {run_seconds:.1f} s"
)
print(f"invoices by payment state: {payment_states}")
assert not batch.error_ids, batch.run_errors
assert batch.collection_date == COLLECTION_DATE, batch.collection_date
assert lines.move_id == invoices, (len(lines.move_id), len(invoices))
assert sequence_types == {"FRST": CUSTOMERS, "RCUR": ITEMS - CUSTOMERS}, sequence_types
payment_states_seen = set(payments.mapped("state"))
assert payment_states_seen <= {"in_process", "paid"}, payment_states_seen
assert set(payments.move_id.mapped("state")) == {"posted"}, set(payments.move_id.mapped("state"))
assert set(payments.outstanding_account_id.ids) == {outstanding.id}, payments.outstanding_account_id
assert pain008.validate(batch.file_id.raw, batch.pain_version) == [], "the stored file does not validate"
assert not any(mandates.mapped("first_use")), "the mandates are used now"
in_payment_ids = Move.search([("id", "in", invoices.ids), ("payment_state", "=", "in_payment")]).ids
# each invoice reconciled with the payment of its own debit
partials = env["account.partial.reconcile"].search(  # noqa: F821
    [("credit_move_id.move_id", "in", payments.move_id.ids)]
)
reconciled_pairs = {(partial.debit_move_id.move_id.id, partial.credit_move_id.move_id.id) for partial in partials}
reconciled = len({(line.move_id.id, line.payment_id.move_id.id) for line in lines} & reconciled_pairs)

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
_second, second_seconds = scheduled_run(RUN_DATE)
second_lines = Line.search_count([]) - lines_before
second_payments = Payment.search_count([]) - payments_before
second_batches = len(Batch.search([("id", "not in", batches_before.ids)]))
print(
    f"second run: {second_batches} batches, {second_lines} lines, {second_payments} payments in {second_seconds:.1f} s"
)

process, peak = largest(peaks)
table = Table("Direct debit run benchmark")
table.at_least(
    f"debit run / plain create+post+reconcile ({run_seconds:.0f} / {baseline_seconds:.0f} s)",
    ratio(baseline_seconds, run_seconds),
    RUN_RATIO,
)
table.at_most(f"debit run, {ITEMS:,} debits, {ITEMS / run_seconds:.0f} per s (s)", run_seconds, RUN_LIMIT, digits=1)
table.at_most(f"peak memory of any process, {process} (MB)", peak, PEAK_MEMORY_LIMIT_MB, digits=0)
table.at_most(
    f"XML write + validation, {ITEMS:,} debits ({write_seconds:.2f} + {validate_seconds:.2f} s)",
    xml_seconds,
    XML_LIMIT,
)
table.at_most("second run the same day (s)", second_seconds, SECOND_RUN_LIMIT, digits=1)
table.equal("  batches, lines and payments it created", second_batches + second_lines + second_payments, 0)
table.equal("lines of the batch", len(lines), ITEMS)
table.equal("payments of the batch", len(payments), ITEMS)
table.equal("invoices in payment", len(in_payment_ids), ITEMS)
table.equal("invoices reconciled with their own debit's payment", reconciled, ITEMS)
table.print()
print(
    f"read the debits, batch._isp_message(): {message_seconds:.1f} s; pain.008 file {file_size / 1024:.0f} KiB; "
    "peaks: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(peaks.items(), key=lambda item: -item[1])[:4])
)
