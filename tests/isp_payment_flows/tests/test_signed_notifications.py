import hashlib
import hmac
import json
import time

from odoo.tests import tagged

from odoo.addons.payment.tests.http_common import PaymentHttpCommon

WEBHOOK = "/payment/stripe/webhook"
SECRET = "whsec_isp_test_secret"  # noqa: S105 - the test provider's webhook secret


@tagged("post_install", "-at_install")
class TestSignedNotifications(PaymentHttpCommon):
    """Webhook notifications of a provider that signs them (Stripe, from Odoo Community), posted
    over HTTP as the provider posts them, for a credit top-up: a notification whose signature does
    not hold is refused and logged, one for an unknown payment is logged, and neither creates
    anything; a valid one delivered twice makes one payment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls._prepare_provider(
            "stripe",
            update_values={
                "stripe_secret_key": "sk_test_isp",
                "stripe_publishable_key": "pk_test_isp",
                "stripe_webhook_secret": SECRET,
            },
        )
        cls.provider.journal_id = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.currency = cls.env.company.currency_id
        cls.customer = cls.env["res.partner"].create({"name": "Signed Payer GmbH", "is_company": True})

    def setUp(self):
        # the transactions' post-processing (payment creation) is part of what is checked
        self.enable_post_process_patcher = False
        super().setUp()
        self.tx = self._create_transaction(
            "redirect", reference="ISP-TOPUP-SIGNED", amount=30.0, partner_id=self.customer.id
        )

    def _event(self, reference):
        return {
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": "pi_isp_0001",
                    "description": reference,
                    "status": "succeeded",
                    "payment_method": {"type": "card"},
                }
            },
        }

    def _post(self, event, secret=SECRET, timestamp=None):
        payload = json.dumps(event)
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        return self.url_open(
            WEBHOOK,
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": f"t={timestamp},v1={signature}"},
        )

    def _payments(self):
        return self.env["account.payment"].search([("partner_id", "=", self.customer.id)])

    def test_bad_signature_is_refused_and_logged(self):
        forged = {
            "a wrong secret": {"secret": "whsec_guessed"},
            "a replayed old notification": {"timestamp": int(time.time()) - 3600},
        }
        for label, tampering in forged.items():
            with self.subTest(label), self.assertLogs("odoo.addons.payment_stripe.controllers.main", "WARNING") as logs:
                response = self._post(self._event(self.tx.reference), **tampering)
            self.assertEqual(response.status_code, 403)
            self.assertTrue(
                [line for line in logs.output if "invalid signature" in line or "outdated timestamp" in line],
                logs.output,
            )
            self.tx.invalidate_recordset()
            self.assertEqual(self.tx.state, "draft", "nothing changes on a forged notification")
            self.assertFalse(self._payments())

    def test_unknown_reference_is_logged_and_creates_nothing(self):
        transactions = self.env["payment.transaction"].search_count([])
        with self.assertLogs("odoo.addons.payment_stripe.controllers.main", "ERROR") as logs:
            response = self._post(self._event("NO-SUCH-PAYMENT"))
        # acknowledged, so the provider stops sending it, and logged for the staff
        self.assertEqual(response.status_code, 200)
        self.assertTrue([line for line in logs.output if "NO-SUCH-PAYMENT" in line], logs.output)
        self.assertEqual(self.env["payment.transaction"].search_count([]), transactions)
        self.tx.invalidate_recordset()
        self.assertEqual(self.tx.state, "draft")
        self.assertFalse(self._payments())

    def test_valid_notification_twice_makes_one_payment(self):
        for delivery in ("first", "second"):
            with self.subTest(delivery):
                response = self._post(self._event(self.tx.reference))
                self.assertEqual(response.status_code, 200)
                self.tx.invalidate_recordset()
                self.assertEqual(self.tx.state, "done")
                # what the status poll or the post-processing cron does after each delivery
                self.tx._post_process()
                payments = self._payments()
                self.assertEqual(len(payments), 1)
                self.assertEqual((payments.amount, payments.payment_transaction_id), (30.0, self.tx))
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.isp_credit_balance, 30.0, "the top-up is credit, once")
