//! Identity verification: `POST /v1/identity-verifications` and
//! `GET /v1/identity-verifications/{id}`. The request's personal data (name, certificate,
//! card and mobile numbers) is checked, sent to the bank, and kept only masked and as keyed
//! hashes; the request body itself is never kept (its idempotency fingerprint is keyed too).

use crate::flows;
use crate::flows::objects::identity::verification_object;
use crate::flows::objects::to_json;
use crate::http::api::answered::{Answered, answered, respond};
use crate::http::api::auth::{SignedRequest, SignedRequestWithNonce};
use crate::http::api::create::idempotency_request;
use crate::http::api::error::ApiError;
use crate::http::api::error::envelope_json;
use crate::http::api::extract::ApiPath;
use crate::http::api::payments::flow_error;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};
use unipay_api::{ErrorBody, ErrorCode};
use unipay_core::http_url::HttpUrl;
use unipay_core::identity::{CERTIFICATE_TYPES, CustomerType, VerifyMode};
use unipay_core::identity_channel::IdentityRequest;
use unipay_core::pii::PiiKind;
use unipay_core::ref_no::RefNo;
use unipay_store::identity::{CreateVerification, IdentityVerification, Kept, NewVerification};

const MAX_NAME_CHARS: usize = 60;
const MAX_CERTIFICATE_CHARS: usize = 32;

/// The request, personal data in plain text: it lives for this request only.
pub(crate) struct Input {
    out_verify_no: String,
    mode: VerifyMode,
    customer_type: CustomerType,
    name: String,
    certificate_type: String,
    certificate_no: String,
    card_no: String,
    mobile: Option<String>,
    notify_url: Option<String>,
    return_url: Option<String>,
}

pub async fn create_verification(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: SignedRequestWithNonce,
) -> Result<Response, ApiError> {
    let SignedRequestWithNonce { request, nonce } = signed;
    let key = state.pii.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::PersonalDataKeyMissing,
            "this server has no privacy.hmac_key: identity verification is unavailable",
        )
    })?;
    let idempotency = idempotency_request(Some(key), &headers, &request)?;
    let input = parse(&request.body)?;
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
    let kept = |kind: PiiKind, value: &str| {
        let protected = key.protect(kind, value);
        Kept {
            masked: protected.masked,
            hash: protected.fingerprint,
        }
    };
    let new = NewVerification {
        app_id: app.id.clone(),
        merchant_id: app.merchant_id.clone(),
        channel_account_id: route.channel_account_id.clone(),
        out_verify_no: input.out_verify_no.clone(),
        mode: input.mode,
        customer_type: input.customer_type,
        certificate_type: input.certificate_type.clone(),
        name: kept(PiiKind::Name, &input.name),
        certificate: kept(PiiKind::Certificate, &input.certificate_no),
        card: kept(PiiKind::Card, &input.card_no),
        mobile: input.mobile.as_deref().map(|m| kept(PiiKind::Mobile, m)),
        notify_url: input.notify_url.clone().or_else(|| app.notify_url.clone()),
        return_url: input.return_url.clone(),
        created_at: now,
    };
    let outcome = state
        .store
        .create_identity_verification(&new, Some(&nonce), idempotency.as_ref(), &render_outcome)
        .await?;
    let created = match answered(outcome)? {
        Answered::Fresh(CreateVerification::Created(created)) => created,
        Answered::Fresh(duplicate) => {
            let (status, body) = render_outcome(&duplicate);
            return Ok(respond(status, body));
        }
        Answered::Replay { status: 201, body } => return replay_created(&state, body).await,
        Answered::Replay { status, body } => return Ok(respond(status, body)),
    };
    let bank_request = IdentityRequest {
        verify_no: created.verify_no.clone(),
        customer_type: input.customer_type,
        name: PiiKind::Name.normalise(&input.name),
        certificate_type: input.certificate_type,
        certificate_no: PiiKind::Certificate.normalise(&input.certificate_no),
        card_no: PiiKind::Card.normalise(&input.card_no),
        mobile: input
            .mobile
            .as_deref()
            .map(|m| PiiKind::Mobile.normalise(m)),
        // The bank's result names no number of ours: the address it comes back to does.
        result_notify_url: format!(
            "{}/callbacks/{}/identity/{}",
            state.config.public_url, created.channel_account_id, created.verify_no
        ),
        created_at_ms: now,
    };
    crate::crash::crash_point("identity.after_commit_before_bank_call");
    let after = flows::identity::send(&state, &created, &bank_request)
        .await
        .map_err(flow_error)?;
    Ok(respond(201, to_json(&verification_object(&after))))
}

pub async fn get_verification(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let found = state
        .store
        .get_identity_verification(&id)
        .await?
        // Another app's verification is reported as absent.
        .filter(|v| v.app_id == request.app.id)
        .ok_or_else(not_found)?;
    Ok(respond(200, to_json(&verification_object(&found))))
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::IdentityVerificationNotFound,
        "no identity verification of this app has this id",
    )
}

/// A retry of the request that created a verification gets it as it stands now.
async fn replay_created(state: &AppState, saved: String) -> Result<Response, ApiError> {
    let id = serde_json::from_str::<Value>(&saved)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string));
    let current = match id {
        Some(id) => state.store.get_identity_verification(&id).await?,
        None => None,
    };
    Ok(match current {
        Some(v) => respond(201, to_json(&verification_object(&v))),
        None => respond(201, saved),
    })
}

/// The answer saved under the idempotency key (a created verification as first committed).
fn render_outcome(outcome: &CreateVerification) -> (u16, String) {
    match outcome {
        CreateVerification::Created(v) => (201, to_json(&verification_object(v))),
        CreateVerification::Duplicate(existing) => duplicate(existing),
    }
}

fn duplicate(existing: &IdentityVerification) -> (u16, String) {
    let error = ApiError::new(
        ErrorCode::DuplicateOutVerifyNo,
        "the app already has an identity verification with this out_verify_no",
    );
    let mut detail = error.detail();
    detail.verification_id = Some(existing.id.as_str().into());
    let mut body = ErrorBody::from(detail);
    body.identity_verification = Some(verification_object(existing));
    (error.status().as_u16(), envelope_json(&body))
}

fn invalid(field: &str, problem: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, format!("{field} {problem}"))
}

fn string<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(invalid(name, "must be a string")),
    }
}

fn required<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    string(fields, name)?.ok_or_else(|| invalid(name, "is required"))
}

fn optional_url(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match string(fields, name)? {
        None => Ok(None),
        Some(url) if HttpUrl::parse(url).is_ok() => Ok(Some(url.to_string())),
        Some(_) => Err(invalid(
            name,
            "must be an absolute http(s) URL of at most 512 characters",
        )),
    }
}

/// Validation never echoes a personal value back: the messages name the field only.
pub(crate) fn parse(body: &[u8]) -> Result<Input, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::new(ErrorCode::InvalidJson, "the body is not valid JSON"))?;
    let Value::Object(fields) = value else {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            "the body must be a JSON object",
        ));
    };
    let out_verify_no = required(&fields, "out_verify_no")?;
    if !RefNo::is_valid(out_verify_no) {
        return Err(invalid(
            "out_verify_no",
            "must be 1-64 characters of A-Z a-z 0-9 - _ .",
        ));
    }
    let mode = VerifyMode::parse(required(&fields, "mode")?).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidVerifyMode,
            "mode must be redirect or direct",
        )
    })?;
    let customer_type = CustomerType::parse(string(&fields, "customer_type")?.unwrap_or("person"))
        .ok_or_else(|| invalid("customer_type", "must be person or company"))?;
    let name = PiiKind::Name.normalise(required(&fields, "name")?);
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '"' | '\\' | '{' | '}' | '<' | '>'))
    {
        return Err(invalid(
            "name",
            "must be 1-60 characters without control characters or \" \\ { } < >",
        ));
    }
    let certificate_type = string(&fields, "certificate_type")?.unwrap_or("I");
    if !CERTIFICATE_TYPES.contains(&certificate_type) {
        return Err(ApiError::new(
            ErrorCode::InvalidCertificate,
            format!(
                "certificate_type must be one of {}",
                CERTIFICATE_TYPES.join(" ")
            ),
        ));
    }
    let certificate_no = PiiKind::Certificate.normalise(required(&fields, "certificate_no")?);
    if !valid_certificate(certificate_type, &certificate_no) {
        return Err(ApiError::new(
            ErrorCode::InvalidCertificate,
            "certificate_no is not a valid number for its certificate_type (a 居民身份证 is 18 characters with a valid check character)",
        ));
    }
    let card_no = PiiKind::Card.normalise(required(&fields, "card_no")?);
    if !(12..=19).contains(&card_no.len()) || !card_no.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            ErrorCode::InvalidCardNo,
            "card_no must be 12-19 digits",
        ));
    }
    let mobile = string(&fields, "mobile")?.map(|m| PiiKind::Mobile.normalise(m));
    if let Some(mobile) = &mobile
        && !(mobile.len() == 11
            && mobile.starts_with('1')
            && mobile.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::new(
            ErrorCode::InvalidMobile,
            "mobile must be an 11-digit mainland mobile number",
        ));
    }
    Ok(Input {
        out_verify_no: out_verify_no.to_string(),
        mode,
        customer_type,
        name,
        certificate_type: certificate_type.to_string(),
        certificate_no,
        card_no,
        mobile,
        notify_url: optional_url(&fields, "notify_url")?,
        return_url: optional_url(&fields, "return_url")?,
    })
}

/// A 居民身份证 number is 17 digits and an ISO 7064 MOD 11-2 check character; other documents
/// are 1-32 letters and digits.
fn valid_certificate(certificate_type: &str, number: &str) -> bool {
    if number.is_empty()
        || number.len() > MAX_CERTIFICATE_CHARS
        || !number.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return false;
    }
    if certificate_type != "I" {
        return true;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let bytes = number.as_bytes();
    if bytes.len() != 18 {
        return false;
    }
    let mut sum = 0;
    for (byte, weight) in bytes.iter().zip(WEIGHTS) {
        if !byte.is_ascii_digit() {
            return false;
        }
        sum += u32::from(byte - b'0') * weight;
    }
    CHECKS.get((sum % 11) as usize) == bytes.get(17)
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

    const GOOD: &str = r#"{"out_verify_no":"V1","mode":"direct","customer_type":"person","name":"张三","certificate_type":"I","certificate_no":"11010519491231002X","card_no":"6228480012345678","mobile":"13800138000"}"#;

    /// Proves each bad field has its documented code, and a good request passes.
    #[test]
    fn each_bad_field_has_its_code() {
        assert_eq!(code(GOOD), "ok");
        assert_eq!(code("[]"), "invalid_json");
        assert_eq!(code(&GOOD.replace("direct", "page")), "invalid_verify_mode");
        assert_eq!(
            code(&GOOD.replace("11010519491231002X", "110105194912310021")),
            "invalid_certificate"
        );
        assert_eq!(code(&GOOD.replace("\"I\"", "\"Z\"")), "invalid_certificate");
        assert_eq!(
            code(&GOOD.replace("6228480012345678", "62284800")),
            "invalid_card_no"
        );
        assert_eq!(
            code(&GOOD.replace("13800138000", "1380013800")),
            "invalid_mobile"
        );
        assert_eq!(code(&GOOD.replace("张三", "")), "invalid_request");
        assert_eq!(code(&GOOD.replace("\"V1\"", "\"V 1\"")), "invalid_request");
        for code in [
            "invalid_verify_mode",
            "invalid_certificate",
            "invalid_card_no",
            "invalid_mobile",
            "duplicate_out_verify_no",
            "identity_verification_not_found",
            "personal_data_key_missing",
        ] {
            let documented = ErrorCode::parse(code).is_some();
            assert!(documented, "{code} is documented");
        }
    }

    /// Proves a lower-case check character is the same number.
    #[test]
    fn certificate_check_character() {
        assert!(valid_certificate("I", "11010519491231002X"));
        assert!(!valid_certificate("I", "110105194912310021"));
        assert!(valid_certificate("P", "E12345678"));
        let input = parse(GOOD.replace("002X", "002x").as_bytes())
            .ok()
            .map(|i| i.certificate_no);
        assert_eq!(input.as_deref(), Some("11010519491231002X"));
    }
}
