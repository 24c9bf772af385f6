from freezegun import freeze_time

from odoo import Command, fields

from odoo.addons.isp_sales.tests.common import IspSalesCase


class IspDunningCase(IspSalesCase):
    """The German standard profile as the company default, a business and a consumer customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile = cls.env.ref("isp_dunning.profile_german_standard")
        cls.env.company.isp_dunning_profile_id = cls.profile
        ref = cls.env.ref
        cls.reminder = ref("isp_dunning.level_de_reminder")
        cls.dunning_1 = ref("isp_dunning.level_de_dunning_1")
        cls.dunning_2 = ref("isp_dunning.level_de_dunning_2")
        cls.final = ref("isp_dunning.level_de_final")
        cls.suspension = ref("isp_dunning.level_de_suspension")
        cls.court = ref("isp_dunning.level_de_court")
        cls.business = cls.env["res.partner"].create(
            {
                "name": "Müller & Söhne GmbH",
                "is_company": True,
                "isp_customer_kind": "company",
                "isp_lifecycle": "customer",
                "email": "buchhaltung@mueller.example",
            }
        )
        cls.consumer = cls.env["res.partner"].create(
            {
                "name": "Erika Mustermann",
                "isp_customer_kind": "individual",
                "isp_lifecycle": "customer",
                "email": "erika@example.com",
            }
        )

    def _due_invoice(self, partner, amount, due, invoice_date=None):
        """A posted invoice without taxes, due on ``due``."""
        due = fields.Date.to_date(due)
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date or due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Hosting", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _pay(self, move, amount, day):
        """Register a payment of ``amount`` on ``day``."""
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"amount": amount, "payment_date": day, "journal_id": self.bank_journal.id})
            ._create_payments()
        )

    def _run(self, day, preview=False):
        """A manual dunning run on ``day``, confirmed unless ``preview``."""
        with freeze_time(day):
            run = self.env["isp.dunning.run"].create({})
            if preview:
                run.action_preview()
            else:
                run.action_confirm()
        return run
