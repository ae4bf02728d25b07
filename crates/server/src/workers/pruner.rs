//! Forgets request nonces once their signature window has passed, idempotency keys once
//! they are older than the time a business system may retry under them, and refused bank
//! messages that name no payment once `inbound.refused_retention_s` has passed.

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
        let keep_refused_ms = state
            .config
            .inbound
            .refused_retention_s
            .saturating_mul(1000);
        match state
            .store
            .prune_refused_bank_messages(now.saturating_sub(keep_refused_ms))
            .await
        {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "refused bank messages expired"),
            Err(error) => tracing::warn!(%error, "pruning refused bank messages failed"),
        }
        if super::pause::pause(&mut shutdown, PRUNE_INTERVAL_MS).await {
            return;
        }
    }
}
