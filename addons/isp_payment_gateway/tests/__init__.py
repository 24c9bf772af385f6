from . import test_dtaus, test_install, test_pain008, test_returns_engine
