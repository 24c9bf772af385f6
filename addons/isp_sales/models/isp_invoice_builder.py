from collections import defaultdict, namedtuple

from odoo import Command
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..engine import billing


class InvoicePlan:
    """One invoice the invoice run plans for a customer; once executed, ``move`` is the invoice it
    created.

    The run's hooks read and fill it: ``_isp_prepare_invoice_line_vals`` adds to ``lines``,
    ``_isp_prepare_invoice_vals`` makes ``vals`` from them. An addon may keep its own data on a plan
    as attributes (prefixed with its name) and find them again in ``_isp_invoices_created``.
    """

    def __init__(self, batch, partner, invoice_partner, invoice, currency, fiscal_position, lang):
        #: the PlanBatch the plan belongs to
        self.batch = batch
        #: the customer (commercial entity) and the address the invoice goes to
        self.partner = partner
        self.invoice_partner = invoice_partner
        #: the engine's planned invoice (group, cycle start, invoice date, segments)
        self.invoice = invoice
        self.invoice_date = invoice.invoice_date
        self.currency = currency
        self.fiscal_position = fiscal_position
        self.lang = lang
        #: Command.create(...) of the invoice lines
        self.lines = []
        #: preview rows, one per segment (billed or passed over)
        self.preview = []
        #: {service id: next invoice date} once the invoice exists
        self.next_dates = {}
        self.skipped_count = 0
        self.amount_company = 0.0
        #: the invoice values (None when every period was passed over)
        self.vals = None
        #: the invoice created from ``vals``
        self.move = None

    @property
    def line_count(self):
        return len(self.lines)


class PlanBatch:
    """The customers planned together (a chunk, a preview) and what hooks look up for all of them
    at once: ``cache`` holds such lookups, keyed by the addon that made them."""

    def __init__(self, run, partners, journal):
        self.run = run
        self.partners = partners
        #: the sales journal of the run's invoices
        self.journal = journal
        self.cache = {}


class InvoiceBuilder:
    """Turns the planner's segments into invoice plans, caching accounts, taxes and labels."""

    def __init__(self, run, journal, partners):
        self.run = run
        self.batch = PlanBatch(run, partners, journal)
        self.env = run.env
        self.company = run.company_id
        self.journal = journal
        # fiscal positions, accounts and taxes: the charge-line rule of account.move, cached for the run
        self.accounting = {}
        self.prices = {}
        self.dates = {}
        # without analytic distribution models there is nothing to look up per line
        self.analytic_models = bool(
            self.env["account.analytic.distribution.model"].search_count(
                [("company_id", "in", (False, self.company.id))], limit=1
            )
        )

    def fiscal_position(self, partner):
        return self.env["account.move"]._isp_fiscal_position(partner, self.company, self.accounting)

    def product(self, product, fiscal_position):
        return self.env["account.move"]._isp_product_accounting(product, fiscal_position, self.company, self.accounting)

    def full_price(self, service, partner, day):
        """(price per period, price source) of the service."""
        if service.price_source != "pricelist":
            return service.price_unit, service.price_source
        pricelist = partner.property_product_pricelist
        key = (pricelist.id, service.product_id.id, service.quantity, day)
        if key not in self.prices:
            # without pricelists (the feature is off) the article's sales price applies
            self.prices[key] = (
                pricelist._get_product_price(service.product_id, service.quantity, date=day)
                if pricelist
                else service.product_id.lst_price
            )
        return self.prices[key], "pricelist"

    def date_label(self, day, lang):
        key = (day, lang)
        if key not in self.dates:
            self.dates[key] = format_date(self.env, day, lang_code=lang)
        return self.dates[key]

    def plan_partner(self, partner, services):
        run = self.run
        if not partner.property_account_receivable_id:
            raise UserError(run.env._("%(partner)s has no receivable account.", partner=partner.display_name))
        by_key = {service.id: service for service in services}
        inputs = [
            billing.ServiceInput(
                key=service.id,
                next_date=service.next_invoice_date,
                end=service.date_end or None,
                period=service.billing_period,
                skip=service.state == "suspended" and not run.bill_suspended,
            )
            for service in services
        ]
        planned = billing.plan_customer(
            inputs,
            run.date,
            advance_days=run.days_in_advance,
            billing_day=partner.isp_billing_day or 1,
            cycle=partner.isp_billing_interval or "monthly",
            per_service=partner.isp_invoice_consolidation == "per_order",
        )
        fiscal_position = self.fiscal_position(partner)
        invoice_partner = partner.child_ids.filtered(lambda child: child.type == "invoice")[:1] or partner
        lang = partner.lang or self.env.lang or "en_US"
        plans = []
        for invoice in planned:
            by_currency = defaultdict(list)
            for segment in invoice.segments:
                by_currency[by_key[segment.key].currency_id].append(segment)
            for currency, segments in by_currency.items():
                plan = InvoicePlan(
                    self.batch,
                    partner,
                    invoice_partner,
                    invoice._replace(segments=segments),
                    currency,
                    fiscal_position,
                    lang,
                )
                self._plan_invoice(plan, by_key)
                plans.append(plan)
        return plans

    def _plan_invoice(self, plan, by_key):
        run = self.run
        env = self.env(context=dict(self.env.context, lang=plan.lang))
        partner, currency, lang = plan.partner, plan.currency, plan.lang
        discount = partner.isp_discount or 0.0
        amount = 0.0
        for segment in plan.invoice.segments:
            service = by_key[segment.key]
            full_price, source = self.full_price(service, partner, segment.period_start)
            price = billing.prorated_price(full_price, segment.factor, currency.rounding)
            days = (segment.end - segment.start).days + 1
            period_days = (segment.period_end - segment.period_start).days + 1
            period_text = f"{self.date_label(segment.start, lang)} - {self.date_label(segment.end, lang)}"
            if segment.factor != 1:
                period_text += " " + env._("(%(days)s of %(period_days)s days)", days=days, period_days=period_days)
            name = f"{service.product_id.with_context(lang=lang).display_name}: {service.name}\n{period_text}"
            subtotal = billing.line_subtotal(service.quantity, price, discount, currency.rounding)
            plan.preview.append(
                {
                    "partner_id": partner.id,
                    "group": f"{partner.id}-{plan.invoice.group}-{currency.id}",
                    "invoice_date": plan.invoice_date,
                    "service_id": service.id,
                    "name": name,
                    "period_start": segment.start,
                    "period_end": segment.end,
                    "proration": segment.factor,
                    "quantity": service.quantity,
                    "price_unit": price,
                    "discount": discount,
                    "price_subtotal": 0.0 if segment.skipped else subtotal,
                    "price_source": source,
                    "skipped": segment.skipped,
                    "currency_id": currency.id,
                }
            )
            if segment.skipped:
                plan.skipped_count += 1
                continue
            amount += subtotal
            account, taxes = self.product(service.product_id, plan.fiscal_position)
            if not account:
                raise UserError(
                    env._("Article %(product)s has no income account.", product=service.product_id.display_name)
                )
            price_info = LinePrice(name, price, full_price, source, discount, account, taxes)
            vals = run._isp_prepare_invoice_line_vals(plan, service, segment, price_info)
            if not self.analytic_models:
                vals.setdefault("analytic_distribution", False)
            plan.lines.append(Command.create(vals))
        if plan.lines:
            plan.vals = run._isp_prepare_invoice_vals(plan)
        plan.next_dates = billing.next_dates([plan.invoice])
        plan.amount_company = currency._convert(amount, self.company.currency_id, self.company, plan.invoice_date)


#: What the run worked out for one invoice line: its label, the unit price (prorated), the price of
#: a whole period and where it comes from, the customer's discount, income account and taxes.
LinePrice = namedtuple("LinePrice", "name price_unit full_price price_source discount account taxes")
