from . import isp_dunning_overdue_report
