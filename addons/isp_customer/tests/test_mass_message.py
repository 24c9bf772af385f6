from odoo.tests import tagged

from .common import IspCustomerCase


@tagged("post_install", "-at_install")
class TestMassMessage(IspCustomerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.env["ir.module.module"].search([("name", "=", "isp_customer")])._update_translations(["de_DE"])
        cls.tag = cls.env.ref("isp_customer.res_partner_category_newsletter_maintenance")
        values = {"isp_lifecycle": "customer", "category_id": [(6, 0, cls.tag.ids)]}
        cls.german = cls._partner(name="Deutsch GmbH", email="de@example.com", lang="de_DE", **values)
        cls.english = cls._partner(name="English Ltd", email="en@example.com", lang="en_US", **values)
        cls.untagged = cls._partner(
            name="No Newsletter", email="no@example.com", lang="de_DE", isp_lifecycle="customer"
        )
        cls.template = cls.env.ref("isp_customer.mail_template_isp_customer_notice")

    def _send(self, domain):
        scope = [("id", "in", (self.german + self.english + self.untagged).ids)]  # leave demo customers alone
        partners = self.env["res.partner"].search(scope + domain)
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.clerk)
            .with_context(active_ids=partners.ids)
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": "res.partner",
                    "template_id": self.template.id,
                    "auto_delete": False,  # keep the sent mails to look at them
                }
            )
        )
        composer.action_send_mail()
        return self.env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "in", partners.ids)])

    def test_selected_by_newsletter_tag(self):
        mails = self._send([("category_id", "in", self.tag.ids)])
        self.assertEqual(mails.recipient_ids, self.german + self.english)
        english_mail = mails.filtered(lambda mail: mail.res_id == self.english.id)
        self.assertIn(self.english.isp_customer_number, english_mail.subject)
        self.assertIn("Dear English Ltd", english_mail.body_html)

    def test_selected_by_tag_and_language_in_that_language(self):
        mails = self._send([("category_id", "in", self.tag.ids), ("lang", "=", "de_DE")])
        self.assertEqual(mails.recipient_ids, self.german)
        self.assertIn("Informationen zu Ihrem Kundenkonto", mails.subject)
        self.assertIn("Guten Tag Deutsch GmbH", mails.body_html)
