from collections import defaultdict

from odoo import Command
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..engine import billing


class InvoiceBuilder:
    """Turns the planner's segments into invoice values, caching accounts, taxes and labels."""

    def __init__(self, run, journal):
        self.run = run
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
                plans.append(
                    self._plan_invoice(
                        partner, invoice_partner, invoice, currency, segments, by_key, fiscal_position, lang
                    )
                )
        return plans

    def _plan_invoice(self, partner, invoice_partner, invoice, currency, segments, by_key, fiscal_position, lang):
        env = self.env(context=dict(self.env.context, lang=lang))
        discount = partner.isp_discount or 0.0
        lines, preview = [], []
        amount = 0.0
        skipped = 0
        for segment in segments:
            service = by_key[segment.key]
            full_price, source = self.full_price(service, partner, segment.period_start)
            price = currency.round(full_price * segment.factor) if segment.factor != 1 else full_price
            days = (segment.end - segment.start).days + 1
            period_days = (segment.period_end - segment.period_start).days + 1
            period_text = f"{self.date_label(segment.start, lang)} - {self.date_label(segment.end, lang)}"
            if segment.factor != 1:
                period_text += " " + env._("(%(days)s of %(period_days)s days)", days=days, period_days=period_days)
            name = f"{service.product_id.with_context(lang=lang).display_name}: {service.name}\n{period_text}"
            subtotal = currency.round(service.quantity * price * (1 - discount / 100.0))
            preview.append(
                {
                    "partner_id": partner.id,
                    "group": f"{partner.id}-{invoice.group}-{currency.id}",
                    "invoice_date": invoice.invoice_date,
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
                skipped += 1
                continue
            amount += subtotal
            account, taxes = self.product(service.product_id, fiscal_position)
            if not account:
                raise UserError(
                    env._("Article %(product)s has no income account.", product=service.product_id.display_name)
                )
            lines.append(
                Command.create(
                    {
                        "display_type": "product",
                        "product_id": service.product_id.id,
                        "product_uom_id": service.product_id.uom_id.id,
                        "name": name,
                        "quantity": service.quantity,
                        "price_unit": price,
                        "discount": discount,
                        "account_id": account.id,
                        "tax_ids": [Command.set(taxes.ids)],
                        "isp_service_id": service.id,
                        "isp_period_start": segment.start,
                        "isp_period_end": segment.end,
                        "isp_proration": segment.factor,
                        "isp_full_price": full_price,
                        "isp_price_source": source,
                        **({} if self.analytic_models else {"analytic_distribution": False}),
                    }
                )
            )
        delivery = partner.isp_invoice_delivery
        vals = None
        if lines:
            vals = {
                "move_type": "out_invoice",
                "partner_id": invoice_partner.id,
                "journal_id": self.journal.id,
                "company_id": self.company.id,
                "currency_id": currency.id,
                "invoice_date": invoice.invoice_date,
                "fiscal_position_id": fiscal_position.id,
                "invoice_origin": self.run.name,
                **({"invoice_user_id": partner.user_id.id} if partner.user_id else {}),
                "isp_billing_run_id": self.run.id,
                "isp_email_state": "queued" if delivery in ("email", "email_post") else False,
                "isp_print_state": "to_print" if delivery in ("post", "email_post") else False,
                "isp_notice_state": "queued" if invoice.invoice_date > self.run.date else False,
                "invoice_line_ids": lines,
            }
        next_dates = billing.next_dates([invoice._replace(segments=segments)])
        amount_company = currency._convert(amount, self.company.currency_id, self.company, invoice.invoice_date)
        return {
            "partner": partner,
            "vals": vals,
            "next_dates": next_dates,
            "preview": preview,
            "line_count": len(lines),
            "skipped_count": skipped,
            "amount_company": amount_company,
        }
