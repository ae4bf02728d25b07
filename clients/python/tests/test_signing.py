"""The signatures, against the vectors the Rust client and the server agree on."""

import hashlib
import hmac
import unittest

from unipay import SignatureError, parse_notification, sign_request, verify_notification
from unipay import verify_return_url


def hmac_hex(secret, data):
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


class RequestSignature(unittest.TestCase):
    def test_matches_the_documented_string(self):
        header = sign_request("app_1", "secret", "POST", "/v1/payments", 5, "n", b"{}")
        expected = hmac_hex("secret", b"POST\n/v1/payments\n5\nn\n"
                            b"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        self.assertEqual(
            header,
            f"UNIPAY-HMAC-SHA256 app_id=app_1,timestamp=5,nonce=n,signature={expected}")


class NotificationSignature(unittest.TestCase):
    body = '{"id":"evt_1","type":"payment.succeeded","data":{"id":"pay_1","subject":"学费"}}'.encode()

    def header(self, t=100, secret="s", body=None):
        return f"t={t},v1={hmac_hex(secret, str(t).encode() + b'.' + (body or self.body))}"

    def reason(self, *args, **kwargs):
        with self.assertRaises(SignatureError) as caught:
            verify_notification(*args, **kwargs)
        return caught.exception.reason

    def test_accepts_the_signed_body_within_tolerance(self):
        verify_notification("s", self.header(), self.body, now=100)
        verify_notification("s", self.header(), self.body, now=400)
        event = parse_notification("s", self.header(), self.body, now=100)
        self.assertEqual(event.id, "evt_1")
        self.assertEqual(event.payment.subject, "学费")

    def test_rejects_tampering_staleness_and_nonsense(self):
        self.assertEqual(self.reason("x", self.header(), self.body, now=100), "mismatch")
        self.assertEqual(self.reason("s", self.header(), b"{}", now=100), "mismatch")
        self.assertEqual(self.reason("s", self.header(), self.body, now=401), "stale")
        self.assertEqual(self.reason("s", self.header(), self.body, now=-201), "stale")
        for header in ["nonsense", "", None, "t=100", "t=x,v1=00", "t=100,v1=00,x=1",
                       "t=+100,v1=00", "t=-,v1=00", "t=١٠٠,v1=00"]:
            self.assertEqual(self.reason("s", header, self.body, now=100), "malformed", header)


class ReturnUrlSignature(unittest.TestCase):
    signed = "payment_id=pay_1&out_trade_no=T+1%E5%AD%A6&status=succeeded&amount=500&t=1000"

    def url(self, prefix="https://shop.example/return?order=7&", signed=None, secret="s"):
        signed = signed or self.signed
        return f"{prefix}{signed}&signature={hmac_hex(secret, signed.encode())}"

    def reason(self, url, now=1000):
        with self.assertRaises(SignatureError) as caught:
            verify_return_url("s", url, now=now)
        return caught.exception.reason

    def test_answers_the_signed_values(self):
        values = verify_return_url("s", self.url(), now=1000)
        self.assertEqual(values, {"payment_id": "pay_1", "out_trade_no": "T 1学",
                                  "status": "succeeded", "amount": "500", "t": "1000"})
        verify_return_url("s", self.url(prefix="https://shop.example/return?"), now=1299)

    def test_rejects_a_tampered_stale_or_reshaped_query(self):
        self.assertEqual(self.reason(self.url().replace("succeeded", "failed")), "mismatch")
        self.assertEqual(self.reason(self.url(secret="x")), "mismatch")
        self.assertEqual(self.reason(self.url(), now=1301), "stale")
        # The Rust client's substring search would take "xpayment_id=" as the start.
        reshaped = "xpayment_id=pay_1&out_trade_no=T&status=succeeded&amount=500&t=1000"
        self.assertEqual(self.reason(self.url(signed=reshaped)), "malformed")
        self.assertEqual(self.reason(self.url() + "&extra=1"), "malformed")
        self.assertEqual(self.reason("https://shop.example/return?payment_id=pay_1"), "malformed")


if __name__ == "__main__":
    unittest.main()
