import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing, contextmanager
from pathlib import Path
from unittest.mock import patch

import psycopg2

from odoo import api, sql_db
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import BaseCase, new_test_user
from odoo.tests.common import get_db_name
from odoo.tools import config, mute_logger

from odoo.addons.queue_job.controllers import main as runjob_controller
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.jobrunner.runner import Database

WORKER_SCRIPT = Path(__file__).with_name("job_worker.py")
#: seconds a test waits for the jobs of its run
JOBS_TIMEOUT = 180


class RunJobsCase(BaseCase):
    """Runs whose chunks are processed by job workers, on committed data in separate transactions.

    A worker takes the test's jobs one after the other as the job runner hands them to the
    server's /queue_job/runjob: the job is marked enqueued, acquired (started, committed, its lock
    taken), performed and committed, with queue_job's own code (``RunJobController``). Each
    worker has its own cursor and commits (as the workers do: pylint's invalid-commit is disabled
    there). The records stay in the throw-away test database, except what the cleanup of a test
    deletes so that later tests' runs do not see them.

    A concrete case sets ``run_model`` and implements:

    - ``_create_customers(env, count, broken=0)``: ``count`` customers with work for the run, the
      last ``broken`` of them failing in it; registers their deletion with ``addCleanup``; returns
      their ids;
    - ``_new_run_values()``: the values of a new run;
    - ``_assert_nothing_done(env, customer_ids)``: nothing of the run exists for these customers;
    - ``_assert_done_once(env, run, customer_ids, broken_ids)``: everything the run does for
      ``customer_ids`` is done exactly once, nothing for ``broken_ids``, the run's counters and
      errors say so.
    """

    run_model = None
    #: customers per chunk in these tests
    chunk_size = 2

    def setUp(self):
        super().setUp()
        self.dbname = get_db_name()
        self.tag = uuid.uuid4().hex[:8]
        with self._transaction() as env:
            env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM queue_job")
            (self.first_job_id,) = env.cr.fetchone()
            self.manager_id = new_test_user(
                env, login=f"jobs_manager_{self.tag}", groups="isp_customer.group_isp_manager"
            ).id
        self.addCleanup(self._delete_jobs)

    # ------------------------------------------------------------------
    # Transactions, runs, jobs
    # ------------------------------------------------------------------

    @contextmanager
    def _transaction(self, uid=api.SUPERUSER_ID, context=None):
        """A transaction of its own, committed at the end (e-mails and cron wake-ups left queued: they
        would run after commit with a registry handle the test runner holds)."""
        with closing(sql_db.db_connect(self.dbname).cursor()) as cr:
            env = api.Environment(cr, uid, context or {})
            yield env
            env.flush_all()
            cr.postcommit.clear()
            cr.commit()  # pylint: disable=invalid-commit

    def _confirm_run(self):
        """A manager confirms a new run in its own transaction; its chunks go to the job queue."""
        with self._transaction(self.manager_id, {"queue_job__no_delay": False}) as env:
            run = env[self.run_model].create(self._new_run_values())
            with patch.object(type(run), "_isp_chunk_size", self.chunk_size):
                run.action_confirm()
            self.assertEqual(run.state, "running", "the run goes on in its jobs")
            return run.id

    def _jobs(self, env, states=None):
        domain = [("id", ">", self.first_job_id)]
        if states:
            domain.append(("state", "in", states))
        return env["queue.job"].search(domain, order="id")

    def _chunk_jobs(self, env, chunk):
        return self._jobs(env).filtered(lambda job: job.model_name == "isp.run.chunk" and job.records == chunk)

    def _take_job(self, cr):
        """What the job runner does: the next pending job that is due marked enqueued (one worker each)."""
        try:
            cr.execute(
                """
                UPDATE queue_job SET state = 'enqueued', date_enqueued = now() AT TIME ZONE 'utc'
                 WHERE id = (
                    SELECT id FROM queue_job
                     WHERE id > %s AND state = 'pending' AND (eta IS NULL OR eta <= now() AT TIME ZONE 'utc')
                  ORDER BY priority, date_created, id
                     LIMIT 1
                       FOR UPDATE SKIP LOCKED)
                RETURNING uuid
                """,
                [self.first_job_id],
                log_exceptions=False,
            )
        except psycopg2.errors.SerializationFailure:
            # the other worker changed the job since this transaction began: the next call takes another
            cr.rollback()
            return None
        row = cr.fetchone()
        cr.commit()  # pylint: disable=invalid-commit
        return row and row[0]

    def _jobs_open(self, cr):
        cr.execute(
            "SELECT count(*) FROM queue_job WHERE id > %s AND state NOT IN ('done', 'failed', 'cancelled')",
            [self.first_job_id],
        )
        return cr.fetchone()[0]

    def _perform(self, env, job_uuid, errors):
        """Run one job marked enqueued as /queue_job/runjob does, and commit: True when it was run."""
        cr = env.cr
        try:
            job = RunJobController._acquire_job(env, job_uuid)
        except psycopg2.errors.SerializationFailure:
            cr.rollback()
            job = None
        if job is None:
            # not started: the job runner requeues it (a dead job)
            cr.execute("UPDATE queue_job SET state = 'pending' WHERE uuid = %s AND state = 'enqueued'", [job_uuid])
            cr.commit()  # pylint: disable=invalid-commit
            return False
        try:
            RunJobController._runjob(env, job)
        except Exception as error:  # the job is stored as failed: the test reports it
            errors.append(f"{job.description}: {error}")
            cr.rollback()
        cr.postcommit.clear()
        cr.commit()  # pylint: disable=invalid-commit
        env.invalidate_all()
        return True

    def _work(self, env, errors, until_idle=False):
        """A job worker with its own cursor (``env``'s, closed at the end): run the test's jobs until none
        is open (``until_idle``: until none is due now)."""
        cr = env.cr
        deadline = time.monotonic() + JOBS_TIMEOUT
        try:
            while time.monotonic() < deadline:
                job_uuid = self._take_job(cr)
                if job_uuid:
                    self._perform(env, job_uuid, errors)
                elif until_idle or not self._jobs_open(cr):
                    return
                else:
                    cr.rollback()
                    time.sleep(0.2)
            errors.append(f"jobs still open after {JOBS_TIMEOUT} s")
        except Exception as error:  # reported by the test
            errors.append(repr(error))
        finally:
            cr.close()

    def _worker_env(self):
        return api.Environment(sql_db.db_connect(self.dbname).cursor(), api.SUPERUSER_ID, {})

    def _run_workers(self, count):
        """``count`` job workers in parallel until the test's jobs are done."""
        errors = []
        threads = [threading.Thread(target=self._work, args=(self._worker_env(), errors)) for _worker in range(count)]
        # serialization failures between the workers are retried by queue_job (RetryableJobError)
        with self._registry_lock_lifted(), mute_logger("odoo.sql_db", "odoo.addons.queue_job.controllers.main"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(JOBS_TIMEOUT + 30)
        self.assertFalse([thread for thread in threads if thread.is_alive()], "the workers stopped")
        if errors:
            with self._transaction() as env:
                env.cr.execute(
                    "SELECT name, state, eta, exc_info FROM queue_job WHERE id > %s AND state != 'done' ORDER BY id",
                    [self.first_job_id],
                )
                errors.append(env.cr.fetchall())
        self.assertFalse(errors, errors)

    @contextmanager
    def _registry_lock_lifted(self):
        """Workers as in production:

        - opening a cursor's first environment takes the registry lock, which the test runner holds:
          it is lifted as HttpCase does (``Registry.enter_test_mode``) while the workers run;
        - /queue_job/runjob commits a job done before it enqueues the jobs that depend on it (with a
          new snapshot, which sees the other workers' jobs done), but not under ``--test-enable``:
          its controller is told that tests are off.
        """
        saved = Registry._lock
        Registry._lock = DummyRLock()
        try:
            with patch.object(runjob_controller, "config", {**config.options, "test_enable": False}):
                yield
        finally:
            Registry._lock = saved

    def _delete_jobs(self):
        with self._transaction() as env:
            env.cr.execute("DELETE FROM queue_job WHERE id > %s", [self.first_job_id])

    # ------------------------------------------------------------------
    # A worker in a process of its own
    # ------------------------------------------------------------------

    def _start_paused_worker(self, job_uuid):
        """A worker process runs the job and pauses in the middle of its chunk (documents written, not
        committed); returns the process once it paused."""
        odoo_args = [
            f"--addons-path={config['addons_path']}",
            f"--data-dir={config['data_dir']}",
            "--log-level=warn",
        ]
        if config.rcfile:
            odoo_args.insert(0, f"--config={config.rcfile}")
        for option in ("db_host", "db_port", "db_user", "db_password"):
            if config[option]:
                odoo_args.append(f"--{option.replace('_', '-')}={config[option]}")
        options = {
            "odoo_args": odoo_args,
            "database": self.dbname,
            "job_uuid": job_uuid,
            "run_model": self.run_model,
        }
        process = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), json.dumps(options)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(self._kill, process)
        ready, _w, _x = select.select([process.stdout], [], [], 120)
        line = process.stdout.readline() if ready else ""
        if line.strip() != "paused":
            self._kill(process)
            self.fail(f"the worker process did not pause: {line!r} {process.stderr.read()[-2000:]}")
        return process

    def _kill(self, process):
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(30)
        for stream in (process.stdout, process.stderr):
            stream.close()

    def _requeue_dead_jobs(self, job_uuid):
        """What the job runner does for a job whose worker died: back to pending. The runner leaves jobs
        enqueued less than 10 s ago alone; the job is made older instead of waiting."""
        with self._transaction() as env:
            env.cr.execute(
                "UPDATE queue_job SET date_enqueued = date_enqueued - interval '1 minute' WHERE uuid = %s",
                [job_uuid],
            )
        runner_db = Database(self.dbname)
        try:
            # the killed worker's connection ends a moment after the process (and releases the job's lock)
            for _attempt in range(100):
                with closing(runner_db.conn.cursor()) as cr:
                    cr.execute(runner_db._query_requeue_dead_jobs())
                    requeued = [row[0] for row in cr.fetchall()]
                if requeued:
                    return requeued
                time.sleep(0.2)
            return []
        finally:
            runner_db.close()
