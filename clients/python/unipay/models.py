"""Typed views of the objects the API answers. Each keeps the whole JSON object in ``raw`` so
that members a newer server adds are not lost; the named attributes are the documented ones."""

from typing import Any, Dict, List, Optional


class ApiObject:
    """A JSON object answered by the API; documented members are attributes."""

    FIELDS: tuple = ()

    def __init__(self, raw: Dict[str, Any]):
        if not isinstance(raw, dict):
            raise TypeError(
                f"{type(self).__name__} expects a JSON object, got {type(raw).__name__}")
        self.raw = raw

    def __getattr__(self, name: str) -> Any:
        # A documented member that the answer omits (an optional one) reads as None; any other
        # name must be present, so that a typo fails rather than answering None.
        raw = self.__dict__.get("raw", {})
        if name in raw:
            return raw[name]
        if name in type(self).FIELDS:
            return None
        raise AttributeError(f"{type(self).__name__} has no member {name!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.raw!r})"


class Payment(ApiObject):
    FIELDS = ("id", "app_id", "out_trade_no", "amount", "currency", "subject", "status",
              "channel", "channel_account_id", "channel_order_no", "channel_trade_no", "accounting_date", "paid_at",
              "cashier_url", "return_url", "notify_url", "expires_at", "created_at",
              "metadata", "capture", "captured_amount", "refunded_amount", "kcode")


class Refund(ApiObject):
    FIELDS = ("id", "payment_id", "out_refund_no", "amount", "currency", "reason", "status",
              "channel_refund_no", "accounting_date", "failure_reason", "batch_id",
              "created_at", "finished_at")


class RefundList(ApiObject):
    FIELDS = ("payment_id", "refunds")

    @property
    def refunds(self) -> List[Refund]:
        return [Refund(item) for item in self.raw.get("refunds", [])]


class RefundBatch(ApiObject):
    FIELDS = ("id", "out_batch_no", "status", "line_count", "total_amount", "succeeded_count",
              "succeeded_amount", "failed_count", "failed_amount", "reason", "created_at",
              "finished_at", "lines")


class Mandate(ApiObject):
    FIELDS = ("id", "app_id", "out_mandate_no", "status", "customer_ref", "card_type",
              "card_masked", "certificate_type", "certificate_no_masked", "expires_on",
              "max_amount_per_debit", "sign_url", "channel_sign_no", "agent_sign_no",
              "failure_reason", "notify_url", "return_url", "created_at", "signed_at",
              "ended_at")


class DebitBatch(ApiObject):
    FIELDS = RefundBatch.FIELDS


class IdentityVerification(ApiObject):
    FIELDS = ("id", "object", "app_id", "out_verify_no", "mode", "customer_type", "status",
              "name_masked", "certificate_type", "certificate_no_masked", "card_no_masked",
              "mobile_masked", "verify_url", "channel_verify_no", "reason_code", "reason",
              "repeat_of", "seen_before", "notify_url", "return_url", "created_at",
              "finished_at")


class TransactionPage(ApiObject):
    """A page of the app's payments and refunds; pass ``next_cursor`` on for the next."""

    FIELDS = ("data", "next_cursor")


class ChannelTransactions(ApiObject):
    """The bank's own record of a channel account's day."""

    FIELDS = ("channel_account", "date", "start_hour", "end_hour", "records", "unreadable")


class Event(ApiObject):
    """A verified notification: ``{id, type, created_at, data}``."""

    FIELDS = ("id", "type", "created_at", "data")

    @property
    def payment(self) -> Optional[Payment]:
        if str(self.raw.get("type", "")).startswith("payment."):
            return Payment(self.raw["data"])
        return None

    @property
    def refund(self) -> Optional[Refund]:
        if str(self.raw.get("type", "")).startswith("refund."):
            return Refund(self.raw["data"])
        return None
