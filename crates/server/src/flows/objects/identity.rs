//! The identity verification object as the API and the business notifications show it.
//! Personal data appears only masked: the full values are never kept.

use super::{text, to_json};
use std::borrow::Cow;
use unipay_api::Event;
use unipay_core::clock::rfc3339;
use unipay_store::identity::IdentityVerification;

pub fn verification_object(v: &IdentityVerification) -> unipay_api::IdentityVerification<'_> {
    unipay_api::IdentityVerification {
        id: Cow::Borrowed(&v.id),
        object: Cow::Borrowed("identity_verification"),
        app_id: Cow::Borrowed(&v.app_id),
        out_verify_no: Cow::Borrowed(&v.out_verify_no),
        mode: Cow::Borrowed(v.mode.as_str()),
        customer_type: Cow::Borrowed(v.customer_type.as_str()),
        status: Cow::Borrowed(v.status.as_str()),
        name_masked: Cow::Borrowed(&v.name.masked),
        certificate_type: Cow::Borrowed(&v.certificate_type),
        certificate_no_masked: Cow::Borrowed(&v.certificate.masked),
        card_no_masked: Cow::Borrowed(&v.card.masked),
        mobile_masked: v.mobile.as_ref().map(|m| Cow::Borrowed(m.masked.as_str())),
        verify_url: text(&v.verify_url),
        channel_verify_no: Cow::Borrowed(&v.verify_no),
        reason_code: text(&v.reason_code),
        reason: text(&v.reason),
        repeat_of: text(&v.repeat_of),
        seen_before: v.repeat_of.is_some(),
        notify_url: text(&v.notify_url),
        return_url: text(&v.return_url),
        created_at: rfc3339(v.created_at),
        finished_at: v.finished_at.map(rfc3339),
    }
}

/// The body of a verification's business notification:
/// `{"id","type","created_at","data":<verification>}`.
pub fn verification_event_body(
    v: &IdentityVerification,
    event_id: &str,
    event_type: &str,
    now_ms: i64,
) -> String {
    to_json(&Event {
        id: Cow::Borrowed(event_id),
        event_type,
        created_at: rfc3339(now_ms),
        data: verification_object(v),
    })
}
