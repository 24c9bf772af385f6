from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import IspDunningCase


class Killed(BaseException):
    """A worker that dies: not an ``Exception``, so nothing in the run catches it."""


@tagged("post_install", "-at_install")
class TestDunningActions(IspDunningCase):
    def _to_second_dunning(self, partner, amount=1000.0):
        invoice = self._due_invoice(partner, amount, "2025-05-31")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05"):
            run = self._run(day)
        return invoice, run

    def _waive(self, steps, reason, user=None):
        env = self.env(user=user) if user else self.env
        wizard = (
            env["isp.dunning.waive"]
            .with_context(active_model="isp.dunning.step", active_ids=steps.ids)
            .create({"reason": reason})
        )
        return wizard.action_waive()

    def test_waive_invoiced_charges_by_credit_note(self):
        invoice, run = self._to_second_dunning(self.business)
        step = run.step_ids
        charge = step.charge_move_id
        self.assertAlmostEqual(charge.amount_residual, 6.69)
        with self.assertRefused(AccessError, "not allowed to create"):
            self._waive(step, "goodwill", user=self.clerk)
        with self.assertRefused(UserError, "reason"):
            self._waive(step, "   ")
        self.assertEqual(step.charge_state, "invoiced", "a refused waiver changes nothing")
        self._waive(step, "Customer was in hospital")
        self.assertEqual((step.charge_state, step.waived_amount), ("waived", 6.69))
        self.assertEqual(step.waive_reason, "Customer was in hospital")
        refund = step.waive_move_id
        self.assertEqual((refund.move_type, refund.state), ("out_refund", "posted"))
        self.assertAlmostEqual(refund.amount_total, 6.69)
        self.assertEqual(charge.amount_residual, 0.0, "the credit note settles the charge invoice")
        self.assertEqual(invoice.isp_dunning_waived, 6.69)
        self.assertIn("Customer was in hospital", invoice.message_ids[0].body)
        with self.assertRefused(UserError, "nothing|no fees"):
            step.action_waive()
        # the other step's charges (interest and flat fee of the first notice) stay
        first = invoice.isp_dunning_step_ids.filtered(lambda s: s.level_id == self.dunning_1)
        self.assertEqual(first.charge_state, "invoiced")
        self.assertAlmostEqual(first.charge_move_id.amount_residual, 46.48)

    def test_charges_on_next_periodic_invoice(self):
        self.profile.charge_mode = "next_invoice"
        service = self.env["isp.service"].create(
            {
                "name": "mueller.example",
                "partner_id": self.business.id,
                "product_id": self.hosting.id,
                "state": "active",
                "date_start": "2025-07-01",
            }
        )
        invoice, run = self._to_second_dunning(self.business)
        steps = invoice.isp_dunning_step_ids.filtered("charge_total")
        self.assertEqual(set(steps.mapped("charge_state")), {"pending"})
        self.assertFalse(run.letter_ids.charge_move_id, "no separate charge invoice")
        with freeze_time("2025-08-01"):
            billing = self.env["isp.billing.run"].create({})
            billing.action_confirm()
        charge_lines = billing.invoice_ids.invoice_line_ids.filtered("isp_dunning_step_id")
        periodic = charge_lines.move_id
        self.assertEqual(len(periodic), 1, "all waiting charges on one invoice")
        self.assertAlmostEqual(sum(charge_lines.mapped("price_subtotal")), 46.48 + 6.69)
        self.assertEqual(periodic.invoice_line_ids.filtered("isp_service_id").isp_service_id, service)
        self.assertTrue(periodic.isp_billing_run_id, "the periodic invoice of the invoice run")
        self.assertEqual(set(steps.mapped("charge_state")), {"invoiced"})
        self.assertEqual(steps.charge_move_id, periodic)

    def test_charges_without_periodic_invoice_are_invoiced_at_once(self):
        self.profile.charge_mode = "next_invoice"
        _invoice, run = self._to_second_dunning(self.consumer)
        self.assertEqual(run.step_ids.charge_state, "invoiced", "no service, no periodic invoice to wait for")
        self.assertTrue(run.letter_ids.charge_move_id)

    def test_waive_pending_charges_without_credit_note(self):
        self.profile.charge_mode = "next_invoice"
        self.env["isp.service"].create(
            {
                "name": "mueller.example",
                "partner_id": self.business.id,
                "product_id": self.hosting.id,
                "state": "active",
            }
        )
        _invoice, run = self._to_second_dunning(self.business)
        self._waive(run.step_ids, "Goodwill")
        self.assertEqual(run.step_ids.charge_state, "waived")
        self.assertFalse(run.step_ids.waive_move_id, "nothing was billed, nothing to credit")

    def test_manual_level_change_with_reason(self):
        invoice, _run = self._to_second_dunning(self.business)
        with freeze_time("2025-07-10"):
            wizard = (
                self.env["isp.dunning.set.level"]
                .with_user(self.clerk)
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"level_id": self.reminder.id, "reason": "Payment plan agreed by phone"})
            )
            wizard.action_apply()
        self.assertEqual(invoice.isp_dunning_level_id, self.reminder)
        manual = invoice.isp_dunning_step_ids.filtered("manual")
        self.assertEqual((manual.level_id, manual.reason), (self.reminder, "Payment plan agreed by phone"))
        released = invoice.isp_dunning_step_ids.filtered("released")
        self.assertEqual(released.level_id, self.dunning_1 | self.dunning_2)
        run = self._run("2025-07-24")
        self.assertEqual(run.step_ids.level_id, self.dunning_1, "released levels are reached again")
        self.assertEqual(run.step_ids.flat_fee_amount, 0.0, "the flat fee was charged once for this invoice")
        # interest goes on from where it was charged, never twice for a day
        self.assertEqual(run.step_ids.interest_from, fields.Date.to_date("2025-07-06"))

    def test_exactly_once_per_invoice_and_level(self):
        invoice = self._due_invoice(self.business, 100.0, "2025-05-31")
        run = self._run("2025-06-07")
        self.assertEqual(len(self._run("2025-06-07").step_ids) + len(self._run("2025-06-08").step_ids), 0)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["isp.dunning.step"].create(
                {
                    "move_id": invoice.id,
                    "partner_id": self.business.id,
                    "level_id": self.reminder.id,
                    "date": "2025-06-08",
                }
            )
        self.assertEqual(len(invoice.isp_dunning_step_ids), 1)
        self.assertEqual(run.step_count, 1)

    def test_killed_run_resumes_without_duplicates(self):
        """A worker killed during a committed run: the next scheduled call resumes it, none twice or lost."""
        partners = (self.business | self.consumer | self.customer).sorted("id")
        invoices = {partner: self._due_invoice(partner, 120.0, "2025-05-31") for partner in partners}
        self._run("2025-06-07")  # payment reminders (no charges); the next level charges fees and interest
        with freeze_time("2025-06-21"):
            run = self.env["isp.dunning.run"].sudo().create({"trigger": "cron"})
            run._isp_start(chunk_size=1)
            self.assertTrue(run._isp_run_batch(), "two customers remain")  # the first customer is done
            original = type(self.env["isp.dunning.run"])._isp_execute_plans

            def die_after_charging(self_run, plans):
                original(self_run, plans)
                raise Killed

            # the second customer's batch is dunned, charged and posted, then the worker dies before the
            # commit: the database rolls all of it back
            with (
                patch.object(type(self.env["isp.dunning.run"]), "_isp_execute_plans", die_after_charging),
                self.assertRaises(Killed),
                self.env.cr.savepoint(),
            ):
                run._isp_run_batch()
            self.env.invalidate_all()
            self.assertEqual(
                run._isp_chunks().mapped("state"), ["done", "pending", "pending"], "the killed chunk left no trace"
            )
            for _call in range(3):
                self.env["isp.dunning.run"]._cron_isp_dunning_run()
        self.assertEqual(run.state, "done", "the scheduled run resumes the run that was killed")
        self.assertEqual(self.env["isp.dunning.run"].search_count([("date", "=", "2025-06-21")]), 1)
        self.assertEqual(run.letter_ids.partner_id, partners, "one letter per customer, nobody left out")
        self.assertEqual(len(run.letter_ids), 3)
        steps = self.env["isp.dunning.step"].search([("move_id", "in", [move.id for move in invoices.values()])])
        self.assertEqual(len(steps), 6, "a reminder and a first notice per invoice, none twice")
        self.assertEqual(run.step_ids, steps.filtered(lambda step: step.level_id == self.dunning_1))
        charges = self.env["account.move"].search(
            [
                ("isp_dunning_charge", "=", True),
                ("partner_id", "in", partners.ids),
                ("invoice_date", "=", "2025-06-21"),
                ("state", "=", "posted"),
            ]
        )
        self.assertEqual(charges, run.letter_ids.charge_move_id, "one charge invoice per letter, none twice")
        self.assertEqual(len(charges), 3)
        self.assertEqual(
            {move.partner_id: move.amount_total for move in charges},
            {step.partner_id: step.charge_total for step in run.step_ids},
            "each customer is charged the fees and interest of its step, once",
        )
        self.assertEqual(
            (run.letter_count, run.step_count, run.charge_invoice_count),
            (3, 3, 3),
            "the killed batch's counts were rolled back with it",
        )
        self.assertAlmostEqual(run.fee_total + run.interest_total, sum(charges.mapped("amount_total")))

    def test_one_bad_customer_does_not_stop_the_run(self):
        self._due_invoice(self.business, 1000.0, "2025-05-31")
        self._due_invoice(self.consumer, 1000.0, "2025-05-31")
        self._run("2025-06-07")
        original = type(self.env["isp.dunning.run"])._isp_charge_invoices
        business = self.business

        def charge_invoices(run, plans, *args, **kwargs):
            if any(plan["partner"] == business for plan in plans):
                raise UserError(run.env._("The fee article has no income account."))
            return original(run, plans, *args, **kwargs)

        with patch.object(type(self.env["isp.dunning.run"]), "_isp_charge_invoices", charge_invoices):
            run = self._run("2025-06-21")
        self.assertEqual(run.letter_ids.partner_id, self.consumer)
        self.assertEqual(run.error_ids.partner_id, self.business)
        self.assertIn("income account", run.error_ids.message)
        self.assertEqual(
            self.env["isp.dunning.step"].search_count([("partner_id", "=", self.business.id), ("run_id", "=", run.id)]),
            0,
            "nothing half-done for the failed customer",
        )

    def test_sales_team_notified_with_the_list(self):
        team = self.env["crm.team"].create({"name": "Business Customers", "user_id": self.manager.id})
        self.business.team_id = team
        self._due_invoice(self.business, 1000.0, "2025-05-31")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05"):
            self._run(day)
        run = self._run("2025-07-19")
        message = run.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn(self.manager.partner_id, message.partner_ids)
        self.assertIn("Müller", message.body)
        self.assertIn("Final notice", message.body)

    def test_court_candidates_and_overdue_report(self):
        invoice = self._due_invoice(self.business, 1000.0, "2025-05-31", invoice_date="2025-05-17")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05", "2025-07-19", "2025-08-02", "2025-08-29"):
            self._run(day)
        candidates = self.env["account.move"].search([("isp_court_state", "=", "candidate")])
        self.assertEqual(candidates, invoice)
        # what a Mahnbescheid needs, per invoice
        self.assertEqual(
            (invoice.name, invoice.invoice_date, invoice.amount_total, invoice.isp_interest_from),
            (invoice.name, fields.Date.to_date("2025-05-17"), 1000.0, fields.Date.to_date("2025-06-01")),
        )
        self.assertEqual(invoice.isp_interest_basis, "9 points above the base rate (§288 BGB)")
        self.assertEqual(invoice.isp_debtor_kind, "company")
        invoice.write(
            {"isp_court_state": "filed", "isp_court_date": "2025-09-05", "isp_court_file_number": "25-1234567-0-1"}
        )
        self.env.flush_all()
        row = self.env["isp.dunning.overdue.report"].search([("move_id", "=", invoice.id)])
        self.assertEqual((row.level_id, row.court_state, row.amount_residual), (self.court, "filed", 1000.0))
        self.assertEqual(row.age, "over_90")

    def test_run_rights(self):
        run = self.env["isp.dunning.run"].with_user(self.manager).create({})
        for action in ("action_preview", "action_confirm"):
            with self.assertRefused(AccessError, "not allowed to modify"):
                getattr(run.with_user(self.clerk), action)()
        self.assertEqual(run.state, "draft")
        self.assertFalse(run.letter_ids)
        self.assertFalse(run.preview_line_ids)
        with self.assertRefused(AccessError, "not allowed|access"):
            self.env["isp.dunning.run"].with_user(self.clerk).create({})
        portal = self.env["res.users"].create(
            {
                "name": "Portal Müller",
                "login": "portal_mueller",
                "partner_id": self.business.id,
                "groups_id": [fields.Command.set([self.env.ref("base.group_portal").id])],
            }
        )
        self._due_invoice(self.business, 100.0, "2025-05-31")
        letter = self._run("2025-06-07").letter_ids
        with self.assertRefused(AccessError, "not allowed|access"):
            letter.with_user(portal).read(["open_total"])
        with self.assertRefused(AccessError, "not allowed|access"):
            self.env["isp.dunning.step"].with_user(portal).search([])

    def test_terminate_level_ends_services_for_good(self):
        profile = self.env["isp.dunning.profile"].create(
            {
                "name": "Short",
                "level_ids": [
                    fields.Command.create({"name": "Reminder", "sequence": 1, "days_overdue": 1}),
                    fields.Command.create(
                        {
                            "name": "Termination",
                            "sequence": 2,
                            "days_overdue": 30,
                            "min_days_since_previous": 14,
                            "action": "terminate",
                        }
                    ),
                ],
            }
        )
        self.consumer.isp_dunning_profile_id = profile
        service = self.env["isp.service"].create(
            {
                "name": "erika.example",
                "partner_id": self.consumer.id,
                "product_id": self.domain.id,
                "state": "active",
                "date_start": "2025-01-01",
            }
        )
        invoice = self._due_invoice(self.consumer, 50.0, "2025-05-31")
        self._run("2025-06-01")
        self.assertFalse(self._run("2025-06-29").step_ids, "29 days overdue: not yet")
        run = self._run("2025-06-30")
        self.assertEqual(run.terminated_count, 1)
        self.assertEqual((service.state, service.date_end), ("terminated", fields.Date.to_date("2025-06-30")))
        self._pay(invoice, 50.0, "2025-07-02")
        self.assertEqual(service.state, "terminated", "a terminated service does not come back")

    def test_charges_take_the_article_taxes_only(self):
        # German charts put VAT on the default income account; damages and interest carry none
        self.company_data["default_account_revenue"].tax_ids = self.tax_sale_a
        _invoice, run = self._to_second_dunning(self.business)
        charge = run.letter_ids.charge_move_id
        self.assertEqual((charge.amount_tax, charge.amount_total), (0.0, 6.69))

    def test_missing_base_rate_fails_one_customer_only(self):
        self._due_invoice(self.business, 100.0, "2016-01-31")
        self._due_invoice(self.consumer, 100.0, "2025-05-31")
        # a table that starts in 2024 knows no rate for the business invoice's first days in default
        self.env["isp.dunning.base.rate"].search([("date_from", "<", "2024-01-01")]).unlink()
        self._run("2025-06-07")
        run = self._run("2025-06-21")
        self.assertEqual(run.letter_ids.partner_id, self.consumer)
        self.assertIn("No base rate", run.error_ids.message)
        self.assertEqual(run.error_ids.partner_id, self.business)

    def test_large_manual_run_goes_on_in_the_background(self):
        """Without a job queue (no parallel workers take the chunks), a large manual run goes on in the
        scheduled action."""
        self._due_invoice(self.business, 100.0, "2025-05-31")
        self._due_invoice(self.consumer, 100.0, "2025-05-31")
        run_class = type(self.env["isp.dunning.run"])
        with (
            freeze_time("2025-06-07"),
            patch.object(run_class, "_isp_sync_limit", 1),
            patch.object(run_class, "_isp_dispatch", lambda run, chunks: False),
        ):
            run = self.env["isp.dunning.run"].create({})
            run.action_confirm()
            self.assertEqual(run.state, "running")
            self.assertFalse(run.letter_ids)
            self.env["isp.dunning.run"]._cron_isp_dunning_run()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.letter_ids.partner_id, self.business | self.consumer)

    def test_only_managers_lift_a_suspension_by_hand(self):
        invoice = self._due_invoice(self.business, 1000.0, "2025-05-31")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05", "2025-07-19", "2025-08-02"):
            self._run(day)
        self.assertEqual(invoice.isp_dunning_level_id, self.suspension)

        def set_level(user, level):
            return (
                self.env["isp.dunning.set.level"]
                .with_user(user)
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"level_id": level.id, "reason": "Paid in cash at the counter"})
                .action_apply()
            )

        with self.assertRefused(AccessError, "Only ISP managers"):
            set_level(self.clerk, self.final)
        self.assertEqual(invoice.isp_dunning_level_id, self.suspension)
        set_level(self.manager, self.final)
        self.assertEqual(invoice.isp_dunning_level_id, self.final)
        with self.assertRefused(AccessError, "Change Dunning Level"):
            invoice.write({"isp_dunning_level_id": self.court.id})

    def _suspended_for_arrears(self):
        service = self.env["isp.service"].create(
            {
                "name": "mueller.example",
                "partner_id": self.business.id,
                "product_id": self.domain.id,
                "state": "active",
                "date_start": "2025-01-01",
            }
        )
        invoice = self._due_invoice(self.business, 1000.0, "2025-05-31")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05", "2025-07-19", "2025-08-02"):
            self._run(day)
        self.assertEqual(invoice.isp_dunning_level_id, self.suspension)
        self.assertEqual((service.state, service.isp_dunning_suspended), ("suspended", True))
        return service, invoice

    def test_p11_clerk_cannot_lift_a_dunning_suspension(self):
        """Issue 12, point 11: a clerk's Reactivate (or state write) of a service suspended for arrears is refused."""
        service, invoice = self._suspended_for_arrears()
        as_clerk = service.with_user(self.clerk)
        with self.assertRefused(UserError, "suspended for arrears.*ISP manager"):
            as_clerk.action_reactivate()
        for vals in ({"state": "active"}, {"isp_dunning_suspended": False}, {"state": "pending"}):
            with self.subTest(vals=vals), self.assertRefused(UserError, "suspended for arrears.*ISP manager"):
                as_clerk.write(vals)
        self.assertFieldUnchanged(service, "state", "suspended")
        self.assertFieldUnchanged(service, "isp_dunning_suspended", True)
        self.assertEqual(invoice.isp_dunning_level_id, self.suspension)
        # the clerk's form offers no Reactivate for it; the manager's does, behind a confirmation
        for user, expected in ((self.clerk, 0), (self.manager, 1)):
            arch = self.env["isp.service"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
            buttons = etree.fromstring(arch).xpath("//button[@name='action_reactivate']")
            shown = [button for button in buttons if "not isp_dunning_suspended" in button.get("invisible", "")]
            self.assertEqual(len(shown), expected, user.login)
            self.assertTrue(
                all("isp_dunning_suspended" in button.get("invisible", "") for button in buttons),
                "every Reactivate button knows whether it lifts a suspension for arrears",
            )
        # a suspension by hand is the clerk's to lift
        other = service.copy({"name": "other.example", "state": "active"})
        other.with_user(self.clerk).action_suspend()
        other.with_user(self.clerk).action_reactivate()
        self.assertEqual(other.state, "active")

    def test_p11_manager_lifts_a_dunning_suspension(self):
        """Issue 12, point 11: an ISP manager lifts a suspension for arrears by hand; the invoice keeps its level."""
        service, invoice = self._suspended_for_arrears()
        service.with_user(self.manager).action_reactivate()
        self.assertEqual((service.state, service.isp_dunning_suspended), ("active", False))
        self.assertEqual(invoice.isp_dunning_level_id, self.suspension, "the invoice keeps its level")

    def test_p11_payment_lifts_a_dunning_suspension(self):
        """Issue 12, point 11: the customer's payment lifts a suspension for arrears, whoever registers it."""
        service, invoice = self._suspended_for_arrears()
        self._pay(invoice, 1000.0, "2025-08-05")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual((service.state, service.isp_dunning_suspended), ("active", False))

    def test_p13_other_company_cannot_read_dunning_run_preview_or_errors(self):
        """Issue 12, point 13: an ISP manager of company B only reads no preview line or error of company A's run."""
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "ISP B GmbH"})
        manager_b = new_test_user(
            self.env,
            login="isp_manager_b",
            groups="base.group_user,isp_customer.group_isp_manager",
            company_id=company_b.id,
            company_ids=[fields.Command.set(company_b.ids)],
        )
        self._due_invoice(self.business, 100.0, "2025-05-31")
        run = self._run("2025-06-07", preview=True)
        run._isp_record_errors({self.consumer: "No dunning profile for Erika Mustermann or its company."})
        lines, errors = run.preview_line_ids, run.error_ids
        self.assertEqual(len(lines), 1)
        self.assertEqual((lines.company_id, errors.company_id), (company_a, company_a), "stored from the run")
        for model, records in (("isp.dunning.run.line", lines), ("isp.dunning.run.error", errors)):
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(manager_b).search([("run_id", "=", run.id)]))
                with self.assertRefused(AccessError, "company|not allowed"):
                    records.with_user(manager_b).read(["partner_id"])
                self.assertEqual(
                    self.env[model].with_user(self.manager).search([("run_id", "=", run.id)]), records, "A reads them"
                )
