from odoo.tests import HttpCase, tagged

from .common import IspTestMixin


@tagged("post_install", "-at_install")
class TestBackOfficeUi(IspTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_isp_users()

    def test_clerk_works_a_prospect_into_a_customer(self):
        self.start_tour("/odoo", "isp_customer_clerk_tour", login=self.clerk.login)
        customer = self.env["res.partner"].search([("name", "=", "Tour Prospect GmbH")])
        self.assertEqual(customer.isp_lifecycle, "customer")
        self.assertTrue(customer.isp_customer_number)
        self.assertIn(
            "Will call us",
            customer.message_ids.tracking_value_ids.mapped("new_value_char"),
        )

    def test_manager_sets_class_quota_and_billing_profile(self):
        customer = self.env["res.partner"].create(
            {"name": "Tour Reseller KG", "is_company": True, "isp_lifecycle": "customer"}
        )
        self.start_tour("/odoo", "isp_customer_manager_tour", login=self.manager.login)
        self.assertEqual(customer.isp_customer_class, "reseller")
        self.assertEqual(customer.isp_order_quota, 2500.0)
        self.assertEqual(customer.isp_reseller_period, "monthly")
        self.assertEqual(customer.isp_billing_interval, "quarterly")
        self.assertEqual(customer.isp_payment_method, "sepa")
