//! Forgets request nonces once their signature window has passed.

use crate::state::AppState;
use tokio::sync::watch;

const PRUNE_INTERVAL_MS: u64 = 60_000;

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = state.store.prune_nonces(state.now_ms()).await {
            tracing::warn!(%error, "pruning nonces failed");
        }
        if super::pause(&mut shutdown, PRUNE_INTERVAL_MS).await {
            return;
        }
    }
}
