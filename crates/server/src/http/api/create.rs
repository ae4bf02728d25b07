//! `POST /v1/payments`: parse, validate, then one transaction for the payment (and its
//! idempotency key).

use crate::flows::objects::payment::payment_object;
use crate::flows::objects::to_json;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::error::ApiError;
use crate::http::api::kcode::{self, KcodeStart};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use unipay_api::ErrorCode;
use unipay_core::http_url::HttpUrl;
use unipay_core::ids::{new_body, new_id};
use unipay_core::money::{Amount, AmountError, Currency};
use unipay_core::payment::CaptureMode;
use unipay_core::pii::PiiKey;
use unipay_core::ref_no::RefNo;
use unipay_store::idempotency::IdempotencyRequest;
use unipay_store::payments::{BankChoice, CreatePayment, NewPayment};

const MAX_SUBJECT_CHARS: usize = 128;
const MAX_METADATA_BYTES: usize = 4096;

/// A create request, parsed and checked field by field so each fault gets its own message.
pub(crate) struct CreateRequest {
    out_trade_no: String,
    amount: Amount,
    currency: Currency,
    subject: String,
    notify_url: Option<String>,
    return_url: Option<String>,
    expires_in_s: Option<i64>,
    metadata: Option<String>,
    capture: CaptureMode,
    /// `abc`, `unionpay` or a channel account id: which of the merchant's accounts takes it.
    channel: Option<String>,
    /// `"method": "kcode"`: the card and mobile the bill goes with.
    kcode: Option<KcodeStart>,
}

pub async fn create_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let idempotency = idempotency_request(state.pii.as_ref(), &headers, &request)?;
    let mut input = parse(&request.body)?;
    super::destinations::check(
        &state,
        &[
            ("notify_url", input.notify_url.as_deref()),
            ("return_url", input.return_url.as_deref()),
        ],
    )?;
    let kcode_start = input.kcode.take();
    let app = &request.app;
    let route = match input.channel.as_deref() {
        None => state.channel_route(app).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoChannelAccount,
                "the app's merchant has no channel account",
            )
        })?,
        Some(choice) => state.channel_route_via(app, choice).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoChannelAccount,
                format!("the app may use no channel account for channel {choice:?}"),
            )
        })?,
    };
    let now = state.now_ms();
    let expires_in_s = input
        .expires_in_s
        .unwrap_or(state.config.api.default_expires_in_s);
    if expires_in_s > state.config.api.max_expires_in_s {
        return Err(invalid(
            "expires_in_seconds",
            "is above the allowed maximum",
        ));
    }
    let (fee, bank_fee) = route.fees_for(input.amount.fen());
    // Naming no channel leaves the bank to the consumer at the cashier, when the app may use
    // more than one; a K-code payment goes to its bank's bill at once, so its bank is fixed.
    let bank_choice = if input.channel.is_none() && route.choosable && kcode_start.is_none() {
        BankChoice::Open
    } else {
        BankChoice::Fixed
    };
    let new = NewPayment {
        bank_choice,
        id: new_id("pay", now),
        app_id: app.id.clone(),
        merchant_id: app.merchant_id.clone(),
        channel_account_id: route.channel_account_id.clone(),
        channel: route.channel.clone(),
        out_trade_no: input.out_trade_no,
        order_no: new_body(now),
        amount: input.amount.fen(),
        currency: input.currency.code().to_string(),
        subject: input.subject,
        return_url: input.return_url,
        notify_url: input.notify_url.or_else(|| app.notify_url.clone()),
        metadata: input.metadata,
        expires_at: now + expires_in_s * 1000,
        created_at: now,
        fee,
        bank_fee,
        capture: input.capture,
    };
    let public_url = state.config.public_url.clone();
    let render = move |outcome: &CreatePayment| render_outcome(outcome, &public_url);
    let created = answered(
        state
            .store
            .create_payment(&new, Some(&nonce), idempotency.as_ref(), &render)
            .await?,
    )?;
    // A K-code payment goes on to its bill (also when a replay finds the bill unanswered).
    match (created, &kcode_start) {
        (Answered::Fresh(CreatePayment::Created(payment)), Some(start)) => {
            kcode::after_create(&state, &payment, start).await
        }
        (Answered::Replay { status, body }, Some(start)) => {
            kcode::after_replay(&state, &request, status, body, start).await
        }
        (Answered::Fresh(outcome), _) => {
            let (status, body) = render_outcome(&outcome, &state.config.public_url);
            Ok(respond(status, body))
        }
        (Answered::Replay { status, body }, _) => Ok(respond(status, body)),
    }
}

fn render_outcome(outcome: &CreatePayment, public_url: &str) -> (u16, String) {
    match outcome {
        CreatePayment::Created(payment) => (201, to_json(&payment_object(payment, public_url))),
        CreatePayment::Duplicate(existing) => {
            let mut error = ApiError::new(
                ErrorCode::DuplicateOutTradeNo,
                "the app already has a payment with this out_trade_no",
            );
            error.payment_id = Some(existing.id.clone());
            (error.status().as_u16(), error.body())
        }
    }
}

/// The request's Idempotency-Key and the fingerprint a retry must match. With the privacy key
/// (which `serve` always has) the fingerprint is keyed: a body can hold a card number, a mobile
/// or a certificate number, and a plain hash of it could be checked against guesses.
pub(crate) fn idempotency_request(
    pii: Option<&PiiKey>,
    headers: &HeaderMap,
    request: &SignedRequest,
) -> Result<Option<IdempotencyRequest>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1-128 visible ASCII characters",
            )
        })?;
    let parts = [
        request.method.as_str().as_bytes(),
        request.path_and_query.as_bytes(),
        &request.body,
    ];
    let request_hash = match pii {
        Some(pii) => pii.digest(&parts),
        None => {
            let mut hasher = Sha256::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    hasher.update(b"\n");
                }
                hasher.update(part);
            }
            hex::encode(hasher.finalize())
        }
    };
    Ok(Some(IdempotencyRequest {
        app_id: request.app.id.clone(),
        key: key.to_string(),
        request_hash,
    }))
}

fn invalid(field: &str, problem: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, format!("{field} {problem}"))
}

pub(crate) fn parse(body: &[u8]) -> Result<CreateRequest, ApiError> {
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
    let out_trade_no = required_string(&fields, "out_trade_no")?;
    if !RefNo::is_valid(&out_trade_no) {
        return Err(invalid(
            "out_trade_no",
            "must be 1-64 characters of A-Z a-z 0-9 - _ .",
        ));
    }
    let amount = parse_amount(fields.get("amount"))?;
    let currency_text = required_string(&fields, "currency")?;
    let currency = Currency::parse(&currency_text)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidCurrency, "currency must be CNY"))?;
    let subject = required_string(&fields, "subject")?;
    if subject.chars().count() > MAX_SUBJECT_CHARS || subject.chars().any(char::is_control) {
        return Err(invalid(
            "subject",
            "must be 1-128 characters without control characters",
        ));
    }
    let notify_url = optional_url(&fields, "notify_url")?;
    let return_url = optional_url(&fields, "return_url")?;
    let expires_in_s = match fields.get("expires_in_seconds") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|s| *s >= 1)
                .ok_or_else(|| invalid("expires_in_seconds", "must be a positive integer"))?,
        ),
    };
    let metadata = match fields.get("metadata") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => {
            let text = v.to_string();
            if text.len() > MAX_METADATA_BYTES {
                return Err(invalid("metadata", "must be at most 4096 bytes"));
            }
            Some(text)
        }
        Some(_) => return Err(invalid("metadata", "must be a JSON object")),
    };
    // `manual` makes a pre-authorization: authorized at the bank, captured or cancelled later.
    let capture = match fields.get("capture") {
        None | Some(Value::Null) => CaptureMode::Immediate,
        Some(Value::String(text)) => CaptureMode::parse(text)
            .ok_or_else(|| invalid("capture", "must be immediate or manual"))?,
        Some(_) => return Err(invalid("capture", "must be immediate or manual")),
    };
    let kcode = kcode::parse_method(&fields)?;
    let channel = match fields.get("channel") {
        None | Some(Value::Null) => None,
        Some(Value::String(text))
            if (1..=64).contains(&text.len())
                && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Some(text.clone())
        }
        Some(_) => {
            return Err(invalid(
                "channel",
                "must be abc, unionpay or a channel account id",
            ));
        }
    };
    Ok(CreateRequest {
        channel,
        out_trade_no,
        amount,
        currency,
        subject,
        notify_url,
        return_url,
        expires_in_s,
        metadata,
        capture,
        kcode,
    })
}

fn required_string(fields: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(invalid(name, "is required")),
        Some(Value::String(s)) if s.is_empty() => Err(invalid(name, "must not be empty")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(invalid(name, "must be a string")),
    }
}

fn parse_amount(value: Option<&Value>) -> Result<Amount, ApiError> {
    let bad = |why: &str| ApiError::new(ErrorCode::InvalidAmount, format!("amount {why}"));
    let value = value
        .filter(|v| !v.is_null())
        .ok_or_else(|| invalid("amount", "is required"))?;
    let fen = value
        .as_i64()
        .ok_or_else(|| bad("must be an integer number of fen"))?;
    Amount::from_fen(fen).map_err(|e| match e {
        AmountError::NotPositive => bad("must be at least 1 fen"),
        AmountError::TooLarge => bad("must be at most 10000000000 fen"),
        AmountError::BadDecimal(_) => bad("must be an integer number of fen"),
    })
}

fn optional_url(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(url)) if HttpUrl::parse(url).is_ok() => Ok(Some(url.clone())),
        Some(_) => Err(invalid(
            name,
            "must be an absolute http(s) URL of at most 512 characters",
        )),
    }
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
        let ok = r#"{"out_trade_no":"T-1","amount":100,"currency":"CNY","subject":"s"}"#;
        assert_eq!(code(ok), "ok");
        assert_eq!(code("{"), "invalid_json");
        assert_eq!(code("[]"), "invalid_json");
        assert_eq!(
            code(r#"{"amount":100,"currency":"CNY","subject":"s"}"#),
            "invalid_request"
        );
        assert_eq!(
            code(r#"{"out_trade_no":"T","amount":0,"currency":"CNY","subject":"s"}"#),
            "invalid_amount"
        );
        assert_eq!(
            code(r#"{"out_trade_no":"T","amount":-5,"currency":"CNY","subject":"s"}"#),
            "invalid_amount"
        );
        assert_eq!(
            code(r#"{"out_trade_no":"T","amount":1.5,"currency":"CNY","subject":"s"}"#),
            "invalid_amount"
        );
        assert_eq!(
            code(r#"{"out_trade_no":"T","amount":"100","currency":"CNY","subject":"s"}"#),
            "invalid_amount"
        );
        assert_eq!(
            code(r#"{"out_trade_no":"T","amount":10000000001,"currency":"CNY","subject":"s"}"#),
            "invalid_amount"
        );
        assert_eq!(
            code(r#"{"out_trade_no":"T","amount":1,"currency":"USD","subject":"s"}"#),
            "invalid_currency"
        );
        assert_eq!(
            code(
                r#"{"out_trade_no":"T","amount":1,"currency":"CNY","subject":"s","notify_url":"ftp://x"}"#
            ),
            "invalid_request"
        );
        assert_eq!(
            code(
                r#"{"out_trade_no":"T","amount":1,"currency":"CNY","subject":"s","metadata":[1]}"#
            ),
            "invalid_request"
        );
        assert_eq!(
            code(r#"{"out_trade_no":"a b","amount":1,"currency":"CNY","subject":"s"}"#),
            "invalid_request"
        );
        assert_eq!(
            code(
                r#"{"out_trade_no":"T","amount":1,"currency":"CNY","subject":"s","capture":"manual"}"#
            ),
            "ok"
        );
        assert_eq!(
            code(
                r#"{"out_trade_no":"T","amount":1,"currency":"CNY","subject":"s","capture":"later"}"#
            ),
            "invalid_request"
        );
    }
}
