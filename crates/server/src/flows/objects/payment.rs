//! The payment object as the API and the business notifications show it.

use super::{text, to_json};
use std::borrow::Cow;
use unipay_api::{Event, Metadata};
use unipay_core::clock::rfc3339;
use unipay_store::payments::Payment;

pub fn payment_object<'a>(payment: &'a Payment, public_url: &str) -> unipay_api::Payment<'a> {
    unipay_api::Payment {
        id: Cow::Borrowed(&payment.id),
        app_id: Cow::Borrowed(&payment.app_id),
        out_trade_no: Cow::Borrowed(&payment.out_trade_no),
        amount: payment.amount.fen(),
        currency: Cow::Borrowed(&payment.currency),
        subject: Cow::Borrowed(&payment.subject),
        status: Cow::Borrowed(payment.status.as_str()),
        channel: Cow::Borrowed(&payment.channel),
        channel_account_id: Cow::Borrowed(&payment.channel_account_id),
        channel_order_no: Cow::Borrowed(&payment.order_no),
        channel_trade_no: text(&payment.channel_trade_no),
        accounting_date: text(&payment.accounting_date),
        paid_at: payment.paid_at.map(rfc3339),
        cashier_url: format!("{public_url}/pay/{}", payment.id),
        return_url: text(&payment.return_url),
        notify_url: text(&payment.notify_url),
        expires_at: rfc3339(payment.expires_at),
        created_at: rfc3339(payment.created_at),
        // Stored metadata was checked to be a JSON object when the payment was created.
        metadata: payment.metadata.as_deref().map(Metadata::from_checked),
        capture: Some(Cow::Borrowed(payment.capture.as_str())),
        captured_amount: payment.captured_amount,
        refunded_amount: payment.refunded_amount,
        kcode: None,
    }
}

/// The body of a business notification: `{"id","type","created_at","data":<payment>}`.
pub fn event_body(
    payment: &Payment,
    event_id: &str,
    event_type: &str,
    now_ms: i64,
    public_url: &str,
) -> String {
    to_json(&Event {
        id: Cow::Borrowed(event_id),
        event_type,
        created_at: rfc3339(now_ms),
        data: payment_object(payment, public_url),
    })
}
