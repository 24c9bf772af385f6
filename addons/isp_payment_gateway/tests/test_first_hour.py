from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestFirstHour(HttpCase):
    """The README's first hour on the demo data, in Chromium."""

    def test_manager_dashboard_then_portal_customer(self):
        """Issue 14: the manager lands on the dashboard and opens a chart's records; the demo customer opens an
        invoice and a service in the portal."""
        manager = self.env.ref("isp_customer.res_users_isp_manager_demo")
        customer = self.env.ref("isp_customer.res_users_isp_portal_customer_demo")
        self.assertTrue(
            self.env["account.move"].search_count(
                [("partner_id", "child_of", customer.partner_id.commercial_partner_id.id), ("state", "=", "posted")]
            ),
            "the demo customer has invoices to open",
        )
        self.start_tour("/odoo", "isp_first_hour_manager", login=manager.login, timeout=180)
        self.start_tour("/my", "isp_first_hour_portal", login=customer.login, timeout=180)
