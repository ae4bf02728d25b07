//! Batch refunds after their commit: send the batch (`BatchRefund`, one per part of it that
//! fits the bank's 8,000 bytes), record the bank's acceptance or refusal of each part, and
//! collect line results (`QueryBatchRefund`, per part) until every line is final. Each line is a normal refund: its changes and notifications go through the store's
//! batch functions, which apply them as `apply_refund_change` does.

use crate::flows;
use crate::flows::FlowError;
use crate::flows::bank_batch_parts::{
    PartsSent, names_of, or_whole, part_batch_no, planned, send_parts,
};
use crate::flows::objects::refund::refund_event_body;
use crate::state::AppState;
use unipay_core::channel::{
    BatchLineStatus, BatchRef, BatchRefundLine, BatchRefundRequest, BatchRefundResult, ChannelError,
};
use unipay_core::event::EventSource;
use unipay_core::refund::RefundEvent;
use unipay_store::StoreError;
use unipay_store::bank_batch_parts::{BankBatchPart, PartStatus};
use unipay_store::messages::InboundMessage;
use unipay_store::refunds::batch::{
    BatchAcceptance, BatchLineOutcome, BatchRejection, BatchResults, RefundBatch, RefundBatchLine,
    RefundBatchStatus,
};

/// A batch's notifications are left to the notifier's polling, not delivered at once: a
/// thousand deliveries started together would outlast their lease and be sent twice.
const BATCH_DELIVERY_LEASE_MS: i64 = 0;

/// Sends the parts of a batch the bank has not taken yet (new, or again after a lost answer:
/// the parts and their numbers are fixed before the first is sent, so a resend repeats the
/// same request). Once every part is taken or refused, the batch is submitted (its refused
/// parts' lines fail) or, when every part was refused, rejected.
pub async fn send_batch(state: &AppState, batch: &RefundBatch) -> Result<(), FlowError> {
    let channel = flows::channel(state, &batch.channel_account_id).await?;
    let max_batch_no = channel.refund_batch_no_len();
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
    let whole = BatchRefundRequest {
        batch_no: part_batch_no(&batch.batch_no, 1, max_batch_no),
        created_at_ms: batch.created_at,
        lines: request_lines,
    };
    let mut parts = state.store.bank_batch_parts(&batch.id).await?;
    if parts.is_empty() {
        let sizes = match channel.plan_refund_batch(&whole) {
            Ok(sizes) => sizes,
            // A batch the bank could only refuse: never sent.
            Err(ChannelError::Refused { code, message }) => {
                return reject(state, batch, &format!("{code}: {message}")).await;
            }
            Err(error) => return Err(error.into()),
        };
        let seq_nos: Vec<i64> = lines.iter().map(|l| l.seq_no).collect();
        parts = planned(
            state,
            &batch.id,
            &batch.batch_no,
            max_batch_no,
            &seq_nos,
            &sizes,
        )
        .await?;
    }
    let sent = send_parts(
        state,
        &batch.channel_account_id,
        &parts,
        "batch_refund",
        |part| {
            let request = BatchRefundRequest {
                batch_no: part.bank_batch_no.clone(),
                created_at_ms: batch.created_at,
                lines: whole
                    .lines
                    .iter()
                    .filter(|l| part.holds(i64::from(l.seq_no)))
                    .cloned()
                    .collect(),
            };
            let channel = channel.clone();
            Box::pin(async move { channel.batch_refund(&request).await })
        },
    )
    .await?;
    let taken = match sent {
        PartsSent::Unknown => {
            let next = flows::refunds::next_query_at(state, batch.query_attempts + 1);
            state
                .store
                .schedule_next_refund_batch_query(&batch.id, next)
                .await?;
            return Ok(());
        }
        PartsSent::Decided(Err(reasons)) => return reject(state, batch, &reasons).await,
        PartsSent::Decided(Ok(taken)) => taken,
    };
    let (serial_number, batch_date, batch_time) = names_of(&taken)?;
    // The batch's own names are its first taken part's; every part keeps its own.
    state
        .store
        .record_refund_batch_accepted(&BatchAcceptance {
            batch_id: &batch.id,
            serial_number,
            batch_date,
            batch_time,
            next_query_at: flows::refunds::next_query_at(state, 0),
            message: None,
            now_ms: state.now_ms(),
        })
        .await?;
    Ok(())
}

/// The bank refused the whole batch: every line fails.
async fn reject(state: &AppState, batch: &RefundBatch, reason: &str) -> Result<(), FlowError> {
    state
        .store
        .reject_refund_batch(
            &BatchRejection {
                batch_id: &batch.id,
                reason,
                source: EventSource::Api,
                message: None,
                delivery_lease_ms: BATCH_DELIVERY_LEASE_MS,
                now_ms: state.now_ms(),
            },
            &refund_event_body,
        )
        .await?;
    Ok(())
}

/// The parts to ask about: those planned, or for a batch sent whole before batches had parts,
/// the batch itself as one part.
fn parts_of(batch: &RefundBatch, planned: Vec<BankBatchPart>) -> Vec<BankBatchPart> {
    or_whole(
        planned,
        &batch.id,
        &batch.batch_no,
        [&batch.serial_number, &batch.batch_date, &batch.batch_time],
    )
}

/// Asks the bank how the lines of each taken part stand and applies the final ones, with the
/// failures of refused parts' lines, in one pass over the batch (the store reads the batch's
/// refunds once per pass, whatever the number of parts).
pub async fn query_batch(state: &AppState, batch: &RefundBatch) -> Result<(), FlowError> {
    let channel = flows::channel(state, &batch.channel_account_id).await?;
    let parts = parts_of(batch, state.store.bank_batch_parts(&batch.id).await?);
    let lines = state.store.refund_batch_lines(&batch.id).await?;
    let open_in = |part: &BankBatchPart| -> Vec<&RefundBatchLine> {
        lines
            .iter()
            .filter(|l| part.holds(l.seq_no) && !l.status.is_final())
            .collect()
    };
    let mut refused: Vec<(&RefundBatchLine, &str)> = Vec::new();
    let mut answers: Vec<BatchRefundResult> = Vec::new();
    for part in &parts {
        let open = open_in(part);
        if open.is_empty() {
            continue;
        }
        match part.status {
            PartStatus::Rejected => {
                let reason = part.reason.as_deref().unwrap_or_default();
                refused.extend(open.into_iter().map(|line| (line, reason)));
            }
            PartStatus::Accepted => {
                if let Some(answer) = query_part(state, batch, &channel, part).await? {
                    answers.push(answer);
                }
            }
            // Not sent yet: only while a batch is still being sent.
            PartStatus::Created => {}
        }
    }
    let mut outcomes: Vec<BatchLineOutcome<'_>> = refused
        .iter()
        .map(|(line, reason)| BatchLineOutcome {
            refund_no: &line.refund_no,
            event: RefundEvent::BankFailed,
            channel_refund_no: None,
            accounting_date: None,
            detail: reason,
        })
        .collect();
    outcomes.extend(answers.iter().flat_map(|answer| {
        answer.lines.iter().map(|line| BatchLineOutcome {
            refund_no: &line.refund_no,
            event: match line.status {
                BatchLineStatus::Succeeded => RefundEvent::BankSucceeded,
                BatchLineStatus::Failed => RefundEvent::BankFailed,
                BatchLineStatus::Pending | BatchLineStatus::NoResponse => RefundEvent::BankPending,
            },
            channel_refund_no: None,
            accounting_date: line.accounting_date.as_deref(),
            detail: &line.reason,
        })
    }));
    // Then the next look, if any line is still open (a finished batch is not scheduled).
    let next = flows::refunds::next_query_at(state, batch.query_attempts + 1);
    apply(state, batch, &outcomes, None, Some(next)).await
}

/// One taken part: its lines as the bank tells them (the answer kept as a bank message), or
/// `None` when the bank could not be asked now.
async fn query_part(
    state: &AppState,
    batch: &RefundBatch,
    channel: &std::sync::Arc<dyn unipay_core::channel::Channel>,
    part: &BankBatchPart,
) -> Result<Option<BatchRefundResult>, FlowError> {
    let (serial_number, batch_date, batch_time) = names_of(part)?;
    let reference = BatchRef {
        batch_no: part.bank_batch_no.clone(),
        batch_date: batch_date.to_string(),
        batch_time: batch_time.to_string(),
        serial_number: serial_number.to_string(),
    };
    let result = match channel.query_batch_refund(&reference).await {
        Ok(result) => result,
        Err(error) => {
            // The other parts are asked all the same; this one again at the next look.
            tracing::warn!(batch_id = %batch.id, part = part.part_no, %error, "batch query failed");
            return Ok(None);
        }
    };
    state
        .store
        .record_bank_message(&InboundMessage {
            channel_account_id: &batch.channel_account_id,
            sha256: &result.raw.sha256,
            payment_id: None,
            order_no: Some(&part.bank_batch_no),
            source: "batch_query",
            verdict: "accepted",
            reason: "",
            raw_masked: &result.raw.masked,
            now_ms: state.now_ms(),
        })
        .await?;
    Ok(Some(result))
}

async fn apply(
    state: &AppState,
    batch: &RefundBatch,
    lines: &[BatchLineOutcome<'_>],
    message: Option<&InboundMessage<'_>>,
    next_query_at: Option<i64>,
) -> Result<(), FlowError> {
    state
        .store
        .apply_refund_batch_results(
            &BatchResults {
                batch_id: &batch.id,
                lines,
                source: EventSource::Query,
                message,
                next_query_at,
                delivery_lease_ms: BATCH_DELIVERY_LEASE_MS,
                now_ms: state.now_ms(),
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
