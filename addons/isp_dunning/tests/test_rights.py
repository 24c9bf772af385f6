from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import IspDunningCase


@tagged("post_install", "-at_install")
class TestDunningRights(IspDunningCase):
    """Rights are the access rules; a check by hand is left only where no rule can express it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # writes invoices, but is no ISP back office
        cls.accountant = new_test_user(
            cls.env, login="dunning_accountant", groups="base.group_user,account.group_account_invoice"
        )

    def _second_dunning(self):
        invoice = self._due_invoice(self.business, 1000.0, "2025-05-31")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05"):
            run = self._run(day)
        return invoice, run.step_ids

    def test_waiving_is_for_managers_by_the_access_rules(self):
        """Issue 15: only ISP managers waive, by the wizard's access rules: a clerk neither opens the wizard nor
        runs a manager's, the charges stay; the clerk's lists and forms show no Waive."""
        invoice, step = self._second_dunning()
        self.assertEqual(step.charge_state, "invoiced")
        Waive = self.env["isp.dunning.waive"].with_context(active_model="isp.dunning.step", active_ids=step.ids)
        with self.assertRefused(AccessError, "not allowed to create"):
            Waive.with_user(self.clerk).create({"reason": "Goodwill"})
        wizard = Waive.with_user(self.manager).create({"reason": "Goodwill"})
        self.env.invalidate_all()  # the clerk's call comes in a request of its own
        with self.assertRefused(AccessError, "not allowed to access"):
            wizard.with_user(self.clerk).action_waive()
        self.assertFieldUnchanged(step, "charge_state", "invoiced")
        self.assertFalse(step.waive_move_id)
        self.assertFalse(invoice.isp_dunning_waived)
        for model, view_type in (
            ("isp.dunning.step", "list"),
            ("isp.dunning.step", "form"),
            ("isp.dunning.letter", "form"),
        ):
            with self.subTest(model=model, view_type=view_type):
                self.assertNotIn("action_waive", self._view_buttons(model, self.clerk, view_type))
                self.assertIn("action_waive", self._view_buttons(model, self.manager, view_type))
        wizard.action_waive()
        self.assertEqual(step.charge_state, "waived", "the manager's wizard waives")

    def test_changing_levels_is_the_back_offices_by_the_access_rules(self):
        """Issue 15: an accountant who writes invoices cannot change a dunning level: the wizard's access rules
        refuse; the invoice keeps its level and steps, and its form shows them no Change Dunning Level."""
        invoice, _steps = self._second_dunning()
        steps = invoice.isp_dunning_step_ids
        SetLevel = self.env["isp.dunning.set.level"].with_context(active_model="account.move", active_ids=invoice.ids)
        values = {"level_id": self.reminder.id, "reason": "Payment plan agreed by phone"}
        with self.assertRefused(AccessError, "not allowed to create"):
            SetLevel.with_user(self.accountant).create(values)
        wizard = SetLevel.with_user(self.clerk).create(values)
        self.env.invalidate_all()  # the accountant's call comes in a request of its own
        with self.assertRefused(AccessError, "not allowed to access"):
            wizard.with_user(self.accountant).action_apply()
        self.assertFieldUnchanged(invoice, "isp_dunning_level_id", self.dunning_2)
        self.assertEqual(invoice.isp_dunning_step_ids, steps)
        self.assertFalse(steps.filtered("released"))
        self.assertNotIn("action_isp_dunning_set_level", self._view_buttons("account.move", self.accountant))
        self.assertIn("action_isp_dunning_set_level", self._view_buttons("account.move", self.clerk))

    def test_clerk_cannot_suspend_for_arrears_by_hand(self):
        """Issue 15: a suspension for arrears is the dunning run's: a clerk's write of the flag is refused (it
        depends on the values written, so the write refuses) and the service stays as it was."""
        service = self.env["isp.service"].create(
            {
                "name": "arrears.example",
                "partner_id": self.business.id,
                "product_id": self.domain.id,
                "state": "active",
                "date_start": date(2025, 1, 1),
            }
        )
        for vals in ({"isp_dunning_suspended": True}, {"state": "suspended", "isp_dunning_suspended": True}):
            with self.subTest(vals=vals), self.assertRefused(UserError, "suspended for arrears by dunning runs only"):
                service.with_user(self.clerk).write(vals)
            self.assertFieldUnchanged(service, "state", "active")
            self.assertFieldUnchanged(service, "isp_dunning_suspended", False)
        # a suspension by hand stays the clerk's
        service.with_user(self.clerk).action_suspend()
        self.assertEqual((service.state, service.isp_dunning_suspended), ("suspended", False))
