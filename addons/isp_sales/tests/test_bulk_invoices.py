import copy
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.account.models.account_move_line import AccountMoveLine

from .common import IspSalesCase


@tagged("post_install", "-at_install")
class TestBulkInvoices(IspSalesCase):
    """Issue 15: invoices the system makes in bulk are Odoo's invoices, made without writing lines twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tax = cls.env["account.tax"]
        tag = cls.env["account.account.tag"].create(
            {"name": "Base 19", "applicability": "taxes", "country_id": cls.env.company.account_fiscal_country_id.id}
        )
        cls.vat_19 = Tax.create({"name": "VAT 19 %", "amount": 19.0, "type_tax_use": "sale"})
        # the tax report's tags on the base of invoices and credit notes
        cls.vat_19.repartition_line_ids.filtered(lambda rep: rep.repartition_type == "base").tag_ids = tag
        cls.vat_7_included = Tax.create(
            {
                "name": "VAT 7 % included",
                "amount": 7.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        # a levy that the VAT is computed on
        cls.levy = Tax.create(
            {"name": "Levy 2 %", "amount": 2.0, "type_tax_use": "sale", "include_base_amount": True, "sequence": 1}
        )
        cls.early_discount = cls.env["account.payment.term"].create(
            {
                "name": "2 % within 10 days, net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "early_pay_discount_computation": "mixed",
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        cls.income = cls.company_data["default_account_revenue"]
        cls.journal = cls.company_data["default_journal_sale"]
        cls.currency = cls.setup_other_currency("EUR")

    def _line(self, product, price, taxes, **values):
        return Command.create(
            {
                "display_type": "product",
                "product_id": product.id,
                "name": product.name,
                "quantity": 1.0,
                "price_unit": price,
                "account_id": self.income.id,
                "tax_ids": [Command.set(taxes.ids)],
                **values,
            }
        )

    def _vals(self, partner, lines, **values):
        return {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "journal_id": self.journal.id,
            "invoice_date": "2026-03-01",
            "invoice_line_ids": lines,
            **values,
        }

    def _cases(self):
        """Invoices of every kind the system makes: taxes excluded and included, a tax on a tax, a
        discount, quantities, payment terms with instalments and an early-payment discount, a
        fiscal position, a credit note, no taxes, a foreign currency and a line with default taxes."""
        partner_a, partner_b = self.partner_a, self.partner_b
        return [
            self._vals(
                partner_a, [self._line(self.hosting, 9.9, self.vat_19), self._line(self.database, 2.5, self.vat_19)]
            ),
            self._vals(partner_a, [self._line(self.hosting, 10.7, self.vat_7_included, quantity=3.0)]),
            self._vals(partner_a, [self._line(self.server, 89.0, self.levy | self.vat_19, discount=12.5)]),
            self._vals(
                partner_b, [self._line(self.line, 39.9, self.vat_19), self._line(self.setup_fee, 19.0, self.vat_19)]
            ),
            self._vals(
                partner_a,
                [self._line(self.contract, 480.0, self.vat_19), self._line(self.network, 35.0, self.vat_19)],
                invoice_payment_term_id=self.early_discount.id,
            ),
            self._vals(partner_a, [self._line(self.hosting, 9.9, self.vat_19)], move_type="out_refund"),
            self._vals(partner_a, [self._line(self.domain, 12.0, self.env["account.tax"])]),
            self._vals(partner_a, [self._line(self.hosting, 9.9, self.vat_19)], currency_id=self.currency.id),
            self._vals(partner_a, [Command.create({"product_id": self.server.id, "price_unit": 89.0})]),
        ]

    def _journal_items(self, move):
        """What the accounting sees of ``move``: its totals and journal items."""
        items = sorted(
            (
                line.display_type,
                line.account_id.code,
                line.balance,
                line.amount_currency,
                tuple(line.tax_ids.ids),
                tuple(line.tax_tag_ids.ids),
                line.tax_line_id.id,
                line.tax_base_amount,
                line.partner_id.id,
                line.date_maturity,
                line.discount_date,
                line.discount_amount_currency,
                line.name if line.display_type != "payment_term" else "",
            )
            for line in move.line_ids
        )
        totals = (move.state, move.amount_untaxed, move.amount_tax, move.amount_total, move.invoice_date_due)
        return totals, items

    def test_same_journal_items_as_odoo(self):
        """Issue 15: the bulk path posts exactly the journal items of Odoo's own create and post."""
        for rounding in ("round_per_line", "round_globally"):
            self.env.company.tax_calculation_rounding_method = rounding
            cases = self._cases()
            Move = self.env["account.move"].with_user(self.manager)
            bulk = Move._isp_create_invoices(copy.deepcopy(cases))
            for vals, move in zip(cases, bulk, strict=True):
                plain = Move.create(copy.deepcopy(vals))
                plain.action_post()
                with self.subTest(rounding=rounding, invoice=move.invoice_line_ids[:1].name, type=move.move_type):
                    self.assertEqual(self._journal_items(move), self._journal_items(plain))
                    self.assertTrue(move.checked, "posted as reviewed, as Odoo's posting marks it")
                    self.assertIn(move.partner_id, move.message_partner_ids)

    def test_product_lines_written_once(self):
        """Issue 15: the product lines are created with their amounts, not created empty and rewritten one by one."""
        writes = []
        write = AccountMoveLine.write

        def record_write(lines, vals):
            if "balance" in vals or "amount_currency" in vals:
                writes.extend(lines.filtered(lambda line: line.display_type == "product"))
            return write(lines, vals)

        cases = self._cases()[:6]
        with patch.object(AccountMoveLine, "write", record_write):
            moves = self.env["account.move"].with_user(self.manager)._isp_create_invoices(cases)
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertFalse(writes, "product lines rewritten after their creation")
        self.assertEqual(moves[0].amount_total, 14.76)  # 12.40 and 19 % VAT
        self.assertEqual(moves[0].invoice_date, fields.Date.to_date("2026-03-01"))
