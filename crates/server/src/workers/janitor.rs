//! Asks the bank about every open payment on a backoff schedule until it is final: `EUNKWN`,
//! status `02` and timeouts keep it open; an expired payment is closed only after the bank
//! confirms it unpaid. Refunds whose outcome is unknown are swept in the same loop
//! (`refund_janitor`).

use crate::flows::{self, payments::QueryConclusion};
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
        super::identity_janitor::sweep(&state).await;
        if super::pause::pause(&mut shutdown, config.poll_interval_ms).await {
            return;
        }
    }
}

/// One query of one payment, and when to ask again if it stays open.
pub async fn check(state: &AppState, payment: &Payment) {
    crate::crash::crash_point("janitor.during_lease");
    let expired = state.now_ms() >= payment.expires_at;
    let source = if expired {
        EventSource::Expirer
    } else {
        EventSource::Query
    };
    let conclusion = flows::payments::query_and_record(state, payment, source, expired).await;
    let stays_open = match conclusion {
        Ok(QueryConclusion::Applied(_)) => false,
        Ok(QueryConclusion::StillUnpaid) => !resend_lost_debit(state, payment).await,
        Ok(QueryConclusion::Unknown(_)) => true,
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

/// A debit is paid or refused at once by the bank: one the bank does not know never reached
/// it (the node died before the call, or the request was lost). The business system was told
/// it was accepted, so it is sent again with the same order number — once no copy of the first
/// request can still be on its way (a bank that did get it answers a repeat with its first
/// answer). The answer is applied by the debit flow; an unknown one leaves it to the next look.
/// True when the debit is final after it.
async fn resend_lost_debit(state: &AppState, payment: &Payment) -> bool {
    // A debit shows its payment type once it was marked sent; one never marked has none.
    let may_be_debit = payment
        .payment_type
        .as_deref()
        .is_none_or(|t| t == crate::flows::debits::DEBIT_PAYMENT_TYPE);
    if !may_be_debit || state.now_ms() < payment.created_at + state.config.janitor.resend_grace_ms {
        return false;
    }
    let mandate = match state.store.mandate_of_single_debit(&payment.id).await {
        Ok(Some(mandate)) => mandate,
        Ok(None) => return false,
        Err(error) => {
            tracing::warn!(%error, payment_id = %payment.id, "janitor: reading the debit's mandate failed");
            return false;
        }
    };
    tracing::info!(payment_id = %payment.id, "janitor: the bank does not know this debit; sending it again");
    match crate::flows::debits::send_debit(state, &mandate, payment).await {
        Ok(after) => !after.status.is_open(),
        Err(error) => {
            tracing::warn!(%error, payment_id = %payment.id, "janitor: sending the debit again failed");
            false
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
