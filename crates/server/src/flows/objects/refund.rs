//! The refund object as the API and the `refund.*` business notifications show it.

use serde::Serialize;
use unipay_core::clock::rfc3339;
use unipay_store::refunds::Refund;

#[derive(Serialize)]
pub struct RefundObject<'a> {
    pub id: &'a str,
    pub payment_id: &'a str,
    pub out_refund_no: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub reason: Option<&'a str>,
    pub status: &'a str,
    /// The bank's serial for the refund, once it succeeded.
    pub channel_refund_no: Option<&'a str>,
    pub accounting_date: Option<&'a str>,
    pub failure_reason: Option<&'a str>,
    pub batch_id: Option<&'a str>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl<'a> RefundObject<'a> {
    pub fn new(refund: &'a Refund) -> RefundObject<'a> {
        RefundObject {
            id: &refund.id,
            payment_id: &refund.payment_id,
            out_refund_no: &refund.out_refund_no,
            amount: refund.amount.fen(),
            currency: &refund.currency,
            reason: refund.reason.as_deref(),
            status: refund.status.as_str(),
            channel_refund_no: refund.channel_refund_no.as_deref(),
            accounting_date: refund.accounting_date.as_deref(),
            failure_reason: refund.failure_reason.as_deref(),
            batch_id: refund.batch_id.as_deref(),
            created_at: rfc3339(refund.created_at),
            finished_at: refund.finished_at.map(rfc3339),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

#[derive(Serialize)]
struct RefundEventBody<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    created_at: String,
    data: RefundObject<'a>,
}

/// The body of a refund notification: `{"id","type","created_at","data":<refund>}`, shaped
/// like a payment event so one receiver handles both.
pub fn refund_event_body(refund: &Refund, event_id: &str, event_type: &str, now_ms: i64) -> String {
    let body = RefundEventBody {
        id: event_id,
        event_type,
        created_at: rfc3339(now_ms),
        data: RefundObject::new(refund),
    };
    serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_string())
}
