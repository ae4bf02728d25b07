//! `POST /v1/mandates`, `GET /v1/mandates/{id}` (`?sync=true` asks the bank),
//! `POST /v1/mandates/{id}/cancel` and `POST /v1/mandates/{id}/debits`.

use crate::flows;
use crate::flows::FlowError;
use crate::flows::mandates::QueryConclusion;
use crate::flows::objects::mandate::mandate_object;
use crate::flows::objects::payment::payment_object;
use crate::flows::objects::to_json;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::create::idempotency_request;
use crate::http::api::error::ApiError;
use crate::http::api::error::envelope_json;
use crate::http::api::extract::{ApiPath, ApiQuery};
use crate::http::api::mandate_input;
use crate::http::api::payments::flow_error;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use unipay_api::{ErrorBody, ErrorCode};
use unipay_core::channel::ChannelError;
use unipay_core::event::EventSource;
use unipay_core::ids::{new_body, new_id};
use unipay_core::mandate::{DebitRefusal, MandateEvent, MandateStatus, is_past};
use unipay_core::payment::CaptureMode;
use unipay_core::pii::PiiKind;
use unipay_store::mandates::debits::CreateDebit;
use unipay_store::mandates::{CreateMandate, Mandate, MandateChange, NewMandate};
use unipay_store::payments::NewPayment;

/// How long a debit may stay unknown before a confirmed "unpaid" closes it.
pub const DEBIT_EXPIRES_IN_MS: i64 = 30 * 60_000;

pub async fn create_mandate(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let idempotency = idempotency_request(state.pii.as_ref(), &headers, &request)?;
    let input = mandate_input::mandate(&request.body, &flows::mandates::today(&state))?;
    super::destinations::check(
        &state,
        &[
            ("notify_url", input.notify_url.as_deref()),
            ("return_url", input.return_url.as_deref()),
        ],
    )?;
    let app = &request.app;
    let route = state.channel_route(app).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NoChannelAccount,
            "the app's merchant has no channel account",
        )
    })?;
    let now = state.now_ms();
    let protected = state
        .pii
        .as_ref()
        .map(|key| key.protect(PiiKind::Certificate, &input.certificate_no));
    let new = NewMandate {
        id: new_id("mdt", now),
        app_id: app.id.clone(),
        merchant_id: app.merchant_id.clone(),
        channel_account_id: route.channel_account_id.clone(),
        out_mandate_no: input.out_mandate_no,
        sign_request_no: new_body(now),
        customer_ref: input.customer_ref,
        card_type: input.card_type,
        certificate_type: input.certificate_type,
        certificate_no_masked: PiiKind::Certificate.mask(&input.certificate_no),
        certificate_no_hash: protected.map(|p| p.fingerprint),
        expires_on: input.expires_on,
        max_amount_per_debit: input.max_amount_per_debit,
        notify_url: input.notify_url.or_else(|| app.notify_url.clone()),
        return_url: input.return_url,
        next_query_at: state
            .config
            .janitor
            .query_schedule_ms
            .next_query_at(now, 0, 0),
        created_at: now,
    };
    let outcome = state
        .store
        .create_mandate(&new, Some(&nonce), idempotency.as_ref(), &render_create)
        .await?;
    let mandate = match answered(outcome)? {
        Answered::Fresh(CreateMandate::Created(mandate)) => mandate,
        Answered::Fresh(other) => {
            let (status, body) = render_create(&other);
            return Ok(respond(status, body));
        }
        Answered::Replay { status, body } => return replay(&state, status, body).await,
    };
    crate::crash::crash_point("mandate.after_commit_before_bank_call");
    if let Err(error) = flows::mandates::send_signing(&state, &mandate, &input.certificate_no).await
    {
        // Only the bank's answer carries the signing page: without it the customer cannot
        // sign, and the certificate number is not kept to ask again.
        let reason = format!("the signing could not be registered at the bank: {error}");
        tracing::warn!(mandate_id = %mandate.id, %error, "signing not registered");
        flows::mandates::apply(
            &state,
            &MandateChange {
                mandate_id: &mandate.id,
                event: MandateEvent::BankSignFailed,
                source: EventSource::Api,
                agent_sign_no: None,
                card_masked: None,
                signed_at: None,
                detail: &reason,
                message: None,
                delivery_lease_ms: 0,
                now_ms: state.now_ms(),
            },
        )
        .await?;
    }
    current(&state, &mandate.id, 201).await
}

/// A replayed creation shows the mandate as it stands now (its signing page came after the
/// saved answer).
async fn replay(state: &AppState, status: u16, body: String) -> Result<Response, ApiError> {
    if status == 201
        && let Some(id) = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
    {
        return current(state, &id, 201).await;
    }
    Ok(respond(status, body))
}

fn render_create(outcome: &CreateMandate) -> (u16, String) {
    match outcome {
        CreateMandate::Created(mandate) => (201, to_json(&mandate_object(mandate))),
        CreateMandate::Duplicate(existing) => {
            let error = ApiError::new(
                ErrorCode::DuplicateOutMandateNo,
                "the app already has a mandate with this out_mandate_no",
            );
            let mut detail = error.detail();
            detail.mandate_id = Some(existing.id.as_str().into());
            (
                error.status().as_u16(),
                envelope_json(&ErrorBody::from(detail)),
            )
        }
    }
}

async fn current(state: &AppState, id: &str, status: u16) -> Result<Response, ApiError> {
    let mandate = state.store.get_mandate(id).await?.ok_or_else(not_found)?;
    Ok(respond(status, to_json(&mandate_object(&mandate))))
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::MandateNotFound,
        "no mandate of this app has this id",
    )
}

async fn owned(state: &AppState, id: &str, request: &SignedRequest) -> Result<Mandate, ApiError> {
    state
        .store
        .get_mandate(id)
        .await?
        .filter(|m| m.app_id == request.app.id)
        .ok_or_else(not_found)
}

#[derive(Deserialize)]
pub struct SyncQuery {
    sync: Option<bool>,
}

pub async fn get_mandate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<SyncQuery>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let mandate = owned(&state, &id, &request).await?;
    if query.sync == Some(true) && mandate.status == MandateStatus::Pending {
        match flows::mandates::query_and_record(&state, &mandate, EventSource::Query).await {
            Ok(QueryConclusion::Applied(_) | QueryConclusion::StillPending(_)) => {}
            Err(error) => return Err(flow_error(error)),
        }
    }
    expire_if_past(&state, &mandate).await?;
    current(&state, &id, 200).await
}

/// An active mandate past its last day is marked expired when it is looked at (and at the
/// latest when a debit is asked of it).
async fn expire_if_past(state: &AppState, mandate: &Mandate) -> Result<(), ApiError> {
    if mandate.status == MandateStatus::Active
        && is_past(&mandate.expires_on, &flows::mandates::today(state))
    {
        flows::mandates::expire(state, &mandate.id, EventSource::Api).await?;
    }
    Ok(())
}

pub async fn cancel_mandate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let mut mandate = owned(&state, &id, &request).await?;
    if mandate.status == MandateStatus::Pending {
        // The result may have been lost: the bank's word first.
        flows::mandates::query_and_record(&state, &mandate, EventSource::Query)
            .await
            .map_err(flow_error)?;
        mandate = owned(&state, &id, &request).await?;
    }
    expire_if_past(&state, &mandate).await?;
    let mandate = owned(&state, &id, &request).await?;
    match mandate.status {
        MandateStatus::Cancelled => return current(&state, &id, 200).await,
        MandateStatus::Active => {}
        status => return Err(state_error(status)),
    }
    match flows::mandates::cancel(&state, &mandate).await {
        Ok(_) => current(&state, &id, 200).await,
        Err(FlowError::Channel(ChannelError::Unknown(reason))) => Err(ApiError::new(
            ErrorCode::BankResultUnknown,
            format!("the bank did not confirm the cancellation; retry: {reason}"),
        )),
        Err(error) => Err(flow_error(error)),
    }
}

fn state_error(status: MandateStatus) -> ApiError {
    match status {
        MandateStatus::Cancelled => {
            ApiError::new(ErrorCode::MandateCancelled, "the mandate was cancelled")
        }
        MandateStatus::Expired => ApiError::new(
            ErrorCode::MandateExpired,
            "the mandate is past its last valid day",
        ),
        _ => ApiError::new(
            ErrorCode::MandateNotActive,
            format!("the mandate is {status}: the customer has not signed it"),
        ),
    }
}

fn refusal_error(refusal: &DebitRefusal) -> ApiError {
    match refusal {
        DebitRefusal::NotActive(status) => state_error(*status),
        DebitRefusal::Cancelled => state_error(MandateStatus::Cancelled),
        DebitRefusal::Expired { .. } => state_error(MandateStatus::Expired),
        DebitRefusal::OverLimit { limit } => ApiError::new(
            ErrorCode::DebitExceedsMandateLimit,
            format!("amount is over the mandate's limit of {limit} fen per debit"),
        ),
    }
}

pub(crate) fn debit_refusal_error(refusal: &DebitRefusal) -> ApiError {
    refusal_error(refusal)
}

pub async fn create_debit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let idempotency = idempotency_request(state.pii.as_ref(), &headers, &request)?;
    let fields = mandate_input::object(&request.body)?;
    let input = mandate_input::debit_fields(&fields)?;
    super::destinations::check(&state, &[("notify_url", input.notify_url.as_deref())])?;
    let app = &request.app;
    let route = state.channel_route(app).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NoChannelAccount,
            "the app's merchant has no channel account",
        )
    })?;
    let now = state.now_ms();
    let (fee, bank_fee) = route.fees_for(input.amount);
    let new = NewPayment {
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
    };
    let public_url = state.config.public_url.clone();
    let render = move |outcome: &CreateDebit| render_debit(outcome, &public_url);
    let today = flows::mandates::today(&state);
    let outcome = state
        .store
        .create_debit(
            &id,
            &new,
            now + state.config.janitor.resend_grace_ms,
            &today,
            Some(&nonce),
            idempotency.as_ref(),
            &render,
        )
        .await?;
    let (payment, mandate) = match answered(outcome)? {
        Answered::Fresh(CreateDebit::Created(payment)) => {
            let mandate = state.store.get_mandate(&id).await?.ok_or_else(not_found)?;
            (payment, mandate)
        }
        Answered::Fresh(CreateDebit::Refused {
            refusal: DebitRefusal::Expired { expire_now: true },
            mandate,
        }) => {
            flows::mandates::expire(&state, &mandate.id, EventSource::Api).await?;
            return Err(state_error(MandateStatus::Expired));
        }
        Answered::Fresh(other) => {
            let (status, body) = render_debit(&other, &state.config.public_url);
            return Ok(respond(status, body));
        }
        Answered::Replay { status, body } => {
            let id = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string));
            if status == 201
                && let Some(id) = id
                && let Some(payment) = state.store.get_payment(&id).await?
            {
                let body = to_json(&payment_object(&payment, &state.config.public_url));
                return Ok(respond(201, body));
            }
            return Ok(respond(status, body));
        }
    };
    crate::crash::crash_point("debit.after_commit_before_bank_call");
    let payment = match flows::debits::send_debit(&state, &mandate, &payment).await {
        Ok(payment) => payment,
        Err(error) => {
            // Committed and pending: the janitor settles it.
            tracing::warn!(%error, payment_id = %payment.id, "debit not sent");
            state
                .store
                .get_payment(&payment.id)
                .await?
                .unwrap_or(payment)
        }
    };
    let body = to_json(&payment_object(&payment, &state.config.public_url));
    Ok(respond(201, body))
}

fn render_debit(outcome: &CreateDebit, public_url: &str) -> (u16, String) {
    match outcome {
        CreateDebit::Created(payment) => (201, to_json(&payment_object(payment, public_url))),
        CreateDebit::Duplicate(existing) => {
            let mut error = ApiError::new(
                ErrorCode::DuplicateOutTradeNo,
                "the app already has a payment with this out_trade_no",
            );
            error.payment_id = Some(existing.id.clone());
            (error.status().as_u16(), error.body())
        }
        CreateDebit::Refused { refusal, .. } => {
            let error = refusal_error(refusal);
            (error.status().as_u16(), error.body())
        }
        CreateDebit::MandateNotFound => {
            let error = not_found();
            (error.status().as_u16(), error.body())
        }
    }
}
