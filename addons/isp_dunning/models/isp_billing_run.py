from odoo import models


class IspBillingRun(models.Model):
    _inherit = "isp.billing.run"

    def _isp_plan(self, partners):
        """Dunning charges waiting for the next periodic invoice go on the customer's first invoice."""
        plans, errors = super()._isp_plan(partners)
        pending = (
            self.env["isp.dunning.step"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", self.company_id.id),
                    ("charge_state", "=", "pending"),
                ],
                order="date, id",
            )
            .grouped("partner_id")
        )
        for plan in plans:
            # charges are in the company's currency; an invoice in another currency leaves them waiting
            in_company_currency = plan["vals"] and plan["vals"]["currency_id"] == self.company_id.currency_id.id
            steps = in_company_currency and pending.pop(plan["partner"], None)
            if steps:
                lines = steps._isp_charge_lines()
                plan["vals"]["invoice_line_ids"] = [*plan["vals"]["invoice_line_ids"], *lines]
                plan["isp_dunning_steps"] = steps
                plan["line_count"] += len(lines)
        return plans, errors

    def _isp_execute_plans(self, plans):
        moves = super()._isp_execute_plans(plans)
        with_vals = [plan for plan in plans if plan["vals"]]
        for plan, move in zip(with_vals, moves, strict=True):
            if plan.get("isp_dunning_steps"):
                plan["isp_dunning_steps"].write({"charge_state": "invoiced", "charge_move_id": move.id})
        return moves
