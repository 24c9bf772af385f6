from odoo import api, models

from odoo.addons.isp_sales.engine import dashboard

#: debits sent to the bank: in transit, debited or returned later
SUBMITTED_STATES = ("open", "debited", "returned")


class IspDashboard(models.AbstractModel):
    _inherit = "isp.dashboard"

    @api.model
    def _isp_dashboard_sections(self, scope):
        return [*super()._isp_dashboard_sections(scope), self._isp_dashboard_debits(scope)]

    @api.model
    def _isp_dashboard_debit_domain(self, scope, states, start, end):
        """Direct debits in ``states`` whose collection date lies from ``start`` to before ``end``."""
        return [
            *self._isp_dashboard_company_domain(scope),
            ("state", "in", states),
            ("batch_id.collection_date", ">=", start),
            ("batch_id.collection_date", "<", end),
        ]

    @api.model
    def _isp_dashboard_debits(self, scope):
        """Direct debits collected and returned, by the month of their collection date."""
        months = scope["months"]
        index = {month: position for position, month in enumerate(months)}
        end = dashboard.next_month(months[-1])
        series = {
            "collected": (self.env._("Collected"), ("open", "debited")),
            "returned": (self.env._("Returned"), ("returned",)),
        }
        values = {key: [0.0] * len(months) for key in series}
        for batch, state, amount in self.env["isp.debit.batch.line"]._read_group(
            self._isp_dashboard_debit_domain(scope, SUBMITTED_STATES, months[0], end),
            ["batch_id", "state"],
            ["amount:sum"],
        ):
            month = batch.collection_date.replace(day=1)
            key = "returned" if state == "returned" else "collected"
            values[key][index[month]] += self._isp_dashboard_convert(scope, batch.company_id.currency_id, amount)
        labels = [self._isp_dashboard_month_label(month) for month in months]
        views = [
            [self.env.ref("isp_payment_gateway.isp_debit_batch_line_view_list").id, "list"],
            [False, "pivot"],
            [False, "graph"],
        ]
        datasets = []
        for key, (label, states) in series.items():
            actions = []
            for position, month in enumerate(months):
                action = self._isp_dashboard_action(
                    self.env._("Direct Debits %(what)s: %(month)s", what=label, month=labels[position]),
                    "isp.debit.batch.line",
                    self._isp_dashboard_debit_domain(scope, states, month, dashboard.next_month(month)),
                )
                action["views"] = views
                actions.append(action)
            datasets.append(
                {
                    "key": key,
                    "label": label,
                    "data": [self._isp_dashboard_round(scope, amount) for amount in values[key]],
                    "actions": actions,
                }
            )
        return {
            "key": "debits",
            "sequence": 60,
            "figures": [],
            "charts": [
                {
                    "key": "debits",
                    "title": self.env._("Direct Debits Collected and Returned"),
                    "help": self.env._(
                        "SEPA direct debits sent to the bank by the month of their collection date: collected "
                        "(in transit or debited) and returned by the debtor's bank."
                    ),
                    "type": "bar",
                    "stacked": True,
                    "monetary": True,
                    "labels": labels,
                    "datasets": datasets,
                }
            ],
        }
