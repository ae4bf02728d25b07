//! `POST /v1/payments/{id}/capture` {amount?} and `POST /v1/payments/{id}/cancel`: finishing a
//! pre-authorization. Both are idempotent (a repeat of what happened answers 200 with the
//! payment) and race-safe (the bank acts once per operation number; the state change is
//! version-checked; a loser learns the winner's result by query).

use crate::flows;
use crate::flows::objects::payment::payment_object;
use crate::flows::objects::to_json;
use crate::flows::preauth::{PreAuthConclusion, capture_amount};
use crate::http::api::auth::SignedRequest;
use crate::http::api::error::{ApiError, json_response};
use crate::http::api::extract::ApiPath;
use crate::http::api::payments::flow_error;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use unipay_api::ErrorCode;
use unipay_core::channel::PreAuthOperation;
use unipay_core::payment::{CaptureMode, PaymentStatus};
use unipay_store::payments::Payment;

pub async fn capture_payment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let asked = parse_amount(&request.body)?;
    let payment = owned(&request, state.store.get_payment(&id).await?)?;
    if let Some(answer) = capture_settled(&state, &payment, asked)? {
        return Ok(answer);
    }
    let amount = capture_amount(&payment, asked).map_err(|fen| {
        ApiError::new(
            ErrorCode::InvalidAmount,
            format!("amount {fen} is not a capturable amount"),
        )
    })?;
    // The channel's limit: all of the hold at ABC, 115 % of it at UnionPay.
    let limit = flows::preauth::capture_limit(&state, &payment)
        .await
        .map_err(flow_error)?;
    if amount.fen() > limit {
        return Err(ApiError::new(
            ErrorCode::CaptureExceedsAuthorized,
            format!(
                "{} fen is more than the {limit} fen a capture of the {} fen authorized may take",
                amount.fen(),
                payment.amount.fen()
            ),
        ));
    }
    let conclusion =
        flows::preauth::operate(&state, &payment, PreAuthOperation::Confirm { amount })
            .await
            .map_err(flow_error)?;
    let after = settled(conclusion)?;
    capture_settled(&state, &after, Some(amount.fen()))?.ok_or_else(|| not_authorized(&after))
}

pub async fn cancel_payment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let payment = owned(&request, state.store.get_payment(&id).await?)?;
    if let Some(answer) = cancel_settled(&state, &payment)? {
        return Ok(answer);
    }
    // The bank's own client sends a Cancel with the amount held.
    let held = payment.amount;
    let cancel = PreAuthOperation::Cancel { amount: held };
    let conclusion = flows::preauth::operate(&state, &payment, cancel)
        .await
        .map_err(flow_error)?;
    let after = settled(conclusion)?;
    cancel_settled(&state, &after)?.ok_or_else(|| not_authorized(&after))
}

/// The answer when the payment's state already decides a capture of `asked` (a repeat, or a
/// refusal); `None` when it is authorized and the bank must be asked.
fn capture_settled(
    state: &AppState,
    payment: &Payment,
    asked: Option<i64>,
) -> Result<Option<Response>, ApiError> {
    preauth_only(payment)?;
    match payment.status {
        PaymentStatus::Authorized => Ok(None),
        PaymentStatus::Succeeded if asked.is_none() || asked == payment.captured_amount => {
            Ok(Some(object(state, payment)))
        }
        PaymentStatus::Succeeded => Err(already_captured(payment)),
        PaymentStatus::Cancelled => Err(ApiError::new(
            ErrorCode::PaymentCancelled,
            "the pre-authorization was cancelled",
        )),
        _ => Err(not_authorized(payment)),
    }
}

fn cancel_settled(state: &AppState, payment: &Payment) -> Result<Option<Response>, ApiError> {
    preauth_only(payment)?;
    match payment.status {
        PaymentStatus::Authorized => Ok(None),
        PaymentStatus::Cancelled => Ok(Some(object(state, payment))),
        PaymentStatus::Succeeded => Err(already_captured(payment)),
        _ => Err(not_authorized(payment)),
    }
}

fn settled(conclusion: PreAuthConclusion) -> Result<Payment, ApiError> {
    match conclusion {
        PreAuthConclusion::Settled(payment) => Ok(*payment),
        PreAuthConclusion::Refused(reason) => {
            Err(ApiError::new(ErrorCode::BankUnavailable, reason))
        }
        PreAuthConclusion::Unknown(reason) => Err(ApiError::new(
            ErrorCode::BankResultUnknown,
            format!("the bank could not confirm the operation ({reason}); retry later"),
        )),
        PreAuthConclusion::CaptureWindowClosed { days } => Err(ApiError::new(
            ErrorCode::CaptureWindowClosed,
            format!("the hold is more than {days} days old: its bank takes no capture of it"),
        )),
    }
}

fn preauth_only(payment: &Payment) -> Result<(), ApiError> {
    if payment.capture == CaptureMode::Manual {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PaymentNotAuthorized,
            "the payment is not a pre-authorization",
        ))
    }
}

fn not_authorized(payment: &Payment) -> ApiError {
    ApiError::new(
        ErrorCode::PaymentNotAuthorized,
        format!("the payment is {}, not authorized", payment.status),
    )
}

fn already_captured(payment: &Payment) -> ApiError {
    ApiError::new(
        ErrorCode::PaymentAlreadyCaptured,
        format!(
            "the pre-authorization was captured ({} fen)",
            payment.captured_amount.unwrap_or(0)
        ),
    )
}

fn owned(request: &SignedRequest, found: Option<Payment>) -> Result<Payment, ApiError> {
    found.filter(|p| p.app_id == request.app.id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::PaymentNotFound,
            "no payment of this app has this id",
        )
    })
}

fn object(state: &AppState, payment: &Payment) -> Response {
    json_response(
        StatusCode::OK,
        to_json(&payment_object(payment, &state.config.public_url)),
    )
}

/// `{"amount": n}`, `{}` or an empty body (capture everything).
pub(crate) fn parse_amount(body: &[u8]) -> Result<Option<i64>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    match value.get("amount") {
        None | Some(Value::Null) if value.is_object() => Ok(None),
        Some(v) => v.as_i64().filter(|fen| *fen >= 1).map(Some).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidAmount,
                "amount must be a positive integer number of fen",
            )
        }),
        None => Err(ApiError::new(
            ErrorCode::InvalidJson,
            "the body must be a JSON object",
        )),
    }
}
