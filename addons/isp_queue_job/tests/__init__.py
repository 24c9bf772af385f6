from . import test_deliver_jobs, test_dispatch, test_run_jobs
