from . import test_install, test_pain008
