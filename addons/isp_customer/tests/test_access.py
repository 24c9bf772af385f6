from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import IspCustomerCase


@tagged("post_install", "-at_install")
class TestAccess(IspCustomerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._partner(name="Access Customer", is_company=True, isp_lifecycle="customer")
        cls.other = cls._partner(name="Other Customer", is_company=True, isp_lifecycle="customer")
        cls.portal_user = new_test_user(
            cls.env, login="isp_portal", groups="base.group_portal", partner_id=cls.customer.id
        )

    def test_clerk_cannot_change_class_quota_or_billing_profile(self):
        customer = self.customer.with_user(self.clerk)
        refused = {
            "isp_customer_class": "credited",
            "isp_order_quota": 100.0,
            "isp_reseller_period": "daily",
            "isp_billing_interval": "yearly",
            "isp_invoice_consolidation": "per_order",
            "isp_invoice_delivery": "post",
            "isp_payment_method": "sepa",
            "property_payment_term_id": self.env.ref("account.account_payment_term_30days").id,
        }
        for fname, value in refused.items():
            before = self.customer[fname]
            with self.assertRaises(AccessError, msg=fname):
                customer.write({fname: value})
            self.assertFieldUnchanged(self.customer, fname, before)

    def test_clerk_creates_customers_with_the_einvoice_format_of_their_kind(self):
        """Issue 13: the e-invoice format a customer kind implies is no manager's choice; XRechnung is."""
        business = self._partner(user=self.clerk, name="Clerk Business", is_company=True, isp_lifecycle="customer")
        consumer = self._partner(user=self.clerk, name="Clerk Consumer", isp_lifecycle="customer")
        self.assertEqual((business.isp_einvoice_format, consumer.isp_einvoice_format), ("facturx", "pdf"))
        business.with_user(self.clerk).write({"is_company": False})
        self.assertEqual(business.isp_einvoice_format, "pdf")
        with self.assertRaises(AccessError):
            self._partner(
                user=self.clerk, name="Sneaky XRechnung", is_company=True, isp_einvoice_format="xrechnung_ubl"
            )
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Sneaky XRechnung")]))
        with self.assertRaises(AccessError):
            consumer.with_user(self.clerk).write({"isp_einvoice_format": "xrechnung_cii"})
        self.assertFieldUnchanged(consumer, "isp_einvoice_format", "pdf")
        # the derived value is no way around the manager either: a manager's XRechnung stays
        public = self._partner(name="Public Body", is_company=True, isp_einvoice_format="xrechnung_ubl")
        with self.assertRaises(AccessError):
            public.with_user(self.clerk).write({"isp_einvoice_format": "facturx"})
        self.assertFieldUnchanged(public, "isp_einvoice_format", "xrechnung_ubl")

    def test_clerk_cannot_create_customer_with_another_class(self):
        with self.assertRaises(AccessError):
            self._partner(user=self.clerk, name="Sneaky", isp_customer_class="trusted", isp_order_quota=10.0)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Sneaky")]))

    def test_clerk_cannot_sneak_class_in_through_other_paths(self):
        Partner = self.env["res.partner"].with_user(self.clerk)
        trusted = {"isp_customer_class": "trusted", "isp_order_quota": 1e9}
        # a company created with a parent is still its own commercial entity
        with self.assertRaises(AccessError):
            Partner.create({"name": "Child Co", "parent_id": self.customer.id, "is_company": True, **trusted})
        # defaults passed in the context
        with self.assertRaises(AccessError):
            Partner.with_context(default_isp_customer_class="trusted", default_isp_order_quota=1e9).create(
                {"name": "Context Defaults"}
            )
        # a contact detached from its company in the same write
        contact = self._partner(name="Detached", parent_id=self.customer.id)
        with self.assertRaises(AccessError):
            contact.with_user(self.clerk).write({"parent_id": False, **trusted})
        self.assertFieldUnchanged(contact, "parent_id", self.customer)
        # a contact made a customer and given payment terms in the same write
        plain = self._partner(name="Plain Contact")
        with self.assertRaises(AccessError):
            plain.with_user(self.clerk).write(
                {
                    "isp_lifecycle": "customer",
                    "property_payment_term_id": self.env.ref("account.account_payment_term_30days").id,
                }
            )
        self.assertFieldUnchanged(plain, "isp_lifecycle", False)
        self.assertFalse(self.env["res.partner"].search([("name", "in", ("Child Co", "Context Defaults"))]))

    def test_clerk_edits_everything_else(self):
        customer = self.customer.with_user(self.clerk)
        customer.write(
            {
                "isp_attitude": "difficult",
                "isp_verified_phone": "+49 30 1234567",
                "isp_registration_ip": "198.51.100.4",
                "isp_customer_class": "new",  # unchanged value: allowed
            }
        )
        self.assertEqual(self.customer.isp_attitude, "difficult")
        self.assertFalse(customer.isp_is_manager)

    def test_manager_sets_class_quota_and_billing_profile(self):
        with Form(self.customer.with_user(self.manager)) as form:
            self.assertTrue(form.isp_is_manager)
            form.isp_customer_class = "reseller"
            form.isp_order_quota = 5000.0
            form.isp_reseller_period = "monthly"
            form.isp_billing_interval = "quarterly"
            form.isp_invoice_consolidation = "per_order"
            form.isp_invoice_delivery = "email_post"
            form.isp_payment_method = "sepa"
        self.assertEqual(self.customer.isp_customer_class, "reseller")
        self.assertEqual(self.customer.isp_order_quota, 5000.0)
        self.assertEqual(self.customer.isp_payment_method, "sepa")

    def test_clerk_form_shows_billing_profile_read_only(self):
        with Form(self.customer.with_user(self.clerk)) as form:
            self.assertFalse(form.isp_is_manager)
            with self.assertRaises(AssertionError):
                form.isp_customer_class = "trusted"
            form.isp_attitude = "excellent"
        self.assertEqual(self.customer.isp_attitude, "excellent")

    def test_only_managers_edit_stages(self):
        stage = self.stage_first.with_user(self.clerk)
        self.assertTrue(stage.name)
        with self.assertRaises(AccessError):
            stage.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["isp.prospect.stage"].with_user(self.clerk).create({"name": "New stage"})
        self.stage_first.with_user(self.manager).write({"sequence": 5})

    def test_portal_user_sees_only_own_commercial_entity(self):
        partners = self.env["res.partner"].with_user(self.portal_user).search([("isp_lifecycle", "=", "customer")])
        self.assertEqual(partners, self.customer)
        with self.assertRaises(AccessError):
            self.other.with_user(self.portal_user).read(["isp_customer_number"])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.portal_user).write({"isp_customer_class": "trusted"})
        with self.assertRaises(AccessError):
            self.env["isp.credit.topup"].with_user(self.portal_user).create({"partner_id": self.customer.id})

    def test_internal_user_without_isp_group_cannot_top_up(self):
        employee = new_test_user(self.env, login="plain_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["isp.credit.topup"].with_user(employee).create({"partner_id": self.customer.id, "amount": 5})

    def test_partners_of_other_companies_hidden(self):
        company_b = self.env["res.company"].create({"name": "ISP Branch B"})
        hidden = self._partner(name="Branch B Customer", company_id=company_b.id, isp_lifecycle="customer")
        visible = self.env["res.partner"].with_user(self.clerk).search([("isp_lifecycle", "=", "customer")])
        self.assertIn(self.customer, visible)
        self.assertNotIn(hidden, visible)
