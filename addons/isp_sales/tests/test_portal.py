from odoo import http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.isp_customer.tests.common import IspTestMixin


@tagged("post_install", "-at_install")
class TestPortalServices(IspTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        product = cls.env["product.product"].create(
            {"name": "Domain", "type": "service", "list_price": 10.0, "isp_article_type": "domain"}
        )
        cls.alice = Partner.create({"name": "Alice AG", "is_company": True, "isp_lifecycle": "customer"})
        cls.bob = Partner.create({"name": "Bob GmbH", "is_company": True, "isp_lifecycle": "customer"})
        alice_contact = Partner.create({"name": "Alice Admin", "parent_id": cls.alice.id, "email": "a@alice.example"})
        cls.alice_user = new_test_user(cls.env, login="alice", groups="base.group_portal", partner_id=alice_contact.id)
        cls.bob_user = new_test_user(cls.env, login="bob", groups="base.group_portal", partner_id=cls.bob.id)
        Service = cls.env["isp.service"]
        cls.alice_service = Service.create({"name": "alice.de", "partner_id": cls.alice.id, "product_id": product.id})
        cls.bob_service = Service.create({"name": "bob.de", "partner_id": cls.bob.id, "product_id": product.id})

    def test_record_rules(self):
        Service = self.env["isp.service"]
        self.assertEqual(Service.with_user(self.alice_user).search([]), self.alice_service)
        self.assertEqual(Service.with_user(self.bob_user).search([]), self.bob_service)
        with self.assertRaises(AccessError):
            self.bob_service.with_user(self.alice_user).read(["name"])
        with self.assertRaises(AccessError):
            self.alice_service.with_user(self.alice_user).write({"price_unit": 0.0})

    def test_customer_cannot_choose_the_einvoice_format_in_the_portal(self):
        """Issue 13: the e-invoice format is the billing profile's (managers decide), not a portal choice."""
        self.assertEqual(self.bob.isp_einvoice_format, "facturx")
        self.authenticate("bob", "bob")
        page = self.url_open("/my/account")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn('name="invoice_edi_format"', page.text)
        form = {
            "name": "Bob GmbH",
            "phone": "+49 30 1234567",
            "email": "bob@bob.example",
            "street": "Bobweg 1",
            "city": "Berlin",
            "zipcode": "10115",
            "country_id": self.env.ref("base.de").id,
            "csrf_token": http.Request.csrf_token(self),
        }
        # a crafted form with the format is refused as a whole
        response = self.url_open("/my/account", data={**form, "invoice_edi_format": "xrechnung"})
        self.assertIn("Unknown field", response.text)
        self.bob.invalidate_recordset()
        self.assertEqual((self.bob.street, self.bob.isp_einvoice_format), (False, "facturx"))
        # the form as the page offers it saves the details
        self.url_open("/my/account", data=form)
        self.bob.invalidate_recordset()
        self.assertEqual((self.bob.street, self.bob.isp_einvoice_format), ("Bobweg 1", "facturx"))

    def test_my_services_pages(self):
        self.authenticate("alice", "alice")
        response = self.url_open("/my/services")
        self.assertEqual(response.status_code, 200)
        self.assertIn("alice.de", response.text)
        self.assertNotIn("bob.de", response.text)
        response = self.url_open(f"/my/services/{self.alice_service.id}")
        self.assertIn("alice.de", response.text)
        self.assertIn("Domain", response.text)
        # another customer's service: back to the portal home, nothing shown
        response = self.url_open(f"/my/services/{self.bob_service.id}")
        self.assertNotIn("bob.de", response.text)
        self.assertTrue(response.url.endswith("/my"))
        home = self.url_open("/my/home")
        self.assertIn("/my/services", home.text)

    def test_portal_invoice_shows_the_service_periods_to_its_customer_only(self):
        self.alice_service.product_id.isp_recurring = True
        self.alice_service.write(
            {"state": "active", "date_start": "2019-01-01", "next_invoice_date": "2019-01-01", "price_unit": 10.0}
        )
        run = self.env["isp.billing.run"].create({"date": "2019-01-01"})
        run.action_confirm()
        invoice = run.invoice_ids.filtered(lambda move: move.partner_id == self.alice)
        self.assertEqual(invoice.state, "posted")
        self.authenticate("alice", "alice")
        response = self.url_open(f"/my/invoices/{invoice.id}?report_type=html")
        self.assertEqual(response.status_code, 200)
        self.assertIn("alice.de", response.text)
        self.assertIn("01/01/2019 - 01/31/2019", response.text)
        self.assertIn("Service Period", response.text)
        self.authenticate("bob", "bob")
        response = self.url_open(f"/my/invoices/{invoice.id}?report_type=html")
        self.assertNotIn("alice.de", response.text)
        self.assertTrue(response.url.endswith("/my"))
