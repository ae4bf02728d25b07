"""The notification endpoint example does what its documentation says."""

import hashlib
import hmac
import importlib.util
import os
import time
import unittest

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "notification_endpoint.py")


def load_example():
    spec = importlib.util.spec_from_file_location("notification_endpoint", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class NotificationEndpointExample(unittest.TestCase):
    def test_acknowledges_signed_events_once_and_refuses_forgeries(self):
        notifications = load_example().PaymentNotifications("s")
        body = b'{"id":"evt_1","type":"refund.succeeded","created_at":"x","data":{"id":"rfd_1"}}'
        t = int(time.time())
        signature = hmac.new(b"s", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        header = f"t={t},v1={signature}"
        self.assertEqual(notifications.handle(header, body), 200)
        self.assertEqual(notifications.handle(header, body), 200)
        self.assertEqual(notifications.handle(header, body.replace(b"rfd_1", b"rfd_2")), 400)
        self.assertEqual(notifications.handle(None, body), 400)


if __name__ == "__main__":
    unittest.main()
