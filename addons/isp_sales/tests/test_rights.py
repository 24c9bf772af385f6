from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .test_billing_run import IspBillingCase

#: the buttons of the service form that change a service's state (Terminate through its wizard)
STATE_BUTTONS = {"action_activate", "action_suspend", "action_reactivate", "action_terminate"}


@tagged("post_install", "-at_install")
class TestRights(IspBillingCase):
    """Rights are the access rules; a check by hand is left only where no rule can express it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # reads every service and writes orders, but is no ISP back office
        cls.seller = new_test_user(
            cls.env, login="plain_seller", groups="base.group_user,sales_team.group_sale_salesman_all_leads"
        )
        # also writes invoices
        cls.accountant = new_test_user(
            cls.env,
            login="plain_accountant",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads,account.group_account_invoice",
        )

    def test_service_states_are_the_back_offices_by_the_access_rules(self):
        """Issue 15: a salesman sees services but the access rules refuse them every state change; the form and
        the Action menu offer them no state button."""
        customer = self._customer("Rights GmbH")
        pending = self._service(customer, self.hosting, "pending.example.com", date(2027, 1, 1), 9.9, state="pending")
        active = self._service(customer, self.database, "db_rights", date(2027, 1, 1), 2.5)
        suspended = self._service(customer, self.domain, "rights.de", date(2027, 1, 1), 12.0, state="suspended")
        for service, action in (
            (pending, "action_activate"),
            (active, "action_suspend"),
            (suspended, "action_reactivate"),
        ):
            state = service.state
            with self.subTest(action=action), self.assertRefused(AccessError, "not allowed to modify"):
                getattr(service.with_user(self.seller), action)()
            self.assertFieldUnchanged(service, "state", state)
        with self.assertRefused(AccessError, "not allowed to create"):
            self.env["isp.service.terminate"].with_user(self.seller).with_context(
                active_model="isp.service", active_ids=active.ids
            ).create({"reason": "Customer moved"})
        self.assertFieldUnchanged(active, "date_end", False)
        for user, shown in ((self.seller, set()), (self.clerk, STATE_BUTTONS)):
            self.assertEqual(self._view_buttons("isp.service", user) & STATE_BUTTONS, shown, user.login)
            bindings = self.env["ir.actions.actions"].with_user(user).get_bindings("isp.service")
            self.assertEqual(
                "Terminate" in [action["name"] for action in bindings.get("action", [])], bool(shown), user.login
            )
        # what the access rules allow them stays: a renewal quotation of the service
        action = active.with_user(self.seller).action_isp_renew()
        renewal = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual((renewal.state, renewal.order_line.isp_renewed_service_ids), ("draft", active))

    def test_regenerating_is_the_back_offices(self):
        """Issue 15: Regenerate is refused to an accountant who writes invoices and reads services (account.move
        is the accountants' model too, so the method refuses); the invoice is not touched."""
        customer = self._customer("Correction GmbH")
        service = self._service(customer, self.database, "db_correction", date(2027, 1, 1), 10.0)
        original = self._run(date(2027, 1, 1)).invoice_ids
        service.price_unit = 8.0
        with freeze_time("2027-01-05"), self.assertRefused(UserError, "Only the ISP back office regenerates invoices"):
            original.with_user(self.accountant).action_isp_regenerate()
        self.assertFieldUnchanged(original, "payment_state", "not_paid")
        self.assertFalse(original.reversal_move_ids)
        self.assertEqual(self.env["account.move"].search_count([("isp_regenerated_from_id", "=", original.id)]), 0)
        self.assertNotIn("action_isp_regenerate", self._view_buttons("account.move", self.accountant))
        self.assertIn("action_isp_regenerate", self._view_buttons("account.move", self.clerk))

    def test_order_buttons_that_read_services_are_for_who_reads_them(self):
        """Issue 15: an accountant without sales or ISP rights, who reads orders but not services, finds no Services
        or ISP button on an order's form; the back office finds them all."""
        billing = new_test_user(self.env, login="billing_only", groups="base.group_user,account.group_account_invoice")
        isp_buttons = {"action_isp_view_services", "action_isp_process", "action_isp_renew", "action_isp_provision"}
        self.assertFalse(self._view_buttons("sale.order", billing) & isp_buttons)
        self.assertEqual(self._view_buttons("sale.order", self.clerk) & isp_buttons, isp_buttons)
        self.assertIn("action_isp_view_services", self._view_buttons("sale.order", self.seller))
