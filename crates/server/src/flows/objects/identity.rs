//! The identity verification object as the API and the business notifications show it.
//! Personal data appears only masked: the full values are never kept.

use serde_json::{Value, json};
use unipay_core::clock::rfc3339;
use unipay_store::identity::IdentityVerification;

pub fn verification_json(v: &IdentityVerification) -> Value {
    json!({
        "id": v.id,
        "object": "identity_verification",
        "app_id": v.app_id,
        "out_verify_no": v.out_verify_no,
        "mode": v.mode.as_str(),
        "customer_type": v.customer_type.as_str(),
        "status": v.status.as_str(),
        "name_masked": v.name.masked,
        "certificate_type": v.certificate_type,
        "certificate_no_masked": v.certificate.masked,
        "card_no_masked": v.card.masked,
        "mobile_masked": v.mobile.as_ref().map(|m| m.masked.as_str()),
        "verify_url": v.verify_url,
        "channel_verify_no": v.verify_no,
        "reason_code": v.reason_code,
        "reason": v.reason,
        "repeat_of": v.repeat_of,
        "seen_before": v.repeat_of.is_some(),
        "notify_url": v.notify_url,
        "return_url": v.return_url,
        "created_at": rfc3339(v.created_at),
        "finished_at": v.finished_at.map(rfc3339),
    })
}

/// The body of a verification's business notification:
/// `{"id","type","created_at","data":<verification>}`.
pub fn verification_event_body(
    v: &IdentityVerification,
    event_id: &str,
    event_type: &str,
    now_ms: i64,
) -> String {
    json!({
        "id": event_id,
        "type": event_type,
        "created_at": rfc3339(now_ms),
        "data": verification_json(v),
    })
    .to_string()
}
