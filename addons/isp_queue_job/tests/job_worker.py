"""A job worker in a process of its own, for the kill tests of test_run_jobs.py.

It connects to the test database and runs one job as the job runner and the server's
/queue_job/runjob would (the job marked enqueued, acquired, performed), and pauses in the
middle of the run's chunk: after the run executed the chunk's plans (its documents are
written, not committed), it writes "paused" on its standard output and waits to be killed.

    python3 job_worker.py '{"odoo_args": [...], "database": "...", "job_uuid": "...", "run_model": "..."}'
"""

import json
import sys
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import config

PAUSE_SECONDS = 600


def main():
    options = json.loads(sys.argv[1])
    config.parse_config(options["odoo_args"])
    registry = odoo.modules.registry.Registry(options["database"])
    from odoo.addons.queue_job.controllers.main import RunJobController  # noqa: PLC0415 (once the addons path is set)

    run_class = registry[options["run_model"]]
    execute_plans = run_class._isp_execute_plans

    def execute_and_pause(run, plans):
        counters = execute_plans(run, plans)
        run.env.flush_all()
        sys.stdout.write("paused\n")
        sys.stdout.flush()
        time.sleep(PAUSE_SECONDS)
        return counters

    run_class._isp_execute_plans = execute_and_pause
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # the job runner hands the job to a worker
        cr.execute(
            "UPDATE queue_job SET state = 'enqueued', date_enqueued = now() AT TIME ZONE 'utc' WHERE uuid = %s",
            [options["job_uuid"]],
        )
        cr.commit()  # pylint: disable=invalid-commit
        job = RunJobController._acquire_job(env, options["job_uuid"])
        if job is None:
            sys.exit(f"job {options['job_uuid']} could not be acquired")
        RunJobController._runjob(env, job)
        cr.commit()  # pylint: disable=invalid-commit
    sys.stdout.write("done\n")


if __name__ == "__main__":
    main()
