//! Batch refunds after their commit: send the batch (`BatchRefund`), record the bank's
//! acceptance or refusal, and collect line results (`QueryBatchRefund`) until every line is
//! final. Each line is a normal refund: its changes and notifications go through the store's
//! batch functions, which apply them as `apply_refund_change` does.

use crate::api::refund_object::refund_event_body;
use crate::flows::FlowError;
use crate::refund_flows;
use crate::state::AppState;
use unipay_core::channel::{
    BatchLineStatus, BatchRef, BatchRefundLine, BatchRefundRequest, ChannelError,
};
use unipay_core::event::EventSource;
use unipay_core::refund::RefundEvent;
use unipay_store::StoreError;
use unipay_store::messages::InboundMessage;
use unipay_store::refunds::batch::{
    BatchAcceptance, BatchLineOutcome, BatchRejection, BatchResults, RefundBatch, RefundBatchStatus,
};

/// A batch's notifications are left to the notifier's polling, not delivered at once: a
/// thousand deliveries started together would outlast their lease and be sent twice.
const BATCH_DELIVERY_LEASE_MS: i64 = 0;

/// Sends a batch the bank has not accepted yet (new, or a resend after a lost answer: the
/// batch number is fixed at creation, so a resend repeats the same request).
pub async fn send_batch(state: &AppState, batch: &RefundBatch) -> Result<(), FlowError> {
    let channel = refund_flows::channel_of(state, &batch.channel_account_id).await?;
    let lines = state.store.refund_batch_lines(&batch.id).await?;
    let mut request_lines = Vec::with_capacity(lines.len());
    for line in &lines {
        request_lines.push(BatchRefundLine {
            seq_no: u32::try_from(line.seq_no)
                .map_err(|e| StoreError::Corrupt(format!("batch line {}: {e}", line.seq_no)))?,
            order_no: line.order_no.clone(),
            refund_no: line.refund_no.clone(),
            amount: unipay_core::Amount::from_fen(line.amount)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            remark: String::new(),
        });
    }
    let request = BatchRefundRequest {
        batch_no: batch.batch_no.clone(),
        created_at_ms: batch.created_at,
        lines: request_lines,
    };
    let answer = channel.batch_refund(&request).await;
    let now = state.now_ms();
    match answer {
        Ok(accepted) => {
            let message = InboundMessage {
                channel_account_id: &batch.channel_account_id,
                sha256: &accepted.raw.sha256,
                payment_id: None,
                order_no: Some(&batch.batch_no),
                source: "batch_refund",
                verdict: "accepted",
                reason: "",
                raw_masked: &accepted.raw.masked,
                now_ms: now,
            };
            state
                .store
                .record_refund_batch_accepted(&BatchAcceptance {
                    batch_id: &batch.id,
                    serial_number: &accepted.serial_number,
                    batch_date: &accepted.batch_date,
                    batch_time: &accepted.batch_time,
                    next_query_at: refund_flows::next_query_at(state, 0),
                    message: Some(&message),
                    now_ms: now,
                })
                .await?;
        }
        Err(ChannelError::Refused { code, message }) => {
            let reason = format!("{code}: {message}");
            state
                .store
                .reject_refund_batch(
                    &BatchRejection {
                        batch_id: &batch.id,
                        reason: &reason,
                        source: EventSource::Api,
                        message: None,
                        delivery_lease_ms: BATCH_DELIVERY_LEASE_MS,
                        now_ms: now,
                    },
                    &refund_event_body,
                )
                .await?;
        }
        // Unknown whether the bank took it: the janitor sends it again (the same request).
        Err(error) => {
            tracing::warn!(batch_id = %batch.id, %error, "batch refund outcome unknown");
            let next = refund_flows::next_query_at(state, batch.query_attempts + 1);
            state
                .store
                .schedule_next_refund_batch_query(&batch.id, next)
                .await?;
        }
    }
    Ok(())
}

/// Asks the bank how an accepted batch's lines stand and applies the final ones.
pub async fn query_batch(state: &AppState, batch: &RefundBatch) -> Result<(), FlowError> {
    let (Some(serial_number), Some(batch_date), Some(batch_time)) = (
        batch.serial_number.clone(),
        batch.batch_date.clone(),
        batch.batch_time.clone(),
    ) else {
        return Err(
            StoreError::Corrupt(format!("batch {} accepted without its names", batch.id)).into(),
        );
    };
    let channel = refund_flows::channel_of(state, &batch.channel_account_id).await?;
    let reference = BatchRef {
        batch_no: batch.batch_no.clone(),
        batch_date,
        batch_time,
        serial_number,
    };
    let next = refund_flows::next_query_at(state, batch.query_attempts + 1);
    let result = match channel.query_batch_refund(&reference).await {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(batch_id = %batch.id, %error, "batch query failed");
            state
                .store
                .schedule_next_refund_batch_query(&batch.id, next)
                .await?;
            return Ok(());
        }
    };
    let now = state.now_ms();
    let lines: Vec<BatchLineOutcome<'_>> = result
        .lines
        .iter()
        .map(|line| BatchLineOutcome {
            refund_no: &line.refund_no,
            event: match line.status {
                BatchLineStatus::Succeeded => RefundEvent::BankSucceeded,
                BatchLineStatus::Failed => RefundEvent::BankFailed,
                BatchLineStatus::Pending | BatchLineStatus::NoResponse => RefundEvent::BankPending,
            },
            channel_refund_no: None,
            accounting_date: None,
            detail: &line.reason,
        })
        .collect();
    let message = InboundMessage {
        channel_account_id: &batch.channel_account_id,
        sha256: &result.raw.sha256,
        payment_id: None,
        order_no: Some(&batch.batch_no),
        source: "batch_query",
        verdict: "accepted",
        reason: "",
        raw_masked: &result.raw.masked,
        now_ms: now,
    };
    state
        .store
        .apply_refund_batch_results(
            &BatchResults {
                batch_id: &batch.id,
                lines: &lines,
                source: EventSource::Query,
                message: Some(&message),
                next_query_at: Some(next),
                delivery_lease_ms: BATCH_DELIVERY_LEASE_MS,
                now_ms: now,
            },
            &refund_event_body,
        )
        .await?;
    Ok(())
}

/// The janitor's step for one claimed batch.
pub async fn advance(state: &AppState, batch: &RefundBatch) -> Result<(), FlowError> {
    match batch.status {
        RefundBatchStatus::Created => send_batch(state, batch).await,
        RefundBatchStatus::Submitted => query_batch(state, batch).await,
        RefundBatchStatus::Finished | RefundBatchStatus::Rejected => Ok(()),
    }
}
