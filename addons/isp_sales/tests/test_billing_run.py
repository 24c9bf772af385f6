import io
from datetime import date
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time
from PyPDF2 import PdfReader

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspSalesCase


class Killed(BaseException):
    """A worker that dies: not an ``Exception``, so nothing in the run catches it."""


class IspBillingCase(IspSalesCase):
    def _customer(self, name, **values):
        return self.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "isp_lifecycle": "customer",
                "email": f"{name.split()[0].lower()}@example.com",
                "lang": "en_US",
                # the test company and articles cannot make a valid e-invoice; e-invoices: test_einvoice_delivery
                "isp_einvoice_format": "pdf",
                **values,
            }
        )

    def _service(self, customer, product, identifier, start, price, **values):
        return self.env["isp.service"].create(
            {
                "partner_id": customer.id,
                "product_id": product.id,
                "name": identifier,
                "date_start": start,
                "price_unit": price,
                "state": "active",
                **values,
            }
        )

    def _run(self, day, **values):
        with freeze_time(day):
            run = self.env["isp.billing.run"].create({"date": day, **values})
            run.action_confirm()
        return run

    def _lines(self, run, customer=None):
        invoices = run.invoice_ids
        if customer:
            invoices = invoices.filtered(lambda move: move.commercial_partner_id == customer)
        return invoices.invoice_line_ids.sorted(lambda line: (line.isp_service_id.id, line.isp_period_start))


@tagged("post_install", "-at_install")
class TestBillingRun(IspBillingCase):
    def test_three_months_of_every_period_length(self):
        customer = self._customer("Periods GmbH")
        started_mid_month = self._service(customer, self.database, "db_mid", date(2027, 1, 15), 31.0)
        ending = self._service(
            customer, self.hosting, "ending.example.com", date(2027, 1, 1), 28.0, date_end=date(2027, 2, 20)
        )
        quarterly = self._service(
            customer, self.network, "203.0.113.0/24", date(2027, 1, 1), 90.0, billing_period="quarterly"
        )
        half_yearly = self._service(
            customer, self.server, "srv1.example.net", date(2027, 1, 1), 300.0, billing_period="half_yearly"
        )
        yearly = self._service(customer, self.domain, "periods.de", date(2027, 1, 1), 12.0)
        self.assertEqual(yearly.billing_period, "yearly")

        january = self._run(date(2027, 1, 1))
        self.assertEqual(january.state, "done")
        self.assertEqual((january.customer_count, january.invoice_count, january.line_count), (1, 1, 5))
        invoice = january.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_date, date(2027, 1, 1))
        self.assertEqual(invoice.amount_total, 17.0 + 28.0 + 90.0 + 300.0 + 12.0)
        expected = {
            started_mid_month: (date(2027, 1, 15), date(2027, 1, 31), round(17 / 31, 6), 17.0),
            ending: (date(2027, 1, 1), date(2027, 1, 31), 1.0, 28.0),
            quarterly: (date(2027, 1, 1), date(2027, 3, 31), 1.0, 90.0),
            half_yearly: (date(2027, 1, 1), date(2027, 6, 30), 1.0, 300.0),
            yearly: (date(2027, 1, 1), date(2027, 12, 31), 1.0, 12.0),
        }
        for line in invoice.invoice_line_ids:
            with self.subTest(service=line.isp_service_id.name):
                self.assertEqual(
                    (line.isp_period_start, line.isp_period_end, line.isp_proration, line.price_subtotal),
                    expected[line.isp_service_id],
                )
                self.assertEqual(line.isp_price_source, "manual")
        self.assertIn("(17 of 31 days)", started_mid_month_line(invoice, started_mid_month).name)
        self.assertEqual(started_mid_month_line(invoice, started_mid_month).isp_full_price, 31.0)

        february = self._run(date(2027, 2, 1))
        self.assertEqual(
            [(line.isp_service_id, line.isp_period_end, line.price_subtotal) for line in self._lines(february)],
            [(started_mid_month, date(2027, 2, 28), 31.0), (ending, date(2027, 2, 20), 20.0)],
        )
        march = self._run(date(2027, 3, 1))
        self.assertEqual(self._lines(march).isp_service_id, started_mid_month)
        self.assertEqual(ending.next_invoice_date, date(2027, 2, 21), "billed up to its end date, never again")
        april = self._run(date(2027, 4, 1))
        self.assertEqual(
            [(line.isp_service_id, line.isp_period_start, line.isp_period_end) for line in self._lines(april)],
            [
                (started_mid_month, date(2027, 4, 1), date(2027, 4, 30)),
                (quarterly, date(2027, 4, 1), date(2027, 6, 30)),
            ],
        )
        self.assertEqual(quarterly.next_invoice_date, date(2027, 7, 1))
        self.assertEqual(half_yearly.next_invoice_date, date(2027, 7, 1))
        self.assertEqual(yearly.next_invoice_date, date(2028, 1, 1))

    def test_billing_day_and_customer_discount(self):
        customer = self._customer("Fifteenth GmbH", isp_billing_day=15, isp_discount=10.0)
        service = self._service(customer, self.database, "db_fifteen", date(2027, 1, 1), 10.0)
        run = self._run(date(2027, 1, 1))
        line = self._lines(run)
        self.assertEqual((line.isp_period_start, line.isp_period_end), (date(2027, 1, 1), date(2027, 1, 14)))
        self.assertEqual(line.isp_proration, round(14 / 31, 6))
        self.assertEqual(line.discount, 10.0)
        self.assertEqual(line.price_subtotal, 4.07)  # 10 x 14/31 = 4.52, less 10 %
        run = self._run(date(2027, 1, 15))
        self.assertEqual(
            (self._lines(run).isp_period_start, self._lines(run).isp_period_end), (date(2027, 1, 15), date(2027, 2, 14))
        )
        self.assertEqual(service.next_invoice_date, date(2027, 2, 15))

    def test_consolidation_per_service_and_quarterly_interval(self):
        per_service = self._customer("Separate GmbH", isp_invoice_consolidation="per_order")
        self._service(per_service, self.database, "db_one", date(2027, 1, 1), 5.0)
        self._service(per_service, self.database, "db_two", date(2027, 1, 1), 7.0)
        quarterly = self._customer("Quarterly GmbH", isp_billing_interval="quarterly")
        self._service(quarterly, self.database, "db_quarter", date(2027, 1, 1), 5.0)
        run = self._run(date(2027, 1, 1))
        self.assertEqual(run.invoice_count, 3)
        separate = run.invoice_ids.filtered(lambda move: move.partner_id == per_service)
        self.assertEqual(sorted(separate.mapped("amount_total")), [5.0, 7.0])
        quarter = run.invoice_ids.filtered(lambda move: move.partner_id == quarterly)
        self.assertEqual(
            quarter.invoice_line_ids.mapped("isp_period_start"), [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]
        )
        self.assertFalse(self._run(date(2027, 2, 1)).invoice_ids.filtered(lambda move: move.partner_id == quarterly))

    def test_pricelist_price_on_each_period(self):
        customer = self._customer("Pricelist GmbH")
        service = self.env["isp.service"].create(
            {
                "partner_id": customer.id,
                "product_id": self.database.id,
                "name": "db_pricelist",
                "date_start": date(2027, 1, 1),
                "state": "active",
            }
        )
        self.assertEqual(service.price_source, "pricelist")
        self.assertEqual(self._lines(self._run(date(2027, 1, 1))).price_unit, 2.5)
        self.database.lst_price = 3.0
        line = self._lines(self._run(date(2027, 2, 1)))
        self.assertEqual((line.price_unit, line.isp_price_source), (3.0, "pricelist"))

    def test_taxes_fiscal_position_currency_and_early_payment_discount(self):
        other_currency = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        taxed = self.env["product.product"].create(
            {
                "name": "Taxed hosting",
                "type": "service",
                "list_price": 10.0,
                "taxes_id": [Command.set(self.tax_sale_a.ids)],
                "isp_article_type": "hosting",
                "isp_recurring": True,
            }
        )
        fiscal_position = self.env["account.fiscal.position"].create(
            {
                "name": "Reverse charge",
                "tax_ids": [Command.create({"tax_src_id": self.tax_sale_a.id, "tax_dest_id": self.tax_sale_b.id})],
            }
        )
        skonto = self.env["account.payment.term"].create(
            {
                "name": "2 % within 10 days",
                "early_discount": True,
                "discount_percentage": 2,
                "discount_days": 10,
                "line_ids": [Command.create({"value": "percent", "nb_days": 30, "value_amount": 100})],
            }
        )
        customer = self._customer(
            "Abroad GmbH", property_account_position_id=fiscal_position.id, property_payment_term_id=skonto.id
        )
        self._service(customer, taxed, "www.abroad.example", date(2027, 1, 1), 10.0, currency_id=other_currency.id)
        invoice = self._run(date(2027, 1, 1)).invoice_ids
        self.assertEqual(invoice.fiscal_position_id, fiscal_position)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax_sale_b)
        self.assertEqual(invoice.currency_id, other_currency)
        self.assertEqual(invoice.amount_untaxed, 10.0)
        self.assertEqual(invoice.amount_untaxed_signed, 5.0, "converted at the company rate of the invoice date")
        self.assertEqual(invoice.invoice_payment_term_id, skonto)
        self.assertEqual(invoice.invoice_date_due, date(2027, 1, 31))
        self.assertTrue(invoice.line_ids.filtered(lambda line: line.discount_date == date(2027, 1, 11)))

    def test_credit_is_offset_oldest_first(self):
        customer = self._customer("Credit GmbH", isp_customer_class="credited")
        self._service(customer, self.database, "db_credit", date(2027, 1, 1), 31.0)
        with freeze_time("2026-12-20"):
            self._top_up(customer, 50.0)
        january = self._run(date(2027, 1, 1)).invoice_ids
        self.assertEqual(january.payment_state, "paid")
        self.assertEqual(january.isp_credit_applied, 31.0)
        february = self._run(date(2027, 2, 1)).invoice_ids
        self.assertEqual(february.isp_credit_applied, 19.0)
        self.assertEqual(february.amount_residual, 12.0)
        self.assertEqual(february.payment_state, "partial")

    def test_suspended_services_billed_or_passed_over(self):
        customer = self._customer("Suspended GmbH")
        service = self._service(customer, self.database, "db_suspended", date(2027, 1, 1), 5.0, state="suspended")
        self.assertEqual(self._run(date(2027, 1, 1)).line_count, 1)
        run = self._run(date(2027, 2, 1), bill_suspended=False)
        self.assertEqual((run.invoice_count, run.skipped_count), (0, 1))
        self.assertEqual(service.next_invoice_date, date(2027, 3, 1))

    def test_preview_shows_what_confirm_creates_and_creates_nothing(self):
        customer = self._customer("Preview GmbH")
        self._service(customer, self.database, "db_preview", date(2027, 1, 10), 31.0)
        self._service(customer, self.domain, "preview.de", date(2027, 1, 1), 12.0)
        run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1)})
        invoices_before = self.env["account.move"].search_count([])
        with freeze_time("2027-01-01"):
            run.action_preview()
        self.assertEqual(self.env["account.move"].search_count([]), invoices_before)
        self.assertEqual(run.state, "preview")
        self.assertEqual(run.preview_invoice_count, 1)
        self.assertEqual(run.preview_amount_untaxed, 22.0 + 12.0)
        preview = sorted(
            (line.service_id.id, line.period_start, line.period_end, line.price_subtotal)
            for line in run.preview_line_ids
        )
        with freeze_time("2027-01-01"):
            run.action_confirm()
        created = sorted(
            (line.isp_service_id.id, line.isp_period_start, line.isp_period_end, line.price_subtotal)
            for line in run.invoice_ids.invoice_line_ids
        )
        self.assertEqual(preview, created)
        self.assertFalse(run.preview_line_ids)

    def test_only_isp_managers_start_runs(self):
        run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1)})
        with self.assertRefused(AccessError, "not allowed to modify"):
            run.with_user(self.salesman).action_confirm()
        self.assertEqual(run.state, "draft")


@tagged("post_install", "-at_install")
class TestBillingExactlyOnce(IspBillingCase):
    def _three_customers(self):
        customers = [self._customer(f"Once{index} GmbH") for index in range(3)]
        for index, customer in enumerate(customers):
            self._service(customer, self.database, f"db_once_{index}", date(2027, 1, 1), 10.0 + index)
        return customers

    def _billed_periods(self, customers):
        lines = self.env["account.move.line"].search(
            [("isp_service_id.partner_id", "in", [customer.id for customer in customers])]
        )
        return sorted((line.isp_service_id.name, line.isp_period_start) for line in lines)

    def test_second_run_the_same_day_creates_nothing(self):
        customers = self._three_customers()
        first = self._run(date(2027, 1, 1))
        self.assertEqual(first.invoice_count, 3)
        second = self._run(date(2027, 1, 1))
        self.assertEqual((second.state, second.invoice_count, second.customer_count), ("done", 0, 0))
        self.assertEqual(len(self._billed_periods(customers)), 3)

    def test_two_cycles_in_one_run_move_the_service_past_both(self):
        """Issue 14: a customer invoiced for two cycles in one run is not billed twice for the second one."""
        # a customer planned before (by name): his services' next date comes first among the run's next dates
        self._service(self._customer("Aaron GmbH"), self.hosting, "aaron.example.com", date(2027, 1, 1), 10.0)
        customer = self._customer("Catch-up GmbH")
        new = self._service(customer, self.database, "db_new", date(2026, 12, 5), 31.0)
        self._service(customer, self.hosting, "catchup.example.com", date(2027, 1, 1), 28.0)
        january = self._run(date(2027, 1, 1))
        self.assertEqual(len(january.invoice_ids.filtered(lambda move: move.partner_id == customer)), 2)
        self.assertEqual(new.next_invoice_date, date(2027, 2, 1), "both cycles are billed")
        february = self._run(date(2027, 2, 1))
        self.assertFalse(february.error_ids)
        self.assertEqual(
            self._lines(february, customer).mapped("isp_period_start"), [date(2027, 2, 1), date(2027, 2, 1)]
        )

    def test_killed_run_restarts_without_duplicates_or_gaps(self):
        customers = self._three_customers()
        with freeze_time("2027-01-01 00:30:00"):
            run = self.env["isp.billing.run"].create({"date": date(2027, 1, 1), "trigger": "cron"})
            run._isp_start(chunk_size=1)
            run._isp_run_batch()  # the first customer's chunk is committed
            original = type(self.env["isp.billing.run"])._isp_execute_plans

            def die_after_posting(self_run, plans):
                original(self_run, plans)
                raise Killed

            with (
                patch.object(type(self.env["isp.billing.run"]), "_isp_execute_plans", die_after_posting),
                self.assertRaises(Killed),
                self.env.cr.savepoint(),
            ):
                run._isp_run_batch()
            self.env.invalidate_all()
            for _call in range(5):
                self.env["isp.billing.run"]._cron_isp_billing_run()
        self.assertEqual(run.state, "done", "the scheduled run resumes the run that was killed")
        self.assertEqual(run.invoice_count, 3)
        self.assertEqual(
            self._billed_periods(customers),
            [(f"db_once_{index}", date(2027, 1, 1)) for index in range(3)],
        )

    def test_database_refuses_a_period_billed_twice(self):
        customer = self._customer("Twice GmbH")
        self._service(customer, self.database, "db_twice", date(2027, 1, 1), 10.0)
        line = self._lines(self._run(date(2027, 1, 1)))
        duplicate = line.move_id.copy()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            duplicate.invoice_line_ids.write(
                {"isp_service_id": line.isp_service_id.id, "isp_period_start": line.isp_period_start}
            )
            self.env.flush_all()

    def test_broken_customer_is_recorded_and_the_others_are_billed(self):
        good = self._customer("Good GmbH")
        broken = self._customer("Broken GmbH")
        self._service(good, self.database, "db_good", date(2027, 1, 1), 10.0)
        broken_service = self._service(broken, self.database, "db_broken", date(2027, 1, 1), 10.0)
        deprecated = self.env["account.account"].create(
            {"name": "Old receivable", "code": "121999", "account_type": "asset_receivable", "reconcile": True}
        )
        deprecated.deprecated = True
        broken.property_account_receivable_id = deprecated
        with mute_logger("odoo.addons.isp_sales.models.isp_billing_run"):
            run = self._run(date(2027, 1, 1))
        self.assertEqual(run.state, "done")
        self.assertEqual(run.invoice_ids.partner_id, good)
        self.assertEqual(run.error_ids.partner_id, broken)
        self.assertIn("deprecated", run.error_ids.message.lower())
        self.assertEqual(broken_service.next_invoice_date, date(2027, 1, 1), "nothing of it was billed")
        deprecated.deprecated = False
        self.assertEqual(self._run(date(2027, 1, 1)).invoice_ids.partner_id, broken, "billed once it is fixed")


@tagged("post_install", "-at_install")
class TestBillingCorrectionsAndDelivery(IspBillingCase):
    def test_regenerate_credits_and_reissues(self):
        customer = self._customer("Regenerate GmbH")
        service = self._service(customer, self.database, "db_regenerate", date(2027, 1, 1), 10.0)
        original = self._run(date(2027, 1, 1)).invoice_ids
        service.price_unit = 8.0
        with freeze_time("2027-01-05"):
            action = original.with_user(self.salesman).action_isp_regenerate()
        corrected = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(original.state, "posted", "the posted invoice is never edited")
        self.assertEqual(original.payment_state, "reversed")
        credit_note = original.reversal_move_ids
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 10.0))
        self.assertEqual(corrected.isp_regenerated_from_id, original)
        self.assertEqual(corrected.state, "posted")
        self.assertEqual(corrected.amount_total, 8.0)
        self.assertEqual(
            (corrected.invoice_line_ids.isp_service_id, corrected.invoice_line_ids.isp_period_start),
            (service, date(2027, 1, 1)),
        )
        with self.assertRefused(UserError, "cannot be regenerated"):
            original.action_isp_regenerate()
        self.assertFalse(self._run(date(2027, 1, 5)).invoice_ids, "the period stays billed once")

    def test_delivery_after_commit_by_channel(self):
        by_email = self._customer("Mailbox GmbH")
        by_post = self._customer("Letterbox GmbH", isp_invoice_delivery="post")
        portal_only = self._customer("Portal GmbH", isp_invoice_delivery="portal")
        for customer in (by_email, by_post, portal_only):
            self._service(customer, self.database, f"db_{customer.id}", date(2027, 1, 1), 10.0)
        run = self._run(date(2027, 1, 1))
        invoices = {move.partner_id: move for move in run.invoice_ids}
        self.assertEqual(invoices[by_email].isp_email_state, "queued")
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "account.move"), ("res_id", "in", run.invoice_ids.ids)])
        )
        self.assertEqual(invoices[by_post].isp_print_state, "to_print")
        self.assertFalse(invoices[portal_only].isp_email_state or invoices[portal_only].isp_print_state)
        with freeze_time("2027-01-01 02:00:00"):
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertEqual(invoices[by_email].isp_email_state, "sent")
        mails = self.env["mail.mail"].search([("model", "=", "account.move"), ("res_id", "=", invoices[by_email].id)])
        self.assertEqual(set(mails.mapped("state")), {"outgoing"}, "queued in the mail queue")
        message = mails.mail_message_id
        self.assertIn(by_email, message.partner_ids)
        self.assertTrue(message.attachment_ids.filtered(lambda attachment: attachment.mimetype == "application/pdf"))
        selection = (invoices[by_post] | invoices[by_email]).with_context(discard_logo_check=True)
        action = selection.action_isp_print_and_mark_sent()
        self.assertEqual(action["report_name"], "account.report_invoice_with_payments")
        self.assertEqual(invoices[by_post].isp_print_state, "printed")
        with self.assertRefused(UserError, "waiting to be printed"):
            invoices[by_post].action_isp_print_and_mark_sent()

    def test_failed_e_mail_is_visible_and_retried(self):
        customer = self._customer("Nomail GmbH")
        self._service(customer, self.database, "db_nomail", date(2027, 1, 1), 10.0)
        invoice = self._run(date(2027, 1, 1)).invoice_ids
        customer.email = False
        with freeze_time("2027-01-01 02:00:00"):
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertEqual(invoice.isp_email_state, "failed")
        self.assertIn("no e-mail address", invoice.isp_delivery_error)
        customer.email = "back@example.com"
        invoice.action_isp_retry_delivery()
        self.assertEqual(invoice.isp_email_state, "queued")
        with freeze_time("2027-01-01 03:00:00"):
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertEqual(invoice.isp_email_state, "sent")

    def test_advance_notice_the_day_before_once(self):
        customer = self._customer("Advance GmbH", isp_invoice_delivery="email")
        self._service(customer, self.network, "198.51.100.0/24", date(2027, 1, 1), 90.0, billing_period="quarterly")
        invoice = self._run(date(2026, 12, 27), days_in_advance=5).invoice_ids
        self.assertEqual(invoice.invoice_date, date(2027, 1, 1))
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.isp_notice_state, "queued")

        def notices():
            return self.env["mail.mail"].search(
                [("model", "=", "account.move"), ("res_id", "=", invoice.id), ("subject", "ilike", "invoice")]
            )

        with freeze_time("2026-12-27 02:00:00"):
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertFalse(notices(), "not yet: the notice goes out the day before")
        self.assertEqual(invoice.isp_email_state, "queued", "and the invoice e-mail waits for its date")
        with freeze_time("2026-12-31 02:00:00"):
            self.env["account.move"]._cron_isp_deliver_invoices()
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertEqual(len(notices()), 1)
        self.assertEqual((invoice.isp_notice_state, invoice.isp_email_state), ("sent", "sent"))
        self.assertTrue(notices().attachment_ids)
        with freeze_time("2027-01-01 02:00:00"):
            self.env["account.move"]._cron_isp_deliver_invoices()
        self.assertEqual(len(notices()), 1, "once per invoice")

    def test_pdf_shows_periods_amount_in_words_and_legal_details(self):
        self.env.company.write({"vat": "DE123456788", "street": "Hauptstr. 1", "zip": "10115", "city": "Berlin"})
        customer = self._customer("Document GmbH", isp_payment_method="sepa")
        self._service(customer, self.database, "db_document", date(2027, 1, 10), 31.0)
        self.env.company.isp_invoice_terms = "<p>Our general terms apply.</p>"
        with freeze_time("2026-12-20"):
            self._top_up(customer, 5.0)
        invoice = self._run(date(2027, 1, 10)).invoice_ids
        # wkhtmltopdf loads the styles from the test server, which must see this transaction
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        pdf, _type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.account_invoices", invoice.ids)
        )
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        text = " ".join(text.split())
        for expected in (
            invoice.name,
            customer.isp_customer_number,
            "01/10/2027 - 01/31/2027",
            "(22 of 31 days)",
            "Service Period",
            invoice.currency_id.amount_to_text(22.0),
            "Paid from your prepaid credit",
            "SEPA direct debit",
            "DE123456788",
            "Hauptstr. 1",
            "Our general terms apply.",
        ):
            with self.subTest(expected=expected):
                self.assertIn(" ".join(expected.split()), text)

    def test_din_5008_layout_shows_customer_number_and_service_period(self):
        self.env.company.external_report_layout_id = self.env.ref("l10n_din5008.external_layout_din5008")
        customer = self._customer("Din GmbH")
        self._service(customer, self.database, "db_din", date(2027, 1, 1), 10.0)
        invoice = self._run(date(2027, 1, 1)).invoice_ids
        html = self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", invoice.ids)[0].decode()
        self.assertIn("din5008", html)
        self.assertRegex(html, rf"Customer Number</td>\s*<td>{customer.isp_customer_number}</td>")
        self.assertIn("Service Period", html)
        self.assertIn("01/31/2027", html)

    def test_batch_of_invoices_renders_in_one_run_and_splits_per_invoice(self):
        """Debian's wkhtmltopdf takes one document at a time: the batch is merged and split again."""
        for index, count in enumerate((1, 45, 1)):
            customer = self._customer(f"Batch{index} GmbH")
            for number in range(count):
                self._service(customer, self.database, f"db_batch_{index}_{number}", date(2027, 1, 1), 1.0)
        invoices = self._run(date(2027, 1, 1)).invoice_ids.sorted("id")
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        streams = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf_prepare_streams("account.account_invoices", {}, res_ids=invoices.ids)
        )
        pages = {}
        for invoice in invoices:
            reader = PdfReader(streams[invoice.id]["stream"])
            pages[invoice] = len(reader.pages)
            first_page = " ".join(reader.pages[0].extract_text().split())
            self.assertIn(invoice.name, first_page)
            for page in reader.pages:
                annotations = page.get("/Annots")
                annotations = annotations.get_object() if annotations is not None else []
                uris = [str(a.get_object().get("/A", {}).get("/URI", "")) for a in annotations]
                self.assertFalse([uri for uri in uris if "isp-pdf-document" in uri], "the split markers are gone")
        self.assertEqual([pages[invoice] > 1 for invoice in invoices], [False, True, False])


def started_mid_month_line(invoice, service):
    return invoice.invoice_line_ids.filtered(lambda line: line.isp_service_id == service)
