from odoo.tests import tagged

from .common import IspCustomerCase


@tagged("post_install", "-at_install")
class TestMerge(IspCustomerCase):
    def _merge(self, partners, destination, user=None):
        user = user or self.manager
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(user)
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create({})
        )
        wizard._merge(partners.ids, destination.with_user(user))

    def test_survivor_keeps_number_and_class(self):
        survivor = self._partner(
            name="Survivor GmbH",
            email="a@survivor.example",
            isp_lifecycle="customer",
            isp_customer_class="trusted",
            isp_order_quota=300.0,
        )
        duplicate = self._partner(
            name="Survivor GmbH (duplicate)",
            email="a@survivor.example",
            isp_lifecycle="customer",
            isp_customer_class="credited",
        )
        number, merged_number = survivor.isp_customer_number, duplicate.isp_customer_number
        self._merge(survivor + duplicate, survivor)
        self.assertFalse(duplicate.exists())
        self.assertEqual(survivor.isp_customer_number, number)
        self.assertEqual(survivor.isp_customer_class, "trusted")
        self.assertEqual(survivor.isp_order_quota, 300.0)
        self.assertIn(merged_number, "".join(survivor.message_ids.mapped("body")))

    def test_clerk_merge_keeps_survivor_class_and_empty_quota(self):
        survivor = self._partner(name="Kept KG", email="k@kept.example", isp_lifecycle="customer")
        duplicate = self._partner(
            name="Kept KG (old)",
            email="k@kept.example",
            isp_lifecycle="customer",
            isp_customer_class="trusted",
            isp_order_quota=900.0,
            isp_payment_method="sepa",
        )
        self._merge(survivor + duplicate, survivor, user=self.clerk)
        self.assertFalse(duplicate.exists())
        self.assertEqual(survivor.isp_customer_class, "new")
        self.assertEqual(survivor.isp_order_quota, 0.0)
        self.assertEqual(survivor.isp_payment_method, "transfer")

    def test_survivor_without_number_takes_the_oldest(self):
        survivor = self._partner(name="Prospect Entry", isp_lifecycle="prospect")
        older = self._partner(name="Old Entry", isp_lifecycle="customer")
        newer = self._partner(name="New Entry", isp_lifecycle="customer")
        numbers = [older.isp_customer_number, newer.isp_customer_number]
        self._merge(survivor + older + newer, survivor)
        self.assertEqual(survivor.isp_customer_number, numbers[0])
        self.assertEqual(survivor.isp_lifecycle, "customer")
        self.assertIn(numbers[1], "".join(survivor.message_ids.mapped("body")))
