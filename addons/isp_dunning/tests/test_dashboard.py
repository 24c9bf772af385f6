from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import IspDunningCase

TODAY = date(2027, 3, 15)


@tagged("post_install", "-at_install")
class TestDashboardDunning(IspDunningCase):
    def _chart(self, user=None):
        with freeze_time(TODAY):
            data = self.env["isp.dashboard"].with_user(user or self.manager).get_dashboard_data()
        return next(chart for section in data["sections"] for chart in section["charts"] if chart["key"] == "dunning")

    def test_overdue_receivables_by_dunning_level(self):
        """Issue 14: overdue open receivables by the dunning level reached, each bar opening its invoices."""
        not_dunned = self._due_invoice(self.business, 100.0, "2027-03-01")
        reminded = self._due_invoice(self.consumer, 200.0, "2027-02-01")
        dunned = self._due_invoice(self.business, 300.0, "2027-01-01") | self._due_invoice(
            self.consumer, 80.0, "2027-01-01"
        )
        self._pay(dunned[1], 30.0, "2027-02-01")
        self._due_invoice(self.business, 400.0, "2027-04-01")  # not due yet
        paid = self._due_invoice(self.business, 60.0, "2027-01-01")
        self._pay(paid, 60.0, "2027-02-01")
        # the levels as dunning runs set them
        reminded.sudo().isp_dunning_level_id = self.reminder
        (dunned | paid).sudo().isp_dunning_level_id = self.dunning_1
        chart = self._chart()
        self.assertEqual(chart["labels"], ["Not dunned yet", self.reminder.name, self.dunning_1.name])
        self.assertEqual(chart["datasets"][0]["data"], [100.0, 200.0, 350.0])
        for action, invoices in zip(chart["datasets"][0]["actions"], (not_dunned, reminded, dunned), strict=True):
            with self.subTest(action=action["name"]), freeze_time(TODAY):
                self.assertEqual(self.env["account.move"].with_user(self.manager).search(action["domain"]), invoices)

    def test_clerk_refused(self):
        """Issue 14: a clerk gets no dunning figures from the dashboard."""
        self._due_invoice(self.business, 100.0, "2027-03-01")
        with self.assertRefused(AccessError, "Only ISP managers"):
            self._chart(user=self.clerk)
