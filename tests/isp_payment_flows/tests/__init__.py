from . import test_online_payments
