from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IspCustomerCase


@tagged("post_install", "-at_install")
class TestCustomerClass(IspCustomerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._partner(name="Class Customer", is_company=True, isp_lifecycle="customer")
        cls._end_transaction()

    def test_defaults(self):
        self.assertEqual(self.customer.isp_customer_class, "new")
        self.assertEqual(self.customer.isp_billing_interval, "monthly")
        self.assertEqual(self.customer.isp_invoice_consolidation, "per_period")
        self.assertEqual(self.customer.isp_invoice_delivery, "email")
        self.assertEqual(self.customer.isp_payment_method, "transfer")
        self.assertEqual(self.customer.isp_attitude, "normal")

    def test_negative_quota_refused(self):
        with self.assertRefused(ValidationError, "Order Quota"):
            self.customer.isp_order_quota = -10.0
        self.assertFieldUnchanged(self.customer, "isp_order_quota", 0.0)

    def test_trusted_needs_positive_quota(self):
        with self.assertRefused(ValidationError, "Order Quota"):
            self.customer.isp_customer_class = "trusted"
        self.assertFieldUnchanged(self.customer, "isp_customer_class", "new")
        self.customer.write({"isp_customer_class": "trusted", "isp_order_quota": 500.0})
        self.assertEqual(self.customer.isp_customer_class, "trusted")

    def test_reseller_needs_period_and_quota(self):
        with self.assertRefused(ValidationError, "Reseller Billing Period"):
            self.customer.write({"isp_customer_class": "reseller", "isp_order_quota": 1000.0})
        self.assertFieldUnchanged(self.customer, "isp_customer_class", "new")
        with self.assertRefused(ValidationError, "Order Quota"):
            self.customer.write({"isp_customer_class": "reseller", "isp_reseller_period": "weekly"})
        self.customer.write(
            {"isp_customer_class": "reseller", "isp_order_quota": 1000.0, "isp_reseller_period": "weekly"}
        )
        self.assertEqual(self.customer.isp_reseller_period, "weekly")

    def test_malformed_registration_ip_refused(self):
        for bad in ("300.1.2.3", "10.0.0", "2001:db8:::1", "example.com"):
            with self.assertRefused(ValidationError, "Registration IP"):
                self.customer.isp_registration_ip = bad
            self.assertFieldUnchanged(self.customer, "isp_registration_ip", False)
        for good in ("203.0.113.7", "2001:db8::1"):
            self.customer.isp_registration_ip = good
            self.assertEqual(self.customer.isp_registration_ip, good)

    def test_class_and_quota_changes_are_tracked(self):
        self.customer.write({"isp_customer_class": "trusted", "isp_order_quota": 750.0})
        self.flush_tracking()
        tracked = self.customer.message_ids.tracking_value_ids
        self.assertIn("isp_customer_class", tracked.field_id.mapped("name"))
        self.assertIn("isp_order_quota", tracked.field_id.mapped("name"))
        class_change = tracked.filtered(lambda value: value.field_id.name == "isp_customer_class")
        self.assertEqual((class_change.old_value_char, class_change.new_value_char), ("New client", "Trusted client"))

    def test_billing_profile_shared_with_contacts(self):
        self.customer.write({"isp_billing_interval": "quarterly", "isp_invoice_delivery": "post"})
        contact = self._partner(name="Accounting Contact", parent_id=self.customer.id)
        self.assertEqual(contact.isp_billing_interval, "quarterly")
        self.assertEqual(contact.isp_invoice_delivery, "post")
        self.customer.isp_payment_method = "sepa"
        self.assertEqual(contact.isp_payment_method, "sepa")
