//! `POST /v1/refund-batches` and `GET /v1/refund-batches/{id}`: up to 10,000 refunds in one
//! request. Every line is validated in the create transaction; a batch with a bad line is
//! refused whole (422 with every bad line and why). An accepted batch is sent to the bank after
//! its commit; the janitor collects the lines' results.

use crate::flows;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::create::idempotency_request;
use crate::http::api::error::ApiError;
use crate::http::api::refunds::refusal_error;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use unipay_core::clock::rfc3339;
use unipay_core::ref_no::RefNo;
use unipay_core::refund::MAX_BATCH_LINES;
use unipay_store::refunds::PaymentRef;
use unipay_store::refunds::batch::{
    BatchRefusal, CreateRefundBatch, LineError, LineProblem, NewBatchLine, NewRefundBatch,
    RefundBatch, RefundBatchLine,
};

pub async fn create_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let idempotency = idempotency_request(&headers, &request)?;
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
    Path(id): Path<String>,
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
        "refund_batch_not_found",
        "no refund batch of this app has this id",
    )
}

async fn batch_response(state: &AppState, id: &str, status: u16) -> Result<Response, ApiError> {
    let (batch, lines) = state
        .store
        .get_refund_batch_with_lines(id)
        .await?
        .ok_or_else(not_found)?;
    let mut body = batch_json(&batch);
    if let Some(object) = body.as_object_mut() {
        object.insert(
            "lines".into(),
            Value::Array(lines.iter().map(line_json).collect()),
        );
    }
    Ok(respond(status, body.to_string()))
}

fn batch_json(batch: &RefundBatch) -> Value {
    json!({
        "id": batch.id,
        "out_batch_no": batch.out_batch_no,
        "status": batch.status.as_str(),
        "line_count": batch.line_count,
        "total_amount": batch.total_amount,
        "succeeded_count": batch.succeeded_count,
        "succeeded_amount": batch.succeeded_amount,
        "failed_count": batch.failed_count,
        "failed_amount": batch.failed_amount,
        "reason": batch.reason,
        "created_at": rfc3339(batch.created_at),
        "finished_at": batch.finished_at.map(rfc3339),
    })
}

fn line_json(line: &RefundBatchLine) -> Value {
    json!({
        "seq_no": line.seq_no,
        "refund_id": line.refund_id,
        "payment_id": line.payment_id,
        "out_refund_no": line.out_refund_no,
        "amount": line.amount,
        "status": line.status.as_str(),
        "channel_refund_no": line.channel_refund_no,
        "failure_reason": line.failure_reason,
    })
}

/// The answer saved under the idempotency key: the batch without its lines (a replay or a
/// later GET shows them as they stand).
fn render_short(outcome: &CreateRefundBatch) -> (u16, String) {
    match outcome {
        CreateRefundBatch::Created(batch) => (201, batch_json(batch).to_string()),
        CreateRefundBatch::Duplicate(existing) => {
            let error = ApiError::new(
                "duplicate_out_batch_no",
                "the app already has a refund batch with this out_batch_no",
            );
            let body = json!({"error": {"code": error.code, "message": error.message, "batch_id": existing.id}});
            (error.status().as_u16(), body.to_string())
        }
        CreateRefundBatch::Refused(refusal) => {
            let message = match refusal {
                BatchRefusal::NoLines => "lines must hold at least one line".to_string(),
                BatchRefusal::TooManyLines { lines } => {
                    format!("lines holds {lines}, at most {MAX_BATCH_LINES} are allowed")
                }
            };
            let error = ApiError::new("invalid_request", message);
            (error.status().as_u16(), error.body())
        }
        CreateRefundBatch::LinesRejected(errors) => {
            let error = ApiError::new(
                "refund_batch_lines_invalid",
                format!(
                    "{} lines cannot be refunded; nothing was done",
                    errors.len()
                ),
            );
            let lines: Vec<Value> = errors.iter().map(line_error_json).collect();
            let body =
                json!({"error": {"code": error.code, "message": error.message, "lines": lines}});
            (error.status().as_u16(), body.to_string())
        }
    }
}

fn line_error_json(error: &LineError) -> Value {
    let (code, message) = match &error.problem {
        LineProblem::Refused(refusal) => {
            let e = refusal_error(refusal);
            (e.code, e.message)
        }
        LineProblem::OutRefundNoTaken { refund_id } => (
            "duplicate_out_refund_no",
            format!("refund {refund_id} already has this out_refund_no"),
        ),
        LineProblem::OutRefundNoRepeated { first_line } => (
            "duplicate_out_refund_no",
            format!("line {first_line} has the same out_refund_no"),
        ),
        LineProblem::OtherChannelAccount { channel_account_id } => (
            "invalid_request",
            format!(
                "the payment went through channel account {channel_account_id}, not the batch's"
            ),
        ),
    };
    json!({"line": error.line, "code": code, "message": message})
}

fn invalid(problem: String) -> ApiError {
    ApiError::new("invalid_request", problem)
}

pub(crate) fn parse(body: &[u8]) -> Result<(String, Vec<NewBatchLine>), ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new("invalid_json", format!("the body is not valid JSON: {e}")))?;
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
                "invalid_amount",
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
