//! `POST /v1/refund-batches` and `GET /v1/refund-batches/{id}`: up to 10,000 refunds in one
//! request. Every line is validated in the create transaction; a batch with a bad line is
//! refused whole (422 with every bad line and why). An accepted batch is sent to the bank after
//! its commit; the janitor collects the lines' results.

use crate::flows;
use crate::flows::objects::batch::refund_batch_object;
use crate::flows::objects::to_json;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::create::idempotency_request;
use crate::http::api::error::ApiError;
use crate::http::api::error::envelope_json;
use crate::http::api::extract::ApiPath;
use crate::http::api::refunds::refusal_error;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;
use unipay_api::{ErrorBody, ErrorCode};
use unipay_core::ref_no::RefNo;
use unipay_core::refund::MAX_BATCH_LINES;
use unipay_store::refunds::PaymentRef;
use unipay_store::refunds::batch::{
    BatchRefusal, CreateRefundBatch, LineError, LineProblem, NewBatchLine, NewRefundBatch,
};

pub async fn create_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let idempotency = idempotency_request(state.pii.as_ref(), &headers, &request)?;
    let (out_batch_no, lines) = parse(&request.body)?;
    let now = state.now_ms();
    let new = NewRefundBatch {
        app_id: request.app.id.clone(),
        out_batch_no,
        channel_account_id: None,
        lines,
        notify_url: None,
        next_query_at: Some(now + state.config.janitor.resend_grace_ms),
        created_at: now,
    };
    let outcome = state
        .store
        .create_refund_batch(&new, Some(&nonce), idempotency.as_ref(), &render_short)
        .await?;
    let batch = match answered(outcome)? {
        Answered::Fresh(CreateRefundBatch::Created(batch)) => batch,
        Answered::Fresh(other) => {
            let (status, body) = render_short(&other);
            return Ok(respond(status, body));
        }
        Answered::Replay { status, body } => return Ok(respond(status, body)),
    };
    if let Err(error) = flows::refund_batches::send_batch(&state, &batch).await {
        // Committed already: the janitor sends it when its first look is due.
        tracing::warn!(%error, batch_id = %batch.id, "sending the batch failed");
    }
    batch_response(&state, &batch.id, 201).await
}

pub async fn get_batch(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let owned = state
        .store
        .get_refund_batch(&id)
        .await?
        .filter(|b| b.app_id == request.app.id);
    if owned.is_none() {
        return Err(not_found());
    }
    batch_response(&state, &id, 200).await
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::RefundBatchNotFound,
        "no refund batch of this app has this id",
    )
}

async fn batch_response(state: &AppState, id: &str, status: u16) -> Result<Response, ApiError> {
    let (batch, lines) = state
        .store
        .get_refund_batch_with_lines(id)
        .await?
        .ok_or_else(not_found)?;
    Ok(respond(
        status,
        to_json(&refund_batch_object(&batch, Some(&lines))),
    ))
}

/// The answer saved under the idempotency key: the batch without its lines (a replay or a
/// later GET shows them as they stand).
fn render_short(outcome: &CreateRefundBatch) -> (u16, String) {
    match outcome {
        CreateRefundBatch::Created(batch) => (201, to_json(&refund_batch_object(batch, None))),
        CreateRefundBatch::Duplicate(existing) => {
            let error = ApiError::new(
                ErrorCode::DuplicateOutBatchNo,
                "the app already has a refund batch with this out_batch_no",
            );
            let mut detail = error.detail();
            detail.batch_id = Some(existing.id.as_str().into());
            (
                error.status().as_u16(),
                envelope_json(&ErrorBody::from(detail)),
            )
        }
        CreateRefundBatch::Refused(refusal) => {
            let message = match refusal {
                BatchRefusal::NoLines => "lines must hold at least one line".to_string(),
                BatchRefusal::TooManyLines { lines } => {
                    format!("lines holds {lines}, at most {MAX_BATCH_LINES} are allowed")
                }
            };
            let error = ApiError::new(ErrorCode::InvalidRequest, message);
            (error.status().as_u16(), error.body())
        }
        CreateRefundBatch::LinesRejected(errors) => {
            let error = ApiError::new(
                ErrorCode::RefundBatchLinesInvalid,
                format!(
                    "{} lines cannot be refunded; nothing was done",
                    errors.len()
                ),
            );
            let mut detail = error.detail();
            detail.lines = Some(errors.iter().map(line_error).collect());
            (
                error.status().as_u16(),
                envelope_json(&ErrorBody::from(detail)),
            )
        }
    }
}

fn line_error(error: &LineError) -> unipay_api::LineError<'static> {
    let (code, message) = match &error.problem {
        LineProblem::Refused(refusal) => {
            let e = refusal_error(refusal);
            (e.code, e.message)
        }
        LineProblem::OutRefundNoTaken { refund_id } => (
            ErrorCode::DuplicateOutRefundNo,
            format!("refund {refund_id} already has this out_refund_no"),
        ),
        LineProblem::OutRefundNoRepeated { first_line } => (
            ErrorCode::DuplicateOutRefundNo,
            format!("line {first_line} has the same out_refund_no"),
        ),
        LineProblem::OtherChannelAccount { channel_account_id } => (
            ErrorCode::InvalidRequest,
            format!(
                "the payment went through channel account {channel_account_id}, not the batch's"
            ),
        ),
    };
    unipay_api::LineError {
        line: error.line,
        code,
        message: message.into(),
    }
}

fn invalid(problem: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, problem)
}

pub(crate) fn parse(body: &[u8]) -> Result<(String, Vec<NewBatchLine>), ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let out_batch_no = value["out_batch_no"]
        .as_str()
        .filter(|s| RefNo::is_valid(s))
        .ok_or_else(|| invalid("out_batch_no must be 1-64 characters of A-Z a-z 0-9 - _ .".into()))?
        .to_string();
    let raw_lines = value["lines"]
        .as_array()
        .ok_or_else(|| invalid("lines must be an array".into()))?;
    if raw_lines.len() > MAX_BATCH_LINES {
        return Err(invalid(format!(
            "lines holds {}, at most {MAX_BATCH_LINES} are allowed",
            raw_lines.len()
        )));
    }
    let mut lines = Vec::with_capacity(raw_lines.len());
    for (i, line) in raw_lines.iter().enumerate() {
        let n = i + 1;
        let payment = match (line["payment_id"].as_str(), line["out_trade_no"].as_str()) {
            (Some(id), None) => PaymentRef::Id(id.to_string()),
            (None, Some(no)) => PaymentRef::OutTradeNo(no.to_string()),
            _ => {
                return Err(invalid(format!(
                    "line {n}: give payment_id or out_trade_no"
                )));
            }
        };
        let out_refund_no = line["out_refund_no"]
            .as_str()
            .filter(|s| RefNo::is_valid(s))
            .ok_or_else(|| {
                invalid(format!(
                    "line {n}: out_refund_no must be 1-64 characters of A-Z a-z 0-9 - _ ."
                ))
            })?
            .to_string();
        let amount = line["amount"].as_i64().ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidAmount,
                format!("line {n}: amount must be an integer number of fen"),
            )
        })?;
        let reason = match &line["reason"] {
            Value::Null => None,
            Value::String(s) if s.chars().count() <= 128 => Some(s.clone()),
            _ => {
                return Err(invalid(format!(
                    "line {n}: reason must be a string of at most 128 characters"
                )));
            }
        };
        lines.push(NewBatchLine {
            payment,
            out_refund_no,
            amount,
            reason,
        });
    }
    Ok((out_batch_no, lines))
}
