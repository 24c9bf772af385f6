from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import IspCustomerCase


@tagged("post_install", "-at_install")
class TestCustomerNumber(IspCustomerCase):
    def test_prospect_has_no_number_until_converted(self):
        prospect = self._partner(user=self.clerk, isp_lifecycle="prospect")
        self.assertFalse(prospect.isp_customer_number)
        prospect.with_user(self.clerk).action_isp_convert_to_customer()
        self.assertEqual(prospect.isp_lifecycle, "customer")
        self.assertRegex(prospect.isp_customer_number, r"^K\d{6}$")

    def test_numbers_follow_the_sequence(self):
        next_number = self.sequence.number_next_actual
        first = self._partner(isp_lifecycle="customer")
        second = self._partner(isp_lifecycle="customer")
        self.assertEqual(first.isp_customer_number, f"K{next_number:06d}")
        self.assertEqual(second.isp_customer_number, f"K{next_number + 1:06d}")

    def test_number_is_never_reassigned(self):
        customer = self._partner(isp_lifecycle="customer")
        number = customer.isp_customer_number
        with self.assertRefused(ValidationError, "permanent"):
            customer.write({"isp_customer_number": "K999999"})
        with self.assertRefused(ValidationError, "permanent"):
            customer.write({"isp_customer_number": False})
        with self.assertRefused(ValidationError, "permanent"):
            customer.with_context(isp_merge=True).with_user(self.manager).write({"isp_customer_number": "K1"})
        with self.assertRefused(ValidationError, "Lifecycle"):
            customer.write({"isp_lifecycle": False})
        with self.assertRefused(UserError, "archive"):
            customer.unlink()
        self.assertFieldUnchanged(customer, "isp_customer_number", number)
        # Former customers keep it, and so do customers that come back.
        customer.action_isp_mark_former()
        customer.action_isp_convert_to_customer()
        self.assertEqual(customer.isp_customer_number, number)

    def test_duplicate_number_refused(self):
        customer = self._partner(isp_lifecycle="customer")
        other = self._partner(name="Other", isp_lifecycle="prospect")
        with self.assertRefused(ValidationError, "Customer Number"):
            other.write({"isp_customer_number": customer.isp_customer_number})
        self.assertFieldUnchanged(other, "isp_customer_number", False)
        with self.assertRefused(ValidationError, "Customer Number"):
            self._partner(name="Copy", isp_customer_number=customer.isp_customer_number)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Copy")]), 0)
        # Archived partners keep their number reserved.
        customer.active = False
        with self.assertRefused(ValidationError, "Customer Number"):
            other.write({"isp_customer_number": customer.isp_customer_number})

    def test_same_number_in_another_company_allowed(self):
        company_b = self.env["res.company"].create({"name": "ISP Branch B"})
        first = self._partner(isp_customer_number="LEGACY-1", company_id=self.env.company.id)
        second = self._partner(isp_customer_number="LEGACY-1", company_id=company_b.id)
        self.assertEqual(first.isp_customer_number, second.isp_customer_number)

    def test_moving_to_a_company_where_the_number_is_taken_refused(self):
        company_b = self.env["res.company"].create({"name": "ISP Branch B"})
        self._partner(name="B", isp_customer_number="LEGACY-2", company_id=company_b.id)
        moving = self._partner(name="A", isp_customer_number="LEGACY-2", company_id=self.env.company.id)
        with self.assertRefused(ValidationError, "Customer Number"):
            moving.company_id = company_b
        self.assertFieldUnchanged(moving, "company_id", self.env.company)

    def test_company_sequence(self):
        company_b = self.env["res.company"].create({"name": "ISP Branch B"})
        sequence_b = self.env["ir.sequence"].create(
            {"name": "Branch B customers", "code": "isp.customer.number.b", "prefix": "B-", "padding": 4}
        )
        company_b.isp_customer_sequence_id = sequence_b
        customer = self._partner(company_id=company_b.id, isp_lifecycle="customer")
        self.assertEqual(customer.isp_customer_number, "B-0001")

    def test_sequence_skips_numbers_entered_by_hand(self):
        next_number = f"K{self.sequence.number_next_actual:06d}"
        imported = self._partner(name="Imported", isp_customer_number=next_number, isp_lifecycle="customer")
        new = self._partner(isp_lifecycle="customer")
        self.assertEqual(imported.isp_customer_number, next_number)
        self.assertNotEqual(new.isp_customer_number, next_number)

    def test_number_is_searchable(self):
        customer = self._partner(name="Searchable GmbH", isp_lifecycle="customer")
        found = self.env["res.partner"].name_search(customer.isp_customer_number)
        self.assertEqual([partner_id for partner_id, _name in found], [customer.id])
        self.assertEqual(
            self.env["res.partner"].search([("isp_customer_number", "=", customer.isp_customer_number)]), customer
        )

    def test_contacts_of_a_customer_get_no_number(self):
        company = self._partner(name="Parent AG", is_company=True, isp_lifecycle="customer")
        contact = self._partner(name="Contact Person", parent_id=company.id)
        self.assertTrue(company.isp_customer_number)
        self.assertFalse(contact.isp_customer_number)
