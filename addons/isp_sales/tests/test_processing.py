import psycopg2
from freezegun import freeze_time

from odoo import Command, fields, sql_db
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import IspSalesCase


@tagged("post_install", "-at_install")
class TestProcessingByClass(IspSalesCase):
    """Each customer class through the order flows, as a sales user, with real accounting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_member = new_test_user(
            cls.env, login="team_member", email="team@example.com", groups="base.group_user"
        )
        cls.accountant = new_test_user(
            cls.env, login="accountant", groups="base.group_user,account.group_account_invoice"
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "ISP Team", "member_ids": [Command.set((cls.team_member | cls.salesman).ids)]}
        )

    def _customer(self, name, customer_class="new", **values):
        return self.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": f"{name.split()[0].lower()}@example.com",
                "isp_lifecycle": "customer",
                "isp_customer_class": customer_class,
                **values,
            }
        )

    def _process(self, order):
        order.with_user(self.salesman).action_isp_process()
        return order

    def _team_mails(self, order):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "sale.order"),
                ("res_id", "=", order.id),
                ("recipient_ids", "in", self.team_member.partner_id.ids),
            ]
        )

    def _pay(self, invoice, amount=None):
        """Register a payment as an accountant (who has no ISP rights)."""
        self.env["account.payment.register"].with_user(self.accountant).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": amount or invoice.amount_residual})._create_payments()

    # new client -------------------------------------------------------

    def test_staff_order_waits_until_staff_processes_it(self):
        customer = self._customer("Staff Order GmbH")
        order = self._order([(self.domain, 1, "staff.de")], partner=customer)
        order.action_confirm()
        self.assertFalse(order.isp_decision)
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.isp_service_ids.state, "pending")

    def test_reversed_invoice_does_not_start_services(self):
        customer = self._customer("Reversed GmbH")
        order = self._process(self._order([(self.domain, 1, "reversed.de")], partner=customer))
        invoice = order.invoice_ids
        credit_note = invoice._reverse_moves(cancel=True)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(order.isp_service_ids.state, "pending")
        self.assertEqual(order.isp_decision, "waiting_payment")

    def test_new_client_pays_first(self):
        customer = self._customer("Newbie GmbH")
        order = self._process(self._order([(self.domain, 2, "newbie.de newbie.com")], partner=customer))
        invoice = order.invoice_ids
        self.assertEqual(order.isp_decision, "waiting_payment")
        self.assertIn(invoice.name, order.isp_decision_reason)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 24.0)
        self.assertEqual(invoice.isp_email_state, "queued", "sent after the commit by the delivery cron")
        self.assertEqual(set(order.isp_service_ids.mapped("state")), {"pending"})
        self.assertTrue(self._team_mails(order), "the sales team is told")
        self._pay(invoice, 10.0)
        self.assertEqual(set(order.isp_service_ids.mapped("state")), {"pending"}, "partial payment does not execute")
        self._pay(invoice)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(set(order.isp_service_ids.mapped("state")), {"active"})
        self.assertEqual(order.isp_decision, "executed")

    def test_portal_order_is_processed_on_confirmation(self):
        customer = self._customer("Portal Buyer AG")
        portal_user = new_test_user(self.env, login="buyer", groups="base.group_portal", partner_id=customer.id)
        # what a shop does for a portal user: the order is created in their name
        order = (
            self.env["sale.order"]
            .with_user(portal_user)
            .sudo()
            .create(
                {
                    "partner_id": customer.id,
                    "order_line": [
                        Command.create({"product_id": self.domain.id, "isp_identifiers": "portal-buyer.de"})
                    ],
                }
            )
        )
        self.assertEqual(order.isp_origin, "portal")
        order.action_confirm()
        self.assertEqual(order.isp_decision, "waiting_payment")
        self.assertEqual(order.invoice_ids.state, "posted")

    # credited client --------------------------------------------------

    def test_credited_client_paid_from_credit(self):
        customer = self._customer("Credit KG", "credited")
        self._top_up(customer, 100.0)
        order = self._process(
            self._order([(self.domain, 1, "credit.de"), (self.database, 2, "db_a db_b")], partner=customer)
        )
        invoice = order.invoice_ids
        self.assertEqual(order.isp_decision, "executed")
        self.assertEqual(invoice.amount_total, 17.0)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(set(order.isp_service_ids.mapped("state")), {"active"})
        customer.invalidate_recordset()
        self.assertEqual(customer.isp_credit_balance, 83.0)
        self.assertEqual(customer.isp_receivable_outstanding, 0.0)

    def test_credited_client_waits_for_top_up(self):
        customer = self._customer("Short KG", "credited")
        self._top_up(customer, 5.0)
        order = self._process(self._order([(self.domain, 1, "short.de")], partner=customer))
        self.assertEqual(order.isp_decision, "waiting_credit")
        self.assertIn("7.00", order.isp_decision_reason)
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.isp_service_ids.state, "pending")
        asked = self.env["mail.message"].search(
            [("model", "=", "sale.order"), ("res_id", "=", order.id), ("partner_ids", "in", customer.ids)]
        )
        self.assertIn("top up", asked[0].body)
        # the top-up arrives: the order goes through after that transaction
        self._top_up(customer, 20.0, user=self.clerk)
        cron = self.env.ref("isp_sales.ir_cron_isp_process_waiting_credit")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertEqual(order.isp_decision, "waiting_credit")
        self.env["sale.order"]._cron_isp_process_waiting_credit()
        self.assertEqual(order.isp_decision, "executed")
        self.assertEqual(order.invoice_ids.payment_state, "paid")
        self.assertEqual(order.isp_service_ids.state, "active")

    # trusted client ---------------------------------------------------

    def test_trusted_client_within_quota_then_approval(self):
        customer = self._customer("Trusted AG", "trusted", isp_order_quota=490.0)
        self._invoice(customer, 450.0)
        first = self._process(
            self._order([(self.database, 10, "db_1 db_2 db_3 db_4 db_5 db_6 db_7 db_8 db_9 db_10")], partner=customer)
        )
        self.assertEqual(first.isp_decision, "executed")
        self.assertEqual(first.invoice_ids.state, "posted")
        self.assertEqual(first.invoice_ids.payment_state, "not_paid")
        self.assertEqual(set(first.isp_service_ids.mapped("state")), {"active"})
        second = self._process(self._order([(self.domain, 2, "t1.de t2.de")], partner=customer))
        self.assertEqual(second.isp_decision, "waiting_approval")
        self.assertIn("499.00", second.isp_decision_reason.replace(",", ""))
        self.assertFalse(second.invoice_ids)
        self.assertTrue(second.activity_ids)
        with self.assertRefused(UserError, "Only ISP managers"):
            second.with_user(self.salesman).action_isp_approve()
        self.assertFieldUnchanged(second, "isp_decision", "waiting_approval")
        self.assertFalse(second.invoice_ids)
        self.assertEqual(set(second.isp_service_ids.mapped("state")), {"pending"})
        second.with_user(self.manager).action_isp_approve()
        self.assertEqual(second.isp_decision, "executed")
        self.assertEqual(second.invoice_ids.state, "posted")
        self.assertFalse(second.activity_ids)
        self.assertEqual(set(second.isp_service_ids.mapped("state")), {"active"})

    def test_foreign_currency_order_converted_for_the_quota(self):
        other = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create({"name": "Foreign", "currency_id": other.id})
        customer = self._customer(
            "Foreign SA", "trusted", isp_order_quota=100.0, property_product_pricelist=pricelist.id
        )
        order = self._order([(self.contract, 1, "", {"price_unit": 150.0})], partner=customer)
        self.assertEqual(order.currency_id, other)
        self._process(order)
        self.assertEqual(order.isp_decision, "executed", "150 at rate 2 is 75 in company currency")
        order2 = self._order([(self.contract, 1, "", {"price_unit": 60.0})], partner=customer)
        self._process(order2)
        self.assertEqual(order2.isp_decision, "waiting_approval", "75 + 30 exceed 100")

    def test_quota_check_locks_the_customer(self):
        """Two confirmations at once: the second waits for the first one's commit, then sees its invoice."""
        customer = self.env.ref("base.partner_admin")  # a committed row, visible to another connection
        self.env["sale.order"].new({"partner_id": customer.id})._isp_lock_customers()
        with (
            sql_db.db_connect(self.env.cr.dbname).cursor() as other,
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.LockNotAvailable),
        ):
            other.execute("SELECT id FROM res_partner WHERE id = %s FOR UPDATE NOWAIT", [customer.id])

    # trusted reseller -------------------------------------------------

    def test_reseller_accumulates_and_is_invoiced_at_the_quota(self):
        reseller = self._customer("Reseller KG", "reseller", isp_order_quota=300.0, isp_reseller_period="monthly")
        first = self._process(self._order([(self.contract, 1, "", {"price_unit": 100.0})], partner=reseller))
        second = self._process(self._order([(self.contract, 1, "", {"price_unit": 150.0})], partner=reseller))
        self.assertEqual((first.isp_decision, second.isp_decision), ("accumulated", "accumulated"))
        self.assertFalse(first.invoice_ids | second.invoice_ids)
        self.assertEqual(first.isp_service_ids.state, "active")
        self.assertEqual(reseller.isp_reseller_uninvoiced, 250.0)
        third = self._process(self._order([(self.contract, 1, "", {"price_unit": 100.0})], partner=reseller))
        self.assertEqual(third.isp_decision, "waiting_approval")
        invoice = first.invoice_ids
        self.assertEqual(invoice, second.invoice_ids, "one invoice for the accumulated orders")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 250.0)
        reseller.invalidate_recordset()
        self.assertEqual(reseller.isp_reseller_uninvoiced, 0.0)
        self.assertEqual(reseller.isp_receivable_outstanding, 250.0)

    def _billing_run(self):
        run = self.env["isp.billing.run"].create({})
        run.action_confirm()
        return run

    def test_reseller_period_end_invoices_by_the_invoice_run(self):
        reseller = self._customer("Weekly Reseller", "reseller", isp_order_quota=1000.0, isp_reseller_period="weekly")
        with freeze_time("2026-11-18 10:00:00"):  # a Wednesday
            order = self._process(self._order([(self.contract, 1, "", {"price_unit": 80.0})], partner=reseller))
            order.date_order = fields.Datetime.now()
            self._billing_run()
            self.assertFalse(order.invoice_ids)
        with freeze_time("2026-11-24 01:00:00"):  # Tuesday: the Monday run was missed
            run = self._billing_run()
            self.assertEqual(order.invoice_ids.state, "posted")
            self.assertEqual(order.invoice_ids.isp_billing_run_id, run)
            self._billing_run()
            self.assertEqual(len(order.invoice_ids), 1, "running twice invoices nothing twice")

    def test_free_article_for_a_new_client_is_executed(self):
        free = self.env["product.product"].create(
            {"name": "Free domain", "type": "service", "list_price": 0.0, "taxes_id": [], "isp_article_type": "domain"}
        )
        customer = self._customer("Freebie GmbH")
        order = self._process(self._order([(free, 1, "free-domain.de")], partner=customer))
        self.assertEqual(order.invoice_ids.amount_total, 0.0)
        self.assertEqual(order.isp_decision, "executed")
        self.assertEqual(order.isp_service_ids.state, "active")
