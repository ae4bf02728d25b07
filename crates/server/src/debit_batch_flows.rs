//! Debit batches after their commit: send the batch (`AgentBatch`), record the bank's
//! acceptance or refusal, and collect line results (`AgentBatchQuery`) until every line is
//! final. Each line is a payment: its result goes through the payment state change (ledger
//! entry, `payment.succeeded|failed`), its notification left to the notifier's polling (five
//! hundred deliveries started at once would outlive their lease and be sent twice).

use crate::api::object::event_body;
use crate::flows::FlowError;
use crate::mandate_flows;
use crate::refund_flows;
use crate::state::AppState;
use std::collections::HashMap;
use unipay_core::channel::{BatchLineStatus, BatchRef, ChannelError};
use unipay_core::event::EventSource;
use unipay_core::mandate_channel::{DebitBatchLine, DebitBatchRequest};
use unipay_core::payment::PaymentEvent;
use unipay_store::StoreError;
use unipay_store::mandates::batches::{DebitBatch, DebitBatchLine as StoredLine, DebitBatchStatus};
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{Payment, PaymentChange};

/// Sends a batch the bank has not accepted yet (new, or again after a lost answer: its number
/// is fixed at creation, so the resend is the same request).
pub async fn send_batch(state: &AppState, batch: &DebitBatch) -> Result<(), FlowError> {
    let channel = mandate_flows::channel(state, &batch.channel_account_id).await?;
    let lines = state.store.debit_batch_lines(&batch.id).await?;
    let mut request_lines = Vec::with_capacity(lines.len());
    for line in &lines {
        request_lines.push(DebitBatchLine {
            seq_no: u32::try_from(line.seq_no)
                .map_err(|e| StoreError::Corrupt(format!("batch line {}: {e}", line.seq_no)))?,
            agent_sign_no: line.agent_sign_no.clone(),
            order_no: line.order_no.clone(),
            amount: unipay_core::Amount::from_fen(line.amount)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        });
    }
    let request = DebitBatchRequest {
        batch_no: batch.batch_no.clone(),
        created_at_ms: batch.created_at,
        lines: request_lines,
    };
    let answer = mandate_flows::mandates_of(&channel)?
        .debit_batch(&request)
        .await;
    let now = state.now_ms();
    match answer {
        Ok(accepted) => {
            let message = InboundMessage {
                channel_account_id: &batch.channel_account_id,
                sha256: &accepted.raw.sha256,
                payment_id: None,
                order_no: Some(&batch.batch_no),
                source: "agent_batch",
                verdict: "accepted",
                reason: "",
                raw_masked: &accepted.raw.masked,
                now_ms: now,
            };
            state
                .store
                .record_debit_batch_accepted(
                    &batch.id,
                    &accepted.serial_number,
                    &accepted.batch_date,
                    &accepted.batch_time,
                    refund_flows::next_query_at(state, 0),
                    Some(&message),
                    now,
                )
                .await?;
        }
        Err(ChannelError::Refused { code, message }) => {
            let reason = format!("{code}: {message}");
            tracing::warn!(batch_id = %batch.id, %reason, "debit batch refused");
            for line in &lines {
                fail_line(state, line, &reason, EventSource::Api).await?;
            }
            state
                .store
                .end_debit_batch(&batch.id, DebitBatchStatus::Rejected, Some(&reason), now)
                .await?;
        }
        Err(error) => {
            tracing::warn!(batch_id = %batch.id, %error, "debit batch outcome unknown");
            let next = refund_flows::next_query_at(state, batch.query_attempts + 1);
            state
                .store
                .schedule_next_debit_batch_query(&batch.id, next)
                .await?;
        }
    }
    Ok(())
}

/// Asks the bank how an accepted batch's lines stand and applies the final ones.
pub async fn query_batch(state: &AppState, batch: &DebitBatch) -> Result<(), FlowError> {
    let (Some(serial_number), Some(batch_date), Some(batch_time)) = (
        batch.serial_number.clone(),
        batch.batch_date.clone(),
        batch.batch_time.clone(),
    ) else {
        return Err(
            StoreError::Corrupt(format!("batch {} accepted without its names", batch.id)).into(),
        );
    };
    let channel = mandate_flows::channel(state, &batch.channel_account_id).await?;
    let reference = BatchRef {
        batch_no: batch.batch_no.clone(),
        batch_date,
        batch_time,
        serial_number,
    };
    let next = refund_flows::next_query_at(state, batch.query_attempts + 1);
    let result = match mandate_flows::mandates_of(&channel)?
        .query_debit_batch(&reference)
        .await
    {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(batch_id = %batch.id, %error, "debit batch query failed");
            state
                .store
                .schedule_next_debit_batch_query(&batch.id, next)
                .await?;
            return Ok(());
        }
    };
    let now = state.now_ms();
    state
        .store
        .record_bank_message(&InboundMessage {
            channel_account_id: &batch.channel_account_id,
            sha256: &result.raw.sha256,
            payment_id: None,
            order_no: Some(&batch.batch_no),
            source: "agent_batch_query",
            verdict: "accepted",
            reason: "",
            raw_masked: &result.raw.masked,
            now_ms: now,
        })
        .await?;
    let lines = state.store.debit_batch_lines(&batch.id).await?;
    let by_seq: HashMap<i64, &StoredLine> = lines.iter().map(|l| (l.seq_no, l)).collect();
    let mut open = lines.iter().filter(|l| l.status.is_open()).count();
    for result_line in &result.lines {
        let Some(line) = by_seq.get(&i64::from(result_line.seq_no)).copied() else {
            tracing::warn!(batch_id = %batch.id, seq_no = result_line.seq_no, "bank reports a line we never sent");
            continue;
        };
        if !line.status.is_open() {
            continue;
        }
        if result_line.order_no != line.order_no || result_line.amount.fen() != line.amount {
            tracing::warn!(batch_id = %batch.id, seq_no = line.seq_no, "batch line does not match ours: not believed");
            continue;
        }
        let applied = match (result_line.status, &result_line.paid) {
            (BatchLineStatus::Succeeded, Some(paid)) => {
                apply_line(
                    state,
                    line,
                    PaymentEvent::BankSucceeded,
                    Some(paid),
                    "",
                    &result.raw.sha256,
                )
                .await?;
                true
            }
            (BatchLineStatus::Failed, _) => {
                state
                    .store
                    .set_debit_failure_reason(&line.payment_id, &result_line.reason)
                    .await?;
                apply_line(
                    state,
                    line,
                    PaymentEvent::BankFailed,
                    None,
                    &result_line.reason,
                    &result.raw.sha256,
                )
                .await?;
                true
            }
            _ => false,
        };
        if applied {
            open = open.saturating_sub(1);
        }
    }
    if open == 0 {
        state
            .store
            .end_debit_batch(&batch.id, DebitBatchStatus::Finished, None, now)
            .await?;
    } else {
        state
            .store
            .schedule_next_debit_batch_query(&batch.id, next)
            .await?;
    }
    Ok(())
}

async fn fail_line(
    state: &AppState,
    line: &StoredLine,
    reason: &str,
    source: EventSource,
) -> Result<(), FlowError> {
    state
        .store
        .set_debit_failure_reason(&line.payment_id, reason)
        .await?;
    let change = PaymentChange {
        payment_id: &line.payment_id,
        event: PaymentEvent::BankFailed,
        source,
        paid: None,
        payment_type: None,
        next_query_at: None,
        detail: reason,
        raw_sha256: None,
        message: None,
        delivery_lease_ms: 0,
        known: None,
        now_ms: state.now_ms(),
    };
    apply(state, &change).await
}

async fn apply_line(
    state: &AppState,
    line: &StoredLine,
    event: PaymentEvent,
    paid: Option<&unipay_core::channel::BankPaid>,
    detail: &str,
    raw_sha256: &str,
) -> Result<(), FlowError> {
    let change = PaymentChange {
        payment_id: &line.payment_id,
        event,
        source: EventSource::Query,
        paid,
        payment_type: None,
        next_query_at: None,
        detail,
        raw_sha256: Some(raw_sha256),
        message: None,
        delivery_lease_ms: 0,
        known: None,
        now_ms: state.now_ms(),
    };
    apply(state, &change).await
}

/// The payment change with its notification left due for any notifier.
async fn apply(state: &AppState, change: &PaymentChange<'_>) -> Result<(), FlowError> {
    let public_url = state.config.public_url.as_str();
    let render = |payment: &Payment, event_id: &str, event_type: &str, now_ms: i64| {
        event_body(payment, event_id, event_type, now_ms, public_url)
    };
    state.store.apply_payment_change(change, &render).await?;
    Ok(())
}

/// The janitor's step for one claimed batch.
pub async fn advance(state: &AppState, batch: &DebitBatch) -> Result<(), FlowError> {
    match batch.status {
        DebitBatchStatus::Created => send_batch(state, batch).await,
        DebitBatchStatus::Submitted => query_batch(state, batch).await,
        DebitBatchStatus::Finished | DebitBatchStatus::Rejected => Ok(()),
    }
}
