from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .test_billing_run import IspBillingCase


@tagged("post_install", "-at_install")
class TestRunCompanyRules(IspBillingCase):
    def test_p13_other_company_cannot_read_invoice_run_preview_or_errors(self):
        """Issue 12, point 13: an ISP manager of company B only reads no preview line or error of company A's run."""
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "ISP B GmbH"})
        manager_b = new_test_user(
            self.env,
            login="isp_manager_b",
            groups="base.group_user,isp_customer.group_isp_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        customer = self._customer("Preview GmbH")
        self._service(customer, self.database, "db_preview", date(2027, 1, 1), 10.0)
        with freeze_time("2027-01-01"):
            run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1)})
            run.action_preview()
        run._isp_record_errors({customer: "The customer has no invoice address."})
        lines, errors = run.preview_line_ids, run.error_ids
        self.assertEqual(len(lines), 1)
        self.assertEqual((lines.company_id, errors.company_id), (company_a, company_a), "stored from the run")
        for model, records in (("isp.billing.run.line", lines), ("isp.billing.run.error", errors)):
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(manager_b).search([("run_id", "=", run.id)]))
                with self.assertRefused(AccessError, "company|not allowed"):
                    records.with_user(manager_b).read(["partner_id"])
                self.assertEqual(
                    self.env[model].with_user(self.manager).search([("run_id", "=", run.id)]), records, "A reads them"
                )
