from . import test_dispatch, test_run_jobs
