"""A queue_job worker in a process of its own, for bench_billing_run.py's parallel delivery.

Not a benchmark itself (``make bench`` runs the ``bench_*.py`` files). It connects to the
benchmark database, writes "ready" on its standard output and waits for a line on its standard
input; then it takes the pending delivery jobs (``account.move._isp_send_due``) one after the
other, as the job runner and a server worker's /queue_job/runjob would (the job marked
enqueued, acquired, performed, committed, with queue_job's own code), until none is left, and
writes "done <jobs> <its peak memory in kB>". Several of them share the jobs as several workers do.

The invoices of the benchmark are dated 1 January 2027: "today" of the worker is that day
(``fields.Date.context_today``), as in the benchmark process; the clock is not changed.

    python3 delivery_worker.py '{"odoo_args": [...], "database": "...", "today": "2027-01-01"}'
"""

import json
import sys
from datetime import date
from pathlib import Path
from unittest import mock

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tools import config


def next_job(cr):
    """Hand the oldest pending delivery job to this worker (committed); None when none is left."""
    cr.execute(
        """
        UPDATE queue_job SET state = 'enqueued', date_enqueued = now() AT TIME ZONE 'utc'
         WHERE id = (SELECT id FROM queue_job
                      WHERE state = 'pending' AND model_name = 'account.move' AND method_name = '_isp_send_due'
                      ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING uuid
        """
    )
    row = cr.fetchone()
    cr.commit()  # pylint: disable=invalid-commit
    return row and row[0]


def main():
    options = json.loads(sys.argv[1])
    config.parse_config(options["odoo_args"])
    today = date.fromisoformat(options["today"])
    registry = odoo.modules.registry.Registry(options["database"])
    from odoo.addons.queue_job.controllers.main import RunJobController  # noqa: PLC0415 (once the addons path is set)

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    jobs = 0
    on_invoice_date = mock.patch.object(
        fields.Date, "context_today", staticmethod(lambda record, timestamp=None: today)
    )
    with on_invoice_date, registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        while uuid := next_job(cr):
            job = RunJobController._acquire_job(env, uuid)
            if job is not None:
                RunJobController._runjob(env, job)
                cr.commit()  # pylint: disable=invalid-commit
                jobs += 1
            env.invalidate_all()
    # the peak resident memory of this worker, in kB
    peak = next(
        line.split()[1] for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:")
    )
    sys.stdout.write(f"done {jobs} {peak}\n")


if __name__ == "__main__":
    main()
