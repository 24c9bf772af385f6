from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_installed_with_dependencies(self):
        names = ["isp_sales", "isp_customer", "sale_management", "account_payment"]
        modules = self.env["ir.module.module"].search([("name", "in", names)])
        self.assertEqual({module.name: module.state for module in modules}, dict.fromkeys(names, "installed"))
