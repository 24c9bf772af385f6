from odoo.tests import Form, tagged

from .common import IspCustomerCase

TRUSTED = {"isp_customer_class": "trusted", "isp_order_quota": 5000.0}
RESELLER = {"isp_customer_class": "reseller", "isp_order_quota": 8000.0, "isp_reseller_period": "weekly"}


@tagged("post_install", "-at_install")
class TestNewCommercialEntity(IspCustomerCase):
    """Issue 12, point 10: a contact of a trusted company that becomes a customer of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.trusted = cls._partner(
            user=cls.manager, name="Trusted AG", is_company=True, isp_lifecycle="customer", **TRUSTED
        )
        cls.reseller = cls._partner(
            user=cls.manager, name="Reseller AG", is_company=True, isp_lifecycle="customer", **RESELLER
        )

    def _contact(self, parent, user):
        contact = self._partner(user=user, name=f"Contact of {parent.name}", parent_id=parent.id)
        # a contact mirrors its company's class and quota
        self.assertEqual(
            (contact.isp_customer_class, contact.isp_order_quota),
            (parent.isp_customer_class, parent.isp_order_quota),
        )
        return contact

    def assertNewClient(self, partner):
        partner.invalidate_recordset()
        self.assertEqual(partner.commercial_partner_id, partner)
        self.assertEqual(
            (partner.isp_customer_class, partner.isp_order_quota, partner.isp_reseller_period), ("new", 0.0, False)
        )

    def test_p10_contact_detached_by_a_clerk_starts_as_new_client(self):
        """Issue 12, point 10: a clerk who detaches a contact of a trusted company gets a new client without quota."""
        detached = self._contact(self.trusted, self.clerk)
        detached.with_user(self.clerk).write({"parent_id": False})
        self.assertNewClient(detached)
        made_company = self._contact(self.reseller, self.clerk)
        made_company.with_user(self.clerk).write({"is_company": True})
        self.assertEqual(made_company.parent_id, self.reseller, "still listed under the reseller")
        self.assertNewClient(made_company)
        # with the form's Company / Individual switch
        switched = self._contact(self.trusted, self.clerk)
        with Form(switched.with_user(self.clerk)) as form:
            form.company_type = "company"
        self.assertNewClient(switched)
        self.assertEqual(switched.isp_customer_kind, "company")
        self.assertIn("new client", switched.message_ids[0].body)
        # the companies keep their class and quota
        self.assertEqual((self.trusted.isp_customer_class, self.trusted.isp_order_quota), ("trusted", 5000.0))
        self.assertEqual(
            (self.reseller.isp_customer_class, self.reseller.isp_order_quota, self.reseller.isp_reseller_period),
            ("reseller", 8000.0, "weekly"),
        )

    def test_p10_contact_detached_by_a_manager_keeps_class_and_quota(self):
        """Issue 12, point 10: a manager who detaches a contact decides: it keeps class and quota."""
        detached = self._contact(self.trusted, self.manager)
        detached.with_user(self.manager).write({"parent_id": False})
        detached.invalidate_recordset()
        self.assertEqual(detached.commercial_partner_id, detached)
        self.assertEqual((detached.isp_customer_class, detached.isp_order_quota), ("trusted", 5000.0))
        made_company = self._contact(self.reseller, self.manager)
        made_company.with_user(self.manager).write({"is_company": True})
        made_company.invalidate_recordset()
        self.assertEqual(
            (made_company.isp_customer_class, made_company.isp_order_quota, made_company.isp_reseller_period),
            ("reseller", 8000.0, "weekly"),
        )

    def test_p10_clerk_moving_a_contact_between_companies_mirrors_the_new_company(self):
        """Issue 12, point 10: a contact moved to another company is no entity of its own: it mirrors that company."""
        contact = self._contact(self.trusted, self.clerk)
        contact.with_user(self.clerk).write({"parent_id": self.reseller.id})
        self.assertEqual(
            (contact.isp_customer_class, contact.isp_order_quota, contact.isp_reseller_period),
            ("reseller", 8000.0, "weekly"),
        )
