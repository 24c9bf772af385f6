import io

from PyPDF2 import PdfReader

from odoo.tests import tagged

from .common import IspDunningCase


@tagged("post_install", "-at_install")
class TestDunningLetters(IspDunningCase):
    def _second_dunning(self, partner):
        first = self._due_invoice(partner, 1000.0, "2025-05-31")
        second = self._due_invoice(partner, 250.0, "2025-06-30")
        for day in ("2025-06-07", "2025-06-21", "2025-07-05"):
            run = self._run(day)
        return first, second, run.letter_ids

    def test_letter_pdf_lists_the_items(self):
        first, second, letter = self._second_dunning(self.business)
        earlier_charge = (first.isp_dunning_step_ids - letter.step_ids).charge_move_id
        self.assertEqual(letter.move_ids, first | second | earlier_charge)
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        attachment = letter.with_context(force_report_rendering=True)._isp_render_pdf()
        self.assertEqual(attachment.mimetype, "application/pdf")
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment.raw)).pages)
        text = " ".join(text.split())
        for expected in (
            "Second dunning notice",
            first.name,
            second.name,
            "Overdue in total",
            earlier_charge.name,
            "1,296.48",
            "Default interest on",
            "14 days at 11.27 % / 10.27 %",
            "Dunning fee",
            letter.charge_move_id.name,
        ):
            self.assertIn(expected, text)
        self.assertEqual(letter._isp_render_pdf(), attachment, "rendered once: what was sent stays what is shown")

    def test_letters_are_emailed_by_the_queue(self):
        # the test company and charges cannot make a valid e-invoice (isp_sales' test_einvoice_delivery)
        self.business.isp_einvoice_format = "pdf"
        _first, _second, letter = self._second_dunning(self.business)
        self.assertEqual(letter.email_state, "queued")
        self.assertFalse(letter.print_state)
        self.env["isp.dunning.letter"]._cron_isp_send_letters()
        self.assertEqual(letter.email_state, "sent")
        mail = self.env["mail.mail"].search([("model", "=", "isp.dunning.letter"), ("res_id", "=", letter.id)])
        self.assertEqual(len(mail), 1)
        self.assertIn("Second dunning notice", mail.subject)
        self.assertIn(self.business, mail.recipient_ids)
        self.assertEqual(len(mail.attachment_ids), 2, "the letter and the charge invoice")

    def test_postal_letters_wait_for_printing(self):
        self.consumer.isp_invoice_delivery = "post"
        self._due_invoice(self.consumer, 100.0, "2025-05-31")
        letter = self._run("2025-06-07").letter_ids
        self.assertEqual((letter.email_state, letter.print_state), (False, "to_print"))
        action = letter.action_print_and_mark_sent()
        self.assertEqual(action["report_name"], "isp_dunning.report_dunning_letter")
        self.assertEqual(letter.print_state, "printed")

    def test_missing_email_fails_visibly(self):
        self.consumer.email = False
        self._due_invoice(self.consumer, 100.0, "2025-05-31")
        letter = self._run("2025-06-07").letter_ids
        self.env["isp.dunning.letter"]._cron_isp_send_letters()
        self.assertEqual(letter.email_state, "failed")
        self.assertIn("no e-mail address", letter.delivery_error)
