//! `POST /v1/debit-batches` and `GET /v1/debit-batches/{id}`: up to 10,000 debits of signed
//! mandates in one request. Every line is judged in the create transaction; a batch with a bad
//! line is refused whole (422 with every bad line and why). An accepted batch is one payment
//! per line, sent to the bank after its commit; the janitor collects the results.

use crate::flows;
use crate::flows::objects::batch::debit_batch_object;
use crate::flows::objects::to_json;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::create::idempotency_request;
use crate::http::api::error::ApiError;
use crate::http::api::error::envelope_json;
use crate::http::api::extract::ApiPath;
use crate::http::api::mandate_input::{self, DebitInput, invalid};
use crate::http::api::mandates::{DEBIT_EXPIRES_IN_MS, debit_refusal_error};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;
use unipay_api::{ErrorBody, ErrorCode};
use unipay_core::ids::{new_body, new_id};
use unipay_core::payment::CaptureMode;
use unipay_store::mandates::batches::{
    CreateDebitBatch, LineError, LineProblem, NewDebitBatch, NewDebitLine,
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
    let idempotency = idempotency_request(state.pii.as_ref(), &headers, &request)?;
    let app = &request.app;
    let route = state.channel_route(app).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NoChannelAccount,
            "the app's merchant has no channel account",
        )
    })?;
    let (out_batch_no, parsed) = parse(&request.body)?;
    for (_, input) in &parsed {
        super::destinations::check(&state, &[("notify_url", input.notify_url.as_deref())])?;
    }
    let now = state.now_ms();
    let mut lines = Vec::with_capacity(parsed.len());
    for (mandate_id, input) in parsed {
        let (fee, bank_fee) = route.fees_for(input.amount);
        lines.push(NewDebitLine {
            mandate_id,
            payment: NewPayment {
                bank_choice: unipay_store::payments::BankChoice::Fixed,
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
    ApiPath(id): ApiPath<String>,
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
        ErrorCode::DebitBatchNotFound,
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
    Ok(respond(
        status,
        to_json(&debit_batch_object(&batch, Some(&lines))),
    ))
}

/// The answer saved under the idempotency key: the batch without its lines.
fn render_short(outcome: &CreateDebitBatch) -> (u16, String) {
    match outcome {
        CreateDebitBatch::Created(batch) => (201, to_json(&debit_batch_object(batch, None))),
        CreateDebitBatch::Duplicate(existing) => {
            let error = ApiError::new(
                ErrorCode::DuplicateOutDebitBatchNo,
                "the app already has a debit batch with this out_batch_no",
            );
            let mut detail = error.detail();
            detail.batch_id = Some(existing.id.as_str().into());
            (
                error.status().as_u16(),
                envelope_json(&ErrorBody::from(detail)),
            )
        }
        CreateDebitBatch::LinesRejected(errors) => {
            let error = ApiError::new(
                ErrorCode::DebitBatchLinesInvalid,
                format!("{} lines cannot be debited; nothing was done", errors.len()),
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
        LineProblem::MandateNotFound => (
            ErrorCode::MandateNotFound,
            "no mandate of this app has this id".to_string(),
        ),
        LineProblem::Refused(refusal) => {
            let e = debit_refusal_error(refusal);
            (e.code, e.message)
        }
        LineProblem::OutTradeNoTaken { payment_id } => (
            ErrorCode::DuplicateOutTradeNo,
            format!("payment {payment_id} already has this out_trade_no"),
        ),
        LineProblem::OutTradeNoRepeated { first_line } => (
            ErrorCode::DuplicateOutTradeNo,
            format!("line {first_line} has the same out_trade_no"),
        ),
    };
    unipay_api::LineError {
        line: i64::try_from(error.line).unwrap_or(i64::MAX),
        code,
        message: message.into(),
    }
}
