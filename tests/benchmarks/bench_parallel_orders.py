"""Benchmark: a reseller's shop sends its orders in parallel through the remote order API.

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons (no demo
data); `env` is the shell's environment. The orders go over HTTP to the server that
`make bench` starts for the database (2 workers, 127.0.0.1, no scheduled actions):
`ISP_BENCH_SERVER_URL`, its log in `ISP_BENCH_SERVER_LOG`. Run it alone with
`BENCH=parallel_orders make bench`.

Scenario: resellers (customer class reseller, monthly period) order a service contract of
10.00 without tax through `POST /isp/api/v1/orders`, each with the API key of its portal
user and a reference of its own per order. A client sends one order after the other; on a
503 it waits the `Retry-After` seconds and sends the same request again (the reference makes
that safe), up to 10 times. The data is committed (the server's workers must see it) and
stays in the benchmark database.

1. baseline: 1 client for 20 s on reseller A;
2. parallel: 4 clients for 60 s on reseller B (at most 2,000 orders each);
3. quota: 4 clients send 10 orders each at once for reseller C, whose quota of 100.00 fits
   10 orders: exactly 10 are executed (accumulated), the 30 others wait for approval.

Figures, each against the single client measured in this process: orders per second of the
parallel clients (at least 80 % of the single client's rate) and their p95 latency (first send
to the order, retries included); server errors (an answer of 500 or more other than a JSON 503
with Retry-After, a non-JSON answer, a broken connection); ERROR lines in the server log while
the benchmark runs; orders asked for but not created; the 503 answers the clients had to wait
for (printed); the executed orders of the quota phase.
"""

import json
import math
import os
import threading
import time
import uuid
from datetime import timedelta

import requests
from figures import Table

from odoo import Command, fields

BASELINE_SECONDS = 20
PARALLEL_SECONDS = 60
PARALLEL_CLIENTS = 4
MAX_ORDERS_PER_CLIENT = 2_000
QUOTA_ORDERS_PER_CLIENT = 10
QUOTA_FITS = 10
PRICE = 10.0
MAX_ATTEMPTS = 10
# Targets. The orders of one customer are processed one after the other: parallel clients
# gain little over one client (only the work outside the lock overlaps), and must not lose
# more than a fifth of its rate to lock conflicts and retries. Each order waits for the other
# clients' orders in flight, at most three: its p95 latency within P95_RATIO times the single
# client's (3.3 s and server errors were measured before the customer lock waited).
RATE_SHARE = 0.8
P95_RATIO = 6.0

server_url = os.environ.get("ISP_BENCH_SERVER_URL")
server_log = os.environ.get("ISP_BENCH_SERVER_LOG")
if not server_url:
    raise SystemExit("bench_parallel_orders: no server (ISP_BENCH_SERVER_URL): run it with `make bench`")

tag = uuid.uuid4().hex[:6]
product = env["product.product"].create(  # noqa: F821 (provided by odoo shell)
    {
        "name": "Bench API contract",
        "default_code": f"BENCH-API-{tag}",
        "type": "service",
        "list_price": PRICE,
        "taxes_id": [],
        "isp_article_type": "contract",
    }
)
portal_group = env.ref("base.group_portal")  # noqa: F821


def reseller(name, quota):
    """A reseller with a portal user and its API key (committed: the server's workers must see them)."""
    partner = env["res.partner"].create(  # noqa: F821
        {
            "name": f"Bench Shop {name} {tag}",
            "is_company": True,
            "email": f"bench-shop-{name.lower()}-{tag}@example.com",
            "isp_lifecycle": "customer",
            "isp_customer_class": "reseller",
            "isp_reseller_period": "monthly",
            "isp_order_quota": quota,
        }
    )
    user = (
        env["res.users"]  # noqa: F821
        .with_context(no_reset_password=True)
        .create(
            {
                "name": partner.name,
                "login": f"bench-shop-{name.lower()}-{tag}",
                "partner_id": partner.id,
                "groups_id": [Command.set([portal_group.id])],
            }
        )
    )
    expiry = fields.Datetime.now() + timedelta(days=1)
    key = env["res.users.apikeys"].with_user(user)._generate(None, "bench", expiry)  # noqa: F821
    return partner, key


shops = {
    "baseline": reseller("A", 1_000_000_000.0),
    "parallel": reseller("B", 1_000_000_000.0),
    "quota": reseller("C", QUOTA_FITS * PRICE),
}
env.cr.commit()  # noqa: F821
# plain values for the client threads (they never touch the shell's cursor)
product_code = product.default_code


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.created = 0
        self.busy = 0
        self.server_errors = []
        self.lost = 0

    def add(self, **counts):
        with self.lock:
            for name, value in counts.items():
                if name == "latency":
                    self.latencies.append(value)
                elif name == "server_error":
                    self.server_errors.append(value)
                else:
                    setattr(self, name, getattr(self, name) + value)


def order(session, key, reference, results):
    """Send one order until it is created (201, or 200 for a retry that finds it), as a shop client does."""
    body = json.dumps({"reference": reference, "lines": [{"product": product_code, "quantity": 1}]})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    started = time.monotonic()
    for _attempt in range(MAX_ATTEMPTS):
        try:
            response = session.post(f"{server_url}/isp/api/v1/orders", data=body, headers=headers, timeout=120)
        except requests.RequestException as error:
            results.add(server_error=f"{reference}: {error}")
            return
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        if response.status_code in (200, 201) and is_json and "order" in response.json():
            results.add(created=1, latency=time.monotonic() - started)
            return
        if response.status_code == 503 and is_json and response.headers.get("Retry-After", "").isdigit():
            results.add(busy=1)
            time.sleep(int(response.headers["Retry-After"]))
            continue
        if response.status_code >= 500 or not is_json:
            results.add(server_error=f"{reference}: {response.status_code} {response.text[:200]}")
        else:
            results.add(lost=1)  # refused as a bad request: a bug of the benchmark or of the API
        return
    results.add(lost=1)


def run_clients(shop, clients, seconds=None, orders_per_client=MAX_ORDERS_PER_CLIENT):
    """``clients`` threads ordering for ``shop`` until ``seconds`` have passed or each sent its orders."""
    _partner, key = shops[shop]
    results = Results()
    deadline = time.monotonic() + seconds if seconds else math.inf
    start = threading.Barrier(clients)

    def client(number):
        with requests.Session() as session:
            start.wait()
            for index in range(orders_per_client):
                if time.monotonic() >= deadline:
                    break
                order(session, key, f"{shop}-{number}-{index}", results)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else float("nan")


def log_errors(offset):
    if not server_log:
        return []
    with open(server_log, encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        return [line.rstrip() for line in log if " ERROR " in line or " CRITICAL " in line]


log_offset = os.path.getsize(server_log) if server_log else 0

baseline, baseline_seconds = run_clients("baseline", 1, seconds=BASELINE_SECONDS)
parallel, parallel_seconds = run_clients("parallel", PARALLEL_CLIENTS, seconds=PARALLEL_SECONDS)
quota, _quota_seconds = run_clients("quota", PARALLEL_CLIENTS, orders_per_client=QUOTA_ORDERS_PER_CLIENT)
errors_logged = log_errors(log_offset)

env.invalidate_all()  # noqa: F821
env.cr.rollback()  # noqa: F821 (a fresh snapshot: the server's orders)
Order = env["sale.order"]  # noqa: F821
decisions = {}
for shop, (partner, _key) in shops.items():
    counts = Order._read_group([("partner_id", "=", partner.id)], ["isp_decision"], ["__count"])
    decisions[shop] = {decision or "none": count for decision, count in counts}

baseline_rate = baseline.created / baseline_seconds
parallel_rate = parallel.created / parallel_seconds
baseline_p95 = p95(baseline.latencies)
parallel_p95 = p95(parallel.latencies)
server_errors = baseline.server_errors + parallel.server_errors + quota.server_errors
# a request answered with a server error has no order either
lost = baseline.lost + parallel.lost + quota.lost + len(server_errors)
busy = baseline.busy + parallel.busy + quota.busy
orders_in_db = sum(sum(counts.values()) for counts in decisions.values())
orders_answered = baseline.created + parallel.created + quota.created
executed_within_quota = decisions["quota"].get("accumulated", 0)

for line in server_errors[:10]:
    print(f"server error: {line}")
for line in errors_logged[:10]:
    print(f"server log: {line}")
print(f"orders by decision: {decisions}")


table = Table("Parallel remote orders of one customer (server with 2 workers)")
table.at_least(
    f"orders/s, {PARALLEL_CLIENTS} / 1 client ({parallel_rate:.1f} / {baseline_rate:.1f}, "
    f"{parallel.created} orders in {PARALLEL_SECONDS} s)",
    parallel_rate / baseline_rate,
    RATE_SHARE,
)
table.at_most(
    f"p95 latency, {PARALLEL_CLIENTS} / 1 client ({parallel_p95:.2f} / {baseline_p95:.2f} s, "
    f"worst {max(parallel.latencies, default=float('nan')):.2f} s)",
    parallel_p95 / baseline_p95,
    P95_RATIO,
)
table.equal("server errors", len(server_errors), 0)
table.equal("ERROR lines in the server log", len(errors_logged), 0)
table.equal("orders asked for and not created", lost, 0)
table.equal("orders answered = orders in the database", orders_answered, orders_in_db)
table.equal(
    f"quota for {QUOTA_FITS} of {PARALLEL_CLIENTS * QUOTA_ORDERS_PER_CLIENT} parallel orders: executed",
    executed_within_quota,
    QUOTA_FITS,
)
print(f"503 answers waited for (Retry-After): {busy}")
table.print()
