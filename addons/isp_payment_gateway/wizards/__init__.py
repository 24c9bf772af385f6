from . import isp_debit_return_import, isp_debit_return_manual
