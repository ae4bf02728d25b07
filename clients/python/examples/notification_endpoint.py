"""A notify_url endpoint on the standard library's HTTP server. ``PaymentNotifications.handle``
is what any framework calls: the ``Unipay-Signature`` header and the raw body in, the HTTP
status out.

Run: ``UNIPAY_APP_SECRET=<secret> python3 notification_endpoint.py 9000`` (unipay itself
is on 8080 in docs/CONNECT.md)."""

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import unipay


class PaymentNotifications:
    def __init__(self, app_secret: str):
        self._secret = app_secret
        # unipay delivers an event again until it gets a 2xx; its id says it was handled already.
        self._handled_event_ids = set()
        self._lock = threading.Lock()

    def handle(self, signature_header, body: bytes) -> int:
        """200 once the event is handled (or was before), 400 for a body unipay did not sign."""
        try:
            event = unipay.parse_notification(self._secret, signature_header, body)
        except unipay.SignatureError:
            return 400
        with self._lock:
            if event.id in self._handled_event_ids:
                return 200
            self._handled_event_ids.add(event.id)
        if event.type == "payment.succeeded":
            # Fulfil the order here: this is the trustworthy news that it was paid (a return
            # URL can be lost or never followed).
            print(f"paid: {event.payment.out_trade_no} {event.payment.amount} fen")
        return 200


def serve(port: int, notifications: PaymentNotifications) -> ThreadingHTTPServer:
    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(notifications.handle(self.headers.get("Unipay-Signature"), body))
            self.end_headers()

    return ThreadingHTTPServer(("", port), Endpoint)


if __name__ == "__main__":
    secret = os.environ.get("UNIPAY_APP_SECRET")
    if not secret or len(sys.argv) != 2:
        sys.exit("usage: UNIPAY_APP_SECRET=<secret> python3 notification_endpoint.py <port>")
    server = serve(int(sys.argv[1]), PaymentNotifications(secret))
    print(f"listening on port {server.server_address[1]}")
    server.serve_forever()
