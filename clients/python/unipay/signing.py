"""The request signature and the two signatures unipay sends back (notifications and return
URLs), exactly as the API documentation describes them."""

import hashlib
import hmac
import time
from typing import Dict, Optional
from urllib.parse import unquote_plus

DEFAULT_TOLERANCE_SECONDS = 300

# The parameters unipay appends to return_url, in the order it signs them.
RETURN_URL_SIGNED_KEYS = ("payment_id", "out_trade_no", "status", "amount", "t")


class SignatureError(Exception):
    """A notification or return URL whose signature does not hold.

    ``reason`` is ``"malformed"``, ``"mismatch"`` or ``"stale"``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _hmac_hex(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


def sign_request(app_id: str, secret: str, method: str, path_and_query: str,
                 timestamp: int, nonce: str, body: bytes) -> str:
    """The ``Authorization`` header value for a request."""
    string_to_sign = "\n".join([
        method,
        path_and_query,
        str(timestamp),
        nonce,
        hashlib.sha256(body).hexdigest(),
    ])
    signature = _hmac_hex(secret, string_to_sign.encode("utf-8"))
    return (f"UNIPAY-HMAC-SHA256 app_id={app_id},timestamp={timestamp},"
            f"nonce={nonce},signature={signature}")


def _check_time(t: int, now: Optional[int], tolerance: int) -> None:
    now = int(time.time()) if now is None else now
    if abs(now - t) > tolerance:
        raise SignatureError("stale", "the signature is too old or from the future")


def _parse_unix(text: str) -> int:
    # int() alone would take "+5", " 5" or "٥"; the server writes plain ASCII digits.
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise SignatureError("malformed", "the timestamp is not an integer")
    return int(text)


def verify_notification(secret: str, header: Optional[str], body: bytes,
                        now: Optional[int] = None,
                        tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> None:
    """Checks ``Unipay-Signature: t=<unix>,v1=<hex>`` over ``t + "." + body``.

    ``body`` must be the raw bytes received: a re-serialised JSON body would not match.
    Raises :class:`SignatureError` when it does not hold."""
    if not header:
        raise SignatureError("malformed", "no Unipay-Signature header")
    t = None
    v1 = None
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", "the signature header is malformed")
        if key == "t":
            t = _parse_unix(value)
        elif key == "v1":
            v1 = value
        else:
            raise SignatureError("malformed", "the signature header is malformed")
    if t is None or v1 is None:
        raise SignatureError("malformed", "the signature header is malformed")
    expected = _hmac_hex(secret, str(t).encode("ascii") + b"." + body)
    if not hmac.compare_digest(expected.encode(), v1.lower().encode("utf-8")):
        raise SignatureError("mismatch", "the signature does not match")
    _check_time(t, now, tolerance)


def verify_return_url(secret: str, url_or_query: str, now: Optional[int] = None,
                      tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> Dict[str, str]:
    """Checks the query unipay appends to ``return_url`` and returns its signed values
    (``payment_id``, ``out_trade_no``, ``status``, ``amount``, ``t``).

    The signed parameters are the five just before ``signature``, which comes last; the
    business system's own parameters may precede them. The timestamp ``t`` must be within
    ``tolerance`` seconds, so a link cannot be replayed later."""
    query = url_or_query.split("#", 1)[0]
    if "?" in query:
        query = query.split("?", 1)[1]
    parts = query.split("&")
    count = len(RETURN_URL_SIGNED_KEYS)
    if len(parts) < count + 1:
        raise SignatureError("malformed", "the return URL lacks the signed parameters")
    signature_key, sep, signature = parts[-1].partition("=")
    if signature_key != "signature" or not sep:
        raise SignatureError("malformed", "the signature is not the last parameter")
    signed_parts = parts[-1 - count:-1]
    values = {}
    for expected_key, part in zip(RETURN_URL_SIGNED_KEYS, signed_parts):
        key, sep, value = part.partition("=")
        if key != expected_key or not sep:
            raise SignatureError("malformed",
                                 f"expected {expected_key} among the signed parameters")
        values[key] = unquote_plus(value)
    expected = _hmac_hex(secret, "&".join(signed_parts).encode("utf-8"))
    if not hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8")):
        raise SignatureError("mismatch", "the signature does not match")
    _check_time(_parse_unix(values["t"]), now, tolerance)
    return values
