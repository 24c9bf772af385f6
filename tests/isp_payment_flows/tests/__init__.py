from . import test_notification_race, test_online_payments, test_signed_notifications
