from odoo.tests import new_test_user

from odoo.addons.isp_customer.tests.common import IspAccountCase


class IspSalesCase(IspAccountCase):
    """ISP articles of every type and a sales user who works the orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="isp_salesman",
            groups="base.group_user,sales_team.group_sale_salesman,isp_customer.group_isp_user",
        )
        Product = cls.env["product.product"]
        cls.setup_fee = Product.create({"name": "Setup", "type": "service", "list_price": 19.0, "taxes_id": []})

        def article(name, article_type, price, **values):
            return Product.create(
                {
                    "name": name,
                    "type": "service",
                    "list_price": price,
                    "taxes_id": [],
                    "isp_article_type": article_type,
                    "isp_recurring": True,
                    **values,
                }
            )

        cls.domain = article("Domain .de", "domain", 12.0, isp_billing_period="yearly")
        cls.hosting = article("Hosting", "hosting", 9.9, isp_setup_product_id=cls.setup_fee.id)
        cls.server = article("Server", "server", 89.0, isp_needs_provisioning=True)
        cls.network = article("Network", "ip_network", 35.0, isp_needs_provisioning=True)
        cls.database = article("Database", "database", 2.5)
        cls.line = article("DSL", "access_line", 39.9, isp_needs_provisioning=True)
        cls.contract = article("Support", "contract", 480.0, isp_billing_period="yearly")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Order Customer GmbH", "is_company": True, "isp_lifecycle": "customer", "email": "o@example.com"}
        )

    def _order(self, lines, partner=None, user=None):
        env = self.env(user=user or self.salesman)
        return env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": qty, "isp_identifiers": identifiers, **extra})
                    for product, qty, identifiers, *rest in lines
                    for extra in [rest[0] if rest else {}]
                ],
            }
        )
