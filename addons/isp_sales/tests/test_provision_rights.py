from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import IspSalesCase


@tagged("post_install", "-at_install")
class TestProvisionRights(IspSalesCase):
    """Issue 12, point 9: services start when the order is executed, not when someone clicks."""

    def _customer(self, name, customer_class="new", **values):
        return self.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "isp_lifecycle": "customer",
                "isp_customer_class": customer_class,
                **values,
            }
        )

    def _processed(self, customer, identifier):
        order = self._order([(self.domain, 1, identifier), (self.server, 1, f"srv.{identifier}")], partner=customer)
        order.with_user(self.salesman).action_isp_process()
        return order

    def assertNotProvisioned(self, order):
        order.isp_service_ids.invalidate_recordset()
        self.assertEqual(set(order.isp_service_ids.mapped("state")), {"pending"})
        self.assertFalse(order.isp_service_ids.activity_ids, "no provisioning task for the operations team")

    def test_p09_provisioning_refused_while_the_order_waits(self):
        """Issue 12, point 9: clerk, salesman and manager cannot start the services of a waiting order."""
        credited = self._customer("Credited KG", "credited")
        self._top_up(credited, 5.0)
        waiting = {
            "waiting_payment": self._processed(self._customer("New GmbH"), "new-client.de"),
            "waiting_credit": self._processed(credited, "no-credit.de"),
            "waiting_approval": self._processed(
                self._customer("Trusted AG", "trusted", isp_order_quota=10.0), "over-quota.de"
            ),
        }
        unprocessed = self._order([(self.domain, 1, "unprocessed.de")], partner=self._customer("Staff GmbH"))
        unprocessed.action_confirm()
        waiting[False] = unprocessed
        for decision, order in waiting.items():
            self.assertEqual(order.isp_decision, decision)
            for user in (self.clerk, self.salesman, self.manager):
                with self.assertRefused(UserError, "not executed"):
                    order.with_user(user).action_isp_provision()
                self.assertNotProvisioned(order)
            # nor service by service, nor by writing the state as a client could over RPC
            with self.assertRefused(UserError, "not executed"):
                order.isp_service_ids[0].with_user(self.clerk).action_activate()
            self.assertNotProvisioned(order)
            with self.assertRefused(UserError, "not executed"):
                order.isp_service_ids[0].with_user(self.clerk).write({"state": "active"})
            self.assertNotProvisioned(order)

    def test_p09_provisioning_allowed_once_the_order_is_executed(self):
        """Issue 12, point 9: an executed order's pending services are provisioned by the back office."""
        customer = self._customer("Paying GmbH")
        order = self._processed(customer, "paid-first.de")
        self.assertEqual(order.isp_decision, "waiting_payment")
        invoice = order.invoice_ids
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"amount": invoice.amount_residual}
        )._create_payments()
        self.assertEqual(order.isp_decision, "executed")
        domain, server = order.isp_service_ids.sorted("article_type")
        self.assertEqual((domain.state, server.state), ("active", "pending"))
        # the operations team's task was deleted by mistake: the clerk provisions again
        server.activity_ids.unlink()
        order.with_user(self.clerk).action_isp_provision()
        self.assertEqual(len(server.activity_ids), 1, "the server goes to the operations team again")
        server.with_user(self.clerk).action_activate()
        self.assertEqual(server.state, "active")
        self.assertFalse(order.isp_has_pending_services)

    def test_p09_provision_button_only_on_executed_orders(self):
        """Issue 12, point 9: the form shows "Provision Services" only where it is allowed."""
        arch = self.env["sale.order"].with_user(self.clerk).get_views([(False, "form")])["views"]["form"]["arch"]
        (button,) = etree.fromstring(arch).xpath("//button[@name='action_isp_provision']")
        self.assertIn("isp_decision not in ('executed', 'accumulated')", button.get("invisible"))
