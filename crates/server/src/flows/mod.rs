//! The application: every use case, one function each, shared by every surface (the merchant
//! API, the console, the cashier, the bank callbacks, the command line) and by the workers. A
//! flow takes a surface-neutral input and returns a typed outcome; it never imports a surface
//! (`crate::http`) or a worker (`crate::workers`), and `tests/layers.rs` checks that it does not.

pub mod admin;
pub mod bank_batch_parts;
pub mod bank_choice;
pub mod bank_result;
pub mod books;
pub mod close;
pub mod console_refund;
pub mod debit_batches;
pub mod debits;
pub mod delivery;
pub mod identity;
pub mod kcode;
pub mod late_success;
pub mod mandates;
pub mod objects;
pub mod payments;
pub mod preauth;
pub mod preauth_result;
pub mod refund_batches;
pub mod refunds;
pub mod unverified;

use crate::flows::objects::payment::event_body;
use crate::state::AppState;
use std::sync::Arc;
use unipay_core::channel::{Channel, ChannelError};
use unipay_store::StoreError;
use unipay_store::payments::{ApplyOutcome, Payment, PaymentChange};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error("channel account {0} is not usable: {1}")]
    ChannelSetup(String, String),
}

/// Applies a change. A business notification it writes is delivered at once by this node (held
/// from other notifiers by a lease, which any notifier takes over if this node dies) and is
/// therefore taken out of the returned outcome.
pub async fn apply(
    state: &AppState,
    change: &PaymentChange<'_>,
) -> Result<ApplyOutcome, StoreError> {
    let public_url = state.config.public_url.as_str();
    let render = |payment: &Payment, event_id: &str, event_type: &str, now_ms: i64| {
        event_body(payment, event_id, event_type, now_ms, public_url)
    };
    let change = PaymentChange {
        delivery_lease_ms: delivery::lease_ms(state),
        ..*change
    };
    let mut outcome = state.store.apply_payment_change(&change, &render).await?;
    match &mut outcome {
        ApplyOutcome::Changed { payment, event } => {
            state.metrics.payment_reached(payment.status.as_str());
            // Handed to the delivery task rather than copied: the caller has no use for it.
            delivery::hand_over(state, event.take());
        }
        ApplyOutcome::LateSuccess(payment) => {
            tracing::warn!(payment_id = %payment.id, "late success for a closed payment recorded as an anomaly");
        }
        _ => {}
    }
    Ok(outcome)
}

/// The channel of a channel account, from the registry: the one lookup every flow uses.
pub async fn channel(
    state: &AppState,
    channel_account_id: &str,
) -> Result<Arc<dyn Channel>, FlowError> {
    known_channel(state, channel_account_id)
        .await?
        .ok_or_else(|| FlowError::ChannelSetup(channel_account_id.to_string(), "missing".into()))
}

/// The channel of a channel account; `None` for an account we do not have (a bank callback's
/// path names an account, which may be anything).
pub async fn known_channel(
    state: &AppState,
    channel_account_id: &str,
) -> Result<Option<Arc<dyn Channel>>, FlowError> {
    state
        .channels
        .get(&state.store, channel_account_id)
        .await
        .map_err(|e| FlowError::ChannelSetup(channel_account_id.to_string(), e.to_string()))
}

/// The channel a payment was made through.
pub async fn channel_for(
    state: &AppState,
    payment: &Payment,
) -> Result<Arc<dyn Channel>, FlowError> {
    channel(state, &payment.channel_account_id).await
}
