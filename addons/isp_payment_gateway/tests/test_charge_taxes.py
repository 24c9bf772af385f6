from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import IspPaymentCase


@tagged("post_install", "-at_install")
class TestChargeTaxes(IspPaymentCase):
    """Issue 12, point 7: run charges, dunning charges and return fees follow one tax rule."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tax = cls.env["account.tax"]
        cls.vat_19 = Tax.create({"name": "VAT 19 %", "amount": 19.0, "amount_type": "percent", "type_tax_use": "sale"})
        cls.vat_0 = Tax.create({"name": "Reverse charge 0 %", "amount": 0.0, "amount_type": "percent"})
        cls.reverse_charge = cls.env["account.fiscal.position"].create(
            {
                "name": "EU business (reverse charge)",
                "tax_ids": [Command.create({"tax_src_id": cls.vat_19.id, "tax_dest_id": cls.vat_0.id})],
            }
        )
        # a provider who charges its fees with VAT: the article carries 19 %
        cls.taxed_fee = cls.env["product.product"].create(
            {"name": "Handling fee (taxed)", "type": "service", "taxes_id": [Command.set(cls.vat_19.ids)]}
        )
        cls.env.company.write({"isp_sepa_return_fee": 5.0, "isp_sepa_return_fee_product_id": cls.taxed_fee.id})
        cls.fee_profile = cls.env["isp.dunning.profile"].create(
            {
                "name": "Fees only",
                "interest_basis": "none",
                "charge_mode": "invoice",
                "level_ids": [
                    Command.create(
                        {
                            "name": "Reminder with fee",
                            "sequence": 10,
                            "days_overdue": 7,
                            "min_days_since_previous": 0,
                            "fee_amount": 2.5,
                            "fee_product_id": cls.taxed_fee.id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Notice with fee",
                            "sequence": 20,
                            "days_overdue": 21,
                            "min_days_since_previous": 14,
                            "fee_amount": 2.5,
                            "fee_product_id": cls.taxed_fee.id,
                        }
                    ),
                ],
            }
        )
        # the EU business customer abroad and a domestic one for comparison
        cls.business.write(
            {"property_account_position_id": cls.reverse_charge.id, "isp_dunning_profile_id": cls.fee_profile.id}
        )
        cls.consumer.isp_dunning_profile_id = cls.fee_profile

    def _charges(self):
        """Dunning charge invoice, run charge line and return fee invoice of both customers."""
        customers = self.business | self.consumer
        for customer in customers:
            self.env["isp.service"].create(
                {
                    "name": f"{customer.id}.example",
                    "partner_id": customer.id,
                    "product_id": self.hosting.id,
                    "state": "active",
                    "date_start": "2025-07-01",
                }
            )
            self._due_invoice(customer, 100.0, "2025-05-31")
        # the first fee on a charge invoice of its own, the second one on the next periodic invoice
        first = self._run("2025-06-07")
        self.fee_profile.charge_mode = "next_invoice"
        self._run("2025-06-21")
        with freeze_time("2025-08-01"):
            billing = self.env["isp.billing.run"].create({})
            billing.with_user(self.manager).action_confirm()
        # later both pay by direct debit, and the bank returns the debit with its charge of 3.00
        debited = {}
        for customer, account in ((self.business, self.business_account), (self.consumer, self.consumer_account)):
            self._sepa_customer(customer, account)
            debited[customer] = self._due_invoice(customer, 50.0, "2026-12-01", invoice_date="2026-12-01")
        batch = self._batch("2026-12-14")
        batch.action_mark_sent()
        result = {}
        for customer in customers:
            line = batch.line_ids.filtered(lambda line, move=debited[customer]: line.move_id == move)
            wizard = (
                self.env["isp.debit.return.manual"]
                .with_user(self.manager)
                .create({"line_id": line.id, "reason_code": "AM04", "date": "2026-12-18", "bank_charge": 3.0})
            )
            wizard.action_return()
            result[customer] = {
                "dunning": first.letter_ids.filtered(lambda letter, c=customer: letter.partner_id == c).charge_move_id,
                "run": billing.invoice_ids.filtered(
                    lambda move, c=customer: move.commercial_partner_id == c
                ).invoice_line_ids.filtered("isp_dunning_step_id"),
                "return": line.return_id.fee_move_id,
            }
        return result

    def test_p07_fee_taxes_follow_the_customers_fiscal_position(self):
        """Issue 12, point 7: a fiscal position 19 % -> 0 % applies to return fees as to dunning and run charges."""
        charges = self._charges()
        abroad, domestic = charges[self.business], charges[self.consumer]

        # reverse charge: no VAT on any of the three, to the cent
        self.assertEqual(abroad["return"].fiscal_position_id, self.reverse_charge)
        self.assertEqual(abroad["return"].invoice_line_ids.tax_ids, self.vat_0)
        self.assertEqual(
            (abroad["return"].amount_untaxed, abroad["return"].amount_tax, abroad["return"].amount_total),
            (8.0, 0.0, 8.0),
            "bank charge 3.00 and handling fee 5.00 without VAT",
        )
        self.assertEqual(abroad["dunning"].fiscal_position_id, self.reverse_charge)
        self.assertEqual(abroad["dunning"].invoice_line_ids.tax_ids, self.vat_0)
        self.assertEqual((abroad["dunning"].amount_tax, abroad["dunning"].amount_total), (0.0, 2.5))
        self.assertEqual(abroad["run"].move_id.fiscal_position_id, self.reverse_charge)
        self.assertEqual(abroad["run"].tax_ids, self.vat_0)
        self.assertEqual((abroad["run"].price_subtotal, abroad["run"].price_total), (2.5, 2.5))

        # the domestic customer pays the article's 19 % on all three
        self.assertFalse(domestic["return"].fiscal_position_id)
        self.assertEqual(domestic["return"].invoice_line_ids.tax_ids, self.vat_19)
        self.assertEqual((domestic["return"].amount_tax, domestic["return"].amount_total), (1.52, 9.52))
        self.assertEqual(domestic["dunning"].invoice_line_ids.tax_ids, self.vat_19)
        self.assertEqual((domestic["dunning"].amount_tax, domestic["dunning"].amount_total), (0.48, 2.98))
        self.assertEqual(domestic["run"].tax_ids, self.vat_19)
        self.assertEqual((domestic["run"].price_subtotal, domestic["run"].price_total), (2.5, 2.98))

    def test_p07_shipped_fee_articles_carry_no_vat(self):
        """Issue 12, point 7: dunning fees, interest, flat fee and return fees are damages: no tax in any company."""
        articles = (
            self.env.ref("isp_dunning.product_dunning_fee")
            | self.env.ref("isp_dunning.product_default_interest")
            | self.env.ref("isp_dunning.product_default_flat_fee")
            | self.env.ref("isp_payment_gateway.product_return_fee")
        )
        self.assertEqual(len(articles), 4)
        for article in articles.sudo():
            self.assertFalse(article.taxes_id, f"{article.display_name} carries no VAT")
        # a return fee with the shipped article is charged without VAT, whatever the customer's taxes
        move = self.env["account.move"]._isp_prepare_charge_line_vals(
            self.env.ref("isp_payment_gateway.product_return_fee"), "Fee", 5.0, self.consumer, self.env.company
        )
        self.assertEqual(move["tax_ids"], [Command.set([])])
