//! The refund object as the API and the `refund.*` business notifications show it.

use super::{text, to_json};
use std::borrow::Cow;
use unipay_api::Event;
use unipay_core::clock::rfc3339;
use unipay_store::refunds::Refund;

pub fn refund_object(refund: &Refund) -> unipay_api::Refund<'_> {
    unipay_api::Refund {
        id: Cow::Borrowed(&refund.id),
        payment_id: Cow::Borrowed(&refund.payment_id),
        out_refund_no: Cow::Borrowed(&refund.out_refund_no),
        amount: refund.amount.fen(),
        currency: Cow::Borrowed(&refund.currency),
        reason: text(&refund.reason),
        status: Cow::Borrowed(refund.status.as_str()),
        channel_refund_no: text(&refund.channel_refund_no),
        accounting_date: text(&refund.accounting_date),
        failure_reason: text(&refund.failure_reason),
        batch_id: text(&refund.batch_id),
        created_at: rfc3339(refund.created_at),
        finished_at: refund.finished_at.map(rfc3339),
    }
}

/// The body of a refund notification: `{"id","type","created_at","data":<refund>}`, shaped
/// like a payment event so one receiver handles both.
pub fn refund_event_body(refund: &Refund, event_id: &str, event_type: &str, now_ms: i64) -> String {
    to_json(&Event {
        id: Cow::Borrowed(event_id),
        event_type,
        created_at: rfc3339(now_ms),
        data: refund_object(refund),
    })
}
