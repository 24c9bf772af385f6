from . import test_customer_number
from . import test_customer_kind
from . import test_lifecycle
from . import test_customer_class
from . import test_access
from . import test_credit
from . import test_merge
from . import test_mass_message
