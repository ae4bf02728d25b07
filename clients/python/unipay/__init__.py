"""The client of unipay's merchant API: signed requests, typed answers, and verification of
the notifications and return URLs unipay sends."""

from .client import ApiError, Client
from .models import (ApiObject, ChannelTransactions, DebitBatch, Event, IdentityVerification,
                     Mandate, Payment, Refund, RefundBatch, RefundList, TransactionPage)
from .notifications import parse_notification
from .operations import OPERATIONS
from .signing import SignatureError, sign_request, verify_notification, verify_return_url

__all__ = [
    "ApiError", "ApiObject", "ChannelTransactions", "Client", "DebitBatch", "Event",
    "IdentityVerification", "Mandate", "OPERATIONS", "Payment", "Refund", "RefundBatch",
    "RefundList", "SignatureError", "TransactionPage", "parse_notification", "sign_request",
    "verify_notification", "verify_return_url",
]
