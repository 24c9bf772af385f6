from . import isp_sepa_mandate, res_company, res_config_settings, res_partner
