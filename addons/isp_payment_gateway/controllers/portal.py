from urllib.parse import urlencode

from stdnum import iban as stdnum_iban

from odoo import fields, http
from odoo.exceptions import ValidationError
from odoo.http import request

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers.portal import PaymentPortal
from odoo.addons.portal.controllers.portal import CustomerPortal

from ..engine.amounts import AmountError, parse_amount


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


class IspCreditPortal(PaymentPortal):
    """Prepaid credit: the customer tops it up with an amount of their choice through the company's
    payment providers. Only this flow makes top-up transactions (``payment.transaction.isp_topup``),
    and only for amounts that the form accepts: the amount is checked again when the transaction is
    created, whatever the browser sends."""

    @http.route("/my/credit", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_isp_credit_topup(self, **post):
        """The top-up form; a valid amount leads to Odoo's payment form, whose transactions are top-ups."""
        env = request.env
        partner = env.user.partner_id
        company = env.company
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "isp_credit",
                # the balance is accounting data: read for the customer's own entity only
                "balance": partner.commercial_partner_id.sudo().isp_credit_balance,
                "minimum": company.isp_topup_minimum,
                "currency": company.currency_id,
                "amount": post.get("amount", ""),
                "errors": [],
            }
        )
        if request.httprequest.method == "POST":
            amount, error = self._isp_topup_amount(post.get("amount"), company)
            if error:
                values["errors"].append(error)
            else:
                currency = company.currency_id
                params = {
                    "amount": amount,
                    "currency_id": currency.id,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "access_token": payment_utils.generate_access_token(partner.id, amount, currency.id),
                    "isp_topup": 1,
                }
                return request.redirect(f"/payment/pay?{urlencode(params)}")
        return request.render("isp_payment_gateway.portal_isp_credit_topup", values)

    def _isp_topup_amount(self, text, company):
        """``(amount, None)`` for a top-up amount the company accepts, else ``(None, the form's error)``."""
        env = request.env
        currency = company.currency_id
        try:
            amount = float(parse_amount(text, currency.decimal_places))
        except AmountError as error:
            if error.reason == "decimals":
                return None, env._(
                    "Enter the amount with at most %(places)s decimal places.", places=currency.decimal_places
                )
            return None, env._("Enter the amount in figures, for example %(example)s.", example="25.50")
        if amount <= 0 or currency.compare_amounts(amount, company.isp_topup_minimum) < 0:
            return None, env._(
                "Enter an amount of at least %(minimum)s.", minimum=currency.format(company.isp_topup_minimum)
            )
        return amount, None

    def _get_extra_payment_form_values(self, **kwargs):
        """The payment form reached from the top-up form creates its transactions as top-ups."""
        form_values = super()._get_extra_payment_form_values(**kwargs)
        if kwargs.get("isp_topup"):
            form_values["transaction_route"] = "/my/credit/transaction"
        return form_values

    @http.route("/my/credit/transaction", type="json", auth="user")
    def portal_isp_credit_transaction(self, amount, access_token, **kwargs):
        """Create the top-up transaction for the logged-in customer and return its processing values."""
        env = request.env
        partner = env.user.partner_id
        company = env.company
        currency = company.currency_id
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise ValidationError(env._("Enter the amount in figures, for example %(example)s.", example="25.50"))
        amount = float(amount)  # as the access token was made; the browser may send 25 for 25.0
        if not payment_utils.check_access_token(access_token, partner.id, amount, currency.id):
            raise ValidationError(env._("The access token is invalid."))
        amount, error = self._isp_topup_amount(repr(amount), company)
        if error:
            raise ValidationError(error)
        self._validate_transaction_kwargs(kwargs)
        commercial = partner.commercial_partner_id
        tx_sudo = self._create_transaction(
            amount=amount,
            currency_id=currency.id,
            partner_id=partner.id,
            reference_prefix=f"TOPUP-{commercial.isp_customer_number or commercial.id}",
            custom_create_values={"isp_topup": True},
            **kwargs,
        )
        self._update_landing_route(tx_sudo, access_token)
        return tx_sudo._get_processing_values()
