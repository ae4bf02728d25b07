//! Single refunds: `POST /v1/payments/{id}/refunds`, `GET /v1/refunds/{id}`,
//! `GET /v1/refunds?out_refund_no=…`, `GET /v1/payments/{id}/refunds`. The refund is committed
//! pending (its amount reserved) before the bank is called; the bank's answer is applied after.

use crate::flows;
use crate::flows::objects::refund::refund_object;
use crate::flows::objects::to_json;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::create::idempotency_request;
use crate::http::api::error::ApiError;
use crate::http::api::error::envelope_json;
use crate::http::api::extract::{ApiPath, ApiQuery};
use crate::http::api::payments::flow_error;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use unipay_api::{ErrorBody, ErrorCode, RefundList};
use unipay_core::ref_no::RefNo;
use unipay_core::refund::RefundRefusal;
use unipay_store::refunds::{CreateRefund, NewRefund, PaymentRef, Refund};

const MAX_REASON_CHARS: usize = 128;

pub(crate) struct RefundInput {
    out_refund_no: String,
    amount: i64,
    reason: Option<String>,
}

pub async fn create_refund(
    State(state): State<AppState>,
    ApiPath(payment_id): ApiPath<String>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let idempotency = idempotency_request(state.pii.as_ref(), &headers, &request)?;
    let input = parse(&request.body)?;
    let now = state.now_ms();
    let new = NewRefund {
        app_id: request.app.id.clone(),
        payment: PaymentRef::Id(payment_id),
        out_refund_no: input.out_refund_no,
        amount: input.amount,
        reason: input.reason,
        notify_url: None,
        next_query_at: Some(now + state.config.janitor.resend_grace_ms),
        created_at: now,
    };
    let (outcome, payment) = state
        .store
        .create_refund_with_payment(&new, Some(&nonce), idempotency.as_ref(), &render_outcome)
        .await?;
    let created = match answered(outcome)? {
        Answered::Fresh(CreateRefund::Created(refund)) => refund,
        Answered::Fresh(other) => {
            let (status, body) = render_outcome(&other);
            return Ok(respond(status, body));
        }
        Answered::Replay { status: 201, body } => return replay_created(&state, body).await,
        Answered::Replay { status, body } => return Ok(respond(status, body)),
    };
    crate::crash::crash_point("refund.after_commit_before_bank_call");
    let sent = match &payment {
        Some(payment) => flows::refunds::send_created_refund(&state, &created, payment).await,
        None => flows::refunds::send_refund(&state, &created).await,
    };
    let after = sent.map_err(flow_error)?;
    Ok(respond(201, to_json(&refund_object(&after))))
}

/// A retry of a request that created a refund gets that refund as it stands now: the saved
/// answer is the refund as first committed (pending), while the first caller already heard
/// the bank's answer; showing the current state keeps both callers' views consistent.
async fn replay_created(state: &AppState, saved: String) -> Result<Response, ApiError> {
    let id = serde_json::from_str::<Value>(&saved)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string));
    let current = match id {
        Some(id) => state.store.get_refund(&id).await?,
        None => None,
    };
    Ok(match current {
        Some(refund) => respond(201, to_json(&refund_object(&refund))),
        None => respond(201, saved),
    })
}

/// The answer saved under the idempotency key (a created refund as first committed, pending).
fn render_outcome(outcome: &CreateRefund) -> (u16, String) {
    match outcome {
        CreateRefund::Created(refund) => (201, to_json(&refund_object(refund))),
        CreateRefund::Duplicate(existing) => {
            let error = ApiError::new(
                ErrorCode::DuplicateOutRefundNo,
                "the app already has a refund with this out_refund_no",
            );
            let mut detail = error.detail();
            detail.refund_id = Some(existing.id.as_str().into());
            let mut body = ErrorBody::from(detail);
            body.refund = Some(refund_object(existing));
            (error.status().as_u16(), envelope_json(&body))
        }
        CreateRefund::Refused(refusal) => {
            let error = refusal_error(refusal);
            (error.status().as_u16(), error.body())
        }
    }
}

pub(crate) fn refusal_error(refusal: &RefundRefusal) -> ApiError {
    let code = match refusal {
        RefundRefusal::PaymentNotFound => ErrorCode::PaymentNotFound,
        RefundRefusal::NotPaid { .. } => ErrorCode::PaymentNotPaid,
        RefundRefusal::NotCaptured => ErrorCode::PaymentNotCaptured,
        RefundRefusal::AmountNotPositive => ErrorCode::InvalidAmount,
        RefundRefusal::ExceedsRefundable { .. } => ErrorCode::RefundExceedsRefundable,
    };
    ApiError::new(code, refusal.to_string())
}

fn invalid(field: &str, problem: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, format!("{field} {problem}"))
}

pub(crate) fn parse(body: &[u8]) -> Result<RefundInput, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(fields) = value else {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            "the body must be a JSON object",
        ));
    };
    let out_refund_no = match fields.get("out_refund_no") {
        Some(Value::String(s)) if RefNo::is_valid(s) => s.clone(),
        None | Some(Value::Null) => return Err(invalid("out_refund_no", "is required")),
        Some(_) => {
            return Err(invalid(
                "out_refund_no",
                "must be 1-64 characters of A-Z a-z 0-9 - _ .",
            ));
        }
    };
    // Zero and negative amounts pass here: the store refuses them with the payment's other
    // rules, so the refusal is kept under the idempotency key like any other.
    let amount = match fields.get("amount") {
        None | Some(Value::Null) => return Err(invalid("amount", "is required")),
        Some(v) => v.as_i64().ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidAmount,
                "amount must be an integer number of fen",
            )
        })?,
    };
    let reason = match fields.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s))
            if s.chars().count() <= MAX_REASON_CHARS && !s.chars().any(char::is_control) =>
        {
            Some(s.clone())
        }
        Some(_) => {
            return Err(invalid(
                "reason",
                "must be at most 128 characters without control characters",
            ));
        }
    };
    Ok(RefundInput {
        out_refund_no,
        amount,
        reason,
    })
}

#[derive(Deserialize)]
pub struct FindParams {
    out_refund_no: Option<String>,
}

pub async fn get_refund(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let refund = owned(&request, state.store.get_refund(&id).await?)?;
    Ok(respond(200, to_json(&refund_object(&refund))))
}

pub async fn find_refund(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<FindParams>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let out_refund_no = params
        .out_refund_no
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "out_refund_no is required"))?;
    let found = state
        .store
        .get_refund_by_out_refund_no(&request.app.id, &out_refund_no)
        .await?;
    let refund = owned(&request, found)?;
    Ok(respond(200, to_json(&refund_object(&refund))))
}

pub async fn list_payment_refunds(
    State(state): State<AppState>,
    ApiPath(payment_id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let payment = state
        .store
        .get_payment(&payment_id)
        .await?
        .filter(|p| p.app_id == request.app.id)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::PaymentNotFound,
                "no payment of this app has this id",
            )
        })?;
    let refunds = state.store.list_refunds_for_payment(&payment.id).await?;
    let list = RefundList {
        payment_id: payment.id.as_str().into(),
        refunds: refunds.iter().map(refund_object).collect(),
    };
    Ok(respond(200, to_json(&list)))
}

fn owned(request: &SignedRequest, found: Option<Refund>) -> Result<Refund, ApiError> {
    // Another app's refund is reported as absent, like payments.
    found.filter(|r| r.app_id == request.app.id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::RefundNotFound,
            "no refund of this app has this id",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> &'static str {
        parse(body.as_bytes())
            .err()
            .map(|e| e.code.as_str())
            .unwrap_or("ok")
    }

    #[test]
    fn each_fault_has_its_code() {
        assert_eq!(code(r#"{"out_refund_no":"R-1","amount":100}"#), "ok");
        assert_eq!(code(r#"{"out_refund_no":"R-1","amount":0}"#), "ok");
        assert_eq!(code("{"), "invalid_json");
        assert_eq!(code(r#"{"amount":1}"#), "invalid_request");
        assert_eq!(
            code(r#"{"out_refund_no":"a b","amount":1}"#),
            "invalid_request"
        );
        assert_eq!(
            code(r#"{"out_refund_no":"R","amount":1.5}"#),
            "invalid_amount"
        );
        assert_eq!(code(r#"{"out_refund_no":"R"}"#), "invalid_request");
        assert_eq!(
            code(r#"{"out_refund_no":"R","amount":1,"reason":7}"#),
            "invalid_request"
        );
    }

    #[test]
    fn every_refusal_has_a_documented_code() {
        use unipay_core::payment::PaymentStatus;
        for refusal in [
            RefundRefusal::PaymentNotFound,
            RefundRefusal::NotPaid {
                status: PaymentStatus::Closed,
            },
            RefundRefusal::NotCaptured,
            RefundRefusal::AmountNotPositive,
            RefundRefusal::ExceedsRefundable {
                requested: 2,
                remaining: 1,
            },
        ] {
            let code = refusal_error(&refusal).code;
            assert!(ErrorCode::ALL.contains(&code), "{code}");
        }
    }
}
