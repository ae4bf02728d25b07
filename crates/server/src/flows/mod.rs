//! The application: every use case, one function each, shared by every surface (the merchant
//! API, the console, the cashier, the bank callbacks, the command line) and by the workers. A
//! flow takes a surface-neutral input and returns a typed outcome; it never imports a surface
//! (`crate::http`) or a worker (`crate::workers`), and `tests/layers.rs` checks that it does not.

pub mod admin;
pub mod bank_batch_parts;
pub mod books;
pub mod close;
pub mod debit_batches;
pub mod debits;
pub mod identity;
pub mod kcode;
pub mod mandates;
pub mod objects;
pub mod payments;
pub mod preauth;
pub mod refund_batches;
pub mod refunds;

use crate::flows::objects::payment::event_body;
use crate::state::AppState;
use crate::workers::notifier;
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
    let at_once = state.config.notifier.deliver_at_once;
    let change = PaymentChange {
        delivery_lease_ms: if at_once {
            state.config.notifier.lease_ms
        } else {
            0
        },
        ..*change
    };
    let mut outcome = state.store.apply_payment_change(&change, &render).await?;
    match &mut outcome {
        ApplyOutcome::Changed { payment, event } => {
            state.metrics.payment_reached(payment.status.as_str());
            // Handed to the delivery task rather than copied: the caller has no use for it.
            if let Some(event) = event.take()
                && at_once
            {
                notifier::deliver_now(state, *event);
            }
        }
        ApplyOutcome::LateSuccess(payment) => {
            tracing::warn!(payment_id = %payment.id, "late success for a closed payment recorded as an anomaly");
        }
        _ => {}
    }
    Ok(outcome)
}

pub async fn channel_for(
    state: &AppState,
    payment: &Payment,
) -> Result<Arc<dyn Channel>, FlowError> {
    state
        .channels
        .get(&state.store, &payment.channel_account_id)
        .await
        .map_err(|e| FlowError::ChannelSetup(payment.channel_account_id.clone(), e.to_string()))?
        .ok_or_else(|| {
            FlowError::ChannelSetup(payment.channel_account_id.clone(), "missing".into())
        })
}
