//! What every bank callback (payment results, signing results, identity results) does around
//! reading its message: find the channel account's channel, keep a message that fails
//! verification only as its hash and size, and answer the bank with the page it waits for.

use crate::flows::FlowError;
use crate::state::AppState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use unipay_core::channel::Channel;
use unipay_core::masking::unverified_record;
use unipay_store::messages::InboundMessage;

/// Records a message that failed verification. Not believed, so not decoded: masking cannot
/// reach into its base64, and only its hash and size are kept.
pub(crate) async fn keep_unverified(
    state: &AppState,
    channel_account_id: &str,
    body: &[u8],
    source: &str,
    reason: &str,
) -> Result<(), FlowError> {
    tracing::warn!(reason, channel_account_id, source, "bank message rejected");
    state
        .store
        .record_bank_message(&InboundMessage {
            channel_account_id,
            sha256: &hex::encode(Sha256::digest(body)),
            payment_id: None,
            order_no: None,
            source,
            verdict: "rejected",
            reason,
            raw_masked: &unverified_record(body),
            now_ms: state.now_ms(),
        })
        .await?;
    Ok(())
}

/// The answer the bank expects for a message it delivered, sending the customer on to
/// `customer_url`.
pub(crate) fn bank_answer(channel: &dyn Channel, customer_url: &str) -> Response {
    let (content_type, answer) = channel.notification_answer(customer_url);
    let mut response = (StatusCode::OK, answer).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
