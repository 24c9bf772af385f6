from freezegun import freeze_time

from odoo.addons.isp_dunning.tests.common import IspDunningCase


class IspPaymentCase(IspDunningCase):
    """A German company (EUR) collecting by SEPA direct debit and customers with bank accounts."""

    country_code = "DE"
    chart_template = "generic_coa"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collection_journal = cls.company_data["default_journal_bank"]
        cls.collection_journal.bank_account_id = cls.env["res.partner.bank"].create(
            {
                "acc_number": "DE89370400440532013000",
                "partner_id": cls.env.company.partner_id.id,
                "bank_id": cls.env["res.bank"].create({"name": "Commerzbank", "bic": "COBADEFF"}).id,
            }
        )
        cls.env.company.write(
            {"isp_sepa_creditor_id": "DE98ZZZ09999999999", "isp_sepa_journal_id": cls.collection_journal.id}
        )
        cls.business_account = cls.env["res.partner.bank"].create(
            {"acc_number": "DE02120300000000202051", "partner_id": cls.business.id}
        )
        cls.consumer_account = cls.env["res.partner.bank"].create(
            {"acc_number": "DE02500105170137075030", "partner_id": cls.consumer.id}
        )

    def _mandate(self, partner=None, account=None, **values):
        mandate = self.env["isp.sepa.mandate"].create(
            {
                "partner_id": (partner or self.business).id,
                "bank_account_id": (account or self.business_account).id,
                "signature_date": "2025-01-15",
                **values,
            }
        )
        return mandate

    def _sepa_customer(self, partner, account, **mandate_values):
        partner.isp_payment_method = "sepa"
        mandate = self._mandate(partner=partner, account=account, **mandate_values)
        mandate.action_activate()
        return mandate

    def _batch(self, day, preview_only=False):
        with freeze_time(day):
            batch = self.env["isp.debit.batch"].create({})
            batch.action_preview()
            if not preview_only and batch.line_ids:
                batch.action_generate()
        return batch


class IspDebitCase(IspPaymentCase):
    """The business customer (with a postal address) pays by direct debit under an active mandate."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.business.write(
            {"street": "Hauptstraße 5", "zip": "80331", "city": "München", "country_id": cls.env.ref("base.de").id}
        )
        cls.business.isp_payment_method = "sepa"
        cls.business_mandate = cls.env["isp.sepa.mandate"].create(
            {"partner_id": cls.business.id, "bank_account_id": cls.business_account.id, "signature_date": "2025-01-15"}
        )
        cls.business_mandate.action_activate()

    def _invoice_on(self, partner, amount, day):
        return self._due_invoice(partner, amount, day, invoice_date=day)
