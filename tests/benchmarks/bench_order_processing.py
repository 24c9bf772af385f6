"""Benchmark: confirming and processing a 50-line order for each customer class.

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons
(no demo data); `env` is the shell's environment. Everything is rolled back.
"""

import os
import time

from figures import Table

from odoo import Command

LINES = 50
ROUNDS = 3

# the invoice PDFs load their styles from the bench server, as in production
report_url = os.environ.get("ISP_BENCH_REPORT_URL")
if report_url:
    env["ir.config_parameter"].sudo().set_param("report.url", report_url)  # noqa: F821

company = env.company  # noqa: F821 (provided by odoo shell)
Product = env["product.product"]  # noqa: F821
Partner = env["res.partner"]  # noqa: F821
domain = Product.create(
    {
        "name": "Bench domain",
        "type": "service",
        "list_price": 12.0,
        "taxes_id": [],
        "isp_article_type": "domain",
        "isp_recurring": True,
        "isp_billing_period": "yearly",
    }
)
plain = Product.create({"name": "Bench plain service", "type": "service", "list_price": 12.0, "taxes_id": []})
journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)  # noqa: F821
classes = {
    "new": {},
    "credited": {},
    "trusted": {"isp_order_quota": 1_000_000.0},
    "reseller": {"isp_order_quota": 1_000_000.0, "isp_reseller_period": "monthly"},
}
#: processing may cost at most this many times what Odoo's own confirm, invoice and post of the
#: same order cost (measured below in this process). It does that work and more: 50 services with
#: validated identifiers, the class decision, the invoice PDF e-mailed to the customer and the
#: sales team (wkhtmltopdf), and the paid-from-credit reconciliation.
MAX_RATIO = 5.0


def plain_order_seconds(round_):
    """Odoo alone: confirm a 50-line order of a plain service, invoice it and post the invoice."""
    customer = Partner.create({"name": f"Bench plain {round_}", "is_company": True})
    order = env["sale.order"].create(  # noqa: F821
        {
            "partner_id": customer.id,
            "order_line": [Command.create({"product_id": plain.id, "product_uom_qty": 1}) for _ in range(LINES)],
        }
    )
    env.flush_all()  # noqa: F821
    started = time.perf_counter()
    order.action_confirm()
    order._create_invoices().action_post()
    env.flush_all()  # noqa: F821
    return time.perf_counter() - started


baseline = min(plain_order_seconds(round_) for round_ in range(ROUNDS))
results = {}
for customer_class, values in classes.items():
    timings = []
    for round_ in range(ROUNDS):
        customer = Partner.create(
            {
                "name": f"Bench {customer_class} {round_}",
                "is_company": True,
                "email": f"bench-{customer_class}-{round_}@example.com",
                "isp_lifecycle": "customer",
                "isp_customer_class": customer_class,
                **values,
            }
        )
        if customer_class == "credited":
            env["isp.credit.topup"].create(  # noqa: F821
                {"partner_id": customer.id, "amount": LINES * 12.0, "journal_id": journal.id}
            ).action_confirm()
        order = env["sale.order"].create(  # noqa: F821
            {
                "partner_id": customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": domain.id,
                            "product_uom_qty": 1,
                            "isp_identifiers": f"bench-{customer_class}-{round_}-{line}.de",
                        }
                    )
                    for line in range(LINES)
                ],
            }
        )
        env.flush_all()  # noqa: F821
        started = time.perf_counter()
        order.action_isp_process()
        env.flush_all()  # noqa: F821
        timings.append(time.perf_counter() - started)
        assert len(order.isp_service_ids) == LINES, order.isp_service_ids
    results[customer_class] = (min(timings), sum(timings) / len(timings), order.isp_decision)

table = Table(
    f"Confirm + process a {LINES}-line order ({ROUNDS} rounds each) against Odoo's confirm + invoice + post",
    width=66,
)
for customer_class, (best, mean, decision) in results.items():
    table.at_most(
        f"{customer_class} ({decision}), best / Odoo's ({best:.2f} / {baseline:.2f} s, mean {mean:.2f})",
        best / baseline,
        MAX_RATIO,
    )
table.print()
env.cr.rollback()  # noqa: F821
