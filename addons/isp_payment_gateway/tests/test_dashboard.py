from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from .common import IspPaymentCase

TODAY = date(2026, 12, 20)


@tagged("post_install", "-at_install")
class TestDashboardDebits(IspPaymentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.business.isp_payment_method = "sepa"
        cls.mandate = cls.env["isp.sepa.mandate"].create(
            {"partner_id": cls.business.id, "bank_account_id": cls.business_account.id, "signature_date": "2025-01-15"}
        )
        cls.mandate.action_activate()

    def _sent_batch(self, day, invoices):
        batch = self._batch(day)
        self.assertEqual(batch.line_ids.move_id, invoices)
        batch.action_mark_sent()
        return batch

    def _data(self, user=None):
        with freeze_time(TODAY):
            return self.env["isp.dashboard"].with_user(user or self.manager).get_dashboard_data()

    def test_debits_collected_and_returned_per_month(self):
        """Issue 14: direct debits collected and returned by the month of their collection date."""
        november = self._due_invoice(self.business, 100.0, "2026-11-01", invoice_date="2026-11-01")
        november_batch = self._sent_batch("2026-11-14", november)
        kept = self._due_invoice(self.business, 50.0, "2026-12-01", invoice_date="2026-12-01")
        returned = self._due_invoice(self.business, 70.0, "2026-12-01", invoice_date="2026-12-01")
        december_batch = self._sent_batch("2026-12-14", kept | returned)
        returned_line = december_batch.line_ids.filtered(lambda line: line.move_id == returned)
        action = returned_line.action_return()
        self.env["isp.debit.return.manual"].with_user(self.manager).with_context(**action["context"]).create(
            {"reason_code": "MD06", "date": "2026-12-18"}
        ).action_return()
        self.assertEqual(returned_line.state, "returned")

        data = self._data()
        chart = next(chart for section in data["sections"] for chart in section["charts"] if chart["key"] == "debits")
        nov = format_date(self.env, november_batch.collection_date, date_format="MMM yyyy")
        dec = format_date(self.env, december_batch.collection_date, date_format="MMM yyyy")
        self.assertEqual((nov, dec), ("Nov 2026", "Dec 2026"))
        series = {
            dataset["key"]: {
                label: value for label, value in zip(chart["labels"], dataset["data"], strict=True) if value
            }
            for dataset in chart["datasets"]
        }
        self.assertEqual(series, {"collected": {nov: 100.0, dec: 50.0}, "returned": {dec: 70.0}})
        expected = {
            ("collected", nov): november_batch.line_ids,
            ("collected", dec): december_batch.line_ids - returned_line,
            ("returned", dec): returned_line,
            ("returned", nov): self.env["isp.debit.batch.line"],
        }
        for (key, label), lines in expected.items():
            dataset = next(dataset for dataset in chart["datasets"] if dataset["key"] == key)
            action = dataset["actions"][chart["labels"].index(label)]
            with self.subTest(bar=(key, label)):
                self.assertEqual(self.env[action["res_model"]].with_user(self.manager).search(action["domain"]), lines)

    def test_portal_user_refused(self):
        """Issue 14: a portal user gets no debit figures from the dashboard."""
        portal = new_test_user(self.env, login="isp_dash_portal_pg", groups="base.group_portal")
        with self.assertRefused(AccessError, "Only ISP managers"):
            self._data(user=portal)
