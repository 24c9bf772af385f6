from . import (
    account_move,
    isp_debit_batch,
    isp_debit_return,
    isp_sepa_mandate,
    res_company,
    res_config_settings,
    res_partner,
)
