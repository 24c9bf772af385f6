from collections import Counter
from datetime import date

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.isp_queue_job.models.isp_run_mixin import ISP_CHANNEL

from .common import RunJobsCase

# The runs of these tests see only their own customers: the invoice run bills services that start
# on BILLING_DATE (later than the open items the dunning runs below look at, long before the demo
# data's), the dunning run duns items due on DUNNING_DUE_DATE (before anything else of the test
# database falls due). What the tests committed is deleted at the end.
BILLING_DATE = date(2019, 9, 1)
DUNNING_DUE_DATE = date(2019, 4, 1)
DUNNING_DATE = date(2019, 4, 15)
PRICE = 10.0
FEE = 5.0


class RunJobsTests:
    """The job scenarios every run passes: two workers, a worker killed in a chunk, a broken customer
    (Odoo's test loader takes the test methods of a class itself: each run's class calls them)."""

    def _chunks(self, env, run_id):
        return env[self.run_model].browse(run_id)._isp_chunks()

    def _two_workers_process_every_chunk_once(self):
        """Two job workers run one run's jobs, each chunk's job twice (a job requeued by hand: its
        identity key does not stop a job that started): every customer's work is done once, the broken
        customer's error is on the run, the counters are right."""
        with self._transaction() as env:
            customer_ids = self._create_customers(env, 6, broken=1)
        run_id = self._confirm_run()
        with self._transaction() as env:
            chunks = self._chunks(env, run_id)
            self.assertEqual(chunks.mapped("state"), ["queued"] * 3)
            jobs = self._jobs(env)
            self.assertEqual(sorted(jobs.mapped("state")), ["pending"] * 3 + ["wait_dependencies"])
            self.assertEqual(set(jobs.mapped("channel")), {ISP_CHANNEL})
            for chunk in chunks:
                chunk.with_delay(channel=ISP_CHANNEL)._isp_process()

        self._run_workers(2)

        with self._transaction() as env:
            run = env[self.run_model].browse(run_id)
            self.assertEqual(run.state, "done")
            self.assertEqual(set(self._chunks(env, run_id).mapped("state")), {"done"})
            jobs = self._jobs(env)
            self.assertGreaterEqual(len(jobs), 7)
            self.assertEqual(set(jobs.mapped("state")), {"done"})
            self._assert_done_once(env, run, customer_ids[:-1], broken_ids=customer_ids[-1:])

    def _killed_worker_chunk_is_retried(self):
        """A worker process killed in the middle of a chunk (documents written, not committed) leaves
        nothing behind; a job for the same chunk meanwhile finds its customers held and is enqueued again;
        the killed job is requeued as the job runner does with dead jobs: the work is done once."""
        with self._transaction() as env:
            customer_ids = self._create_customers(env, 4)
        run_id = self._confirm_run()
        with self._transaction() as env:
            first, _second = self._chunks(env, run_id)
            (killed_job,) = self._chunk_jobs(env, first)
            killed_uuid = killed_job.uuid
            second_job = first.with_delay(channel=ISP_CHANNEL)._isp_process()
            second_uuid = second_job.uuid

        worker = self._start_paused_worker(killed_uuid)
        # the first chunk's second job, whose customers the paused worker holds
        errors = []
        env = self._worker_env()
        try:
            with self._registry_lock_lifted():
                env.cr.execute("UPDATE queue_job SET state = 'enqueued' WHERE uuid = %s", [second_uuid])
                self.assertTrue(self._perform(env, second_uuid, errors))
        finally:
            env.cr.close()
        self.assertFalse(errors, errors)
        with self._transaction() as env:
            first, second = self._chunks(env, run_id)
            self.assertEqual((first.state, len(first.partner_ids), second.state), ("queued", 2, "queued"))
            jobs = self._chunk_jobs(env, first)
            self.assertEqual(jobs.mapped("state"), ["started", "done", "pending"])
            self.assertTrue(jobs[2].eta, "enqueued again for a few seconds later")
            self._assert_nothing_done(env, first.partner_ids)

        self._kill(worker)
        self.assertEqual(self._requeue_dead_jobs(killed_uuid), [killed_uuid])
        self._run_workers(2)

        with self._transaction() as env:
            run = env[self.run_model].browse(run_id)
            self.assertEqual(run.state, "done")
            self.assertEqual(set(self._jobs(env).mapped("state")), {"done"})
            killed_job = self._jobs(env).filtered(lambda job: job.uuid == killed_uuid)
            self.assertEqual(killed_job.retry, 2, "performed twice: killed, then after the runner requeued it")
            self._assert_done_once(env, run, customer_ids)

    def _broken_customer_fails_alone(self):
        """A chunk with a customer that fails: the chunk's other customer is done, the error is on the run,
        the chunk's job is done and the run finishes."""
        with self._transaction() as env:
            customer_ids = self._create_customers(env, 4, broken=1)
        run_id = self._confirm_run()

        self._run_workers(1)

        with self._transaction() as env:
            run = env[self.run_model].browse(run_id)
            self.assertEqual(run.state, "done")
            self.assertEqual(set(self._jobs(env).mapped("state")), {"done"})
            broken_chunk = self._chunks(env, run_id)[1]
            self.assertEqual((broken_chunk.state, broken_chunk.error_count), ("done", 1))
            self._assert_done_once(env, run, customer_ids[:-1], broken_ids=customer_ids[-1:])


@tagged("post_install", "-at_install")
class TestBillingRunJobs(RunJobsTests, RunJobsCase):
    """Issue 15: the invoice run's chunks as jobs."""

    run_model = "isp.billing.run"

    def test_two_workers_bill_every_period_once(self):
        """Issue 15: two job workers on one invoice run, every chunk's job twice: every period billed once,
        every invoice once, the broken customer's error on the run, the counters right."""
        self._two_workers_process_every_chunk_once()

    def test_killed_worker_chunk_is_billed_once(self):
        """Issue 15: a worker process killed in the middle of an invoice run's chunk; the job requeued as a
        dead job: every period billed once, the counters right."""
        self._killed_worker_chunk_is_retried()

    def test_broken_customer_is_recorded_and_the_chunk_billed(self):
        """Issue 15: a chunk failing on one customer: its other customer billed, the error on the run, the run
        finished."""
        self._broken_customer_fails_alone()

    def _create_customers(self, env, count, broken=0):
        product = env["product.product"].create(
            {
                "name": f"Jobs database {self.tag}",
                "type": "service",
                "list_price": PRICE,
                "taxes_id": [],
                "isp_article_type": "database",
                "isp_recurring": True,
            }
        )
        customers = env["res.partner"].create(
            [
                {
                    "name": f"Jobs {self.tag} {index:02d}",
                    "is_company": True,
                    "isp_lifecycle": "customer",
                    "email": f"jobs.{self.tag}.{index}@example.com",
                    "lang": "en_US",
                    "isp_einvoice_format": "pdf",
                }
                for index in range(count)
            ]
        )
        env["isp.service"].create(
            [
                {
                    "partner_id": customer.id,
                    "product_id": product.id,
                    "name": f"jobs_db_{customer.id}",
                    "date_start": BILLING_DATE,
                    "price_unit": PRICE,
                    "state": "active",
                }
                for customer in customers
            ]
        )
        account = _deprecated_receivable(env, customers[count - broken :], self.tag) if broken else None
        self.addCleanup(self._delete, customers.ids, product.id, account and account.id)
        return customers.ids

    def _new_run_values(self):
        return {"date": BILLING_DATE}

    def _assert_nothing_done(self, env, customer_ids):
        self.assertFalse(env["account.move"].search_count([("partner_id", "in", customer_ids)]))

    def _assert_done_once(self, env, run, customer_ids, broken_ids=()):
        services = env["isp.service"].search([("partner_id", "in", list(customer_ids) + list(broken_ids))])
        lines = env["account.move.line"].search([("isp_service_id", "in", services.ids)])
        good = services.filtered(lambda service: service.partner_id.id in customer_ids)
        self.assertEqual(
            Counter((line.isp_service_id.id, line.isp_period_start) for line in lines),
            Counter({(service.id, BILLING_DATE): 1 for service in good}),
            "every period billed once, nothing for the broken customer",
        )
        invoices = lines.move_id
        self.assertEqual(sorted(invoices.partner_id.ids), sorted(customer_ids), "one invoice per customer")
        self.assertEqual(set(invoices.mapped("state")), {"posted"})
        self.assertEqual(run.invoice_ids, invoices)
        self.assertEqual((run.invoice_count, run.amount_untaxed), (len(customer_ids), PRICE * len(customer_ids)))
        self.assertEqual(run.error_ids.partner_id.ids, list(broken_ids))

    def _delete(self, customer_ids, product_id, account_id):
        """Delete the invoices and runs, archive the services and customers: later runs do not see them."""
        with self._transaction() as env:
            moves = env["account.move"].search([("partner_id", "in", customer_ids)])
            runs = moves.isp_billing_run_id | env["isp.billing.run"].search([("date", "=", BILLING_DATE)])
            moves.filtered(lambda move: move.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            runs.unlink()
            env["isp.service"].search([("partner_id", "in", customer_ids)]).action_archive()
            env["res.partner"].browse(customer_ids).action_archive()
            env["product.product"].browse(product_id).action_archive()
            if account_id:
                env["res.partner"].browse(customer_ids).property_account_receivable_id = False
                env["account.account"].browse(account_id).unlink()


@tagged("post_install", "-at_install")
class TestDunningRunJobs(RunJobsTests, RunJobsCase):
    """Issue 15: the dunning run's chunks as jobs."""

    run_model = "isp.dunning.run"

    def test_two_workers_reach_every_level_once(self):
        """Issue 15: two job workers on one dunning run, every chunk's job twice: every dunning level reached
        once, one letter and one charge invoice per customer, the broken customer's error on the run."""
        self._two_workers_process_every_chunk_once()

    def test_killed_worker_chunk_is_dunned_once(self):
        """Issue 15: a worker process killed in the middle of a dunning run's chunk; the job requeued as a dead
        job: every level reached once, the counters right."""
        self._killed_worker_chunk_is_retried()

    def test_broken_customer_is_recorded_and_the_chunk_dunned(self):
        """Issue 15: a dunning chunk failing on one customer: its other customer dunned, the error on the run,
        the run finished."""
        self._broken_customer_fails_alone()

    def _create_customers(self, env, count, broken=0):
        """Business customers with one overdue invoice each, dunned by a profile whose level charges a fee:
        a step, a letter and a charge invoice per customer."""
        profile = env["isp.dunning.profile"].create(
            {
                "name": f"Jobs dunning {self.tag}",
                "interest_basis": "none",
                "charge_mode": "invoice",
                "level_ids": [
                    Command.create(
                        {
                            "name": "Jobs reminder",
                            "days_overdue": 7,
                            "min_days_since_previous": 0,
                            "fee_amount": FEE,
                            "fee_product_id": env.ref("isp_dunning.product_dunning_fee").id,
                        }
                    )
                ],
            }
        )
        customers = env["res.partner"].create(
            [
                {
                    "name": f"Jobs Dunning {self.tag} {index:02d}",
                    "is_company": True,
                    "isp_customer_kind": "company",
                    "email": f"jobs.dunning.{self.tag}.{index}@example.com",
                    "isp_dunning_profile_id": profile.id,
                }
                for index in range(count)
            ]
        )
        invoices = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": date(2019, 3, 15),
                    "invoice_date_due": DUNNING_DUE_DATE,
                    "invoice_line_ids": [
                        Command.create({"name": "Hosting", "quantity": 1, "price_unit": 100.0, "tax_ids": []})
                    ],
                }
                for customer in customers
            ]
        )
        invoices.action_post()
        account = _deprecated_receivable(env, customers[count - broken :], self.tag) if broken else None
        self.addCleanup(self._delete, customers.ids, profile.id, account and account.id)
        return customers.ids

    def _new_run_values(self):
        return {"date": DUNNING_DATE}

    def _assert_nothing_done(self, env, customer_ids):
        self.assertFalse(env["isp.dunning.step"].search_count([("partner_id", "in", customer_ids)]))
        self.assertFalse(
            env["account.move"].search_count([("partner_id", "in", customer_ids), ("isp_dunning_charge", "=", True)])
        )

    def _assert_done_once(self, env, run, customer_ids, broken_ids=()):
        partners = list(customer_ids) + list(broken_ids)
        invoices = env["account.move"].search([("partner_id", "in", partners), ("isp_dunning_charge", "=", False)])
        good = invoices.filtered(lambda move: move.partner_id.id in customer_ids)
        level = good.partner_id.isp_dunning_profile_id.level_ids
        steps = env["isp.dunning.step"].search([("partner_id", "in", partners)])
        self.assertEqual(
            Counter((step.move_id.id, step.level_id.id) for step in steps),
            Counter({(invoice.id, level.id): 1 for invoice in good}),
            "every invoice reached the level once, nothing for the broken customer",
        )
        letters = env["isp.dunning.letter"].search([("partner_id", "in", partners)])
        self.assertEqual(sorted(letters.partner_id.ids), sorted(customer_ids), "one letter per customer")
        charges = env["account.move"].search([("partner_id", "in", partners), ("isp_dunning_charge", "=", True)])
        self.assertEqual(sorted(charges.partner_id.ids), sorted(customer_ids), "one charge invoice per customer")
        self.assertEqual(set(charges.mapped("state")), {"posted"})
        self.assertEqual(steps.run_id | letters.run_id, run)
        self.assertEqual(
            (run.step_count, run.letter_count, run.charge_invoice_count, run.fee_total),
            (len(customer_ids), len(customer_ids), len(customer_ids), FEE * len(customer_ids)),
        )
        self.assertEqual(run.error_ids.partner_id.ids, list(broken_ids))

    def _delete(self, customer_ids, profile_id, account_id):
        """Delete what the test committed: runs, letters, steps, invoices, customers, profile."""
        with self._transaction() as env:
            env["isp.dunning.letter"].search([("partner_id", "in", customer_ids)]).unlink()
            moves = env["account.move"].search([("partner_id", "in", customer_ids)])
            moves.filtered(lambda move: move.state == "posted").button_draft()
            # the steps go with their invoices
            moves.with_context(force_delete=True).unlink()
            env["isp.dunning.step"].search([("partner_id", "in", customer_ids)]).unlink()
            env["isp.dunning.run"].search([("date", "=", DUNNING_DATE)]).unlink()
            # posting their invoices made them customers with a number, which forbids deleting them
            env.cr.execute(SQL("UPDATE res_partner SET isp_customer_number = NULL WHERE id IN %s", tuple(customer_ids)))
            customers = env["res.partner"].browse(customer_ids)
            customers.invalidate_recordset(["isp_customer_number"])
            customers.unlink()
            env["isp.dunning.profile"].browse(profile_id).unlink()
            if account_id:
                env["account.account"].browse(account_id).unlink()


def _deprecated_receivable(env, customers, tag):
    """Make ``customers`` fail in a run: their receivable account is deprecated, no invoice can be posted."""
    account = env["account.account"].create(
        {
            "name": f"Jobs old receivable {tag}",
            "code": f"JOBS{tag[:6].upper()}",
            "account_type": "asset_receivable",
            "reconcile": True,
        }
    )
    account.deprecated = True
    customers.property_account_receivable_id = account
    return account
