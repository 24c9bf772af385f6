from odoo import models


class IspBillingRun(models.Model):
    _inherit = "isp.billing.run"

    def _isp_prepare_invoice_vals(self, plan):
        """Dunning charges waiting for the next periodic invoice go on the customer's first invoice
        in the company's currency (an invoice in another currency leaves them waiting)."""
        vals = super()._isp_prepare_invoice_vals(plan)
        if plan.currency != self.company_id.currency_id:
            return vals
        steps = self._isp_pending_dunning_charges(plan.batch).pop(plan.partner, None)
        if steps:
            charge_lines = steps._isp_charge_lines()
            vals["invoice_line_ids"] = [*vals["invoice_line_ids"], *charge_lines]
            plan.lines = [*plan.lines, *charge_lines]
            plan.isp_dunning_steps = steps
        return vals

    def _isp_pending_dunning_charges(self, batch):
        """{customer: dunning steps whose charges wait for the next invoice} of the batch's customers,
        looked up once per batch; a customer's steps are taken by its first invoice."""
        if "isp_dunning" not in batch.cache:
            batch.cache["isp_dunning"] = (
                self.env["isp.dunning.step"]
                .sudo()
                .search(
                    [
                        ("partner_id", "in", batch.partners.ids),
                        ("company_id", "=", self.company_id.id),
                        ("charge_state", "=", "pending"),
                    ],
                    order="date, id",
                )
                .grouped("partner_id")
            )
        return batch.cache["isp_dunning"]

    def _isp_invoices_created(self, plans):
        result = super()._isp_invoices_created(plans)
        for plan in plans:
            steps = getattr(plan, "isp_dunning_steps", None)
            if steps:
                steps.write({"charge_state": "invoiced", "charge_move_id": plan.move.id})
        return result
