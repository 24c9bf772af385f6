from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspPaymentCase


@tagged("post_install", "-at_install")
class TestMandate(IspPaymentCase):
    def test_creditor_identifier_validated(self):
        with self.assertRefused(ValidationError, "not a valid SEPA creditor identifier"):
            self.env.company.isp_sepa_creditor_id = "DE98ZZZ09999999998"
        self.env.company.isp_sepa_creditor_id = "de98 zzz0 9999 9999 99"
        self.assertEqual(self.env.company.isp_sepa_creditor_id, "DE98ZZZ09999999999")

    def test_reference_account_and_scheme_checks(self):
        mandate = self._mandate()
        self.assertRegex(mandate.name, r"^ISPM-\d{6}$")
        self.assertEqual((mandate.state, mandate.scheme, mandate.first_use), ("draft", "CORE", True))
        for bad in ("WITH SPACE", "/LEADING", "A//B", "X" * 36):
            with self.subTest(reference=bad), self.assertRefused(ValidationError, "Mandate reference"):
                self._mandate(name=bad)
        with self.assertRefused(ValidationError, "not a valid IBAN"):
            self._mandate(
                account=self.env["res.partner.bank"].create(
                    {"acc_number": "DE00123456780000000000", "partner_id": self.business.id}
                )
            )
        with self.assertRefused(ValidationError, "another customer"):
            self._mandate(account=self.consumer_account)
        with self.assertRefused(ValidationError, "B2B mandates are for businesses"):
            self._mandate(partner=self.consumer, account=self.consumer_account, scheme="B2B")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._mandate(name=mandate.name)

    def test_contact_mandate_belongs_to_the_customer(self):
        contact = self.env["res.partner"].create({"name": "Buchhaltung", "parent_id": self.business.id})
        mandate = self._mandate(partner=contact)
        self.assertEqual(mandate.partner_id, self.business)

    def test_activate_revoke_and_active_mandate(self):
        mandate = self._mandate(signature_date=False)
        with self.assertRefused(UserError, "date of signature"):
            mandate.action_activate()
        mandate.signature_date = "2025-01-15"
        mandate.action_activate()
        self.assertEqual(self.business._isp_active_mandate(self.env.company), mandate)
        newer = self._mandate(signature_date="2025-06-01")
        newer.action_activate()
        self.assertEqual(self.business._isp_active_mandate(self.env.company), newer, "the latest signed one")
        newer.action_revoke()
        self.assertEqual((newer.state, self.business._isp_active_mandate(self.env.company)), ("revoked", mandate))
        with self.assertRefused(UserError, "Only draft"):
            newer.action_activate()

    def test_unused_mandates_expire_after_36_months(self):
        used = self._mandate(signature_date="2022-01-10")
        unused = self._mandate(signature_date="2023-12-01")
        (used | unused).action_activate()
        used._isp_mark_used(fields.Date.to_date("2024-03-01"))
        self.assertFalse(used.first_use)
        with freeze_time("2026-12-01"):
            self.env["isp.sepa.mandate"]._cron_isp_expire()
        self.assertEqual((used.state, unused.state), ("active", "expired"))
        self.assertEqual(unused.end_reason, "Not used for 36 months")

    def test_rights_and_form(self):
        mandate = self._mandate()
        with self.assertRefused(AccessError, "not allowed"):
            mandate.with_user(self.clerk).unlink()
        self.assertEqual(mandate.with_user(self.clerk).state, "draft")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("isp_payment_gateway.action_report_sepa_mandate", mandate.ids)[0]
            .decode()
        )
        for expected in (mandate.name, "DE98ZZZ09999999999", "DE02120300000000202051", "eight weeks"):
            self.assertIn(expected, html)
