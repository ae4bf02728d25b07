"""Signed calls to unipay's ``/v1`` API, one method per documented operation."""

import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

from .models import (ChannelTransactions, DebitBatch, IdentityVerification, Mandate, Payment,
                     Refund, RefundBatch, RefundList, TransactionPage)
from .operations import OPERATIONS
from .signing import sign_request


class ApiError(Exception):
    """A refusal: the HTTP status and the error envelope's ``code`` and ``message``
    (``payment_id`` names the existing payment of a ``duplicate_out_trade_no``)."""

    def __init__(self, status: int, code: str, message: str, payment_id: Optional[str] = None,
                 body: Optional[Dict[str, Any]] = None):
        super().__init__(f"HTTP {status}: {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.payment_id = payment_id
        self.body = body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A signed request is signed for its own path: following a redirect would send it elsewhere.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _drop_none(fields: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


class Client:
    """``Client(base_url, app_id, secret)``; every method answers a typed object or raises
    :class:`ApiError`. Amounts are integers in fen."""

    def __init__(self, base_url: str, app_id: str, secret: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = secret
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    # Payments

    def create_payment(self, out_trade_no: str, amount: int, subject: str, currency: str = "CNY",
                       notify_url: Optional[str] = None, return_url: Optional[str] = None,
                       expires_in_seconds: Optional[int] = None,
                       metadata: Optional[Dict[str, Any]] = None, capture: Optional[str] = None,
                       method: Optional[str] = None, card_no: Optional[str] = None,
                       mobile_no: Optional[str] = None, channel: Optional[str] = None,
                       idempotency_key: Optional[str] = None) -> Payment:
        body = _drop_none({
            "out_trade_no": out_trade_no, "amount": amount, "currency": currency,
            "subject": subject, "notify_url": notify_url, "return_url": return_url,
            "expires_in_seconds": expires_in_seconds, "metadata": metadata, "capture": capture,
            "method": method, "card_no": card_no, "mobile_no": mobile_no, "channel": channel,
        })
        return Payment(self.call("createPayment", body=body, idempotency_key=idempotency_key))

    def find_payment(self, out_trade_no: str) -> Payment:
        return Payment(self.call("findPayment", query={"out_trade_no": out_trade_no}))

    def get_payment(self, payment_id: str, sync: bool = False) -> Payment:
        query = {"sync": "true"} if sync else None
        return Payment(self.call("getPayment", {"id": payment_id}, query=query))

    def close_payment(self, payment_id: str) -> Payment:
        return Payment(self.call("closePayment", {"id": payment_id}))

    def capture_payment(self, payment_id: str, amount: Optional[int] = None) -> Payment:
        body = _drop_none({"amount": amount})
        return Payment(self.call("capturePayment", {"id": payment_id}, body=body))

    def cancel_payment(self, payment_id: str) -> Payment:
        return Payment(self.call("cancelPayment", {"id": payment_id}))

    def confirm_kcode(self, payment_id: str, verify_code: str, account_name: str,
                      certificate_type: str, certificate_no: str,
                      exp_date: Optional[str] = None, cvv2: Optional[str] = None) -> Payment:
        body = _drop_none({
            "verify_code": verify_code, "account_name": account_name,
            "certificate_type": certificate_type, "certificate_no": certificate_no,
            "exp_date": exp_date, "cvv2": cvv2,
        })
        return Payment(self.call("confirmKcode", {"id": payment_id}, body=body))

    def resend_kcode(self, payment_id: str) -> Payment:
        return Payment(self.call("resendKcode", {"id": payment_id}))

    # Refunds

    def create_refund(self, payment_id: str, out_refund_no: str, amount: int,
                      reason: Optional[str] = None,
                      idempotency_key: Optional[str] = None) -> Refund:
        body = _drop_none({"out_refund_no": out_refund_no, "amount": amount, "reason": reason})
        return Refund(self.call("createRefund", {"id": payment_id}, body=body,
                                idempotency_key=idempotency_key))

    def list_payment_refunds(self, payment_id: str) -> RefundList:
        return RefundList(self.call("listPaymentRefunds", {"id": payment_id}))

    def find_refund(self, out_refund_no: str) -> Refund:
        return Refund(self.call("findRefund", query={"out_refund_no": out_refund_no}))

    def get_refund(self, refund_id: str) -> Refund:
        return Refund(self.call("getRefund", {"id": refund_id}))

    def create_refund_batch(self, out_batch_no: str, lines: List[Dict[str, Any]],
                            idempotency_key: Optional[str] = None) -> RefundBatch:
        body = {"out_batch_no": out_batch_no, "lines": lines}
        return RefundBatch(self.call("createRefundBatch", body=body,
                                     idempotency_key=idempotency_key))

    def get_refund_batch(self, batch_id: str) -> RefundBatch:
        return RefundBatch(self.call("getRefundBatch", {"id": batch_id}))

    # Mandates and debits

    def create_mandate(self, out_mandate_no: str, customer_ref: str, card_type: str,
                       certificate_type: str, certificate_no: str, expires_on: str,
                       max_amount_per_debit: Optional[int] = None,
                       notify_url: Optional[str] = None, return_url: Optional[str] = None,
                       idempotency_key: Optional[str] = None) -> Mandate:
        """``card_type`` "1" (debit) or "3" (credit); ``expires_on`` YYYY-MM-DD, the last day.
        Send the customer to the answer's ``sign_url``."""
        body = _drop_none({
            "out_mandate_no": out_mandate_no, "customer_ref": customer_ref,
            "card_type": card_type, "certificate_type": certificate_type,
            "certificate_no": certificate_no, "expires_on": expires_on,
            "max_amount_per_debit": max_amount_per_debit, "notify_url": notify_url,
            "return_url": return_url,
        })
        return Mandate(self.call("createMandate", body=body, idempotency_key=idempotency_key))

    def get_mandate(self, mandate_id: str, sync: bool = False) -> Mandate:
        query = {"sync": "true"} if sync else None
        return Mandate(self.call("getMandate", {"id": mandate_id}, query=query))

    def cancel_mandate(self, mandate_id: str) -> Mandate:
        return Mandate(self.call("cancelMandate", {"id": mandate_id}))

    def create_debit(self, mandate_id: str, out_trade_no: str, amount: int, subject: str,
                     notify_url: Optional[str] = None,
                     idempotency_key: Optional[str] = None) -> Payment:
        body = _drop_none({"out_trade_no": out_trade_no, "amount": amount, "subject": subject,
                           "notify_url": notify_url})
        return Payment(self.call("createDebit", {"id": mandate_id}, body=body,
                                 idempotency_key=idempotency_key))

    def create_debit_batch(self, out_batch_no: str, lines: List[Dict[str, Any]],
                           idempotency_key: Optional[str] = None) -> DebitBatch:
        body = {"out_batch_no": out_batch_no, "lines": lines}
        return DebitBatch(self.call("createDebitBatch", body=body,
                                    idempotency_key=idempotency_key))

    def get_debit_batch(self, batch_id: str) -> DebitBatch:
        return DebitBatch(self.call("getDebitBatch", {"id": batch_id}))

    # Identity verification

    def create_identity_verification(self, out_verify_no: str, mode: str, customer_type: str,
                                     name: str, certificate_type: str, certificate_no: str,
                                     card_no: str, mobile: Optional[str] = None,
                                     notify_url: Optional[str] = None,
                                     return_url: Optional[str] = None,
                                     idempotency_key: Optional[str] = None
                                     ) -> IdentityVerification:
        """``mode`` "redirect" (send the customer to ``verify_url``) or "direct";
        ``customer_type`` "person" or "company"."""
        body = _drop_none({
            "out_verify_no": out_verify_no, "mode": mode, "customer_type": customer_type,
            "name": name, "certificate_type": certificate_type,
            "certificate_no": certificate_no, "card_no": card_no, "mobile": mobile,
            "notify_url": notify_url, "return_url": return_url,
        })
        return IdentityVerification(self.call("createIdentityVerification", body=body,
                                              idempotency_key=idempotency_key))

    def get_identity_verification(self, verification_id: str) -> IdentityVerification:
        return IdentityVerification(self.call("getIdentityVerification",
                                              {"id": verification_id}))

    # Transactions and the document

    def list_transactions(self, from_: Optional[str] = None, to: Optional[str] = None,
                          status: Optional[str] = None, type_: Optional[str] = None,
                          cursor: Optional[str] = None,
                          limit: Optional[int] = None) -> TransactionPage:
        """``from_`` and ``to`` are RFC 3339 times; ``type_`` is ``payment`` or ``refund``."""
        query = _drop_none({"from": from_, "to": to, "status": status, "type": type_,
                            "cursor": cursor, "limit": limit})
        return TransactionPage(self.call("listTransactions", query=query))

    def list_channel_transactions(self, channel_account: str, date: str,
                                  start_hour: Optional[int] = None,
                                  end_hour: Optional[int] = None) -> ChannelTransactions:
        query = _drop_none({"channel_account": channel_account, "date": date,
                            "start_hour": start_hour, "end_hour": end_hour})
        return ChannelTransactions(self.call("listChannelTransactions", query=query))

    def openapi_document(self) -> Dict[str, Any]:
        return self.call("getOpenApiDocument")

    # The one way out

    def call(self, operation_id: str, path_params: Optional[Dict[str, str]] = None,
             query: Optional[Dict[str, Any]] = None, body: Optional[Dict[str, Any]] = None,
             idempotency_key: Optional[str] = None) -> Any:
        """Sends the documented operation ``operation_id`` signed, and answers its JSON."""
        method, template = OPERATIONS[operation_id]
        path = template
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        if "{" in path:
            raise ValueError(f"{operation_id}: a path parameter is missing in {path}")
        if query:
            path += "?" + urllib.parse.urlencode(
                {k: _query_value(v) for k, v in query.items()})
        data = b"" if body is None else json.dumps(body, ensure_ascii=False,
                                                   separators=(",", ":")).encode("utf-8")
        timestamp = int(time.time())
        nonce = secrets.token_hex(16)
        headers = {
            "Authorization": sign_request(self.app_id, self._secret, method, path, timestamp,
                                          nonce, data),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(self.base_url + path,
                                         data=None if method == "GET" else data,
                                         headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as refusal:
            status, text = refusal.code, refusal.read()
        return _answer(status, text)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _answer(status: int, text: bytes) -> Any:
    try:
        decoded = json.loads(text.decode("utf-8")) if text else None
    except ValueError:
        decoded = None
    if 200 <= status < 300:
        if decoded is None:
            raise ApiError(status, "unreadable_answer", text[:200].decode("utf-8", "replace"))
        return decoded
    error = decoded.get("error") if isinstance(decoded, dict) else None
    if not isinstance(error, dict):
        raise ApiError(status, "unknown", text[:200].decode("utf-8", "replace"), body=decoded)
    raise ApiError(status, str(error.get("code", "unknown")), str(error.get("message", "")),
                   error.get("payment_id"), decoded)
