"""Demo data only: three months of history made by the product itself.

Called once by ``demo/isp_demo_history.xml`` when the demo data is loaded; never in a
database without demo data. It moves the clock (freezegun) to each event day of the three
months before today and calls there what the scheduled actions, staff and customers call:
invoice runs, the delivery of invoices, payments, direct debit runs, a returned debit,
dunning runs and their letters, a termination, a renewal, a reseller's order, new services.
It writes no accounting record by hand.
"""

import heapq
import logging
import time
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models, tools

_logger = logging.getLogger(__name__)

#: the demo customers, by the end of their demo record's xml id (isp_customer.res_partner_isp_<key>_demo)
PROMPT_PAYERS = ("schmidt_hosting", "keller_former", "swiss_data", "bergmann_praxis")
#: pay on the 5th as the prompt payers, but not this month's invoices (open at the first levels today)
LATE_PAYERS = ("van_dijk",)
#: the customer who pays online once his services are suspended (and gets them back)
ONLINE_PAYER = "lukas_hoffmann"
#: hour of day (UTC) of every event: the same date in Europe
EVENT_HOUR = 9
#: the most batches one scheduled action works through in one event (it reports what remains)
MAX_BATCHES = 20


class IspDemoHistory(models.AbstractModel):
    """Demo data only: see the module docstring. Nothing in the product calls it."""

    _name = "isp.demo.history"
    _description = "ISP Demo History (demo data only)"

    @api.model
    def _isp_generate(self):
        """Make the history of the last three months; log its duration."""
        # freezegun is a test dependency of Odoo: imported here, where only demo loading gets
        from freezegun import freeze_time  # noqa: PLC0415 pylint: disable=import-outside-toplevel

        started = time.monotonic()
        self = self.sudo().with_company(self.env.ref("base.main_company"))  # noqa: PLW0642
        today = fields.Date.context_today(self)
        start = today + relativedelta(months=-3, day=1)
        story = _Story(self.env, start, today)
        with freeze_time(_moment(start)) as clock:
            while story.events:
                day, _order, handler, args = heapq.heappop(story.events)
                clock.move_to(_moment(day))
                handler(day, *args)
        if not story.documents:
            # at the server's first start, not at the history's dates (triggers that old are cleaned away)
            self.env.ref("isp_sales.ir_cron_isp_deliver_invoices")._trigger()
            self.env.ref("isp_dunning.ir_cron_isp_send_dunning_letters")._trigger()
        self.env.flush_all()
        _logger.info(
            "Demo history from %s to %s made in %.1f s: %s",
            start,
            today,
            time.monotonic() - started,
            ", ".join(f"{count} {name}" for name, count in story.summary().items()),
        )
        return True


def _moment(day):
    return datetime.combine(day, datetime.min.time()).replace(hour=EVENT_HOUR)


class _Story:
    """The events of the history, a day each, in date order."""

    def __init__(self, env, start, today):
        self.env = env
        self.start = start
        self.today = today
        self.events = []
        self.counter = 0
        self.company = env.company
        self.manager = env.ref("isp_customer.res_users_isp_manager_demo")
        self.clerk = env.ref("isp_customer.res_users_isp_clerk_demo")
        self.online_paid = False
        # PDFs (invoices, letters) need the report styles from a running server, which a database
        # being created has not: there the server's delivery crons make and send them on its first
        # start (the runs have triggered them); with --test-enable Odoo renders reports as HTML
        self.documents = bool(tools.config["test_enable"] or tools.config["test_file"])
        self.bank = env["account.journal"].search(
            [*env["account.journal"]._check_company_domain(self.company), ("type", "=", "bank")], limit=1
        )
        self.counts = {}
        months = [start + relativedelta(months=index) for index in range(4)]
        self.months = [month for month in months if month <= today]
        self.add(start - timedelta(days=2), self.top_up_credit)
        for month in months:
            self.add(month, self.invoice_run)
            self.add(month + timedelta(days=4), self.pay_by_transfer)
            self.add(month + timedelta(days=14), self.debit_run)
        day = start + timedelta(days=7)
        while day <= today:
            self.add(day, self.dunning_run)
            day += timedelta(days=7)
        second = months[1]
        self.add(
            second + timedelta(days=4),
            self.new_service,
            "van_dijk",
            "isp_sales.product_isp_database_mysql_demo",
            "vandijk_shop",
            None,
        )
        self.add(second + timedelta(days=8), self.reseller_order)
        self.add(second + timedelta(days=10), self.terminate, "isp_sales.isp_service_19_demo")
        self.add(second + timedelta(days=14), self.renew, "isp_sales.isp_service_11_demo")
        self.add(second + timedelta(days=19), self.return_debit, "anna_becker")
        third = months[2]
        self.add(
            third + timedelta(days=6),
            self.new_service,
            "schmidt_hosting",
            "isp_sales.product_isp_server_ds4_demo",
            "ds4-02.schmidt-hosting.de",
            79.0,
        )

    # ------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------

    def add(self, day, handler, *args):
        """Plan ``handler(day, *args)``; days after today do not happen."""
        if day <= self.today:
            self.counter += 1
            heapq.heappush(self.events, (day, self.counter, handler, args))

    def count(self, name, number=1):
        self.counts[name] = self.counts.get(name, 0) + number

    def summary(self):
        return self.counts

    def partner(self, key):
        return self.env.ref(f"isp_customer.res_partner_isp_{key}_demo")

    def open_invoices(self, partners, until=None):
        domain = [
            ("commercial_partner_id", "in", partners.ids),
            ("company_id", "=", self.company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        if until:
            domain.append(("invoice_date", "<=", until))
        return self.env["account.move"].search(domain, order="invoice_date, id")

    # ------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------

    def invoice_run(self, day):
        """The month's invoice run, previewed and confirmed by the manager; then the day's other
        scheduled actions: services past their end date, delivery of the invoices."""
        run = self.env["isp.billing.run"].with_user(self.manager).create({"date": day})
        run.action_preview()
        run.action_confirm()
        self.count("invoice runs")
        self.count("run invoices", run.invoice_count)
        self.env["isp.service"]._cron_terminate_ended()
        self.deliver()

    def deliver(self):
        """The delivery cron's batches, sent here as long as there are invoices to send."""
        if not self.documents:
            return
        moves = self.env["account.move"]
        for _batch in range(MAX_BATCHES):
            if not (moves._isp_due_deliveries("email") or moves._isp_due_deliveries("notice")):
                break
            moves._isp_deliver_due_batch()

    def send_letters(self):
        """The letters' cron, called again as long as it has letters to send."""
        if not self.documents:
            return
        letters = self.env["isp.dunning.letter"]
        for _batch in range(MAX_BATCHES):
            if not letters.search_count([("email_state", "=", "queued")], limit=1):
                break
            letters._cron_isp_send_letters()

    def dunning_run(self, day):
        """The dunning run's scheduled action of the day, then the letters' one."""
        runs = self.env["isp.dunning.run"]
        for _batch in range(MAX_BATCHES):
            runs._cron_isp_dunning_run()
            if not runs.search_count([("state", "=", "running")], limit=1):
                break
        self.count("dunning runs")
        self.send_letters()
        # the customer who ignored the letters pays online once his line is cut off
        online = self.partner(ONLINE_PAYER)
        suspended = self.env["isp.service"].search_count(
            [("partner_id", "=", online.id), ("state", "=", "suspended")], limit=1
        )
        if suspended and not self.online_paid:
            self.online_paid = True
            self.add(day + timedelta(days=4), self.pay_online, ONLINE_PAYER)

    def debit_run(self, day):
        """Batches sent before are collected; the debit run's scheduled action makes the month's
        batch with its pain.008 file, and the manager submits it to the bank."""
        batches = self.env["isp.debit.batch"]
        batches.search([("state", "=", "sent"), ("collection_date", "<", day)]).with_user(
            self.manager
        ).action_mark_debited()
        batches._cron_isp_debit_run()
        generated = batches.search([("state", "=", "generated")])
        generated.with_user(self.manager).action_mark_sent()
        self.count("debit batches", len(generated))

    # ------------------------------------------------------------------
    # Customers
    # ------------------------------------------------------------------

    def top_up_credit(self, day):
        """Credited clients top up their prepaid credit (the clerk books their transfers)."""
        for key, amount in (("klaus_wagner", 150.0), ("alpenblick_hotel", 480.0), ("tanja_vogel", 50.0)):
            self.env["isp.credit.topup"].create(
                {"partner_id": self.partner(key).id, "amount": amount, "date": day, "journal_id": self.bank.id}
            ).action_confirm()
            self.count("credit top-ups")

    def pay_by_transfer(self, day):
        """Customers who pay by transfer pay their open invoices (the late payers not this month's)."""
        partners = self.env["res.partner"].browse([self.partner(key).id for key in PROMPT_PAYERS])
        invoices = self.open_invoices(partners, until=day)
        late = self.env["res.partner"].browse([self.partner(key).id for key in LATE_PAYERS])
        invoices |= self.open_invoices(late, until=min(day, self.months[-1] - timedelta(days=1)))
        self.register_payments(invoices, day)

    def register_payments(self, invoices, day):
        """The clerk registers the bank transfers that arrived: one payment per customer, reconciled."""
        if not invoices:
            return
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoices.ids).create(
            {"payment_date": day, "group_payment": True}
        )._create_payments()
        self.count("transfers", len(invoices.commercial_partner_id))

    def pay_online(self, day, key):
        """The customer pays all that is open online. Without a payment provider in the demo the
        payment takes the post-processing path of the portal's online payment on account: a customer
        payment applied to the open invoices oldest first (``account.payment._isp_apply_to_open_invoices``)."""
        partner = self.partner(key)
        invoices = self.open_invoices(partner)
        amount = sum(invoices.mapped("amount_residual"))
        if not amount:
            return
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "currency_id": self.company.currency_id.id,
                "journal_id": self.bank.id,
                "date": day,
                "memo": self.env._("Online payment %(customer)s", customer=partner.isp_customer_number or partner.name),
            }
        )
        payment.action_post()
        payment._isp_apply_to_open_invoices()
        self.count("online payments")

    def reseller_order(self, day):
        """The reseller orders a domain for one of his customers in the portal: executed at once,
        invoiced when his period is closed by the next invoice run."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner("weber_reseller").id,
                "isp_origin": "portal",
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.env.ref("isp_sales.product_isp_domain_de_demo").id,
                            "product_uom_qty": 1,
                            "isp_identifiers": "kunde3-weber.de",
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        self.count("reseller orders")

    def return_debit(self, day, key):
        """The customer's bank returns the month's debit (insufficient funds): the manager books it."""
        line = self.env["isp.debit.batch.line"].search(
            [("partner_id", "=", self.partner(key).id), ("state", "in", ("open", "debited"))],
            order="id desc",
            limit=1,
        )
        if not line:
            return
        wizard = (
            self.env["isp.debit.return.manual"]
            .with_user(self.manager)
            .create({"line_id": line.id, "reason_code": "AM04", "date": day, "bank_charge": 3.0})
        )
        wizard.action_return()
        self.count("returned debits")

    # ------------------------------------------------------------------
    # Staff
    # ------------------------------------------------------------------

    def new_service(self, day, key, product_xmlid, name, price):
        """The clerk enters a service the customer ordered by phone and activates it."""
        vals = {
            "name": name,
            "partner_id": self.partner(key).id,
            "product_id": self.env.ref(product_xmlid).id,
            "date_start": day,
        }
        if price is not None:
            vals["price_unit"] = price
        service = self.env["isp.service"].with_user(self.clerk).create(vals)
        service.action_activate()
        self.count("new services")

    def terminate(self, day, service_xmlid):
        """The customer cancels: the clerk terminates the service at the end of its billing period."""
        service = self.env.ref(service_xmlid)
        self.env["isp.service.terminate"].with_user(self.clerk).create(
            {
                "service_ids": [Command.set(service.ids)],
                "mode": "end_of_period",
                "reason": self.env._("The customer moved to another provider."),
            }
        ).action_confirm()
        self.count("terminations")

    def renew(self, day, service_xmlid):
        """The clerk renews a service whose term ends: the renewal order is processed as staff orders are."""
        service = self.env.ref(service_xmlid)
        action = service.with_user(self.clerk).action_isp_renew()
        order = self.env["sale.order"].browse(action["res_id"]).with_user(self.clerk)
        # the customer's own sales team (the clerk's default team would be taken otherwise)
        order.team_id = service.partner_id.team_id
        order.action_isp_process()
        self.count("renewals")
