//! Business notifications delivered at once: a change that writes an event holds it from the
//! other notifiers by a lease while this node hands it to the delivery port (any notifier takes
//! it over if this node dies before it is acknowledged).

use crate::state::AppState;
use unipay_store::outbox::OutboxEvent;

/// The delivery lease a change writes with its event: none when events wait for the poll.
pub fn lease_ms(state: &AppState) -> i64 {
    if state.config.notifier.deliver_at_once {
        state.config.notifier.lease_ms
    } else {
        0
    }
}

/// Hands an event a change has just written to the delivery port, when events go at once.
pub fn hand_over(state: &AppState, event: Option<Box<OutboxEvent>>) {
    if let Some(event) = event
        && state.config.notifier.deliver_at_once
    {
        state.delivery.deliver_now(state, *event);
    }
}
