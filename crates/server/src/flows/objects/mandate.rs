//! The mandate object as the API and the business notifications show it. The certificate
//! number appears only masked: the full number is never kept.

use super::{text, to_json};
use std::borrow::Cow;
use unipay_api::Event;
use unipay_core::clock::rfc3339;
use unipay_store::mandates::Mandate;

pub fn mandate_object(mandate: &Mandate) -> unipay_api::Mandate<'_> {
    unipay_api::Mandate {
        id: Cow::Borrowed(&mandate.id),
        app_id: Cow::Borrowed(&mandate.app_id),
        out_mandate_no: Cow::Borrowed(&mandate.out_mandate_no),
        status: Cow::Borrowed(mandate.status.as_str()),
        customer_ref: Cow::Borrowed(&mandate.customer_ref),
        card_type: Cow::Borrowed(&mandate.card_type),
        card_masked: text(&mandate.card_masked),
        certificate_type: Cow::Borrowed(&mandate.certificate_type),
        certificate_no_masked: Cow::Borrowed(&mandate.certificate_no_masked),
        expires_on: Cow::Borrowed(&mandate.expires_on),
        max_amount_per_debit: mandate.max_amount_per_debit,
        sign_url: text(&mandate.sign_url),
        channel_sign_no: Cow::Borrowed(&mandate.sign_request_no),
        agent_sign_no: text(&mandate.agent_sign_no),
        failure_reason: text(&mandate.failure_reason),
        notify_url: text(&mandate.notify_url),
        return_url: text(&mandate.return_url),
        created_at: rfc3339(mandate.created_at),
        signed_at: mandate.signed_at.map(rfc3339),
        ended_at: mandate.ended_at.map(rfc3339),
    }
}

/// The body of a mandate's business notification: `{"id","type","created_at","data":<mandate>}`.
pub fn mandate_event_body(
    mandate: &Mandate,
    event_id: &str,
    event_type: &str,
    now_ms: i64,
) -> String {
    to_json(&Event {
        id: Cow::Borrowed(event_id),
        event_type,
        created_at: rfc3339(now_ms),
        data: mandate_object(mandate),
    })
}
