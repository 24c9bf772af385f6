from . import isp_dunning_set_level, isp_dunning_waive
