import logging
import threading
import time
from collections import Counter
from datetime import date
from types import SimpleNamespace
from unittest.mock import patch

import psycopg2

from odoo import Command, api, sql_db
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL, mute_logger

CUSTOMERS = 6
# long before any other open item of the test database falls due (the demo invoices and those of
# the invoice run's race test fall due around the day the tests run): the runs dun only this test's customers
DUE_DATE = date(2019, 6, 1)
RUN_DATE = date(2019, 6, 15)


@tagged("post_install", "-at_install")
class TestDunningConcurrency(BaseCase):
    """Two dunning runs dun the same overdue customers at the same time, like two cron workers.

    Runs on committed data in separate transactions, like two Odoo workers; the runs dun
    only this test's customers (see RUN_DATE), and what the test committed is deleted at
    the end.
    """

    def _env(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def test_two_runs_at_once_dun_every_item_once(self):
        dbname = get_db_name()
        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            customers, invoices = self._create_overdue_customers(env)
            customer_ids, invoice_ids = customers.ids, invoices.ids
            profile_id, level_id = customers.isp_dunning_profile_id.id, customers.isp_dunning_profile_id.level_ids.id
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger")
            (last_trigger_id,) = cr.fetchone()
        self.addCleanup(self._delete, dbname, customer_ids, profile_id, last_trigger_id)

        run_ids = self._run_twice_at_once(dbname)

        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            runs = env["isp.dunning.run"].browse(run_ids)
            self.assertEqual(len(runs), 2)
            self.assertEqual(runs.mapped("state"), ["done", "done"])
            self.assertFalse(runs.error_ids, "no customer failed")

            steps = env["isp.dunning.step"].search([("partner_id", "in", customer_ids)])
            self.assertEqual(
                Counter((step.move_id.id, step.level_id.id) for step in steps),
                Counter({(invoice_id, level_id): 1 for invoice_id in invoice_ids}),
                "every invoice reached the level exactly once",
            )
            self.assertLessEqual(set(steps.run_id.ids), set(run_ids), "by one of the two runs")

            letters = env["isp.dunning.letter"].search([("partner_id", "in", customer_ids)])
            self.assertEqual(
                sorted(letter.partner_id.id for letter in letters), sorted(customer_ids), "one letter per customer"
            )
            for letter in letters:
                self.assertEqual(letter.step_ids.partner_id, letter.partner_id)
                self.assertEqual(letter.step_ids.run_id, letter.run_id, "a letter's steps are its run's")

            charges = env["account.move"].search(
                [("partner_id", "in", customer_ids), ("isp_dunning_charge", "=", True)]
            )
            self.assertEqual(
                sorted(charge.partner_id.id for charge in charges),
                sorted(customer_ids),
                "one charge invoice per customer",
            )
            self.assertEqual(set(charges.mapped("state")), {"posted"})
            self.assertEqual(set(charges.mapped("amount_total")), {5.0})
            self.assertEqual(letters.charge_move_id, charges)
            self.assertEqual(steps.charge_move_id, charges)

            invoices = env["account.move"].browse(invoice_ids)
            self.assertEqual(invoices.isp_dunning_level_id.ids, [level_id])
            self.assertEqual(set(invoices.mapped("isp_dunning_date")), {RUN_DATE})

            # the runs' figures add up to what they did together
            self.assertEqual(sum(runs.mapped("letter_count")), CUSTOMERS)
            self.assertEqual(sum(runs.mapped("step_count")), CUSTOMERS)
            self.assertEqual(sum(runs.mapped("charge_invoice_count")), CUSTOMERS)
            self.assertEqual(sum(runs.mapped("fee_total")), 5.0 * CUSTOMERS)
            for run in runs:
                self.assertEqual(run.letter_count, len(run.letter_ids))
                self.assertEqual(run.step_count, len(run.step_ids))

    def _create_overdue_customers(self, env):
        """Business customers with one overdue invoice each, dunned by a profile whose first level charges a
        fee: one run step writes the step, the letter and the charge invoice."""
        profile = env["isp.dunning.profile"].create(
            {
                "name": "Race dunning",
                "interest_basis": "none",
                "charge_mode": "invoice",
                "level_ids": [
                    Command.create(
                        {
                            "name": "Race reminder",
                            "days_overdue": 7,
                            "min_days_since_previous": 0,
                            "fee_amount": 5.0,
                            "fee_product_id": env.ref("isp_dunning.product_dunning_fee").id,
                        }
                    )
                ],
            }
        )
        customers = env["res.partner"].create(
            [
                {
                    "name": f"Race Dunning {index}",
                    "is_company": True,
                    "isp_customer_kind": "company",
                    "email": f"race.dunning.{index}@example.com",
                    "isp_dunning_profile_id": profile.id,
                }
                for index in range(CUSTOMERS)
            ]
        )
        invoices = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": date(2019, 5, 15),
                    "invoice_date_due": DUE_DATE,
                    "invoice_line_ids": [
                        Command.create({"name": "Hosting", "quantity": 1, "price_unit": 100.0, "tax_ids": []})
                    ],
                }
                for customer in customers
            ]
        )
        invoices.action_post()
        return customers, invoices

    def _run_twice_at_once(self, dbname):
        """Two scheduled runs on RUN_DATE, started together, one batch of two customers per transaction.

        Their first batches meet the worst way: the late run reads the due customers, the early run
        dunns the same customers and commits, then the late run locks them, its transaction still
        seeing them undunned. After that the runs race freely.
        """
        race = SimpleNamespace(
            run_ids=[],
            errors=[],
            roles={},
            barrier=threading.Barrier(2, timeout=30),
            late_has_read=threading.Event(),
            early_committed=threading.Event(),
        )
        # The test runner holds the registry lock: environments are made here, used in the threads.
        envs = [self._env(sql_db.db_connect(dbname).cursor()) for _worker in range(2)]
        run_class = type(envs[0]["isp.dunning.run"])
        lock_partners = run_class._isp_lock_partners

        def ordered_lock_partners(runs, partners):
            role = race.roles[threading.get_ident()]
            if role == "late" and not race.late_has_read.is_set():
                race.late_has_read.set()
                race.early_committed.wait(30)
            elif role == "early" and not race.early_committed.is_set():
                race.late_has_read.wait(30)
            return lock_partners(runs, partners)

        threads = [
            threading.Thread(target=self._run_scheduled, args=(env, role, race))
            for env, role in zip(envs, ("early", "late"), strict=True)
        ]
        with (
            patch.object(run_class, "_isp_lock_partners", ordered_lock_partners),
            mute_logger("odoo.sql_db"),
            self.assertLogs("odoo.addons.isp_sales.models", logging.INFO) as logs,
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        self.assertFalse(race.errors, race.errors)
        self.assertFalse([thread for thread in threads if thread.is_alive()], "both runs finished")
        self.assertTrue(
            [line for line in logs.output if "handled by a concurrent run" in line],
            "the late run found its first customers dunned by the early run and retried",
        )
        self.assertFalse(
            [line for line in logs.output if "at once failed" in line or "the others go on" in line],
            "no customer failed on what the other run did",
        )
        return race.run_ids

    def _run_scheduled(self, env, role, race):
        """A scheduled run in its own thread: one batch per call and transaction, as the cron calls it."""
        race.roles[threading.get_ident()] = role

        def commit():
            # e-mails and cron wake-ups run after commit with a new registry handle, which
            # the test runner's registry lock would block: leave them queued
            env.cr.postcommit.clear()
            env.cr.commit()

        try:
            run = env["isp.dunning.run"].create({"date": RUN_DATE, "trigger": "cron"})
            run._isp_start(chunk_size=2)
            commit()
            race.run_ids.append(run.id)
            race.barrier.wait()
            for _call in range(200):
                try:
                    remaining = run._isp_run_batch()
                    commit()
                except psycopg2.errors.SerializationFailure:
                    # the scheduler calls again in a new transaction
                    env.cr.rollback()
                    env.transaction.clear()
                    remaining = True
                if role == "early":
                    race.early_committed.set()
                if not remaining:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the run did not finish")
            commit()
        except Exception as error:
            race.errors.append(error)
        finally:
            # never leave the other run waiting
            race.late_has_read.set()
            race.early_committed.set()
            env.cr.close()

    def _delete(self, dbname, customer_ids, profile_id, last_trigger_id):
        """Delete what the test committed: runs, letters, steps, invoices, customers, profile."""
        with sql_db.db_connect(dbname).cursor() as cr:
            env = self._env(cr)
            env["isp.dunning.letter"].search([("partner_id", "in", customer_ids)]).unlink()
            moves = env["account.move"].search([("partner_id", "in", customer_ids)])
            moves.filtered(lambda move: move.state == "posted").button_draft()
            # the steps go with their invoices
            moves.with_context(force_delete=True).unlink()
            env["isp.dunning.step"].search([("partner_id", "in", customer_ids)]).unlink()
            env["isp.dunning.run"].search([("date", "=", RUN_DATE)]).unlink()
            env["isp.dunning.profile"].browse(profile_id).unlink()
            # posting their invoices made them customers with a number, which forbids deleting them
            cr.execute(SQL("UPDATE res_partner SET isp_customer_number = NULL WHERE id IN %s", tuple(customer_ids)))
            customers = env["res.partner"].browse(customer_ids)
            customers.invalidate_recordset(["isp_customer_number"])
            customers.unlink()
            # the runs woke up the letters' delivery cron
            env["ir.cron.trigger"].search(
                [
                    ("id", ">", last_trigger_id),
                    ("cron_id", "=", env.ref("isp_dunning.ir_cron_isp_send_dunning_letters").id),
                ]
            ).unlink()
            env.cr.postcommit.clear()
