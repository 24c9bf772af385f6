from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import IspSalesCase


@tagged("post_install", "-at_install")
class TestOrderServices(IspSalesCase):
    def test_confirm_creates_one_service_per_domain(self):
        order = self._order(
            [
                (self.domain, 2, "first.de\nsecond.de"),
                (self.hosting, 1, "www.first.de", {"discount": 10.0}),
                (self.contract, 1, ""),
            ]
        )
        order.action_confirm()
        services = order.isp_service_ids
        self.assertEqual(
            set(services.mapped("name")), {"first.de", "second.de", "www.first.de", f"{order.name}/Support"}
        )
        self.assertEqual(set(services.mapped("state")), {"pending"})
        self.assertEqual(services.partner_id, self.customer)
        domains = services.filtered(lambda s: s.article_type == "domain")
        self.assertEqual(domains.mapped("quantity"), [1.0, 1.0])
        self.assertEqual(domains.mapped("price_unit"), [12.0, 12.0])
        self.assertEqual(domains.mapped("billing_period"), ["yearly", "yearly"])
        hosting = services.filtered(lambda s: s.article_type == "hosting")
        self.assertAlmostEqual(hosting.price_unit, 8.91)
        self.assertEqual(hosting.sale_line_id.order_id, order)
        self.assertEqual(order.isp_service_count, 4)

    def test_setup_fee_line_added(self):
        order = self._order([(self.hosting, 2, "www.a.de www.b.de")])
        setup = order.order_line.filtered(lambda line: line.product_id == self.setup_fee)
        self.assertEqual(setup.product_uom_qty, 2)
        self.assertEqual(setup.isp_setup_parent_line_id.product_id, self.hosting)
        self.assertEqual(order.amount_untaxed, 2 * 9.9 + 2 * 19.0)
        order.action_confirm()
        self.assertEqual(len(order.isp_service_ids), 2)

    def test_cancelled_order_ends_services_that_never_started(self):
        order = self._order([(self.domain, 2, "cancel1.de cancel2.de")])
        order.action_confirm()
        started, waiting = order.isp_service_ids
        # started by the system (the order itself is not executed)
        started.sudo().action_activate()
        order.with_user(self.salesman).with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(started.state, "active", "running services are terminated explicitly")
        self.assertEqual(waiting.state, "terminated")
        # the identifier is free again
        self._order([(self.domain, 1, waiting.name)]).action_confirm()

    def test_plain_salesman_reads_services_but_does_not_change_them(self):
        plain = new_test_user(
            self.env, login="plain_sales", groups="base.group_user,sales_team.group_sale_salesman_all_leads"
        )
        order = self._order([(self.domain, 1, "plain.de")], user=plain)
        order.action_confirm()
        service = order.isp_service_ids.with_user(plain)
        self.assertEqual(service.name, "plain.de")
        with self.assertRaises(AccessError):
            service.write({"state": "active"})
        # the access rules refuse the button too (issue 15: no check by hand)
        with self.assertRefused(AccessError, "not allowed to modify"):
            service.action_activate()
        self.assertFieldUnchanged(service, "state", "pending")

    def test_salesman_with_own_documents_sees_services_of_own_orders(self):
        own = new_test_user(self.env, login="own_sales", groups="base.group_user,sales_team.group_sale_salesman")
        mine = self._order([(self.domain, 1, "mine.de")], user=own)
        mine.action_confirm()
        theirs = self._order([(self.domain, 1, "theirs.de")])
        theirs.action_confirm()
        visible = self.env["isp.service"].with_user(own).search([("name", "in", ("mine.de", "theirs.de"))])
        self.assertEqual(visible.mapped("name"), ["mine.de"])

    def test_copied_order_has_one_setup_fee_per_article(self):
        order = self._order([(self.hosting, 1, "www.copy.de")])
        copy = order.copy()
        self.assertEqual(len(copy.order_line.filtered(lambda line: line.product_id == self.setup_fee)), 1)
        self.assertEqual(copy.amount_untaxed, order.amount_untaxed)

    def test_wrong_number_of_identifiers_refused(self):
        order = self._order([(self.domain, 2, "only-one.de")])
        with self.assertRefused(UserError, "one identifier per unit"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(self.env["isp.service"].search([("name", "=", "only-one.de")]))

    def test_invalid_or_taken_identifier_refused(self):
        with self.assertRefused(ValidationError, "Identifier"):
            self._order([(self.network, 1, "10.0.0.1/8")]).action_confirm()
        self._order([(self.domain, 1, "taken.de")]).action_confirm()
        order = self._order([(self.domain, 1, "taken.de")])
        with self.assertRefused(ValidationError, "already exists"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")

    def test_lines_without_isp_article_create_no_service(self):
        order = self._order([(self.setup_fee, 1, "")])
        order.action_confirm()
        self.assertFalse(order.isp_service_ids)

    def test_provision_from_order(self):
        self.customer.write({"isp_customer_class": "trusted", "isp_order_quota": 1000.0})
        order = self._order([(self.domain, 1, "go.de"), (self.server, 1, "srv.go.de")])
        order.action_confirm()
        self.assertTrue(order.isp_has_pending_services)
        order.with_user(self.salesman).action_isp_process()
        self.assertEqual(order.isp_decision, "executed")
        domain, server = order.isp_service_ids.sorted("article_type")
        self.assertEqual(domain.state, "active")
        self.assertEqual(server.state, "pending")
        self.assertTrue(server.activity_ids)
        # by hand again: one task per service
        order.with_user(self.salesman).action_isp_provision()
        self.assertEqual(len(server.activity_ids), 1)
        server.activity_ids.action_feedback()
        self.assertFalse(order.isp_has_pending_services)
        with self.assertRefused(UserError, "no pending services"):
            order.action_isp_provision()

    def test_renewal_extends_services(self):
        with freeze_time("2026-03-10"):
            order = self._order([(self.domain, 2, "renew1.de renew2.de"), (self.contract, 1, "")])
            order.action_confirm()
            services = order.isp_service_ids
            domains = services.filtered(lambda service: service.article_type == "domain")
            domains[0].date_end = date(2027, 3, 9)
            action = order.with_user(self.salesman).action_isp_renew()
            renewal = self.env["sale.order"].browse(action["res_id"])
            self.assertTrue(renewal.isp_renewal)
            self.assertEqual(renewal.order_line.isp_renewed_service_ids, services)
            self.assertFalse(renewal.order_line.filtered(lambda line: line.product_id == self.setup_fee))
            renewal.action_confirm()
        self.assertEqual(order.isp_service_ids, services, "no new services")
        self.assertFalse(renewal.isp_service_ids)
        self.assertEqual(domains[0].date_end, date(2028, 3, 9))
        self.assertEqual(domains[1].date_end, date(2028, 3, 9), "open-ended: after the current yearly term")
        self.assertIn(renewal.name, domains[0].message_ids[0].body)

    def test_order_invoice_lines_state_the_term_they_bill(self):
        """Issue 14: an order's invoice states on each line the term it bills (BG-26): the first billing period of
        the services it creates, the term a renewal adds; one-off lines (setup fees) state none."""
        with freeze_time("2026-03-10"):
            order = self._order([(self.hosting, 1, "www.term.de"), (self.domain, 1, "term.de")])
            order.action_confirm()
            invoice = order._create_invoices()
        for service in order.isp_service_ids:
            line = invoice.invoice_line_ids.filtered(
                lambda line, service=service: line.product_id == service.product_id
            )
            self.assertEqual(line.isp_period_start, date(2026, 3, 10))
            self.assertEqual(line.isp_period_end, service.next_invoice_date - timedelta(days=1))
            self.assertFalse(line.isp_service_id, "the invoice run's once-per-period guard is for its own lines")
        domain_line = invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.domain)
        self.assertEqual(domain_line.isp_period_end, date(2027, 3, 9))
        setup = invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.setup_fee)
        self.assertTrue(setup)
        self.assertFalse(setup.isp_period_start or setup.isp_period_end)

        domain = order.isp_service_ids.filtered(lambda service: service.product_id == self.domain)
        domain.date_end = date(2027, 3, 9)
        with freeze_time("2027-02-01"):
            action = domain.with_user(self.salesman).action_isp_renew()
            renewal = self.env["sale.order"].browse(action["res_id"])
            renewal.action_confirm()
            renewal_invoice = renewal._create_invoices()
        self.assertEqual(
            (renewal_invoice.invoice_line_ids.isp_period_start, renewal_invoice.invoice_line_ids.isp_period_end),
            (date(2027, 3, 10), date(2028, 3, 9)),
        )

    def test_renew_a_single_service(self):
        order = self._order([(self.hosting, 1, "www.single.de")])
        order.action_confirm()
        service = order.isp_service_ids
        action = service.with_user(self.salesman).action_isp_renew()
        renewal = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual(renewal.order_line.isp_renewed_service_ids, service)
        self.assertEqual(renewal.order_line.price_unit, service.price_unit)
        service.write({"state": "terminated"})
        with self.assertRefused(UserError, "cannot be renewed"):
            service.action_isp_renew()

    def test_quotation_template_with_isp_articles(self):
        template = self.env["sale.order.template"].create(
            {
                "name": "Web starter",
                "sale_order_template_line_ids": [
                    (0, 0, {"product_id": self.domain.id, "product_uom_qty": 1}),
                    (0, 0, {"product_id": self.hosting.id, "product_uom_qty": 1}),
                ],
            }
        )
        with Form(self.env["sale.order"].with_user(self.salesman)) as form:
            form.partner_id = self.customer
            form.sale_order_template_id = template
        order = form.record
        self.assertEqual(order.order_line.product_id, self.domain | self.hosting | self.setup_fee)
        order.order_line.filtered(lambda line: line.product_id == self.domain).isp_identifiers = "starter.de"
        order.order_line.filtered(lambda line: line.product_id == self.hosting).isp_identifiers = "www.starter.de"
        order.action_confirm()
        self.assertEqual(set(order.isp_service_ids.mapped("name")), {"starter.de", "www.starter.de"})
