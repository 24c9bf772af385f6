from . import (
    test_concurrency,
    test_dunning_actions,
    test_dunning_engine,
    test_dunning_hooks,
    test_dunning_letters,
    test_dunning_run,
    test_einvoice_dunning_fee,
    test_dashboard,
    test_install,
    test_interest_engine,
    test_rights,
)
