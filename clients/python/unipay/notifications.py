"""Receiving notifications: verify, then parse. Framework-neutral, so that a Django, Flask or
``http.server`` endpoint is three lines (see the package README)."""

import json
from typing import Optional

from .models import Event
from .signing import DEFAULT_TOLERANCE_SECONDS, verify_notification


def parse_notification(secret: str, signature_header: Optional[str], body: bytes,
                       now: Optional[int] = None,
                       tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> Event:
    """Verifies the ``Unipay-Signature`` header over the raw body and answers the event.

    Raises :class:`unipay.SignatureError` when the signature does not hold: answer 400 then,
    and 2xx only once the event is handled (unipay retries until it gets a 2xx, with the same
    event id, so handle each id once)."""
    verify_notification(secret, signature_header, body, now=now, tolerance=tolerance)
    return Event(json.loads(body.decode("utf-8")))
