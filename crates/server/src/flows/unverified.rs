//! Bank messages that fail verification, from any callback.

use crate::flows::FlowError;
use crate::state::AppState;
use sha2::{Digest, Sha256};
use unipay_core::masking::unverified_record;
use unipay_store::messages::InboundMessage;

/// Records a message that failed verification. Not believed, so not decoded: masking cannot
/// reach into its base64, and only its hash and size are kept, with the reason. Anyone can
/// send such messages, so each is counted but only a sample is written: the first few from
/// each address every minute (`inbound.refused_samples_per_minute`); the pruner deletes them
/// after `inbound.refused_retention_s`.
pub async fn keep_unverified(
    state: &AppState,
    channel_account_id: &str,
    body: &[u8],
    source: &str,
    reason: &str,
    from: &str,
) -> Result<(), FlowError> {
    state.metrics.refused("callback", "unverified");
    if !state.limits.refused_samples.keep("callback", from) {
        tracing::debug!(
            reason,
            channel_account_id,
            source,
            from,
            "bank message rejected, not kept"
        );
        return Ok(());
    }
    tracing::warn!(
        reason,
        channel_account_id,
        source,
        from,
        "bank message rejected"
    );
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
