from . import (
    account_edi_common,
    account_move,
    account_payment,
    isp_dashboard,
    isp_debit_batch,
    isp_debit_return,
    isp_dunning_run,
    isp_sepa_mandate,
    payment_transaction,
    res_company,
    res_config_settings,
    res_partner,
)
