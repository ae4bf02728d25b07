//! Asks the bank about every open payment on a backoff schedule until it is final: `EUNKWN`,
//! status `02` and timeouts keep it open; an expired payment is closed only after the bank
//! confirms it unpaid. Refunds whose outcome is unknown are swept in the same loop
//! (`refund_janitor`).

use crate::flows::{self, QueryConclusion};
use crate::state::AppState;
use std::sync::Arc;
use tokio::sync::{Semaphore, watch};
use unipay_core::event::EventSource;
use unipay_store::payments::Payment;

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let config = &state.config.janitor;
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    loop {
        match state
            .store
            .claim_due_queries(state.now_ms(), config.batch_size, config.lease_ms)
            .await
        {
            Ok(payments) => {
                for payment in payments {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        check(&state, &payment).await;
                        drop(permit);
                    });
                }
            }
            Err(error) => tracing::error!(%error, "janitor: claiming payments failed"),
        }
        super::refund_janitor::sweep(&state, &permits).await;
        if super::pause(&mut shutdown, config.poll_interval_ms).await {
            return;
        }
    }
}

/// One query of one payment, and when to ask again if it stays open.
pub async fn check(state: &AppState, payment: &Payment) {
    let expired = state.now_ms() >= payment.expires_at;
    let source = if expired {
        EventSource::Expirer
    } else {
        EventSource::Query
    };
    let conclusion = flows::query_and_record(state, payment, source, expired).await;
    let stays_open = match conclusion {
        Ok(QueryConclusion::Applied(_)) => false,
        Ok(QueryConclusion::StillUnpaid | QueryConclusion::Unknown(_)) => true,
        Err(error) => {
            tracing::warn!(%error, payment_id = %payment.id, "janitor: query failed");
            true
        }
    };
    if stays_open {
        let next = next_query_at(state, payment);
        if let Err(error) = state.store.schedule_next_query(&payment.id, next).await {
            tracing::error!(%error, payment_id = %payment.id, "janitor: scheduling failed; the lease will bring it back");
        }
    }
}

fn next_query_at(state: &AppState, payment: &Payment) -> i64 {
    // `query_attempts` does not count the query just made yet.
    state.config.janitor.query_schedule_ms.next_query_at(
        state.now_ms(),
        payment.query_attempts + 1,
        payment.expires_at,
    )
}
