from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import IspSalesCase


@tagged("post_install", "-at_install")
class TestIspLists(IspSalesCase):
    def test_invoice_lists_show_isp_customers_only(self):
        """Issue 14: the ISP menu's invoice lists leave out other partners' invoices (e.g. Odoo's demo data)."""
        other = self.env["res.partner"].create({"name": "Deco Addict", "is_company": True})
        # as if posted before the ISP addons were installed (posting makes a partner a customer)
        with patch.object(type(other), "_isp_make_customer"):
            foreign = self._invoice(other, 100.0)
        self.assertFalse(other.isp_lifecycle)
        ours = self._invoice(self.customer, 50.0)
        former = self.env["res.partner"].create({"name": "Former AG", "is_company": True, "isp_lifecycle": "former"})
        owed = self._invoice(former, 20.0)
        former.isp_lifecycle = "former"
        Move = self.env["account.move"].with_user(self.clerk)
        for xmlid in ("isp_sales.account_move_action_isp_invoices", "isp_sales.account_move_action_isp_to_print"):
            domain = safe_eval(self.env.ref(xmlid).domain)
            listed = Move.search([*domain, ("id", "in", (foreign | ours | owed).ids)])
            self.assertEqual(listed, ours | owed, xmlid)
        menu = self.env.ref("isp_sales.isp_invoice_menu")
        self.assertEqual(menu.action, self.env.ref("isp_sales.account_move_action_isp_invoices"))

    def test_order_lists_show_isp_partners_only(self):
        """Issue 14: the ISP menu's orders and quotations leave out other partners' orders (e.g. Odoo's demo data)."""
        other = self.env["res.partner"].create({"name": "Azure Interior", "is_company": True})
        foreign = self.env["sale.order"].create(
            {"partner_id": other.id, "order_line": [Command.create({"product_id": self.setup_fee.id})]}
        )
        # as if made before the ISP addons were installed: quoting makes a partner a prospect
        other.isp_lifecycle = False
        ours = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "order_line": [Command.create({"product_id": self.setup_fee.id})]}
        )
        (foreign | ours).action_confirm()
        quoted = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "order_line": [Command.create({"product_id": self.setup_fee.id})]}
        )
        Order = self.env["sale.order"].with_user(self.salesman)
        orders = self.env.ref("isp_sales.sale_order_action_isp_orders")
        quotations = self.env.ref("isp_sales.sale_order_action_isp_quotations")
        scope = [("id", "in", (foreign | ours | quoted).ids)]
        self.assertEqual(Order.search([*safe_eval(orders.domain), *scope]), ours)
        self.assertEqual(Order.search([*safe_eval(quotations.domain), *scope]), ours | quoted)
        self.assertEqual(self.env.ref("isp_sales.isp_order_menu").action, orders)
        self.assertEqual(self.env.ref("isp_sales.isp_quotation_menu").action, quotations)

    def test_quoting_a_new_partner_makes_a_prospect(self):
        """Issue 14: a quotation for a partner who is no ISP customer yet makes them a prospect, listed in the ISP menu."""
        partner = self.env["res.partner"].create({"name": "New Lead GmbH", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Eva Lead", "parent_id": partner.id})
        self.assertFalse(partner.isp_lifecycle)
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create({"partner_id": contact.id, "order_line": [Command.create({"product_id": self.setup_fee.id})]})
        )
        self.assertEqual(partner.isp_lifecycle, "prospect")
        self.assertTrue(partner.isp_prospect_stage_id)
        self.assertFalse(contact.isp_lifecycle)
        quotations = self.env.ref("isp_sales.sale_order_action_isp_quotations")
        self.assertIn(order, self.env["sale.order"].search(safe_eval(quotations.domain)))
        # customers stay customers
        self.env["sale.order"].create(
            {"partner_id": self.customer.id, "order_line": [Command.create({"product_id": self.setup_fee.id})]}
        )
        self.assertEqual(self.customer.isp_lifecycle, "customer")
