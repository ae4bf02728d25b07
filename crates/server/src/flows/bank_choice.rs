//! The consumer's choice of bank at the cashier, for a payment created without naming its
//! channel: which of the app's channel accounts it may go through, and the move to one.

use crate::flows::FlowError;
use crate::state::AppState;
use unipay_core::event::EventSource;
use unipay_store::merchants::ChannelRoute;
use unipay_store::payments::{BankChosen, Payment};

/// The channel accounts the payment's app may use, oldest first.
pub async fn banks_for(
    state: &AppState,
    payment: &Payment,
) -> Result<Vec<ChannelRoute>, FlowError> {
    let Some(app) = state.app(&payment.app_id).await? else {
        return Ok(Vec::new());
    };
    Ok(state.store.channel_routes_for_app(&app).await?)
}

/// What choosing a bank came to.
#[derive(Debug)]
pub enum Choice {
    /// The payment goes through the chosen account, or already did.
    Done(Box<BankChosen>),
    /// The app may not use the account named (or there is no such account): nothing changed.
    NotAllowed,
}

/// Moves the payment to the channel account `channel_account_id` if its app may use that
/// account and the consumer may still choose (the store refuses once a bank has the order).
pub async fn choose_bank(
    state: &AppState,
    payment: &Payment,
    channel_account_id: &str,
) -> Result<Choice, FlowError> {
    let banks = banks_for(state, payment).await?;
    let Some(route) = banks
        .iter()
        .find(|route| route.channel_account_id == channel_account_id)
    else {
        return Ok(Choice::NotAllowed);
    };
    let chosen = state
        .store
        .choose_payment_bank(&payment.id, route, EventSource::Cashier, state.now_ms())
        .await?;
    Ok(Choice::Done(Box::new(chosen)))
}
