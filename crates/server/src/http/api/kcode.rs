//! K-code payment through the API: `POST /v1/payments` with `"method": "kcode"`, `card_no` and
//! `mobile_no` sends the bill once the payment is created; `POST /v1/payments/{id}/kcode/confirm`
//! pays it with the texted code; `POST /v1/payments/{id}/kcode/resend` asks for a new code.
//! Answers are the payment object with a `kcode` member (masked card and mobile, where the code
//! stands, resends and wrong codes counted). The flow is `kcode_flows.rs`.
//!
//! A create with the same Idempotency-Key again answers the payment as it stands now; if its
//! bill never got an answer, the bill goes again (the bank then texts a new code).

use crate::flows::objects::payment::payment_object;
use crate::flows::objects::to_json;
use crate::flows::{self, kcode::KcodeRefusal};
use crate::http::api::auth::SignedRequest;
use crate::http::api::error::{ApiError, json_response};
use crate::http::api::extract::ApiPath;
use crate::http::api::payments::flow_error;
use crate::kcode::{self, ConfirmInput, InputError};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use unipay_api::{ErrorCode, KcodeState};
use unipay_core::clock::rfc3339;
use unipay_core::event::EventSource;
use unipay_core::masking::{mask_card, mask_mobile};
use unipay_store::kcode::KcodeRecord;
use unipay_store::payments::Payment;

/// The card and mobile of a K-code create. Its `Debug` shows them masked.
#[derive(Clone)]
pub struct KcodeStart {
    card_no: String,
    mobile_no: String,
}

impl std::fmt::Debug for KcodeStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KcodeStart")
            .field("card_no", &mask_card(&self.card_no))
            .field("mobile_no", &mask_mobile(&self.mobile_no))
            .finish()
    }
}

/// `method` of a create body: absent or `cashier` (the consumer pays through the cashier), or
/// `kcode` with `card_no` and `mobile_no`.
pub fn parse_method(fields: &Map<String, Value>) -> Result<Option<KcodeStart>, ApiError> {
    match fields.get("method") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(method)) if method == "cashier" => Ok(None),
        Some(Value::String(method)) if method == "kcode" => {
            if matches!(fields.get("capture"), Some(Value::String(c)) if c == "manual") {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "capture manual cannot be paid by kcode",
                ));
            }
            let card_no = kcode::card_no(string_field(fields, "card_no")?).map_err(input_error)?;
            let mobile_no =
                kcode::mobile_no(string_field(fields, "mobile_no")?).map_err(input_error)?;
            Ok(Some(KcodeStart { card_no, mobile_no }))
        }
        Some(_) => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "method must be cashier or kcode",
        )),
    }
}

fn string_field<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    match fields.get(name) {
        Some(Value::String(text)) => Ok(text),
        _ => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("{name} is required as a string with method kcode"),
        )),
    }
}

fn input_error(error: InputError) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!("{} {}", error.field, error.problem),
    )
}

/// After a K-code payment is created: the bill.
pub async fn after_create(
    state: &AppState,
    payment: &Payment,
    start: &KcodeStart,
) -> Result<Response, ApiError> {
    let sent = flows::kcode::send_bill(
        state,
        payment,
        &start.card_no,
        &start.mobile_no,
        EventSource::Api,
    )
    .await
    .map_err(flow_error)?;
    match sent {
        Ok(payment) => answer(state, &payment, StatusCode::CREATED).await,
        Err(refusal) => Err(with_payment(refusal_error(refusal), &payment.id)),
    }
}

/// A create replayed under its Idempotency-Key: the payment as it stands, its bill sent again
/// if it never got an answer.
pub async fn after_replay(
    state: &AppState,
    request: &SignedRequest,
    saved_status: u16,
    saved_body: String,
    start: &KcodeStart,
) -> Result<Response, ApiError> {
    let saved_id = serde_json::from_str::<Value>(&saved_body)
        .ok()
        .and_then(|body| body.get("id")?.as_str().map(str::to_string));
    let found = match (saved_status, saved_id) {
        (201, Some(id)) => state.store.get_payment(&id).await?,
        _ => None,
    };
    let Some(payment) = found.filter(|p| p.app_id == request.app.id) else {
        return Ok(json_response(
            StatusCode::from_u16(saved_status).unwrap_or(StatusCode::OK),
            saved_body,
        ));
    };
    let record = state.store.kcode_record(&payment.id).await?;
    let unanswered = record
        .as_ref()
        .is_none_or(|record| record.status.bill_unanswered());
    if unanswered && payment.status.is_open() {
        return after_create(state, &payment, start).await;
    }
    answer(state, &payment, StatusCode::CREATED).await
}

/// `POST /v1/payments/{id}/kcode/confirm` {verify_code, account_name, certificate_type,
/// certificate_no, exp_date?, cvv2?}
pub async fn confirm(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let input = parse_confirm(&request.body)?;
    let payment = owned(&request, state.store.get_payment(&id).await?)?;
    let result = flows::kcode::confirm(&state, &payment, &input, EventSource::Api)
        .await
        .map_err(flow_error)?;
    match result {
        Ok(payment) => answer(&state, &payment, StatusCode::OK).await,
        Err(refusal) => Err(refusal_error(refusal)),
    }
}

/// `POST /v1/payments/{id}/kcode/resend` (empty body or `{}`)
pub async fn resend(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    check_resend_body(&request.body)?;
    let payment = owned(&request, state.store.get_payment(&id).await?)?;
    let result = flows::kcode::resend(&state, &payment, EventSource::Api)
        .await
        .map_err(flow_error)?;
    match result {
        Ok(payment) => answer(&state, &payment, StatusCode::OK).await,
        Err(refusal) => Err(refusal_error(refusal)),
    }
}

/// A resend's body carries nothing: empty, or a JSON object whose members are ignored.
pub(crate) fn check_resend_body(body: &[u8]) -> Result<(), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    if !body.is_object() {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            "the body must be a JSON object",
        ));
    }
    Ok(())
}

pub(crate) fn parse_confirm(body: &[u8]) -> Result<ConfirmInput, ApiError> {
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
    let text = |name: &str, required: bool| -> Result<String, ApiError> {
        match fields.get(name) {
            Some(Value::String(text)) => Ok(text.clone()),
            None | Some(Value::Null) if !required => Ok(String::new()),
            None | Some(Value::Null) => Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("{name} is required"),
            )),
            Some(_) => Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("{name} must be a string"),
            )),
        }
    };
    ConfirmInput::new(
        &text("verify_code", true)?,
        &text("account_name", true)?,
        &text("certificate_type", true)?,
        &text("certificate_no", true)?,
        &text("exp_date", false)?,
        &text("cvv2", false)?,
    )
    .map_err(input_error)
}

fn owned(request: &SignedRequest, found: Option<Payment>) -> Result<Payment, ApiError> {
    found.filter(|p| p.app_id == request.app.id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::PaymentNotFound,
            "no payment of this app has this id",
        )
    })
}

/// The payment object with its `kcode` member.
async fn answer(
    state: &AppState,
    payment: &Payment,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let record = state.store.kcode_record(&payment.id).await?;
    let mut object = payment_object(payment, &state.config.public_url);
    object.kcode = record.as_ref().map(|record| kcode_object(state, record));
    Ok(json_response(status, to_json(&object)))
}

pub fn kcode_object(state: &AppState, record: &KcodeRecord) -> KcodeState {
    let config = &state.config.kcode;
    KcodeState {
        status: record.status.as_str().to_string(),
        card_no: record.card_masked.clone(),
        mobile_no: record.mobile_masked.clone(),
        code_sent_at: record.code_sent_at.map(rfc3339),
        resend_count: record.resend_count,
        resends_left: (config.max_resends - record.resend_count).max(0),
        wrong_attempts: record.wrong_attempts,
        attempts_left: (config.max_wrong_codes - record.wrong_attempts).max(0),
    }
}

fn with_payment(mut error: ApiError, payment_id: &str) -> ApiError {
    error.payment_id = Some(payment_id.to_string());
    error
}

/// The API error of each refusal (every code is in the catalogue, `ErrorCode`).
pub fn refusal_error(refusal: KcodeRefusal) -> ApiError {
    match refusal {
        KcodeRefusal::NotOffered => ApiError::new(
            ErrorCode::KcodeNotOffered,
            "the payment's channel does not offer K-code payment",
        ),
        KcodeRefusal::NotKcode => ApiError::new(
            ErrorCode::PaymentNotKcode,
            "the payment is not paid by K-code",
        ),
        KcodeRefusal::NotAwaitingCode => ApiError::new(
            ErrorCode::KcodeNotAwaitingCode,
            "the payment is not waiting for a verification code",
        ),
        KcodeRefusal::ManualCapture => ApiError::new(
            ErrorCode::InvalidRequest,
            "capture manual cannot be paid by kcode",
        ),
        KcodeRefusal::BillRefused(reason) => ApiError::new(
            ErrorCode::KcodeBillRefused,
            format!("the bank did not accept the card or mobile: {reason}"),
        ),
        KcodeRefusal::WrongCode { attempts_left } => ApiError::new(
            ErrorCode::KcodeWrongCode,
            format!("the verification code is wrong; {attempts_left} attempts left"),
        ),
        KcodeRefusal::CodeExpired => ApiError::new(
            ErrorCode::KcodeCodeExpired,
            "the verification code has expired; ask for a new one with kcode/resend",
        ),
        KcodeRefusal::AttemptsExhausted => ApiError::new(
            ErrorCode::KcodeAttemptsExhausted,
            "too many wrong verification codes: the payment failed",
        ),
        KcodeRefusal::BillLimit => ApiError::new(
            ErrorCode::KcodeBillLimit,
            "too many K-code bills for this payment: the payment failed",
        ),
        KcodeRefusal::ResendTooSoon { retry_after_s } => ApiError::new(
            ErrorCode::KcodeResendTooSoon,
            format!("a new code may be asked for in {retry_after_s} s"),
        ),
        KcodeRefusal::ResendLimit => ApiError::new(
            ErrorCode::KcodeResendLimit,
            "no more codes can be sent for this payment",
        ),
        KcodeRefusal::Refused(reason) => ApiError::new(
            ErrorCode::KcodeRefused,
            format!("the bank declined the payment: {reason}"),
        ),
        KcodeRefusal::Unknown(reason) => ApiError::new(
            ErrorCode::BankResultUnknown,
            format!("the bank's answer is unknown ({reason}); retry later"),
        ),
    }
}
