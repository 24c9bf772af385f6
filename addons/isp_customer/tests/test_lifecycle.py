from odoo import fields
from odoo.tests import Form, tagged

from .common import IspAccountCase, IspCustomerCase


@tagged("post_install", "-at_install")
class TestProspectPipeline(IspCustomerCase):
    def test_stages_seeded_in_order(self):
        self.assertEqual(
            self.stages.mapped("name"),
            [
                "To call for first contact",
                "To receive a mailing",
                "Has received a mailing",
                "Will call us",
                "Is not interested",
                "Booked an order / Became a client",
            ],
        )
        self.assertEqual(self.stages.filtered("is_won"), self.stage_won)

    def test_clerk_works_a_prospect_through_the_stages(self):
        with Form(
            self.env["res.partner"].with_user(self.clerk).with_context(isp_new_partner_lifecycle="prospect")
        ) as form:
            form.name = "Prospect GmbH"
            form.email = "info@prospect.example"
        prospect = form.record
        self._end_transaction()
        self.assertEqual(prospect.isp_lifecycle, "prospect")
        self.assertEqual(prospect.isp_prospect_stage_id, self.stage_first)
        today = fields.Date.context_today(prospect)
        self.assertEqual(prospect.isp_registration_date, today)
        self.assertFalse(prospect.isp_customer_number)

        mailed = self.env.ref("isp_customer.isp_prospect_stage_mailed")
        prospect.with_user(self.clerk).isp_prospect_stage_id = mailed
        self.flush_tracking()
        tracked = prospect.sudo().message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "isp_prospect_stage_id"
        )
        self.assertEqual(tracked[:1].new_value_char, mailed.name)

        # A progress comment is the last contact.
        prospect.with_user(self.clerk).message_post(
            body="Called, sends the signed offer next week.", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.assertEqual(prospect.isp_last_contact_date, today)

        # Moving to the won stage converts.
        prospect.with_user(self.clerk).isp_prospect_stage_id = self.stage_won
        self.assertEqual(prospect.isp_lifecycle, "customer")
        self.assertTrue(prospect.isp_customer_number)

    def test_contacts_added_to_a_new_customer_stay_contacts(self):
        Partner = self.env["res.partner"].with_user(self.clerk).with_context(isp_new_partner_lifecycle="customer")
        with Form(Partner) as form:
            form.name = "Menu Customer AG"
            with form.child_ids.new() as contact:
                contact.name = "Invoice Contact"
        customer = form.record
        self.assertTrue(customer.is_company)
        self.assertEqual(customer.isp_lifecycle, "customer")
        self.assertTrue(customer.isp_customer_number)
        self.assertEqual(len(customer.child_ids), 1)
        self.assertFalse(customer.child_ids.is_company)
        self.assertFalse(customer.child_ids.isp_lifecycle)
        self.assertFalse(customer.child_ids.isp_customer_number)

    def test_convert_sets_won_stage(self):
        prospect = self._partner(isp_lifecycle="prospect")
        prospect.with_user(self.clerk).action_isp_convert_to_customer()
        self.assertEqual(prospect.isp_prospect_stage_id, self.stage_won)
        self.assertEqual(prospect.isp_lifecycle, "customer")

    def test_pipeline_groups_all_stages(self):
        self._partner(isp_lifecycle="prospect")
        groups = (
            self.env["res.partner"]
            .with_user(self.clerk)
            .read_group([("isp_lifecycle", "=", "prospect")], ["isp_prospect_stage_id"], ["isp_prospect_stage_id"])
        )
        self.assertEqual(len(groups), len(self.stages))

    def test_former_customer(self):
        customer = self._partner(isp_lifecycle="customer")
        customer.with_user(self.clerk).action_isp_mark_former()
        self.assertEqual(customer.isp_lifecycle, "former")


@tagged("post_install", "-at_install")
class TestFirstInvoiceMakesCustomer(IspAccountCase):
    def test_posting_first_invoice_converts_prospect(self):
        prospect = self.env["res.partner"].create({"name": "Invoice Prospect", "isp_lifecycle": "prospect"})
        invoice = self._invoice(prospect, 100.0, post=False)
        self.assertEqual(prospect.isp_lifecycle, "prospect")
        invoice.action_post()
        self.assertEqual(prospect.isp_lifecycle, "customer")
        self.assertTrue(prospect.isp_customer_number)

    def test_plain_contact_and_former_customer_become_customers(self):
        contact = self.env["res.partner"].create({"name": "Walk-in"})
        former = self.env["res.partner"].create({"name": "Back again", "isp_lifecycle": "customer"})
        number = former.isp_customer_number
        former.action_isp_mark_former()
        self._invoice(contact, 10.0)
        self._invoice(former, 10.0)
        self.assertEqual(contact.isp_lifecycle, "customer")
        self.assertTrue(contact.isp_customer_number)
        self.assertEqual(former.isp_lifecycle, "customer")
        self.assertEqual(former.isp_customer_number, number)

    def test_invoice_to_contact_converts_its_company(self):
        company = self.env["res.partner"].create(
            {"name": "Parent GmbH", "is_company": True, "isp_lifecycle": "prospect"}
        )
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": company.id})
        self._invoice(contact, 50.0)
        self.assertEqual(company.isp_lifecycle, "customer")
        self.assertFalse(contact.isp_lifecycle)

    def test_vendor_bill_does_not_convert(self):
        supplier = self.env["res.partner"].create({"name": "Supplier", "isp_lifecycle": "prospect"})
        self._invoice(supplier, 50.0, move_type="in_invoice")
        self.assertEqual(supplier.isp_lifecycle, "prospect")
