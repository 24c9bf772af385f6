from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import IspCustomerCase


@tagged("post_install", "-at_install")
class TestCustomerKind(IspCustomerCase):
    def test_kind_follows_company_type(self):
        person = self._partner(name="Erika Muster")
        self.assertEqual(person.isp_customer_kind, "individual")
        company = self._partner(name="Muster GmbH", is_company=True)
        self.assertEqual(company.isp_customer_kind, "company")
        company.is_company = False
        self.assertEqual(company.isp_customer_kind, "individual")

    def test_company_type_follows_kind(self):
        partner = self._partner(name="Hans Handwerk", isp_customer_kind="sole_proprietor")
        self.assertTrue(partner.is_company)
        self.assertEqual(partner.company_type, "company")
        partner.isp_customer_kind = "individual"
        self.assertFalse(partner.is_company)
        # A sole proprietor stays one while it is a company.
        partner.isp_customer_kind = "sole_proprietor"
        partner.write({"name": "Hans Handwerk e.K."})
        self.assertEqual(partner.isp_customer_kind, "sole_proprietor")

    def test_inconsistent_kind_refused(self):
        with self.assertRefused(ValidationError, "Customer Kind"):
            self._partner(name="Odd", is_company=True, isp_customer_kind="individual")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Odd")]))

    def test_form_onchange(self):
        with Form(self.env["res.partner"].with_user(self.clerk)) as form:
            form.name = "Form Proprietor"
            form.isp_customer_kind = "sole_proprietor"
            self.assertEqual(form.company_type, "company")
            form.company_type = "person"
            self.assertEqual(form.isp_customer_kind, "individual")
