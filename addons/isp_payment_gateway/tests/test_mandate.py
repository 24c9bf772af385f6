from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
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

    def test_p12_signed_data_of_an_active_mandate_cannot_change(self):
        """Issue 12, point 12: a clerk cannot switch an active mandate to another account or customer."""
        clerk = new_test_user(self.env, "clerk_p12_signed", groups="base.group_user,isp_customer.group_isp_user")
        mandate = self._sepa_customer(self.business, self.business_account)
        other_account = self.env["res.partner.bank"].create(
            {"acc_number": "DE75512108001245126199", "partner_id": self.business.id}
        )
        for vals in (
            {"bank_account_id": other_account.id},
            {"partner_id": self.consumer.id, "bank_account_id": self.consumer_account.id},
            {"scheme": "B2B"},
            {"signature_date": "2025-02-01"},
        ):
            with self.assertRefused(UserError, "cannot change; revoke it and sign a new mandate"):
                mandate.with_user(clerk).write(vals)
        self.assertEqual(
            (mandate.bank_account_id, mandate.partner_id, mandate.scheme, str(mandate.signature_date)),
            (self.business_account, self.business, "CORE", "2025-01-15"),
        )
        # a draft is still corrected freely
        draft = self._mandate()
        draft.with_user(clerk).write({"bank_account_id": other_account.id})
        self.assertEqual(draft.iban, "DE75512108001245126199")

    def test_p08_expiry_goes_on_after_a_broken_mandate(self):
        """Issue 12, point 8: one mandate that cannot be ended does not keep the others active."""
        broken = self._mandate(signature_date="2022-01-10")
        other = self._mandate(signature_date="2022-02-10", partner=self.consumer, account=self.consumer_account)
        (broken | other).action_activate()
        Mandate = type(self.env["isp.sepa.mandate"])
        end = Mandate._isp_end

        def failing_end(records, state, reason):
            if broken in records:
                raise ValueError("the bank account of this mandate is corrupt")
            return end(records, state, reason)

        with (
            freeze_time("2026-12-01"),
            patch.object(Mandate, "_isp_end", failing_end),
            self.assertLogs("odoo.addons.isp_sales.models.ir_cron", "WARNING") as logs,
        ):
            self.env["isp.sepa.mandate"]._cron_isp_expire()
        self.assertEqual((broken.state, other.state), ("active", "expired"))
        self.assertIn(broken.name, "\n".join(logs.output))
        self.assertIn("the bank account of this mandate is corrupt", broken.message_ids[:1].body)

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

    def test_p12_clerk_cannot_write_the_state_of_a_mandate(self):
        """Issue 12, point 12: a clerk's direct write of a mandate's state is refused and nothing changes."""
        revoked = self._mandate()
        revoked.action_activate()
        revoked.action_revoke()
        draft = self._mandate(signature_date=False)
        for mandate, state in ((revoked, "active"), (draft, "active"), (revoked, "draft")):
            with self.subTest(state=mandate.state, to=state), self.assertRefused(AccessError, "Activate and Revoke"):
                mandate.with_user(self.clerk).write({"state": state})
            self.assertFieldUnchanged(mandate, "state", "revoked" if mandate == revoked else "draft")
        with self.assertRefused(AccessError, "Activate and Revoke"):
            self.env["isp.sepa.mandate"].with_user(self.clerk).create(
                {"partner_id": self.business.id, "bank_account_id": self.business_account.id, "state": "active"}
            )
        self.assertEqual(self.env["isp.sepa.mandate"].search_count([("partner_id", "=", self.business.id)]), 2)
        self.assertFalse(self.business._isp_active_mandate(self.env.company), "no active mandate came out of it")

    def test_p12_revoked_or_expired_mandate_never_becomes_active_again(self):
        """Issue 12, point 12: activating a revoked or expired mandate is refused for everyone, managers included."""
        revoked = self._mandate()
        revoked.action_activate()
        revoked.with_user(self.clerk).action_revoke()
        self.assertEqual(revoked.state, "revoked", "a clerk revokes through the action")
        expired = self._mandate(signature_date="2022-01-10")
        expired.action_activate()
        with freeze_time("2026-12-01"):
            self.env["isp.sepa.mandate"]._cron_isp_expire()
        self.assertEqual(expired.state, "expired")
        for mandate in revoked | expired:
            with self.subTest(state=mandate.state):
                with self.assertRefused(UserError, "Only draft mandates"):
                    mandate.with_user(self.manager).action_activate()
                with self.assertRefused(UserError, "sign a new mandate"):
                    mandate.sudo().write({"state": "active"})
        self.assertEqual((revoked.state, expired.state), ("revoked", "expired"))
        self.assertFalse(self.business._isp_active_mandate(self.env.company))
        # a new mandate is signed and activated by the back office
        new = self._mandate(signature_date="2025-02-01").with_user(self.clerk)
        new.action_activate()
        self.assertEqual(self.business._isp_active_mandate(self.env.company), new)

    def test_p12_read_only_users_neither_activate_nor_revoke(self):
        """Issue 12, point 12: the actions need the right to change mandates (an accountant only reads them)."""
        accountant = new_test_user(
            self.env, login="mandate_accountant", groups="base.group_user,account.group_account_invoice"
        )
        draft, active = self._mandate(), self._mandate(signature_date="2025-02-01")
        active.action_activate()
        with self.assertRefused(AccessError, "not allowed"):
            draft.with_user(accountant).action_activate()
        with self.assertRefused(AccessError, "not allowed"):
            active.with_user(accountant).action_revoke()
        self.assertEqual((draft.state, active.state), ("draft", "active"))
        arch = self.env["isp.sepa.mandate"].with_user(accountant).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="action_activate"', arch)
        self.assertNotIn('name="action_revoke"', arch)
