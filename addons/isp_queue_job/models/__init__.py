from . import account_move, isp_run_chunk, isp_run_mixin, queue_job
