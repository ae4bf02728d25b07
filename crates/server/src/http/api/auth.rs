//! Verification of signed merchant-API requests:
//! `Authorization: UNIPAY-HMAC-SHA256 app_id=<app>,timestamp=<unix s>,nonce=<16-64>,signature=<hex>`
//! over `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nhex(sha256(body))`.

use crate::http::api::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use unipay_api::ErrorCode;
use unipay_store::merchants::App;
use unipay_store::nonces::NonceUse;

type HmacSha256 = Hmac<Sha256>;

pub const SCHEME: &str = "UNIPAY-HMAC-SHA256";

/// A request whose signature, timestamp and nonce have been checked.
pub struct SignedRequest {
    pub app: Arc<App>,
    pub method: Method,
    pub path_and_query: String,
    pub body: Bytes,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Credentials<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) timestamp: i64,
    pub(crate) nonce: &'a str,
    pub(crate) signature: &'a str,
}

/// A verified request whose nonce is still to be spent: the handler spends it in the same
/// transaction as the work the request asks for (one commit instead of two on the hot path).
pub struct SignedRequestWithNonce {
    pub request: SignedRequest,
    pub nonce: NonceUse,
}

impl FromRequest<AppState> for SignedRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let SignedRequestWithNonce { request, nonce } = verify(request, state).await?;
        if !state
            .store
            .remember_nonce(&nonce.app_id, &nonce.nonce, nonce.expires_at_ms)
            .await?
        {
            return Err(nonce_reused());
        }
        Ok(request)
    }
}

impl FromRequest<AppState> for SignedRequestWithNonce {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        verify(request, state).await
    }
}

pub fn nonce_reused() -> ApiError {
    ApiError::new(ErrorCode::NonceReused, "this nonce was already used")
}

/// Checks the signature, the timestamp window and the app; the nonce is returned unspent.
async fn verify(request: Request, state: &AppState) -> Result<SignedRequestWithNonce, ApiError> {
    let (parts, body) = request.into_parts();
    let header_value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::MissingAuthorization,
                "the Authorization header is required",
            )
        })?
        .to_str()
        .map_err(|_| malformed())?
        .to_string();
    let credentials = parse_authorization(&header_value)?;
    // Everything the headers can tell is checked before a byte of the body is read: a
    // stranger must not make the server wait for, or buffer, a body it will refuse anyway.
    let app = state
        .app(credentials.app_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownApp, "no app has this app_id"))?;
    let now_s = state.clock.now_s();
    let window_s = state.config.api.signature_window_s;
    if !within_window(now_s, credentials.timestamp, window_s) {
        return Err(ApiError::new(
            ErrorCode::SignatureExpired,
            format!("timestamp is more than {window_s} s from the server time {now_s}"),
        ));
    }
    let limit = body_limit(parts.uri.path(), &state.config.api);
    let too_large = || {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("the body exceeds {limit} bytes"),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    let body = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());

    let expected = string_to_sign(
        parts.method.as_str(),
        &path_and_query,
        credentials.timestamp,
        credentials.nonce,
        &body,
    );
    verify_signature(&app.secret, &expected, credentials.signature)?;
    if !app.is_active() {
        return Err(ApiError::new(ErrorCode::AppDisabled, "the app is disabled"));
    }
    // Only a correctly signed request may spend a nonce, so forgeries cannot burn them.
    let nonce = NonceUse {
        app_id: app.id.clone(),
        nonce: credentials.nonce.to_string(),
        expires_at_ms: credentials
            .timestamp
            .saturating_add(window_s)
            .saturating_add(1)
            .saturating_mul(1000),
    };
    Ok(SignedRequestWithNonce {
        request: SignedRequest {
            app,
            method: parts.method,
            path_and_query,
            body,
        },
        nonce,
    })
}

/// Whether `timestamp` is at most `window_s` from `now_s`, for any value a header may carry.
fn within_window(now_s: i64, timestamp: i64, window_s: i64) -> bool {
    now_s.abs_diff(timestamp) <= window_s.unsigned_abs()
}

/// The most a route's body may hold: the batches' lines need room, every other request is a
/// small JSON object.
fn body_limit(path: &str, limits: &crate::config::ApiConfig) -> usize {
    if matches!(path, "/v1/refund-batches" | "/v1/debit-batches") {
        limits.max_batch_body_bytes
    } else {
        limits.max_body_bytes
    }
}

fn malformed() -> ApiError {
    ApiError::new(
        ErrorCode::MalformedAuthorization,
        "expected UNIPAY-HMAC-SHA256 app_id=...,timestamp=...,nonce=...,signature=...",
    )
}

pub(crate) fn parse_authorization(value: &str) -> Result<Credentials<'_>, ApiError> {
    let params = value
        .strip_prefix(SCHEME)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(malformed)?;
    let (mut app_id, mut timestamp, mut nonce, mut signature) = (None, None, None, None);
    for part in params.split(',') {
        let (name, value) = part.trim().split_once('=').ok_or_else(malformed)?;
        let slot = match name {
            "app_id" => &mut app_id,
            "timestamp" => &mut timestamp,
            "nonce" => &mut nonce,
            "signature" => &mut signature,
            _ => return Err(malformed()),
        };
        if slot.replace(value).is_some() {
            return Err(malformed());
        }
    }
    let (Some(app_id), Some(timestamp), Some(nonce), Some(signature)) =
        (app_id, timestamp, nonce, signature)
    else {
        return Err(malformed());
    };
    let nonce_ok = (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let timestamp: i64 = timestamp.parse().map_err(|_| malformed())?;
    if !nonce_ok || app_id.is_empty() || app_id.len() > 64 || signature.len() != 64 {
        return Err(malformed());
    }
    Ok(Credentials {
        app_id,
        timestamp,
        nonce,
        signature,
    })
}

/// The exact text a request's signature covers.
pub fn string_to_sign(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body_hash}")
}

pub(crate) fn verify_signature(
    secret: &str,
    string_to_sign: &str,
    signature_hex: &str,
) -> Result<(), ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidSignature,
            "the signature does not match the request",
        )
    };
    let signature = hex::decode(signature_hex).map_err(|_| invalid())?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| invalid())?;
    mac.update(string_to_sign.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&signature).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_header() {
        let sig = "a".repeat(64);
        let header = format!(
            "UNIPAY-HMAC-SHA256 app_id=app_1,timestamp=1700000000,nonce=abcdefghijklmnop,signature={sig}"
        );
        let creds = parse_authorization(&header).unwrap();
        assert_eq!(creds.app_id, "app_1");
        assert_eq!(creds.timestamp, 1_700_000_000);
        assert_eq!(creds.nonce, "abcdefghijklmnop");
    }

    #[test]
    fn refuses_malformed_headers() {
        let sig = "a".repeat(64);
        for header in [
            "Bearer x".to_string(),
            format!("UNIPAY-HMAC-SHA256 app_id=a,timestamp=1,nonce=short,signature={sig}"),
            format!(
                "UNIPAY-HMAC-SHA256 app_id=a,timestamp=x,nonce=abcdefghijklmnop,signature={sig}"
            ),
            format!(
                "UNIPAY-HMAC-SHA256 app_id=a,app_id=b,timestamp=1,nonce=abcdefghijklmnop,signature={sig}"
            ),
            "UNIPAY-HMAC-SHA256 app_id=a,timestamp=1,nonce=abcdefghijklmnop".to_string(),
        ] {
            assert_eq!(
                parse_authorization(&header).unwrap_err().code.as_str(),
                "malformed_authorization",
                "{header}"
            );
        }
    }

    #[test]
    fn timestamps_at_the_ends_of_the_range_are_outside_the_window() {
        assert!(within_window(1_000, 1_300, 300));
        assert!(!within_window(1_000, 1_301, 300));
        for timestamp in [i64::MIN, i64::MAX] {
            assert!(!within_window(1_700_000_000, timestamp, 300), "{timestamp}");
        }
        let header = format!(
            "UNIPAY-HMAC-SHA256 app_id=a,timestamp={},nonce=abcdefghijklmnop,signature={}",
            i64::MIN,
            "a".repeat(64)
        );
        assert_eq!(parse_authorization(&header).unwrap().timestamp, i64::MIN);
    }

    #[test]
    fn signature_covers_every_part() {
        let text = string_to_sign("POST", "/v1/payments?x=1", 5, "n", b"{}");
        assert_eq!(
            text,
            "POST\n/v1/payments?x=1\n5\nn\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let mut mac = HmacSha256::new_from_slice(b"secret").unwrap();
        mac.update(text.as_bytes());
        let good = hex::encode(mac.finalize().into_bytes());
        assert!(verify_signature("secret", &text, &good).is_ok());
        assert!(verify_signature("other", &text, &good).is_err());
        assert!(verify_signature("secret", &text, "zz").is_err());
    }
}
