from . import test_install
from . import test_engine
from . import test_service
from . import test_order
from . import test_portal
from . import test_processing
from . import test_api
from . import test_concurrency
