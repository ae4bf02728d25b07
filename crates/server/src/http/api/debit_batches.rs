//! `POST /v1/debit-batches` and `GET /v1/debit-batches/{id}`: up to 10,000 debits of signed
//! mandates in one request. Every line is judged in the create transaction; a batch with a bad
//! line is refused whole (422 with every bad line and why). An accepted batch is one payment
//! per line, sent to the bank after its commit; the janitor collects the results.

use crate::flows;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::create::idempotency_request;
use crate::http::api::error::ApiError;
use crate::http::api::mandate_input::{self, DebitInput, invalid};
use crate::http::api::mandates::{DEBIT_EXPIRES_IN_MS, debit_refusal_error};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use unipay_core::clock::rfc3339;
use unipay_core::ids::{new_body, new_id};
use unipay_core::payment::{CaptureMode, PaymentStatus};
use unipay_store::mandates::batches::{
    CreateDebitBatch, DebitBatch, DebitBatchLine, LineError, LineProblem, NewDebitBatch,
    NewDebitLine,
};
use unipay_store::payments::NewPayment;

pub const MAX_LINES: usize = 10_000;
/// A line's payment is asked about on its own only if the batch never tells.
const LINE_QUERY_GRACE_MS: i64 = 10 * 60_000;

pub async fn create_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let idempotency = idempotency_request(&headers, &request)?;
    let app = &request.app;
    let route = state.channel_route(app).await?.ok_or_else(|| {
        ApiError::new(
            "no_channel_account",
            "the app's merchant has no channel account",
        )
    })?;
    let (out_batch_no, parsed) = parse(&request.body)?;
    let now = state.now_ms();
    let mut lines = Vec::with_capacity(parsed.len());
    for (mandate_id, input) in parsed {
        let (fee, bank_fee) = route.fees_for(input.amount);
        lines.push(NewDebitLine {
            mandate_id,
            payment: NewPayment {
                id: new_id("pay", now),
                app_id: app.id.clone(),
                merchant_id: app.merchant_id.clone(),
                channel_account_id: route.channel_account_id.clone(),
                channel: route.channel.clone(),
                out_trade_no: input.out_trade_no,
                order_no: new_body(now),
                amount: input.amount,
                currency: "CNY".to_string(),
                subject: input.subject,
                return_url: None,
                notify_url: input.notify_url.or_else(|| app.notify_url.clone()),
                metadata: None,
                expires_at: now + DEBIT_EXPIRES_IN_MS,
                created_at: now,
                fee,
                bank_fee,
                capture: CaptureMode::Immediate,
            },
        });
    }
    let new = NewDebitBatch {
        id: new_id("dbt", now),
        app_id: app.id.clone(),
        merchant_id: app.merchant_id.clone(),
        channel_account_id: route.channel_account_id.clone(),
        out_batch_no,
        batch_no: new_body(now),
        lines,
        next_query_at: now + state.config.janitor.resend_grace_ms,
        line_query_at: now + LINE_QUERY_GRACE_MS,
        today: flows::mandates::today(&state),
        created_at: now,
    };
    let outcome = state
        .store
        .create_debit_batch(&new, Some(&nonce), idempotency.as_ref(), &render_short)
        .await?;
    let batch = match answered(outcome)? {
        Answered::Fresh(CreateDebitBatch::Created(batch)) => batch,
        Answered::Fresh(other) => {
            let (status, body) = render_short(&other);
            return Ok(respond(status, body));
        }
        Answered::Replay { status, body } => return Ok(respond(status, body)),
    };
    if let Err(error) = flows::debit_batches::send_batch(&state, &batch).await {
        // Committed already: the janitor sends it when its first look is due.
        tracing::warn!(%error, batch_id = %batch.id, "sending the debit batch failed");
    }
    batch_response(&state, &batch.id, 201).await
}

/// The body: `out_batch_no` and each line's mandate and debit, every line checked so that a
/// bad one names itself.
pub(crate) fn parse(body: &[u8]) -> Result<(String, Vec<(String, DebitInput)>), ApiError> {
    let fields = mandate_input::object(body)?;
    let out_batch_no = mandate_input::number(&fields, "out_batch_no")?;
    let raw_lines = fields
        .get("lines")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("lines must be an array"))?;
    if raw_lines.is_empty() || raw_lines.len() > MAX_LINES {
        return Err(invalid(format!(
            "lines holds {}, 1 to {MAX_LINES} are allowed",
            raw_lines.len()
        )));
    }
    let mut lines = Vec::with_capacity(raw_lines.len());
    for (index, line) in raw_lines.iter().enumerate() {
        let n = index + 1;
        let Value::Object(line) = line else {
            return Err(invalid(format!("line {n} must be an object")));
        };
        let mandate_id = match line.get("mandate_id") {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= 64 => id.clone(),
            _ => return Err(invalid(format!("line {n}: mandate_id is required"))),
        };
        let input = mandate_input::debit_fields(line).map_err(|mut e| {
            e.message = format!("line {n}: {}", e.message);
            e
        })?;
        lines.push((mandate_id, input));
    }
    Ok((out_batch_no, lines))
}

pub async fn get_batch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let owned = state
        .store
        .get_debit_batch(&id)
        .await?
        .filter(|b| b.app_id == request.app.id);
    if owned.is_none() {
        return Err(not_found());
    }
    batch_response(&state, &id, 200).await
}

fn not_found() -> ApiError {
    ApiError::new(
        "debit_batch_not_found",
        "no debit batch of this app has this id",
    )
}

async fn batch_response(state: &AppState, id: &str, status: u16) -> Result<Response, ApiError> {
    let batch = state
        .store
        .get_debit_batch(id)
        .await?
        .ok_or_else(not_found)?;
    let lines = state.store.debit_batch_lines(id).await?;
    let mut body = batch_json(&batch);
    let tally = |wanted: PaymentStatus| {
        let picked = lines.iter().filter(|l| l.status == wanted);
        (
            picked.clone().count(),
            picked.map(|l| l.amount).sum::<i64>(),
        )
    };
    let (succeeded_count, succeeded_amount) = tally(PaymentStatus::Succeeded);
    let (failed_count, failed_amount) = tally(PaymentStatus::Failed);
    if let Some(object) = body.as_object_mut() {
        object.insert("succeeded_count".into(), json!(succeeded_count));
        object.insert("succeeded_amount".into(), json!(succeeded_amount));
        object.insert("failed_count".into(), json!(failed_count));
        object.insert("failed_amount".into(), json!(failed_amount));
        object.insert(
            "lines".into(),
            Value::Array(lines.iter().map(line_json).collect()),
        );
    }
    Ok(respond(status, body.to_string()))
}

fn batch_json(batch: &DebitBatch) -> Value {
    json!({
        "id": batch.id,
        "out_batch_no": batch.out_batch_no,
        "status": batch.status.as_str(),
        "line_count": batch.line_count,
        "total_amount": batch.total_amount,
        "reason": batch.reason,
        "created_at": rfc3339(batch.created_at),
        "finished_at": batch.finished_at.map(rfc3339),
    })
}

fn line_json(line: &DebitBatchLine) -> Value {
    json!({
        "seq_no": line.seq_no,
        "payment_id": line.payment_id,
        "mandate_id": line.mandate_id,
        "out_trade_no": line.out_trade_no,
        "amount": line.amount,
        "status": line.status.as_str(),
        "channel_trade_no": line.channel_trade_no,
        "failure_reason": line.failure_reason,
    })
}

/// The answer saved under the idempotency key: the batch without its lines.
fn render_short(outcome: &CreateDebitBatch) -> (u16, String) {
    match outcome {
        CreateDebitBatch::Created(batch) => (201, batch_json(batch).to_string()),
        CreateDebitBatch::Duplicate(existing) => {
            let error = ApiError::new(
                "duplicate_out_debit_batch_no",
                "the app already has a debit batch with this out_batch_no",
            );
            let body = json!({"error": {"code": error.code, "message": error.message, "batch_id": existing.id}});
            (error.status().as_u16(), body.to_string())
        }
        CreateDebitBatch::LinesRejected(errors) => {
            let error = ApiError::new(
                "debit_batch_lines_invalid",
                format!("{} lines cannot be debited; nothing was done", errors.len()),
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
        LineProblem::MandateNotFound => (
            "mandate_not_found",
            "no mandate of this app has this id".to_string(),
        ),
        LineProblem::Refused(refusal) => {
            let e = debit_refusal_error(refusal);
            (e.code, e.message)
        }
        LineProblem::OutTradeNoTaken { payment_id } => (
            "duplicate_out_trade_no",
            format!("payment {payment_id} already has this out_trade_no"),
        ),
        LineProblem::OutTradeNoRepeated { first_line } => (
            "duplicate_out_trade_no",
            format!("line {first_line} has the same out_trade_no"),
        ),
    };
    json!({"line": error.line, "code": code, "message": message})
}
