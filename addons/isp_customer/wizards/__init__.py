from . import base_partner_merge_automatic_wizard, isp_credit_topup
