"""Shared fixture of the e-invoice tests (issue 13): a German provider, its taxes and typical customers.

Use it as the first base of a test case, before an ISP test case, e.g.
``class TestX(EInvoiceMixin, IspSalesCase)`` or ``class TestY(EInvoiceMixin, IspPaymentCase)``.
The test database has Odoo's generic chart of accounts; the German taxes and fiscal positions
are created here.
"""

import unicodedata
from datetime import date
from functools import cache
from pathlib import Path

from freezegun import freeze_time
from lxml import etree

from odoo import Command

from odoo.addons.isp_sales.engine import einvoice_rules

from .common import IspSalesCase

#: namespaces of CII (D16B, as Factur-X and XRechnung use it) and UBL 2.1
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}

LEITWEG_ID = "04011000-12345-03"
#: the CII builders: ZUGFeRD / Factur-X (EN 16931) and XRechnung CII
CII_FACTURX = "account.edi.xml.cii"
CII_XRECHNUNG = "account.edi.xml.cii_isp_xrechnung"
CII_SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"


@cache
def cii_schema():
    """The CII D16B XML schema (test data, tests/data/cii_d16b): element order and types of CII files."""
    return etree.XMLSchema(
        etree.parse(str(Path(__file__).parent / "data" / "cii_d16b" / "CrossIndustryInvoice_100pD16B.xsd"))
    )


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _tree(xml):
    if isinstance(xml, etree._Element):
        return xml
    if isinstance(xml, str):
        xml = xml.encode()
    return etree.fromstring(xml)


def _text(node):
    if isinstance(node, etree._Element):
        return (node.text or "").strip()
    return str(node).strip()


def read_all(xml, xpath):
    """The texts (or attribute values) of every node ``xpath`` finds in ``xml`` (bytes, str or element)."""
    found = _tree(xml).xpath(xpath, namespaces=NAMESPACES)
    if not isinstance(found, list):
        return [str(found)]
    return [_text(node) for node in found]


def read(xml, xpath):
    """The text (or attribute value) of the first node ``xpath`` finds in ``xml``, None when there is none.

    ``read(xml, "//ram:BuyerReference")``, ``read(xml, "//ram:DueDateDateTime/udt:DateTimeString/@format")``,
    ``read(xml, "//cbc:BuyerReference")``: the CII and UBL prefixes are those of ``NAMESPACES``.
    """
    found = read_all(xml, xpath)
    return found[0] if found else None


class EInvoiceMixin:
    """A German provider (seller of every e-invoice), German taxes and customers of every e-invoice kind.

    - ``cls.company``: Netzhafen GmbH, Hamburg, VAT ID, tax number (company registry), phone, e-mail;
      ``cls.company_bank`` its IBAN/BIC account, the ``partner_bank_id`` of its invoices;
    - ``cls.vat_19``, ``cls.vat_7``: German VAT; ``cls.vat_0_eu``: 0 % reverse charge for EU businesses
      (fiscal position ``cls.fpos_eu``); ``cls.vat_0_export``: 0 % not subject to German VAT outside the EU
      (fiscal position ``cls.fpos_export``);
    - articles ``cls.hosting_19`` (19 %) and ``cls.ebook_7`` (7 %);
    - customers ``cls.b2b_de`` (German business, transfer, Factur-X), ``cls.eu_business`` (Austrian business
      with ATU VAT ID, reverse charge), ``cls.export_business`` (Swiss business), ``cls.consumer_de``
      (consumer, PDF only), ``cls.public_sector`` (XRechnung UBL) and ``cls.public_sector_cii`` (XRechnung
      CII), both with the Leitweg-ID ``LEITWEG_ID``.
    """

    country_code = "DE"
    chart_template = "generic_coa"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._isp_setup_einvoice()

    @classmethod
    def _isp_setup_einvoice(cls):
        env = cls.env
        germany = env.ref("base.de")
        cls.company = env.company
        cls.company.write(
            {
                "name": "Netzhafen GmbH",
                "street": "Hafenstraße 12",
                "zip": "20457",
                "city": "Hamburg",
                "country_id": germany.id,
                "vat": "DE123456788",
                "company_registry": "HRB 123456",
                "phone": "+49 40 1234560",
                "email": "rechnung@netzhafen.example",
            }
        )
        cls.company.account_fiscal_country_id = germany
        Bank = env["res.partner.bank"]
        iban = "DE89370400440532013000"
        cls.company_bank = Bank.search(
            [("sanitized_acc_number", "=", iban), ("partner_id", "=", cls.company.partner_id.id)], limit=1
        ) or Bank.create({"acc_number": iban, "partner_id": cls.company.partner_id.id})
        if not cls.company_bank.bank_id:
            cls.company_bank.bank_id = env["res.bank"].create({"name": "Commerzbank", "bic": "COBADEFF"})

        Tax = env["account.tax"]
        tax_group = env["account.tax.group"].create({"name": "USt", "country_id": germany.id})

        def tax(name, amount, description):
            return Tax.create(
                {
                    "name": name,
                    "amount": amount,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "description": description,
                    "tax_group_id": tax_group.id,
                    "country_id": germany.id,
                }
            )

        cls.vat_19 = tax("19% USt", 19.0, "19%")
        cls.vat_7 = tax("7% USt", 7.0, "7%")
        cls.vat_0_eu = tax("0% Reverse charge EU", 0.0, "0% RC")
        cls.vat_0_export = tax("0% Not subject (non-EU)", 0.0, "0% O")
        Position = env["account.fiscal.position"]
        cls.fpos_eu = Position.create(
            {
                "name": "EU business (reverse charge)",
                "tax_ids": [
                    Command.create({"tax_src_id": cls.vat_19.id, "tax_dest_id": cls.vat_0_eu.id}),
                    Command.create({"tax_src_id": cls.vat_7.id, "tax_dest_id": cls.vat_0_eu.id}),
                ],
            }
        )
        cls.fpos_export = Position.create(
            {
                "name": "Outside the EU (not subject)",
                "tax_ids": [
                    Command.create({"tax_src_id": cls.vat_19.id, "tax_dest_id": cls.vat_0_export.id}),
                    Command.create({"tax_src_id": cls.vat_7.id, "tax_dest_id": cls.vat_0_export.id}),
                ],
            }
        )

        Product = env["product.product"]
        cls.hosting_19 = Product.create(
            {
                "name": "Webhosting",
                "type": "service",
                "list_price": 10.0,
                "taxes_id": [Command.set(cls.vat_19.ids)],
                "isp_article_type": "hosting",
                "isp_recurring": True,
            }
        )
        cls.ebook_7 = Product.create(
            {
                "name": "E-book subscription",
                "type": "service",
                "list_price": 5.0,
                "taxes_id": [Command.set(cls.vat_7.ids)],
                "isp_article_type": "contract",
                "isp_recurring": True,
            }
        )

        cls.b2b_de = cls._einvoice_customer(
            "Müller Webdesign GmbH",
            street="Königstraße 1",
            zip="70173",
            city="Stuttgart",
            country_id=germany.id,
            vat="DE811569869",
        )
        cls.eu_business = cls._einvoice_customer(
            "Alpen Media GmbH",
            street="Mariahilfer Straße 10",
            zip="1070",
            city="Wien",
            country_id=env.ref("base.at").id,
            vat="ATU13585627",
            property_account_position_id=cls.fpos_eu.id,
        )
        cls.export_business = cls._einvoice_customer(
            "Berg Software AG",
            street="Bahnhofstrasse 5",
            zip="8001",
            city="Zürich",
            country_id=env.ref("base.ch").id,
            property_account_position_id=cls.fpos_export.id,
        )
        cls.consumer_de = cls._einvoice_customer(
            "Erika Musterfrau",
            is_company=False,
            isp_customer_kind="individual",
            street="Lindenweg 3",
            zip="10115",
            city="Berlin",
            country_id=germany.id,
        )
        cls.public_sector = cls._einvoice_customer(
            "Stadt Musterhausen",
            street="Rathausplatz 1",
            zip="20095",
            city="Hamburg",
            country_id=germany.id,
            isp_einvoice_format="xrechnung_ubl",
            isp_buyer_reference=LEITWEG_ID,
        )
        cls.public_sector_cii = cls._einvoice_customer(
            "Landesamt Beispiel",
            street="Amtsweg 7",
            zip="20097",
            city="Hamburg",
            country_id=germany.id,
            isp_einvoice_format="xrechnung_cii",
            isp_buyer_reference=LEITWEG_ID,
        )

    @classmethod
    def _einvoice_customer(cls, name, **values):
        values.setdefault("is_company", True)
        return cls.env["res.partner"].create(
            {
                "name": name,
                "isp_lifecycle": "customer",
                "email": f"{_ascii(name.split()[0].lower())}@example.com",
                "lang": "en_US",
                **values,
            }
        )

    def _einvoice_service(self, customer, product, identifier, price, start=date(2027, 1, 1), **values):
        """An active service of ``customer`` from ``start`` (1 January 2027 by default)."""
        return self.env["isp.service"].create(
            {
                "partner_id": customer.id,
                "product_id": product.id,
                "name": identifier,
                "date_start": start,
                "price_unit": price,
                "state": "active",
                **values,
            }
        )

    def _einvoice_run(self, customer, services=(), day=date(2027, 1, 1), user=None):
        """Run the invoice run on ``day`` and return the posted invoices of ``customer``.

        ``services``: ``(product, identifier, price)`` tuples created as active services first.
        """
        for product, identifier, price in services:
            self._einvoice_service(customer, product, identifier, price)
        env = self.env(user=user) if user else self.env
        with freeze_time(day):
            run = env["isp.billing.run"].create({"date": day})
            run.action_confirm()
        invoices = run.invoice_ids.filtered(lambda move: move.commercial_partner_id == customer)
        self.assertTrue(invoices, f"the run invoices {customer.name}")
        self.assertEqual(set(invoices.mapped("state")), {"posted"})
        return invoices.sorted("id")

    def _assert_einvoice_valid(self, xml, syntax, xrechnung=False):
        """No fatal finding of the EN 16931 rules (and KoSIT's XRechnung rules); returns all findings."""
        findings = einvoice_rules.validate(xml, syntax, xrechnung=xrechnung)
        fatal = einvoice_rules.fatal(findings)
        self.assertFalse(fatal, einvoice_rules.format_findings(fatal))
        return findings

    def _cii(self, invoice, builder=CII_FACTURX):
        """The CII file of ``invoice`` as the sending path builds it, checked: no builder error, valid against the
        CII D16B schema (element order), no fatal finding of the rules."""
        xml, errors = self.env[builder]._export_invoice(invoice)
        self.assertFalse(errors, "the builder's own checks pass")
        schema = cii_schema()
        self.assertTrue(schema.validate(_tree(xml)), f"CII D16B schema: {schema.error_log}")
        self._assert_einvoice_valid(xml, "cii", xrechnung=builder == CII_XRECHNUNG)
        return xml

    def _cii_tax_breakdown(self, xml):
        """(category, rate or None, basis, tax, exemption reason code) per VAT breakdown (BG-23) of a CII file."""
        tags = ("CategoryCode", "RateApplicablePercent", "BasisAmount", "CalculatedAmount", "ExemptionReasonCode")
        return [
            tuple(read(node, f"ram:{tag}") for tag in tags)
            for node in _tree(xml).xpath(f"{CII_SETTLEMENT}/ram:ApplicableTradeTax", namespaces=NAMESPACES)
        ]


class IspEInvoiceCase(EInvoiceMixin, IspSalesCase):
    """ISP sales test case with the e-invoice fixture."""
