from . import product_template
from . import isp_service
from . import res_company
from . import res_config_settings
from . import res_partner
from . import sale_order
from . import sale_order_line
from . import mail_activity
