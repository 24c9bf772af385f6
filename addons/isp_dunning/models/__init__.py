from . import (
    account_move,
    account_move_line,
    isp_billing_run,
    isp_dunning_base_rate,
    isp_dunning_letter,
    isp_dunning_profile,
    isp_dunning_run,
    isp_dunning_step,
    isp_service,
    res_company,
    res_config_settings,
    res_partner,
)
