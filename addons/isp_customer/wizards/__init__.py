from . import base_partner_merge_automatic_wizard
from . import isp_credit_topup
