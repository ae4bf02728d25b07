//! The `/v1` route table: each operation's method, path and handler with what the document
//! says about it. The router and the OpenAPI document are both built from this one list, so a
//! route cannot exist without its documentation, nor be documented without existing.

use super::{
    create, debit_batches, identity, kcode, mandates, openapi, payments, preauth, refund_batches,
    refunds, transactions,
};
use crate::state::AppState;
use axum::routing::{MethodRouter, get, post};
use std::borrow::Cow;
use unipay_api::ErrorCode as E;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
        }
    }
}

/// A schema's component name (`<T as ToSchema>::name`).
pub type SchemaName = fn() -> Cow<'static, str>;

pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
    pub handler: fn() -> MethodRouter<AppState>,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Whether the request must be signed (every operation but the document itself).
    pub signed: bool,
    pub params: &'static [Param],
    pub body: Option<Body>,
    pub answer: Answer,
    /// The codes this operation's own logic answers; those every signed request, every path
    /// parameter and every query string may meet are added by the document.
    pub errors: &'static [E],
}

pub struct Body {
    pub schema: SchemaName,
    /// Capture takes no body, `{}` or `{"amount": n}`.
    pub required: bool,
}

pub struct Answer {
    pub status: u16,
    /// None for the document itself, which is not described by a schema of ours.
    pub schema: Option<SchemaName>,
    pub description: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text { max_length: Option<usize> },
    Boolean,
    Integer { minimum: i64, maximum: i64 },
    Date,
    DateTime,
}

pub struct Param {
    pub name: &'static str,
    pub place: Place,
    pub required: bool,
    pub kind: Kind,
    pub description: &'static str,
}

const ID: Param = Param {
    name: "id",
    place: Place::Path,
    required: true,
    kind: Kind::Text { max_length: None },
    description: "The object's id.",
};

const IDEMPOTENCY_KEY: Param = Param {
    name: "Idempotency-Key",
    place: Place::Header,
    required: false,
    kind: Kind::Text {
        max_length: Some(128),
    },
    description: "1-128 visible ASCII characters. A retry with the same key and body gets the first answer again; with another body, idempotency_key_reused.",
};

const SYNC: Param = Param {
    name: "sync",
    place: Place::Query,
    required: false,
    kind: Kind::Boolean,
    description: "Ask the bank first while the object is still open.",
};

fn name<T: ToSchema>() -> Cow<'static, str> {
    T::name()
}

fn body<T: ToSchema>() -> Option<Body> {
    Some(Body {
        schema: name::<T>,
        required: true,
    })
}

fn answer<T: ToSchema>(status: u16, description: &'static str) -> Answer {
    Answer {
        status,
        schema: Some(name::<T>),
        description,
    }
}

type PaymentObject = unipay_api::Payment<'static>;

/// The codes every create that takes an Idempotency-Key may answer.
const KEYED: [E; 3] = [
    E::InvalidIdempotencyKey,
    E::IdempotencyKeyInFlight,
    E::IdempotencyKeyReused,
];

/// Every `/v1` operation.
pub fn routes() -> Vec<Route> {
    let mut routes = payment_routes();
    routes.extend(refund_routes());
    routes.extend(mandate_routes());
    routes.extend(other_routes());
    routes
}

fn payment_routes() -> Vec<Route> {
    vec![
        Route {
            verb: Verb::Post,
            path: "/v1/payments",
            handler: || post(create::create_payment),
            operation_id: "createPayment",
            summary: "Create a payment; method kcode texts the consumer a code instead of a cashier page (KPayVerifyReq), and its answer carries the kcode member",
            signed: true,
            params: &[IDEMPOTENCY_KEY],
            body: body::<unipay_api::CreatePayment>(),
            answer: answer::<PaymentObject>(201, "The payment."),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::InvalidAmount,
                E::InvalidCurrency,
                KEYED[0],
                KEYED[1],
                KEYED[2],
                E::DuplicateOutTradeNo,
                E::NoChannelAccount,
                E::KcodeNotOffered,
                E::KcodeBillRefused,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/payments",
            handler: || get(payments::find_payment),
            operation_id: "findPayment",
            summary: "Find a payment by out_trade_no",
            signed: true,
            params: &[
                Param {
                    name: "out_trade_no",
                    place: Place::Query,
                    required: true,
                    kind: Kind::Text {
                        max_length: Some(64),
                    },
                    description: "The merchant's number of the payment.",
                },
                SYNC,
            ],
            body: None,
            answer: answer::<PaymentObject>(200, "The payment."),
            errors: &[E::PaymentNotFound, E::BankUnavailable],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/payments/{id}",
            handler: || get(payments::get_payment),
            operation_id: "getPayment",
            summary: "Get a payment",
            signed: true,
            params: &[ID, SYNC],
            body: None,
            answer: answer::<PaymentObject>(200, "The payment."),
            errors: &[E::PaymentNotFound, E::BankUnavailable],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/payments/{id}/close",
            handler: || post(payments::close_payment),
            operation_id: "closePayment",
            summary: "Close an unpaid payment after the bank confirms it unpaid",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<PaymentObject>(200, "The payment, closed."),
            errors: &[
                E::PaymentNotFound,
                E::PaymentNotClosable,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/payments/{id}/capture",
            handler: || post(preauth::capture_payment),
            operation_id: "capturePayment",
            summary: "Capture (part of) an authorized pre-authorization; a repeat answers the same",
            signed: true,
            params: &[ID],
            body: Some(Body {
                schema: name::<unipay_api::CapturePayment>,
                required: false,
            }),
            answer: answer::<PaymentObject>(200, "The payment, captured."),
            errors: &[
                E::InvalidJson,
                E::InvalidAmount,
                E::PaymentNotFound,
                E::PaymentNotAuthorized,
                E::PaymentAlreadyCaptured,
                E::PaymentCancelled,
                E::CaptureExceedsAuthorized,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/payments/{id}/cancel",
            handler: || post(preauth::cancel_payment),
            operation_id: "cancelPayment",
            summary: "Release an authorized pre-authorization; a repeat answers the same",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<PaymentObject>(200, "The payment, cancelled."),
            errors: &[
                E::PaymentNotFound,
                E::PaymentNotAuthorized,
                E::PaymentAlreadyCaptured,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/payments/{id}/kcode/confirm",
            handler: || post(kcode::confirm),
            operation_id: "confirmKcode",
            summary: "Pay a K-code payment with the texted code (KPayReq); a repeat after success answers the same",
            signed: true,
            params: &[ID],
            body: body::<unipay_api::ConfirmKcode>(),
            answer: answer::<PaymentObject>(200, "The payment with its kcode member."),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::PaymentNotFound,
                E::PaymentNotKcode,
                E::KcodeNotOffered,
                E::KcodeNotAwaitingCode,
                E::KcodeAttemptsExhausted,
                E::KcodeWrongCode,
                E::KcodeCodeExpired,
                E::KcodeRefused,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/payments/{id}/kcode/resend",
            handler: || post(kcode::resend),
            operation_id: "resendKcode",
            summary: "Text a new code for a K-code payment (KPayResendReq); the old code stops working; rate-limited",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<PaymentObject>(200, "The payment with its kcode member."),
            errors: &[
                E::InvalidJson,
                E::PaymentNotFound,
                E::PaymentNotKcode,
                E::KcodeNotAwaitingCode,
                E::KcodeAttemptsExhausted,
                E::KcodeResendTooSoon,
                E::KcodeResendLimit,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
    ]
}

fn refund_routes() -> Vec<Route> {
    vec![
        Route {
            verb: Verb::Post,
            path: "/v1/payments/{id}/refunds",
            handler: || post(refunds::create_refund),
            operation_id: "createRefund",
            summary: "Refund (part of) a paid payment; pending until the bank answers",
            signed: true,
            params: &[ID, IDEMPOTENCY_KEY],
            body: body::<unipay_api::CreateRefund>(),
            answer: answer::<unipay_api::Refund<'static>>(201, "The refund."),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::InvalidAmount,
                KEYED[0],
                KEYED[1],
                KEYED[2],
                E::PaymentNotFound,
                E::PaymentNotPaid,
                E::PaymentNotCaptured,
                E::RefundExceedsRefundable,
                E::DuplicateOutRefundNo,
                E::BankUnavailable,
            ],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/payments/{id}/refunds",
            handler: || get(refunds::list_payment_refunds),
            operation_id: "listPaymentRefunds",
            summary: "A payment's refunds, oldest first",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<unipay_api::RefundList<'static>>(200, "The payment's refunds."),
            errors: &[E::PaymentNotFound],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/refunds",
            handler: || get(refunds::find_refund),
            operation_id: "findRefund",
            summary: "Find a refund by out_refund_no",
            signed: true,
            params: &[Param {
                name: "out_refund_no",
                place: Place::Query,
                required: true,
                kind: Kind::Text {
                    max_length: Some(64),
                },
                description: "The merchant's number of the refund.",
            }],
            body: None,
            answer: answer::<unipay_api::Refund<'static>>(200, "The refund."),
            errors: &[E::RefundNotFound],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/refunds/{id}",
            handler: || get(refunds::get_refund),
            operation_id: "getRefund",
            summary: "Get a refund",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<unipay_api::Refund<'static>>(200, "The refund."),
            errors: &[E::RefundNotFound],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/refund-batches",
            handler: || post(refund_batches::create_batch),
            operation_id: "createRefundBatch",
            summary: "Refund up to 10000 lines at once; validated whole, then sent to the bank; lines become refunds with their own notifications",
            signed: true,
            params: &[IDEMPOTENCY_KEY],
            body: body::<unipay_api::CreateRefundBatch>(),
            answer: answer::<unipay_api::RefundBatch<'static>>(
                201,
                "The batch with its lines (a replay: the batch as first created, without them).",
            ),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::InvalidAmount,
                KEYED[0],
                KEYED[1],
                KEYED[2],
                E::DuplicateOutBatchNo,
                E::RefundBatchLinesInvalid,
            ],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/refund-batches/{id}",
            handler: || get(refund_batches::get_batch),
            operation_id: "getRefundBatch",
            summary: "A refund batch with each line's status",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<unipay_api::RefundBatch<'static>>(200, "The batch with its lines."),
            errors: &[E::RefundBatchNotFound],
        },
    ]
}

fn mandate_routes() -> Vec<Route> {
    vec![
        Route {
            verb: Verb::Post,
            path: "/v1/mandates",
            handler: || post(mandates::create_mandate),
            operation_id: "createMandate",
            summary: "Create a mandate (授权支付, AgentSign): send the customer to sign_url; the result arrives as mandate.active or mandate.failed",
            signed: true,
            params: &[IDEMPOTENCY_KEY],
            body: body::<unipay_api::CreateMandate>(),
            answer: answer::<unipay_api::Mandate<'static>>(201, "The mandate, pending."),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::InvalidAmount,
                KEYED[0],
                KEYED[1],
                KEYED[2],
                E::DuplicateOutMandateNo,
                E::NoChannelAccount,
                E::BankUnavailable,
            ],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/mandates/{id}",
            handler: || get(mandates::get_mandate),
            operation_id: "getMandate",
            summary: "Get a mandate; sync=true asks the bank (QueryAgentSign) while it is pending",
            signed: true,
            params: &[ID, SYNC],
            body: None,
            answer: answer::<unipay_api::Mandate<'static>>(200, "The mandate."),
            errors: &[E::MandateNotFound, E::BankUnavailable],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/mandates/{id}/cancel",
            handler: || post(mandates::cancel_mandate),
            operation_id: "cancelMandate",
            summary: "End a mandate at the bank (AgentUnSign); a repeat answers the same",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<unipay_api::Mandate<'static>>(200, "The mandate, cancelled."),
            errors: &[
                E::MandateNotFound,
                E::MandateNotActive,
                E::MandateExpired,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/mandates/{id}/debits",
            handler: || post(mandates::create_debit),
            operation_id: "createDebit",
            summary: "Debit an active mandate without the customer (AgentPay): a payment with the usual notifications",
            signed: true,
            params: &[ID, IDEMPOTENCY_KEY],
            body: body::<unipay_api::CreateDebit>(),
            answer: answer::<PaymentObject>(201, "The debit's payment."),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::InvalidAmount,
                KEYED[0],
                KEYED[1],
                KEYED[2],
                E::MandateNotFound,
                E::MandateNotActive,
                E::MandateCancelled,
                E::MandateExpired,
                E::DuplicateOutTradeNo,
                E::DebitExceedsMandateLimit,
                E::BankUnavailable,
                E::BankResultUnknown,
            ],
        },
        Route {
            verb: Verb::Post,
            path: "/v1/debit-batches",
            handler: || post(debit_batches::create_batch),
            operation_id: "createDebitBatch",
            summary: "Debit up to 10000 mandates at once (AgentBatch); validated whole; each line becomes a payment with its own final status and notification",
            signed: true,
            params: &[IDEMPOTENCY_KEY],
            body: body::<unipay_api::CreateDebitBatch>(),
            answer: answer::<unipay_api::DebitBatch<'static>>(
                201,
                "The batch with its lines (a replay: the batch as first created, without them).",
            ),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::InvalidAmount,
                KEYED[0],
                KEYED[1],
                KEYED[2],
                E::DuplicateOutDebitBatchNo,
                E::NoChannelAccount,
                E::DebitBatchLinesInvalid,
            ],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/debit-batches/{id}",
            handler: || get(debit_batches::get_batch),
            operation_id: "getDebitBatch",
            summary: "A debit batch with each line's status (collected with AgentBatchQuery)",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<unipay_api::DebitBatch<'static>>(200, "The batch with its lines."),
            errors: &[E::DebitBatchNotFound],
        },
    ]
}

fn other_routes() -> Vec<Route> {
    vec![
        Route {
            verb: Verb::Post,
            path: "/v1/identity-verifications",
            handler: || post(identity::create_verification),
            operation_id: "createIdentityVerification",
            summary: "Verify an identity (身份验证): redirect mode answers verify_url and pending, the verdict arrives later as identity.verified; direct mode answers the verdict. Personal data is kept only masked and as keyed hashes",
            signed: true,
            params: &[IDEMPOTENCY_KEY],
            body: body::<unipay_api::CreateIdentityVerification>(),
            answer: answer::<unipay_api::IdentityVerification<'static>>(201, "The verification."),
            errors: &[
                E::InvalidJson,
                E::InvalidRequest,
                E::InvalidVerifyMode,
                E::InvalidCertificate,
                E::InvalidCardNo,
                E::InvalidMobile,
                KEYED[0],
                KEYED[1],
                KEYED[2],
                E::DuplicateOutVerifyNo,
                E::NoChannelAccount,
                E::PersonalDataKeyMissing,
                E::BankUnavailable,
            ],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/identity-verifications/{id}",
            handler: || get(identity::get_verification),
            operation_id: "getIdentityVerification",
            summary: "Get an identity verification",
            signed: true,
            params: &[ID],
            body: None,
            answer: answer::<unipay_api::IdentityVerification<'static>>(200, "The verification."),
            errors: &[E::IdentityVerificationNotFound],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/transactions",
            handler: || get(transactions::list_transactions),
            operation_id: "listTransactions",
            summary: "The app's payments and refunds (交易流水), newest first, by keyset cursor (stable while rows are inserted)",
            signed: true,
            params: &[
                Param {
                    name: "from",
                    place: Place::Query,
                    required: false,
                    kind: Kind::DateTime,
                    description: "Created at or after (RFC 3339).",
                },
                Param {
                    name: "to",
                    place: Place::Query,
                    required: false,
                    kind: Kind::DateTime,
                    description: "Created before (RFC 3339).",
                },
                Param {
                    name: "status",
                    place: Place::Query,
                    required: false,
                    kind: Kind::Text { max_length: None },
                    description: "Only this status.",
                },
                Param {
                    name: "type",
                    place: Place::Query,
                    required: false,
                    kind: Kind::Text { max_length: None },
                    description: "payment or refund.",
                },
                Param {
                    name: "cursor",
                    place: Place::Query,
                    required: false,
                    kind: Kind::Text { max_length: None },
                    description: "The next_cursor of the previous page.",
                },
                Param {
                    name: "limit",
                    place: Place::Query,
                    required: false,
                    kind: Kind::Integer {
                        minimum: 1,
                        maximum: 1000,
                    },
                    description: "Rows per page; 100 when absent.",
                },
            ],
            body: None,
            answer: answer::<unipay_api::TransactionPage>(200, "One page."),
            errors: &[],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/channel-transactions",
            handler: || get(transactions::channel_transactions),
            operation_id: "listChannelTransactions",
            summary: "The bank's records (QueryTrnxRecords) of some hours of a day, parsed",
            signed: true,
            params: &[
                Param {
                    name: "channel_account",
                    place: Place::Query,
                    required: false,
                    kind: Kind::Text { max_length: None },
                    description: "The app's channel account (the only one it may ask about); the app's when absent.",
                },
                Param {
                    name: "date",
                    place: Place::Query,
                    required: true,
                    kind: Kind::Date,
                    description: "The day, YYYY-MM-DD.",
                },
                Param {
                    name: "start_hour",
                    place: Place::Query,
                    required: false,
                    kind: Kind::Integer {
                        minimum: 0,
                        maximum: 23,
                    },
                    description: "0 when absent.",
                },
                Param {
                    name: "end_hour",
                    place: Place::Query,
                    required: false,
                    kind: Kind::Integer {
                        minimum: 0,
                        maximum: 23,
                    },
                    description: "23 when absent; not before start_hour.",
                },
            ],
            body: None,
            answer: answer::<unipay_api::ChannelTransactions>(200, "The bank's records."),
            errors: &[E::NoChannelAccount, E::BankUnavailable],
        },
        Route {
            verb: Verb::Get,
            path: "/v1/openapi.json",
            handler: || get(openapi::document),
            operation_id: "getOpenApiDocument",
            summary: "This document (OpenAPI 3.1); not signed",
            signed: false,
            params: &[],
            body: None,
            answer: Answer {
                status: 200,
                schema: None,
                description: "The OpenAPI document of the merchant API.",
            },
            errors: &[],
        },
    ]
}
