//! The janitor's refund half: asks the bank about every refund whose outcome is unknown
//! (timeout, `EUNKWN`, a node that died before the answer) on the backoff schedule until it is
//! final. A refund the bank never registered is sent to it (`flows::refunds::query_and_record`),
//! not failed: the business system was told it was accepted. Batches are sent again while
//! unaccepted and queried as a whole until every line is final.

use crate::flows;
use crate::state::AppState;
use std::sync::Arc;
use tokio::sync::Semaphore;
use unipay_store::refunds::Refund;

/// Claims the refunds due for a query and checks each, at most `permits` at a time.
pub async fn sweep(state: &AppState, permits: &Arc<Semaphore>) {
    let config = &state.config.janitor;
    let refunds = match state
        .store
        .claim_due_refund_queries(state.now_ms(), config.batch_size, config.lease_ms)
        .await
    {
        Ok(refunds) => refunds,
        Err(error) => {
            tracing::error!(%error, "janitor: claiming refunds failed");
            return;
        }
    };
    let batches = match state
        .store
        .claim_due_refund_batches(state.now_ms(), config.batch_size, config.lease_ms)
        .await
    {
        Ok(batches) => batches,
        Err(error) => {
            tracing::error!(%error, "janitor: claiming refund batches failed");
            Vec::new()
        }
    };
    for batch in batches {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = flows::refund_batches::advance(&state, &batch).await {
                tracing::warn!(%error, batch_id = %batch.id, "janitor: refund batch step failed");
            }
            drop(permit);
        });
    }
    for refund in refunds {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let state = state.clone();
        tokio::spawn(async move {
            check(&state, &refund).await;
            drop(permit);
        });
    }
}

/// One query of one refund; the flow reschedules it while the bank cannot tell.
pub async fn check(state: &AppState, refund: &Refund) {
    if let Err(error) = flows::refunds::query_and_record(state, refund).await {
        tracing::warn!(%error, refund_id = %refund.id, "janitor: refund query failed");
        let next = flows::refunds::next_query_at(state, refund.query_attempts + 1);
        if let Err(error) = state
            .store
            .schedule_next_refund_query(&refund.id, next)
            .await
        {
            tracing::error!(%error, refund_id = %refund.id, "janitor: scheduling failed; the lease will bring it back");
        }
    }
}
