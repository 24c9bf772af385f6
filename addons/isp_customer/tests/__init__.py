from . import (
    test_access,
    test_credit,
    test_customer_class,
    test_customer_kind,
    test_customer_number,
    test_lifecycle,
    test_mass_message,
    test_merge,
)
from . import test_ui
