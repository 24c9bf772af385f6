import re

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.isp_customer.tests.common import IspTestMixin


@tagged("post_install", "-at_install")
class TestPortalMandates(IspTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.isp_sepa_creditor_id = "DE98ZZZ09999999999"
        Partner = cls.env["res.partner"]
        cls.alice = Partner.create({"name": "Alice AG", "is_company": True, "isp_lifecycle": "customer"})
        cls.bob = Partner.create({"name": "Bob GmbH", "is_company": True, "isp_lifecycle": "customer"})
        contact = Partner.create({"name": "Alice Admin", "parent_id": cls.alice.id, "email": "a@alice.example"})
        cls.alice_user = new_test_user(cls.env, login="alice", groups="base.group_portal", partner_id=contact.id)
        cls.bob_user = new_test_user(cls.env, login="bob", groups="base.group_portal", partner_id=cls.bob.id)
        bob_account = cls.env["res.partner.bank"].create(
            {"acc_number": "DE02120300000000202051", "partner_id": cls.bob.id}
        )
        cls.bob_mandate = cls.env["isp.sepa.mandate"].create(
            {"partner_id": cls.bob.id, "bank_account_id": bob_account.id, "signature_date": "2025-01-15"}
        )

    def _post_form(self, **data):
        page = self.url_open("/my/mandates/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open("/my/mandates/new", data={"csrf_token": token, **data})

    def test_sign_a_mandate_online(self):
        self.authenticate("alice", "alice")
        response = self._post_form(holder="Alice AG", iban="DE02 5001 0517 0137 0750 30")
        self.assertIn("Tick the box", response.text, "no mandate without consent")
        response = self._post_form(holder="Alice AG", iban="DE00 1234", consent="1")
        self.assertIn("valid IBAN", response.text)
        self.assertFalse(self.env["isp.sepa.mandate"].search([("partner_id", "=", self.alice.id)]))
        response = self._post_form(holder="Alice AG", iban="DE02 5001 0517 0137 0750 30", consent="1")
        self.assertEqual(response.status_code, 200)
        mandate = self.env["isp.sepa.mandate"].search([("partner_id", "=", self.alice.id)])
        self.assertEqual((mandate.state, mandate.iban, mandate.scheme), ("active", "DE02500105170137075030", "CORE"))
        self.assertTrue(mandate.signature_date)
        self.assertEqual(mandate.consent_ip, "127.0.0.1")
        self.assertEqual(self.alice.isp_payment_method, "sepa")
        self.assertIn(mandate.name, response.text, "the new mandate is listed")

    def test_customers_see_only_their_mandates(self):
        self.authenticate("alice", "alice")
        response = self.url_open("/my/mandates")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(self.bob_mandate.name, response.text)
        Mandate = self.env["isp.sepa.mandate"]
        self.assertFalse(Mandate.with_user(self.alice_user).search([]))
        self.assertEqual(Mandate.with_user(self.bob_user).search([]), self.bob_mandate)
        with self.assertRaises(AccessError):
            self.bob_mandate.with_user(self.alice_user).read(["name"])
        with self.assertRaises(AccessError):
            self.bob_mandate.with_user(self.bob_user).write({"scheme": "B2B"})
