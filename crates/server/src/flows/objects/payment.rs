//! The payment object as the API and the business notifications show it.

use serde::Serialize;
use serde_json::value::RawValue;
use unipay_core::clock::rfc3339;
use unipay_store::payments::Payment;

#[derive(Serialize)]
pub struct PaymentObject<'a> {
    pub id: &'a str,
    pub app_id: &'a str,
    pub out_trade_no: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub subject: &'a str,
    pub status: &'a str,
    pub channel: &'a str,
    /// The order number the bank knows the payment by.
    pub channel_order_no: &'a str,
    pub channel_trade_no: Option<&'a str>,
    pub accounting_date: Option<&'a str>,
    pub paid_at: Option<String>,
    pub cashier_url: String,
    pub return_url: Option<&'a str>,
    pub notify_url: Option<&'a str>,
    pub expires_at: String,
    pub created_at: String,
    pub metadata: Option<Box<RawValue>>,
    /// `immediate`, or `manual` for a pre-authorization.
    pub capture: &'a str,
    /// What the capture of a pre-authorization took; `None` otherwise.
    pub captured_amount: Option<i64>,
    /// Refunds that succeeded. A refunded payment stays `succeeded` (see core's `refund.rs`).
    pub refunded_amount: i64,
}

impl<'a> PaymentObject<'a> {
    pub fn new(payment: &'a Payment, public_url: &str) -> PaymentObject<'a> {
        PaymentObject {
            id: &payment.id,
            app_id: &payment.app_id,
            out_trade_no: &payment.out_trade_no,
            amount: payment.amount.fen(),
            currency: &payment.currency,
            subject: &payment.subject,
            status: payment.status.as_str(),
            channel: &payment.channel,
            channel_order_no: &payment.order_no,
            channel_trade_no: payment.channel_trade_no.as_deref(),
            accounting_date: payment.accounting_date.as_deref(),
            paid_at: payment.paid_at.map(rfc3339),
            cashier_url: format!("{public_url}/pay/{}", payment.id),
            return_url: payment.return_url.as_deref(),
            notify_url: payment.notify_url.as_deref(),
            expires_at: rfc3339(payment.expires_at),
            created_at: rfc3339(payment.created_at),
            // Stored metadata was validated as a JSON object when the payment was created.
            metadata: payment
                .metadata
                .as_ref()
                .and_then(|text| RawValue::from_string(text.clone()).ok()),
            capture: payment.capture.as_str(),
            captured_amount: payment.captured_amount,
            refunded_amount: payment.refunded_amount,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

#[derive(Serialize)]
struct EventBody<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    created_at: String,
    data: PaymentObject<'a>,
}

/// The body of a business notification: `{"id","type","created_at","data":<payment>}`.
pub fn event_body(
    payment: &Payment,
    event_id: &str,
    event_type: &str,
    now_ms: i64,
    public_url: &str,
) -> String {
    let body = EventBody {
        id: event_id,
        event_type,
        created_at: rfc3339(now_ms),
        data: PaymentObject::new(payment, public_url),
    };
    serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_string())
}
