"""Benchmark: confirming and processing a 50-line order for each customer class.

Run by `make bench` inside `odoo shell` on a fresh database with the ISP addons
(no demo data); `env` is the shell's environment. Everything is rolled back.
"""

import time

from odoo import Command

LINES = 50
ROUNDS = 3

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
journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)  # noqa: F821
classes = {
    "new": {},
    "credited": {},
    "trusted": {"isp_order_quota": 1_000_000.0},
    "reseller": {"isp_order_quota": 1_000_000.0, "isp_reseller_period": "monthly"},
}
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

print(f"\nConfirm + process a {LINES}-line order ({ROUNDS} rounds each)")
print(f"{'class':<10} {'best s':>8} {'mean s':>8}  decision")
for customer_class, (best, mean, decision) in results.items():
    print(f"{customer_class:<10} {best:8.2f} {mean:8.2f}  {decision}")
env.cr.rollback()  # noqa: F821
