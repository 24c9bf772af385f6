"""Benchmark: the same invoice run billed by one queue_job worker and by two.

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons and
isp_queue_job (no demo data); `env` is the shell's environment. Run it alone with
`BENCH=parallel_runs make bench`.

The run's jobs are run as in production: OCA queue_job's job runner runs in this process with
the capacity of the measurement (channels `root:1`, then `root:2`) and hands each job to
/queue_job/runjob of the server that `make bench` starts for the database (2 workers,
127.0.0.1, no scheduled actions: `ISP_BENCH_SERVER_URL`, its log in `ISP_BENCH_SERVER_LOG`);
each job processes one chunk of 100 customers in a worker process of that server.

Scenario: CUSTOMERS customers with 4 monthly services each (the company's sales tax on every
line), all starting on 1 January 2027. The run of 1 January is billed by one worker, the run of
1 February by two, the run of 1 March by one again: the same invoices each month, and the
one-worker throughput is the mean of the January and March runs, so that neither side profits
from a warmer cache or a smaller database. A run is timed from its confirmation (the jobs
enqueued and committed) until its last job finished it.

Figures: invoices per second with two workers against one (target: at least 1.5 on a machine
with 2 cores), both throughputs, and checks that make the figures count: every run billed every
customer once, no period billed twice, no job failed, no ERROR line in the server log.
"""

import math
import os
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from figures import Table

from odoo.addons.queue_job.jobrunner.runner import QueueJobRunner

CUSTOMERS = 1600
SERVICES_PER_CUSTOMER = 4
RUNS = [(date(2027, 1, 1), 1), (date(2027, 2, 1), 2), (date(2027, 3, 1), 1)]
RATIO_TARGET = 1.5
#: the two one-worker runs must agree this well for the ratio to mean something
BASELINE_SPREAD = 0.2
RUN_TIMEOUT = 1800
SAMPLE_SECONDS = 0.2

server_url = os.environ.get("ISP_BENCH_SERVER_URL")
server_log = os.environ.get("ISP_BENCH_SERVER_LOG")
if not server_url:
    raise SystemExit("bench_parallel_runs: no server (ISP_BENCH_SERVER_URL): run it with `make bench`")
if "isp_queue_job" not in env.registry._init_modules:  # noqa: F821 (provided by odoo shell)
    raise SystemExit("bench_parallel_runs: isp_queue_job is not installed in the benchmark database")
server = urlparse(server_url)


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
                ("Parallel hosting", "hosting", 9.9),
                ("Parallel database", "database", 2.5),
                ("Parallel DSL", "access_line", 39.9),
                ("Parallel support", "contract", 15.0),
            )
        ]
    )
    customers = env["res.partner"].create(  # noqa: F821
        [
            {
                "name": f"Parallel Customer {index:04d}",
                "is_company": True,
                "isp_lifecycle": "customer",
                "email": f"parallel{index}@example.com",
                "lang": "en_US",
                "isp_einvoice_format": "pdf",
            }
            for index in range(CUSTOMERS)
        ]
    )
    env["isp.service"].create(  # noqa: F821
        [
            {
                "partner_id": customer.id,
                "product_id": article.id,
                "name": {
                    "hosting": f"parallel{index}.example.com",
                    "database": f"parallel_db_{index}",
                    "access_line": f"PDSL-{index:05d}",
                    "contract": f"Parallel support {index}",
                }[article.isp_article_type],
                "date_start": RUNS[0][0],
                "price_unit": article.lst_price,
                "state": "active",
            }
            for index, customer in enumerate(customers)
            for article in articles
        ]
    )
    env.cr.commit()  # noqa: F821
    return articles, customers


def run_state(run_id):
    """The run's state as the workers committed it (a fresh transaction)."""
    with env.registry.cursor() as cr:  # noqa: F821
        cr.execute("SELECT state FROM isp_billing_run WHERE id = %s", [run_id])
        return cr.fetchone()[0]


def server_cpu_seconds():
    """CPU time used so far by the benchmark server's processes (its workers run the jobs)."""
    ticks = 0
    marker = f"--db-filter=^{env.cr.dbname}$".encode()  # noqa: F821
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker not in cmdline.read_bytes():
                continue
            values = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        ticks += int(values[11]) + int(values[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """(busy, total) CPU seconds of the machine so far, all cores."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK"), sum(values) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """What the database's sessions do while a run goes on: sampled every SAMPLE_SECONDS."""

    def __init__(self):
        self.samples = 0
        self.waiting = 0
        self.active = 0
        self.cpu = server_cpu_seconds()
        self.machine = machine_busy_seconds()

    def sample(self):
        with env.registry.cursor() as cr:  # noqa: F821
            cr.execute(
                """
                SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'),
                       count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock')
                  FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                """
            )
            waiting, active = cr.fetchone()
        self.samples += 1
        self.waiting += waiting
        self.active += active

    def summary(self, seconds):
        cpu = server_cpu_seconds() - self.cpu
        busy, total = (now - before for now, before in zip(machine_busy_seconds(), self.machine, strict=True))
        cores = os.cpu_count()
        return (
            f"server processes {cpu / seconds:.2f} cores busy on average; sessions waiting for a lock "
            f"{self.waiting / max(self.samples, 1):.2f} on average; machine {busy / total:.0%} busy of {cores} cores"
        )


def bill(day, workers):
    """Confirm the run of ``day`` and let the job runner hand its jobs to ``workers`` server workers at once.
    Returns (run id, seconds, what the sampler saw)."""
    runner = QueueJobRunner(
        scheme=server.scheme, host=server.hostname, port=server.port, channel_config_string=f"root:{workers}"
    )
    thread = threading.Thread(target=runner.run, name=f"jobrunner-{workers}", daemon=True)
    thread.start()
    try:
        sampler = Sampler()
        started = time.perf_counter()
        run = env["isp.billing.run"].create({"date": day})  # noqa: F821
        run.action_confirm()
        env.cr.commit()  # noqa: F821 (the jobs are stored: the runner hears of them now)
        deadline = time.monotonic() + RUN_TIMEOUT
        while run_state(run.id) != "done":
            if time.monotonic() > deadline:
                raise SystemExit(f"bench_parallel_runs: the run of {day} did not finish in {RUN_TIMEOUT} s")
            sampler.sample()
            time.sleep(SAMPLE_SECONDS)
        seconds = time.perf_counter() - started
    finally:
        runner.stop()
        thread.join(60)
    env.invalidate_all()  # noqa: F821
    return run.id, seconds, sampler.summary(seconds)


def log_errors(offset):
    if not server_log:
        return []
    with open(server_log, encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        return [line.rstrip() for line in log if " ERROR " in line or " CRITICAL " in line]


started = time.perf_counter()
articles, customers = setup()
print(
    f"\nsetup: {CUSTOMERS} customers, {CUSTOMERS * SERVICES_PER_CUSTOMER} services"
    f" in {time.perf_counter() - started:.0f} s"
)
log_offset = os.path.getsize(server_log) if server_log else 0
first_job = env["queue.job"].search([], order="id desc", limit=1).id or 0  # noqa: F821

results = []
for day, workers in RUNS:
    run_id, seconds, seen = bill(day, workers)
    run = env["isp.billing.run"].browse(run_id)  # noqa: F821
    print(f"run {day}: {workers} worker(s), {run.invoice_count} invoices in {seconds:.1f} s, {run.error_count} errors")
    print(f"  {seen}")
    results.append((day, workers, run, seconds))
errors_logged = log_errors(log_offset)

Job = env["queue.job"]  # noqa: F821
failed_jobs = Job.search_count([("id", ">", first_job), ("state", "!=", "done")])
services = env["isp.service"].search([("partner_id", "in", customers.ids)])  # noqa: F821
twice = env["account.move.line"]._read_group(  # noqa: F821
    [("isp_service_id", "in", services.ids)],
    ["isp_service_id", "isp_period_start:day"],
    ["__count"],
    having=[("__count", ">", 1)],
)
billed_twice = sum(count - 1 for _service, _start, count in twice)

rates = {day: run.invoice_count / seconds for day, _workers, run, seconds in results}
(jan, _one), (feb, _two), (mar, _again) = ((day, workers) for day, workers, _run, _seconds in results)
one_worker = (rates[jan] + rates[mar]) / 2
two_workers = rates[feb]
ratio = two_workers / one_worker if one_worker else math.nan
spread = abs(rates[mar] / rates[jan] - 1) if rates[jan] else math.nan
invoice_counts = [run.invoice_count for _day, _workers, run, _seconds in results]


table = Table(
    f"Invoice run on queue_job workers ({CUSTOMERS} customers x {SERVICES_PER_CUSTOMER} services, chunks of 100)"
)
table.at_least(
    f"throughput, 2 workers / 1 worker ({two_workers:.1f} / {one_worker:.1f} invoices/s)", ratio, RATIO_TARGET
)
# the ratio means something only if the two one-worker runs agree
table.at_most(
    f"1-worker runs apart, March / January - 1 ({rates[mar]:.1f} / {rates[jan]:.1f} invoices/s)",
    spread,
    BASELINE_SPREAD,
)
for (day, _workers, _run, _seconds), count in zip(results, invoice_counts, strict=True):
    table.equal(f"invoices of the run of {day}", count, CUSTOMERS)
table.equal("service periods billed twice", billed_twice, 0)
table.equal("jobs not done (failed or left)", failed_jobs, 0)
table.equal("ERROR lines in the server log", len(errors_logged), 0)
for line in errors_logged[:10]:
    print(f"server log: {line}")
table.print()
