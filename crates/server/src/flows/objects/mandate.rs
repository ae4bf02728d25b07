//! The mandate object as the API and the business notifications show it. The certificate
//! number appears only masked: the full number is never kept.

use serde_json::{Value, json};
use unipay_core::clock::rfc3339;
use unipay_store::mandates::Mandate;

pub fn mandate_json(mandate: &Mandate) -> Value {
    json!({
        "id": mandate.id,
        "app_id": mandate.app_id,
        "out_mandate_no": mandate.out_mandate_no,
        "status": mandate.status.as_str(),
        "customer_ref": mandate.customer_ref,
        "card_type": mandate.card_type,
        "card_masked": mandate.card_masked,
        "certificate_type": mandate.certificate_type,
        "certificate_no_masked": mandate.certificate_no_masked,
        "expires_on": mandate.expires_on,
        "max_amount_per_debit": mandate.max_amount_per_debit,
        "sign_url": mandate.sign_url,
        "channel_sign_no": mandate.sign_request_no,
        "agent_sign_no": mandate.agent_sign_no,
        "failure_reason": mandate.failure_reason,
        "notify_url": mandate.notify_url,
        "return_url": mandate.return_url,
        "created_at": rfc3339(mandate.created_at),
        "signed_at": mandate.signed_at.map(rfc3339),
        "ended_at": mandate.ended_at.map(rfc3339),
    })
}

/// The body of a mandate's business notification: `{"id","type","created_at","data":<mandate>}`.
pub fn mandate_event_body(
    mandate: &Mandate,
    event_id: &str,
    event_type: &str,
    now_ms: i64,
) -> String {
    json!({
        "id": event_id,
        "type": event_type,
        "created_at": rfc3339(now_ms),
        "data": mandate_json(mandate),
    })
    .to_string()
}
