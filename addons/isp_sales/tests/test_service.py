from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import IspSalesCase


@tagged("post_install", "-at_install")
class TestService(IspSalesCase):
    def _service(self, product, name, **values):
        return (
            self.env["isp.service"]
            .with_user(self.salesman)
            .create({"name": name, "partner_id": self.customer.id, "product_id": product.id, **values})
        )

    def test_identifier_validated_and_normalised(self):
        service = self._service(self.domain, "Example.DE")
        self.assertEqual(service.name, "example.de")
        self.assertEqual(service.article_type, "domain")
        self.assertEqual(service.billing_period, "yearly")
        self.assertEqual(service.state, "pending")
        self.assertEqual(service.next_invoice_date, service.date_start)
        with self.assertRefused(ValidationError, "Identifier: 'not a domain'"):
            self._service(self.domain, "not a domain")
        with self.assertRefused(ValidationError, "CIDR"):
            self._service(self.network, "10.0.0.1/8")
        with self.assertRefused(ValidationError, "Identifier"):
            service.write({"name": "bad domain"})
        self.assertFieldUnchanged(service, "name", "example.de")

    def test_one_live_service_per_identifier(self):
        first = self._service(self.domain, "unique.de")
        with self.assertRefused(ValidationError, "already exists"):
            self._service(self.domain, "UNIQUE.de")
        # a database of the same name is another thing
        self._service(self.database, "unique_de")
        first.write({"state": "terminated"})
        second = self._service(self.domain, "unique.de")
        with self.assertRefused(ValidationError, "already exists"):
            first.write({"state": "active"})
        self.assertEqual(second.state, "pending")
        # contracts may share a name
        self._service(self.contract, "Support")
        self._service(self.contract, "Support")

    def test_price_from_pricelist_and_tracked_override(self):
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Reseller prices",
                "currency_id": self.env.company.currency_id.id,
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.hosting.id,
                            "compute_price": "fixed",
                            "fixed_price": 7.5,
                        },
                    )
                ],
            }
        )
        self.customer.property_product_pricelist = pricelist
        service = self._service(self.hosting, "www.example.de")
        self.assertEqual(service.price_unit, 7.5)
        self._end_transaction()
        # account test cases switch tracking off; a clerk's edit in the UI is tracked
        service.with_context(tracking_disable=False, mail_notrack=False).price_unit = 6.0
        self.flush_tracking()
        self.assertIn(6.0, service.sudo().message_ids.tracking_value_ids.mapped("new_value_float"))

    def test_state_actions(self):
        service = self._service(self.server, "srv1.example.de")
        with self.assertRefused(UserError, "only active services can be suspended"):
            service.action_suspend()
        service.action_activate()
        service.action_suspend()
        self.assertEqual(service.state, "suspended")
        with self.assertRefused(UserError, "only pending services"):
            service.action_activate()
        service.action_reactivate()
        self.assertEqual(service.state, "active")

    def test_amounts_validated(self):
        with self.assertRefused(ValidationError, "Quantity"):
            self._service(self.contract, "Zero", quantity=0)
        with self.assertRefused(ValidationError, "Unit Price"):
            self._service(self.contract, "Negative", price_unit=-1)

    @freeze_time("2026-11-22")
    def test_terminate_at_end_of_period_by_default(self):
        service = self._service(self.hosting, "www.end.de", date_start=date(2026, 1, 10))
        service.action_activate()
        wizard = Form(
            self.env["isp.service.terminate"]
            .with_user(self.salesman)
            .with_context(active_model="isp.service", active_ids=service.ids)
        )
        wizard.reason = "Customer moves to another provider"
        wizard.save().action_confirm()
        self.assertEqual(service.date_end, date(2026, 12, 9))
        self.assertEqual(service.state, "active")
        with freeze_time("2026-12-10"):
            self.env["isp.service"]._cron_terminate_ended()
        self.assertEqual(service.state, "terminated")
        self.assertIn("Customer moves", service.message_ids[0].body)

    @freeze_time("2026-11-22")
    def test_terminate_on_a_date(self):
        service = self._service(self.database, "db_gone", date_start=date(2026, 1, 1))
        wizard = Form(
            self.env["isp.service.terminate"]
            .with_user(self.salesman)
            .with_context(active_model="isp.service", active_ids=service.ids)
        )
        wizard.mode = "date"
        wizard.date_end = date(2026, 11, 20)
        wizard.reason = "Deleted on request"
        wizard.save().action_confirm()
        self.assertEqual(service.state, "terminated")
        self.assertEqual(service.date_end, date(2026, 11, 20))
        with self.assertRefused(UserError, "cannot be terminated again"):
            service._isp_terminate(date(2026, 11, 21))
        with self.assertRefused(ValidationError, "before its start date"):
            self._service(self.database, "db_new", date_start=date(2026, 11, 1))._isp_terminate(date(2026, 10, 1))

    def test_provisioning(self):
        instant = self._service(self.domain, "instant.de")
        manual = self._service(self.server, "manual.example.de")
        (instant + manual)._isp_provision()
        self.assertEqual(instant.state, "active")
        self.assertEqual(manual.state, "pending")
        activity = manual.activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref("isp_sales.mail_activity_type_isp_provision"))
        # provisioning twice does not duplicate the task
        manual._isp_provision()
        self.assertEqual(len(manual.activity_ids), 1)
        activity.with_user(self.salesman).action_feedback(feedback="Installed in rack 4")
        self.assertEqual(manual.state, "active")

    def test_activate_closes_the_provisioning_task(self):
        manual = self._service(self.line, "DSL-1234")
        manual._isp_provision()
        manual.action_activate()
        self.assertFalse(manual.activity_ids)
        self.assertEqual(manual.state, "active")

    def test_partner_smart_button(self):
        self._service(self.domain, "count1.de")
        self._service(self.domain, "count2.de").write({"state": "terminated"})
        self.assertEqual(self.customer.isp_service_count, 1)
        action = self.customer.action_isp_view_services()
        self.assertEqual(self.env["isp.service"].search_count(action["domain"]), 2)

    def test_services_are_not_deleted_once_used(self):
        service = self._service(self.domain, "delete.de")
        service.action_activate()
        with self.assertRefused(UserError, "terminated, not deleted"):
            service.with_user(self.manager).unlink()
