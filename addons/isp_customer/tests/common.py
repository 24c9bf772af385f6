from contextlib import contextmanager

from lxml import etree

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class IspTestMixin:
    """Back-office users and assertions shared by the ISP test cases."""

    @classmethod
    def _create_isp_users(cls):
        cls.clerk = new_test_user(cls.env, login="isp_clerk", groups="base.group_user,isp_customer.group_isp_user")
        cls.manager = new_test_user(
            cls.env, login="isp_manager", groups="base.group_user,isp_customer.group_isp_manager"
        )

    @classmethod
    def _partner(cls, user=None, **values):
        env = cls.env(user=user) if user else cls.env
        values.setdefault("name", "Test Customer")
        return env["res.partner"].create(values)

    @contextmanager
    def assertRefused(self, exception, pattern):
        """Like assertRaisesRegex, inside the savepoint that Odoo's assertRaises rolls back."""
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertRegex(str(catcher.exception), pattern)

    def _view_buttons(self, model, user, view_type="form"):
        """Names of the buttons that ``user``'s ``view_type`` view of ``model`` holds (after ``groups=``)."""
        views = self.env[model].with_user(user).get_views([(False, view_type)])
        return {button.get("name") for button in etree.fromstring(views["views"][view_type]["arch"]).iter("button")}

    @classmethod
    def _end_transaction(cls):
        """Run what a commit runs (tracking): changes after this point are tracked as edits.

        Odoo does not track changes of a record in the transaction that created it.
        """
        cls.env.flush_all()
        cls.env.cr.precommit.run()
        cls.env.invalidate_all()

    def flush_tracking(self):
        """Write the pending tracking values (done at commit time outside tests)."""
        self._end_transaction()

    def assertFieldUnchanged(self, record, fname, expected):
        """The database still holds ``expected``: nothing was saved by a refused operation."""
        record.invalidate_recordset([fname])
        self.assertEqual(record[fname], expected)


class IspCustomerCase(IspTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_isp_users()
        cls.stages = cls.env["isp.prospect.stage"].search([])
        cls.stage_first = cls.env.ref("isp_customer.isp_prospect_stage_to_call")
        cls.stage_won = cls.env.ref("isp_customer.isp_prospect_stage_won")
        cls.sequence = cls.env.ref("isp_customer.seq_isp_customer_number")


class IspAccountCase(IspTestMixin, AccountTestInvoicingCommon):
    """Accounting test case with the ISP back-office users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("isp_customer.group_isp_manager")
        cls._create_isp_users()
        cls.bank_journal = cls.company_data["default_journal_bank"]

    def _invoice(self, partner, amount, post=True, move_type="out_invoice"):
        return self.init_invoice(move_type, partner=partner, amounts=[amount], taxes=[], post=post)

    def _top_up(self, partner, amount, user=None):
        env = self.env(user=user) if user else self.env
        wizard = (
            env["isp.credit.topup"]
            .with_context(default_partner_id=partner.id)
            .create({"amount": amount, "journal_id": self.bank_journal.id})
        )
        action = wizard.action_confirm()
        return self.env["account.payment"].browse(action["res_id"])
