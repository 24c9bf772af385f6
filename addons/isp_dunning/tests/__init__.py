from . import (
    test_concurrency,
    test_dunning_actions,
    test_dunning_letters,
    test_dunning_run,
    test_install,
    test_interest_engine,
)
