"""Benchmark: the dunning run for 10,000 overdue invoices of 2,500 customers (4 each).

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons (no demo
data); `env` is the shell's environment. Explicit dates only; each run is made under
freezegun on its run date (a run's date is `fields.Date.context_today`).

Scenario: the shipped German standard profile is the company's default profile. Three in
five customers are companies, the others individuals; every eighth gets its letters by post.
Each customer has four posted invoices without taxes. The items already stand at a level
through earlier runs, each committed batch by batch as the scheduled run does:
- every fourth customer's first invoice is due 3 December 2025: reminder on 10 December,
  first dunning notice (interest, EUR 40 flat fee for businesses) on 24 December;
- all other invoices are due 24 December 2025: reminder on 31 December.
The measured run on 14 January 2026 takes every item one level further: 9,375 items reach
the first dunning notice (interest across the base rate of 1 January 2026, the flat fee for
businesses), 625 the second (fee and interest): 10,000 steps, 2,500 letters (queued, not
rendered or sent) and 2,500 posted charge invoices.

Figures, timings checked against baselines measured in this process:
- confirm: a scheduled run (trigger "cron"), committed chunk by chunk as the scheduled action
  does without a job queue, against the baseline of its own charge invoices made again with
  plain `account.move.create` in batches of 100 and `action_post` (rolled back): the run also
  writes the 10,000 steps and the 2,500 letters;
- preview of the measured run on the 10,000 items (rolled back) against the confirm;
- the peak memory of every process (at most 1.5 GB);
- a second scheduled run the same day (at most 30 s), which must create nothing;
- steps, letters and charge invoices created by the measured run.
"""

import time
from datetime import date, timedelta

from figures import PEAK_MEMORY_LIMIT_MB, Table, largest, peak_memory_mb, ratio, reset_peak
from freezegun import freeze_time

from odoo import Command

CUSTOMERS = 2500
INVOICES_PER_CUSTOMER = 4
EARLY_EVERY = 4  # every fourth customer's first invoice is overdue three weeks earlier
POST_EVERY = 8  # every eighth customer gets letters by post
INVOICE_BATCH = 500
EARLY_DUE = date(2025, 12, 3)
DUE = date(2025, 12, 24)
SETUP_RUNS = (date(2025, 12, 10), date(2025, 12, 24), date(2025, 12, 31))
RUN_DATE = date(2026, 1, 14)
ITEMS = CUSTOMERS * INVOICES_PER_CUSTOMER
EARLY_ITEMS = len(range(0, CUSTOMERS, EARLY_EVERY))
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}
# targets, measured on the shared 2-core machine (see the rows below)
RUN_RATIO = 1.0
PREVIEW_SHARE = 0.5
SECOND_RUN_LIMIT = 30  # seconds, the target
# the real clock: freezegun replaces time.perf_counter while a run's date is frozen
clock = time.perf_counter

company = env.company  # noqa: F821 (provided by odoo shell)
profile = env.ref("isp_dunning.profile_german_standard")  # noqa: F821
reminder, dunning_1, dunning_2 = (
    env.ref(f"isp_dunning.level_de_{name}")  # noqa: F821
    for name in ("reminder", "dunning_1", "dunning_2")
)
company.isp_dunning_profile_id = profile
# `make bench` serves the database with a cron thread: no scheduled dunning run and no
# letter delivery in the background (letters stay queued)
for xmlid in ("isp_dunning.ir_cron_isp_dunning_run", "isp_dunning.ir_cron_isp_send_dunning_letters"):
    env.ref(xmlid).active = False  # noqa: F821
env.cr.commit()  # noqa: F821


def setup():
    customers = env["res.partner"].create(  # noqa: F821
        [
            {
                "name": f"Bench Debtor {index:04d}",
                "is_company": index % 5 < 3,
                "isp_customer_kind": "company" if index % 5 < 3 else "individual",
                "isp_lifecycle": "customer",
                "email": f"debtor{index}@example.com",
                "isp_invoice_delivery": "post" if index % POST_EVERY == 0 else "email",
                "lang": "en_US",
                "street": f"Mahnweg {index}",
                "zip": "10115",
                "city": "Berlin",
            }
            for index in range(CUSTOMERS)
        ]
    )
    journal = env["account.journal"].search(  # noqa: F821
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    invoices_vals = []
    for index, customer in enumerate(customers):
        for number in range(INVOICES_PER_CUSTOMER):
            due = EARLY_DUE if number == 0 and index % EARLY_EVERY == 0 else DUE
            invoices_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "journal_id": journal.id,
                    "invoice_date": due - timedelta(days=14),
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": f"Hosting and access, month {number + 1}",
                                "quantity": 1,
                                "price_unit": 20.0 + (index % 7) * 10 + number * 5,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
    Move = env["account.move"].with_context(**QUIET)  # noqa: F821
    for start in range(0, len(invoices_vals), INVOICE_BATCH):
        Move.create(invoices_vals[start : start + INVOICE_BATCH]).action_post()
        env.cr.commit()  # noqa: F821
        env.invalidate_all()  # noqa: F821
    return customers


def scheduled_run(day):
    """A run as the scheduled action makes it on ``day`` without a job queue: one transaction per
    chunk of customers. Returns (run, seconds)."""
    with freeze_time(day, tick=True):
        started = clock()
        run = env["isp.dunning.run"].create({"date": day, "trigger": "cron"})  # noqa: F821
        run._isp_start()
        env.cr.commit()  # noqa: F821
        while run._isp_run_batch():
            env.cr.commit()  # noqa: F821
        run._isp_finish_if_done()
        env.cr.commit()  # noqa: F821
        seconds = clock() - started
    return run, seconds


started = clock()
customers = setup()
invoices_seconds = clock() - started
print(f"\nsetup: {CUSTOMERS} customers, {ITEMS} posted invoices in {invoices_seconds:.0f} s")
for day in SETUP_RUNS:
    run, seconds = scheduled_run(day)
    assert not run.error_count, run.error_ids.mapped("message")[:3]
    print(f"setup run {day}: {run.step_count} steps, {run.letter_count} letters in {seconds:.0f} s")
Move = env["account.move"]  # noqa: F821
levels = dict(
    Move._read_group(
        [("partner_id", "in", customers.ids), ("isp_dunning_charge", "=", False)],
        ["isp_dunning_level_id"],
        ["__count"],
    )
)
assert levels == {reminder: ITEMS - EARLY_ITEMS, dunning_1: EARLY_ITEMS}, levels
env.invalidate_all()  # noqa: F821

# --- preview of the measured run -----------------------------------------------------
with freeze_time(RUN_DATE, tick=True):
    preview = env["isp.dunning.run"].create({"date": RUN_DATE})  # noqa: F821
    started = clock()
    preview.action_preview()
    env.flush_all()  # noqa: F821
    preview_seconds = clock() - started
preview_rows = len(preview.preview_line_ids)
preview_steps = len(preview.preview_line_ids.filtered("level_id"))
preview_letters = preview.preview_letter_count
print(
    f"preview: {preview_steps} steps, {preview_letters} letters, {preview_rows} rows (with open charges listed) "
    f"in {preview_seconds:.1f} s"
)
assert (preview_steps, preview_letters) == (ITEMS, CUSTOMERS), (preview_steps, preview_letters)
env.cr.rollback()  # noqa: F821
env.invalidate_all()  # noqa: F821

# --- confirm: the scheduled run, committed batch by batch ------------------------------
reset_peak()
run, run_seconds = scheduled_run(RUN_DATE)
peaks = peak_memory_mb()
charges = Move.search([("isp_dunning_charge", "=", True), ("invoice_date", "=", RUN_DATE)])
steps_by_level = dict(env["isp.dunning.step"]._read_group([("run_id", "=", run.id)], ["level_id"], ["__count"]))  # noqa: F821
print(
    f"run: {run.step_count} steps, {run.letter_count} letters, {run.charge_invoice_count} charge invoices "
    f"(fees {run.fee_total:.2f}, interest {run.interest_total:.2f}) in {run_seconds:.1f} s"
)
assert not run.error_count, run.error_ids.mapped("message")[:3]
assert len(run.step_ids) == run.step_count == ITEMS, run.step_count
assert len(run.letter_ids) == run.letter_count == CUSTOMERS, run.letter_count
assert len(charges) == run.charge_invoice_count == CUSTOMERS, (len(charges), run.charge_invoice_count)
assert set(charges.mapped("state")) == {"posted"}, set(charges.mapped("state"))
assert steps_by_level == {dunning_1: ITEMS - EARLY_ITEMS, dunning_2: EARLY_ITEMS}, steps_by_level
queued = len(run.letter_ids.filtered(lambda letter: letter.email_state == "queued"))
to_print = len(run.letter_ids.filtered(lambda letter: letter.print_state == "to_print"))
print(f"letters: {queued} e-mails queued, {to_print} to print")

# --- baseline: the run's charge invoices made again, plain create + post, batches of 100 ---
charge_vals = [
    {
        "move_type": "out_invoice",
        "partner_id": charge.partner_id.id,
        "journal_id": charge.journal_id.id,
        "invoice_date": charge.invoice_date,
        "invoice_line_ids": [
            Command.create(
                {
                    "product_id": line.product_id.id,
                    "name": line.name,
                    "quantity": line.quantity,
                    "price_unit": line.price_unit,
                    "tax_ids": [Command.set(line.tax_ids.ids)],
                }
            )
            for line in charge.invoice_line_ids
        ],
    }
    for charge in charges
]
env.invalidate_all()  # noqa: F821
started = clock()
for start in range(0, len(charge_vals), 100):
    Move.create(charge_vals[start : start + 100]).action_post()
env.flush_all()  # noqa: F821
baseline_seconds = clock() - started
env.cr.rollback()  # noqa: F821
env.invalidate_all()  # noqa: F821

# --- a second scheduled run the same day ---------------------------------------------
second, second_seconds = scheduled_run(RUN_DATE)
second_steps, second_letters = len(second.step_ids), len(second.letter_ids)
print(f"second run: {second_steps} steps, {second_letters} letters in {second_seconds:.1f} s")
print(f"baseline: {len(charge_vals)} charge invoices created and posted in {baseline_seconds:.1f} s")

process, peak = largest(peaks)
table = Table("Dunning run benchmark")
table.at_least(
    f"run / create+post of its charge invoices ({run_seconds:.0f} / {baseline_seconds:.0f} s)",
    ratio(baseline_seconds, run_seconds),
    RUN_RATIO,
)
table.at_most(
    f"preview / confirm of {ITEMS:,} items ({preview_seconds:.1f} / {run_seconds:.1f} s)",
    preview_seconds / run_seconds,
    PREVIEW_SHARE,
)
table.at_most(f"peak memory of any process, {process} (MB)", peak, PEAK_MEMORY_LIMIT_MB, digits=0)
table.at_most("second run the same day (s)", second_seconds, SECOND_RUN_LIMIT, digits=1)
table.equal("  steps and letters it created", second_steps + second_letters, 0)
table.equal("steps created by the run", run.step_count, ITEMS)
table.equal("letters created by the run", run.letter_count, CUSTOMERS)
table.equal("charge invoices created by the run", run.charge_invoice_count, CUSTOMERS)
table.print()
