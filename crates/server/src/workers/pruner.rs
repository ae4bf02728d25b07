//! Forgets request nonces once their signature window has passed, and idempotency keys once
//! they are older than the time a business system may retry under them.

use crate::state::AppState;
use tokio::sync::watch;

const PRUNE_INTERVAL_MS: u64 = 60_000;

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        let now = state.now_ms();
        if let Err(error) = state.store.prune_nonces(now).await {
            tracing::warn!(%error, "pruning nonces failed");
        }
        let keep_ms = state.config.api.idempotency_key_ttl_s.saturating_mul(1000);
        if let Err(error) = state.store.prune_idempotency_keys(now - keep_ms).await {
            tracing::warn!(%error, "pruning idempotency keys failed");
        }
        if super::pause::pause(&mut shutdown, PRUNE_INTERVAL_MS).await {
            return;
        }
    }
}
