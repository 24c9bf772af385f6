from odoo.tests import TransactionCase, tagged

from odoo.addons.isp_sales.tests.test_install import InstalledSetupMixin


@tagged("post_install", "-at_install")
class TestInstalledDunning(InstalledSetupMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile = cls.env.ref("isp_dunning.profile_german_standard")

    def test_scheduled_dunning_run_and_letter_queue(self):
        """The daily dunning run and the hourly letter queue are scheduled."""
        self.assertScheduled(
            "isp_dunning.ir_cron_isp_dunning_run", "isp.dunning.run", "_cron_isp_dunning_run", (1, "days")
        )
        self.assertScheduled(
            "isp_dunning.ir_cron_isp_send_dunning_letters", "isp.dunning.letter", "_cron_isp_send_letters", (1, "hours")
        )

    def test_companies_dun_with_the_german_standard_profile(self):
        """Every company, old or new, has a default dunning profile: the German standard with its six levels."""
        self.assertEqual(self.env.company.isp_dunning_profile_id, self.profile)
        self.assertEqual(
            self.profile._isp_levels().mapped("days_overdue"), [7, 21, 35, 49, 63, 90], "reminder to court order"
        )
        new = self.env["res.company"].create({"name": "New ISP GmbH"})
        self.assertEqual(new.isp_dunning_profile_id, self.profile)
        new.isp_dunning_profile_id = False
        self.env["res.company"]._isp_dunning_default_profile()
        self.assertEqual(new.isp_dunning_profile_id, self.profile, "given again on update")

    def test_menus_for_the_back_office_only(self):
        """Dunning is reached by ISP users, its profiles and base rates by managers; plain employees see none."""
        back_office = [
            "isp_dunning.isp_dunning_run_menu",
            "isp_dunning.isp_dunning_overdue_report_menu",
            "isp_dunning.isp_dunning_letter_menu",
            "isp_dunning.isp_dunning_letter_to_print_menu",
            "isp_dunning.isp_dunning_step_menu",
            "isp_dunning.isp_dunning_court_menu",
        ]
        self.assertMenus(back_office, shown_to=[self.clerk, self.manager], hidden_from=[self.employee])
        configuration = ["isp_dunning.isp_dunning_profile_menu", "isp_dunning.isp_dunning_base_rate_menu"]
        self.assertMenus(configuration, shown_to=[self.manager], hidden_from=[self.clerk, self.employee])
