from . import account_move, isp_prospect_stage, res_company, res_config_settings, res_partner
