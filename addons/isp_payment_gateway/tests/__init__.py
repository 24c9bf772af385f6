from . import (
    test_charge_taxes,
    test_debit_batch,
    test_debit_plan,
    test_dtaus,
    test_dunning_hold,
    test_install,
    test_mandate,
    test_pain008,
    test_portal_mandates,
    test_return_import,
    test_returns,
    test_returns_engine,
)
