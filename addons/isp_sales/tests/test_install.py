from odoo.tests import TransactionCase, new_test_user, tagged


class InstalledSetupMixin:
    """Checks of what an installed addon gives its users: scheduled actions and menus; an ISP clerk,
    an ISP manager and a plain employee to check them with."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="isp_clerk_menus", groups="base.group_user,isp_customer.group_isp_user"
        )
        cls.manager = new_test_user(
            cls.env, login="isp_manager_menus", groups="base.group_user,isp_customer.group_isp_manager"
        )
        cls.employee = new_test_user(cls.env, login="plain_employee", groups="base.group_user")

    def assertScheduled(self, xmlid, model, method, interval):
        """The scheduled action is active, runs every ``interval`` (number, type) as OdooBot and calls
        ``model.method()``, a method the model has."""
        cron = self.env.ref(xmlid)
        self.assertTrue(cron.active, f"{xmlid} is active")
        self.assertEqual(cron.model_id.model, model)
        self.assertEqual((cron.state, cron.code.strip()), ("code", f"model.{method}()"))
        self.assertTrue(callable(getattr(self.env[model], method, None)), f"{model} has {method}")
        self.assertEqual((cron.interval_number, cron.interval_type), interval)
        self.assertEqual(cron.user_id, self.env.ref("base.user_root"))

    def assertMenus(self, xmlids, shown_to, hidden_from):
        """Each menu is reached (it and all its parents are shown) by the users ``shown_to`` and by none of
        ``hidden_from``."""
        for user in [*shown_to, *hidden_from]:
            visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            for xmlid in xmlids:
                menu, path = self.env.ref(xmlid), []
                while menu:
                    path.append(menu.id)
                    menu = menu.parent_id
                reached = all(menu_id in visible for menu_id in path)
                self.assertEqual(reached, user in shown_to, f"{user.login} reaches {xmlid}: {user in shown_to}")


@tagged("post_install", "-at_install")
class TestInstalledSales(InstalledSetupMixin, TransactionCase):
    def test_scheduled_actions_run_the_daily_and_hourly_jobs(self):
        """The invoice run, service terminations, invoice delivery and waiting orders are scheduled."""
        self.assertScheduled(
            "isp_sales.ir_cron_isp_billing_run", "isp.billing.run", "_cron_isp_billing_run", (1, "days")
        )
        self.assertScheduled(
            "isp_sales.ir_cron_isp_service_terminate", "isp.service", "_cron_terminate_ended", (1, "days")
        )
        self.assertScheduled(
            "isp_sales.ir_cron_isp_deliver_invoices", "account.move", "_cron_isp_deliver_invoices", (1, "hours")
        )
        self.assertScheduled(
            "isp_sales.ir_cron_isp_process_waiting_credit",
            "sale.order",
            "_cron_isp_process_waiting_credit",
            (1, "hours"),
        )

    def test_menus_for_the_back_office_only(self):
        """Services, orders and billing are reached by ISP users; articles by managers; plain employees see none."""
        back_office = [
            "isp_sales.isp_service_menu",
            "isp_sales.isp_order_menu",
            "isp_sales.isp_quotation_menu",
            "isp_sales.isp_billing_run_menu",
            "isp_sales.isp_invoice_menu",
            "isp_sales.isp_invoice_to_print_menu",
        ]
        self.assertMenus(back_office, shown_to=[self.clerk, self.manager], hidden_from=[self.employee])
        self.assertMenus(
            ["isp_sales.isp_article_menu"], shown_to=[self.manager], hidden_from=[self.clerk, self.employee]
        )
