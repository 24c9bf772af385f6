from unittest.mock import patch

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
