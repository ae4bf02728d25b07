//! The request signature and the two signatures unipay sends back (notifications and return
//! URLs), exactly as the API documentation describes them.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The `Authorization` header value for a request.
pub fn sign_request(
    app_id: &str,
    secret: &str,
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    let string_to_sign = format!(
        "{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{}",
        hex::encode(Sha256::digest(body))
    );
    format!(
        "UNIPAY-HMAC-SHA256 app_id={app_id},timestamp={timestamp},nonce={nonce},signature={}",
        hmac_hex(secret, string_to_sign.as_bytes())
    )
}

pub(crate) fn new_nonce() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

fn hmac_hex(secret: &str, data: &[u8]) -> String {
    match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

fn hmac_verify(secret: &str, data: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(data);
    mac.verify_slice(&signature).is_ok()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the signature is too old or from the future")]
    Stale,
}

/// Verifies `Unipay-Signature: t=<unix>,v1=<hex>` over `t + "." + body`, within `tolerance_s`.
pub fn verify_notification(
    secret: &str,
    header: &str,
    body: &[u8],
    now_s: i64,
    tolerance_s: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => return Err(SignatureError::Malformed),
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    let mut signed = Vec::with_capacity(body.len() + 16);
    signed.extend_from_slice(t.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    if !hmac_verify(secret, &signed, v1) {
        return Err(SignatureError::Mismatch);
    }
    if now_s.abs_diff(t) > tolerance_s.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// How old a return link may be: the consumer follows it from the result page, within minutes.
pub const RETURN_LINK_MAX_AGE_S: i64 = 3600;

/// Verifies the query string unipay appends to `return_url` now (see
/// [`verify_return_query_at`]).
pub fn verify_return_query(
    secret: &str,
    query: &str,
) -> Result<Vec<(String, String)>, SignatureError> {
    let now_s = chrono::Utc::now().timestamp();
    verify_return_query_at(secret, query, now_s, RETURN_LINK_MAX_AGE_S)
}

/// Verifies the query string unipay appends to `return_url`: the pairs from unipay's
/// `payment_id` to the last pair, `signature`, are signed, and their `t` (unix seconds) must be
/// within `max_age_s` of `now_s`. The business system's own parameters may come first. Returns
/// the signed pairs, decoded.
pub fn verify_return_query_at(
    secret: &str,
    query: &str,
    now_s: i64,
    max_age_s: i64,
) -> Result<Vec<(String, String)>, SignatureError> {
    let (signed, signature) = query
        .rsplit_once("&signature=")
        .ok_or(SignatureError::Malformed)?;
    // The signed part starts at the pair whose name is exactly `payment_id` (not, say, the
    // business system's own `order_payment_id`); the last such pair is unipay's.
    let mut start = None;
    let mut offset = 0;
    for pair in signed.split('&') {
        if pair.split_once('=').map(|(name, _)| name) == Some("payment_id") {
            start = Some(offset);
        }
        offset += pair.len() + 1;
    }
    let signed = &signed[start.ok_or(SignatureError::Malformed)?..];
    if !hmac_verify(secret, signed.as_bytes(), signature) {
        return Err(SignatureError::Mismatch);
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(signed.as_bytes())
        .into_owned()
        .collect();
    let t = pairs
        .iter()
        .find(|(name, _)| name == "t")
        .and_then(|(_, value)| value.parse::<i64>().ok())
        .ok_or(SignatureError::Malformed)?;
    if now_s.abs_diff(t) > max_age_s.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_signature_round_trips_and_rejects_tampering() {
        let body = br#"{"id":"evt_1"}"#;
        let header = format!("t=100,v1={}", hmac_hex("s", b"100.{\"id\":\"evt_1\"}"));
        assert_eq!(verify_notification("s", &header, body, 100, 300), Ok(()));
        assert_eq!(
            verify_notification("x", &header, body, 100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_notification("s", &header, b"{}", 100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_notification("s", &header, body, 1000, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_notification("s", "nonsense", body, 100, 300),
            Err(SignatureError::Malformed)
        );
    }

    /// A return query as unipay writes it, after the business system's own parameters.
    fn return_query(own: &str, t: i64) -> String {
        let signed = format!("payment_id=pay_1&out_trade_no=T-1&status=succeeded&amount=100&t={t}");
        let signature = hmac_hex("s", signed.as_bytes());
        format!("{own}{signed}&signature={signature}")
    }

    #[test]
    fn return_query_is_read_from_its_own_payment_id_and_checked_for_age() {
        let query = return_query("order_payment_id=7&", 1_000);
        let pairs = verify_return_query_at("s", &query, 1_000, 3600).unwrap();
        assert!(pairs.contains(&("payment_id".to_string(), "pay_1".to_string())));
        assert!(!pairs.iter().any(|(name, _)| name == "order_payment_id"));
        assert_eq!(
            verify_return_query_at("s", &query, 1_000 + 3601, 3600),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_return_query_at("s", &query, i64::MIN, 3600),
            Err(SignatureError::Stale)
        );
        let forged = query.replace("status=succeeded", "status=failed");
        assert_eq!(
            verify_return_query_at("s", &forged, 1_000, 3600),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_return_query_at("s", "order_payment_id=1&signature=00", 1_000, 3600),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn notification_times_far_out_of_range_are_stale_not_a_panic() {
        let header = format!(
            "t={},v1={}",
            i64::MIN,
            hmac_hex("s", format!("{}.{{}}", i64::MIN).as_bytes())
        );
        assert_eq!(
            verify_notification("s", &header, b"{}", i64::MAX, 300),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn request_signature_matches_the_documented_string() {
        let header = sign_request("app_1", "secret", "POST", "/v1/payments", 5, "n", b"{}");
        let expected = hmac_hex(
            "secret",
            b"POST\n/v1/payments\n5\nn\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        );
        assert_eq!(
            header,
            format!("UNIPAY-HMAC-SHA256 app_id=app_1,timestamp=5,nonce=n,signature={expected}")
        );
    }
}
