//! Mandates whose signing result never arrived are asked about (`QueryAgentSign`) on the
//! janitor's schedule until the bank tells; a pending mandate past its last day is expired.
//! Debit batches are sent again while unaccepted and queried until every line is final. Debits
//! themselves are payments: the payment janitor looks after them.

use crate::flows;
use crate::state::AppState;
use std::sync::Arc;
use tokio::sync::{Semaphore, watch};
use unipay_core::event::EventSource;
use unipay_core::mandate::is_past;
use unipay_store::mandates::Mandate;

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let config = &state.config.janitor;
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    loop {
        sweep(&state, &permits).await;
        if super::pause::pause(&mut shutdown, config.poll_interval_ms).await {
            return;
        }
    }
}

async fn sweep(state: &AppState, permits: &Arc<Semaphore>) {
    let config = &state.config.janitor;
    let now = state.now_ms();
    match state
        .store
        .claim_due_mandates(now, config.batch_size, config.lease_ms)
        .await
    {
        Ok(mandates) => {
            for mandate in mandates {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    check(&state, &mandate).await;
                    drop(permit);
                });
            }
        }
        Err(error) => tracing::error!(%error, "janitor: claiming mandates failed"),
    }
    match state
        .store
        .claim_due_debit_batches(now, config.batch_size, config.lease_ms)
        .await
    {
        Ok(batches) => {
            for batch in batches {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(error) = flows::debit_batches::advance(&state, &batch).await {
                        tracing::warn!(%error, batch_id = %batch.id, "janitor: debit batch step failed");
                    }
                    drop(permit);
                });
            }
        }
        Err(error) => tracing::error!(%error, "janitor: claiming debit batches failed"),
    }
}

async fn check(state: &AppState, mandate: &Mandate) {
    let conclusion = flows::mandates::query_and_record(state, mandate, EventSource::Query).await;
    let still_pending = match conclusion {
        Ok(flows::mandates::QueryConclusion::Applied(_)) => false,
        Ok(flows::mandates::QueryConclusion::StillPending(_)) => true,
        Err(error) => {
            tracing::warn!(%error, mandate_id = %mandate.id, "janitor: mandate query failed");
            true
        }
    };
    if !still_pending {
        return;
    }
    if is_past(&mandate.expires_on, &flows::mandates::today(state)) {
        if let Err(error) = flows::mandates::expire(state, &mandate.id, EventSource::Expirer).await
        {
            tracing::error!(%error, mandate_id = %mandate.id, "janitor: expiring failed");
        }
        return;
    }
    let next = state.config.janitor.query_schedule_ms.next_query_at(
        state.now_ms(),
        mandate.query_attempts + 1,
        0,
    );
    if let Err(error) = state
        .store
        .schedule_next_mandate_query(&mandate.id, next)
        .await
    {
        tracing::error!(%error, mandate_id = %mandate.id, "janitor: scheduling failed; the lease will bring it back");
    }
}
