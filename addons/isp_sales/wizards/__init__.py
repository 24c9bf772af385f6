from . import isp_service_terminate
