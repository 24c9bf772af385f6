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

from odoo import api, sql_db
from odoo.tests import BaseCase, new_test_user
from odoo.tests.common import get_db_name
from odoo.tools import config, mute_logger

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
    worker has its own cursor. The records stay in the throw-away test database, except what the
    cleanup of a test deletes so that later tests' runs do not see them.

    A concrete case sets ``run_model`` and implements ``_create_customers``, ``_new_run_values``,
    ``_assert_done_once`` and ``_delete``.
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
    # What a concrete case implements
    # ------------------------------------------------------------------

    def _create_customers(self, env, count, broken=0):
        """Create ``count`` customers with work for the run (the last ``broken`` of them fail in it);
        register their deletion with ``addCleanup``. Returns their ids."""
        raise NotImplementedError

    def _new_run_values(self):
        raise NotImplementedError

    def _assert_done_once(self, env, run, customer_ids, broken_ids=()):
        """Everything the run does for ``customer_ids`` is done exactly once; nothing for ``broken_ids``."""
        raise NotImplementedError

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
            cr.commit()

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
        )
        row = cr.fetchone()
        cr.commit()
        return row and row[0]

    def _jobs_open(self, cr):
        cr.execute(
            "SELECT count(*) FROM queue_job WHERE id > %s AND state NOT IN ('done', 'failed', 'cancelled')",
            [self.first_job_id],
        )
        return cr.fetchone()[0]

    def _work(self, errors, performed, until_idle=False):
        """A job worker with its own cursor: run the test's jobs until none is open (``until_idle``:
        until none is due now)."""
        cr = sql_db.db_connect(self.dbname).cursor()
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        deadline = time.monotonic() + JOBS_TIMEOUT
        try:
            while time.monotonic() < deadline:
                job_uuid = self._take_job(cr)
                if not job_uuid:
                    if until_idle or not self._jobs_open(cr):
                        return
                    cr.rollback()
                    time.sleep(0.2)
                    continue
                job = RunJobController._acquire_job(env, job_uuid)
                if job is None:
                    continue
                try:
                    RunJobController._runjob(env, job)
                except Exception as error:  # the job is stored as failed: the test reports it
                    errors.append(f"{job.description}: {error}")
                    cr.rollback()
                else:
                    performed.append(job_uuid)
                cr.postcommit.clear()
                cr.commit()
                env.invalidate_all()
            errors.append(f"jobs still open after {JOBS_TIMEOUT} s")
        except Exception as error:  # reported by the test
            errors.append(repr(error))
        finally:
            cr.close()

    def _run_workers(self, count):
        """``count`` job workers in parallel until the test's jobs are done. Returns the performed jobs' uuids."""
        errors, performed = [], []
        threads = [threading.Thread(target=self._work, args=(errors, performed)) for _worker in range(count)]
        # serialization failures between the workers are retried by queue_job (RetryableJobError)
        with mute_logger("odoo.sql_db", "odoo.addons.queue_job.controllers.main"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(JOBS_TIMEOUT + 30)
        self.assertFalse([thread for thread in threads if thread.is_alive()], "the workers stopped")
        self.assertFalse(errors, errors)
        return performed

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
