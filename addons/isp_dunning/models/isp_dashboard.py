from collections import defaultdict

from odoo import api, models


class IspDashboard(models.AbstractModel):
    _inherit = "isp.dashboard"

    @api.model
    def _isp_dashboard_sections(self, scope):
        return [*super()._isp_dashboard_sections(scope), self._isp_dashboard_dunning(scope)]

    @api.model
    def _isp_dashboard_overdue_domain(self, scope):
        """Open customer invoices past their due date: what a dunning run looks at."""
        return [
            *self._isp_dashboard_open_invoice_domain(scope),
            ("invoice_date_due", "<", scope["today"]),
        ]

    @api.model
    def _isp_dashboard_dunning(self, scope):
        """Overdue open receivables by the dunning level their invoice has reached."""
        domain = self._isp_dashboard_overdue_domain(scope)
        amounts = defaultdict(float)
        for level, company, amount in self.env["account.move"]._read_group(
            domain, ["isp_dunning_level_id", "company_id"], ["amount_residual_signed:sum"]
        ):
            amounts[level] += self._isp_dashboard_convert(scope, company.currency_id, amount)
        Level = self.env["isp.dunning.level"]
        levels = Level.union(*amounts).sorted()
        several_profiles = len(levels.profile_id) > 1
        labels = [self.env._("Not dunned yet")]
        actions = [
            self._isp_dashboard_invoice_action(
                self.env._("Overdue Invoices: not dunned yet"), [*domain, ("isp_dunning_level_id", "=", False)]
            )
        ]
        data = [self._isp_dashboard_round(scope, amounts.get(Level, 0.0))]
        for level in levels:
            label = f"{level.profile_id.name}: {level.name}" if several_profiles else level.name
            labels.append(label)
            data.append(self._isp_dashboard_round(scope, amounts[level]))
            actions.append(
                self._isp_dashboard_invoice_action(
                    self.env._("Overdue Invoices: %(level)s", level=label),
                    [*domain, ("isp_dunning_level_id", "=", level.id)],
                )
            )
        return {
            "key": "dunning",
            "sequence": 35,
            "figures": [],
            "charts": [
                {
                    "key": "dunning",
                    "title": self.env._("Overdue Receivables by Dunning Level"),
                    "help": self.env._(
                        "Open amounts of customer invoices past their due date, by the last dunning level reached."
                    ),
                    "type": "bar",
                    "stacked": False,
                    "monetary": True,
                    "labels": labels,
                    "datasets": [
                        {
                            "key": "amount",
                            "label": self.env._("Open amount"),
                            "data": data,
                            "actions": actions,
                        }
                    ],
                }
            ],
        }
