from urllib.parse import urlencode

from stdnum import iban as stdnum_iban

from odoo import fields, http
from odoo.http import request

from odoo.addons.payment import utils as payment_utils
from odoo.addons.portal.controllers.portal import CustomerPortal


class IspMandatePortal(CustomerPortal):
    """Your SEPA mandates: the customer's mandates, and a new one signed online."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "isp_mandate_count" in counters:
            Mandate = request.env["isp.sepa.mandate"]
            values["isp_mandate_count"] = Mandate.search_count([]) if Mandate.has_access("read") else 0
        return values

    @http.route("/my/mandates", type="http", auth="user", website=True)
    def portal_my_isp_mandates(self, **kw):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                # the record rules choose; sudo shows the IBAN (portal users cannot read bank accounts)
                "mandates": request.env["isp.sepa.mandate"].search([], order="signature_date desc, id desc").sudo(),
                "page_name": "isp_mandate",
                "created": kw.get("created"),
            }
        )
        return request.render("isp_payment_gateway.portal_my_isp_mandates", values)

    @http.route("/my/mandates/new", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_new_isp_mandate(self, **post):
        partner = request.env.user.partner_id.commercial_partner_id
        company = request.env.company
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "isp_mandate",
                "holder": post.get("holder") or partner.name,
                "iban": post.get("iban", ""),
                "company": company,
                "errors": [],
            }
        )
        if request.httprequest.method == "POST":
            errors = self._isp_mandate_errors(post, company)
            if not errors:
                mandate = self._isp_create_mandate(partner, company, post)
                return request.redirect(f"/my/mandates?created={mandate.id}")
            values["errors"] = errors
        return request.render("isp_payment_gateway.portal_new_isp_mandate", values)

    def _isp_mandate_errors(self, post, company):
        env = request.env
        errors = []
        if not company.isp_sepa_creditor_id:
            errors.append(env._("Direct debit is not available at the moment."))
        if not (post.get("holder") or "").strip():
            errors.append(env._("Enter the account holder."))
        if not stdnum_iban.is_valid(post.get("iban") or ""):
            errors.append(env._("Enter a valid IBAN."))
        if not post.get("consent"):
            errors.append(env._("Tick the box to authorise the direct debit."))
        return errors

    def _isp_create_mandate(self, partner, company, post):
        """The customer signed online: an active mandate with date and IP; the customer pays by direct debit."""
        env = request.env
        number = stdnum_iban.compact(post["iban"])
        Bank = env["res.partner.bank"].sudo()
        account = Bank.search([("partner_id", "=", partner.id), ("sanitized_acc_number", "=", number)], limit=1)
        if not account:
            account = Bank.create(
                {"partner_id": partner.id, "acc_number": number, "acc_holder_name": post["holder"].strip()}
            )
        mandate = (
            env["isp.sepa.mandate"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "bank_account_id": account.id,
                    "signature_date": fields.Date.context_today(env.user),
                    "scheme": "CORE",
                    "consent_ip": request.httprequest.remote_addr,
                }
            )
        )
        mandate.action_activate()
        mandate.message_post(
            body=env._(
                "Signed online by %(user)s from %(ip)s, account holder %(holder)s.",
                user=env.user.name,
                ip=request.httprequest.remote_addr,
                holder=post["holder"].strip(),
            ),
            subtype_xmlid="mail.mt_note",
        )
        partner.sudo().isp_payment_method = "sepa"
        return mandate

    # ------------------------------------------------------------------
    # Prepaid credit top-up
    # ------------------------------------------------------------------

    @http.route("/my/credit", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_isp_credit_topup(self, **post):
        """Top up the prepaid credit with a free amount through the company's payment providers."""
        env = request.env
        partner = env.user.partner_id.commercial_partner_id
        company = env.company
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "isp_credit",
                # the balance is accounting data: read for the customer's own entity only
                "balance": partner.sudo().isp_credit_balance,
                "minimum": company.isp_topup_minimum,
                "currency": company.currency_id,
                "amount": post.get("amount", ""),
                "errors": [],
            }
        )
        if request.httprequest.method == "POST":
            try:
                amount = round(float((post.get("amount") or "").replace(",", ".")), 2)
            except ValueError:
                amount = 0.0
            if amount < company.isp_topup_minimum or amount <= 0:
                values["errors"].append(
                    env._(
                        "Enter an amount of at least %(minimum)s.",
                        minimum=company.currency_id.format(company.isp_topup_minimum),
                    )
                )
            else:
                currency = company.currency_id
                params = {
                    "reference": f"TOPUP-{partner.isp_customer_number or partner.id}",
                    "amount": amount,
                    "currency_id": currency.id,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "access_token": payment_utils.generate_access_token(partner.id, amount, currency.id),
                }
                return request.redirect(f"/payment/pay?{urlencode(params)}")
        return request.render("isp_payment_gateway.portal_isp_credit_topup", values)
