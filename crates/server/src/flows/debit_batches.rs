//! Debit batches after their commit: send the batch (`AgentBatch`, one per part of it that
//! fits the bank's 8,000 bytes), record the bank's acceptance or refusal of each part, and
//! collect line results (`AgentBatchQuery`, per part) until every line is final. Each line is a payment: its result goes through the payment state change (ledger
//! entry, `payment.succeeded|failed`), its notification left to the notifier's polling (five
//! hundred deliveries started at once would outlive their lease and be sent twice).

use crate::flows;
use crate::flows::FlowError;
use crate::flows::bank_batch_parts::{
    PartsSent, names_of, or_whole, part_batch_no, planned, send_parts,
};
use crate::flows::objects::payment::event_body;
use crate::state::AppState;
use std::collections::HashMap;
use unipay_core::channel::{BatchLineStatus, BatchRef, ChannelError};
use unipay_core::event::EventSource;
use unipay_core::mandate_channel::{DebitBatchLine, DebitBatchRequest, MandateChannel};
use unipay_core::payment::PaymentEvent;
use unipay_store::StoreError;
use unipay_store::bank_batch_parts::{BankBatchPart, PartStatus};
use unipay_store::mandates::batches::{DebitBatch, DebitBatchLine as StoredLine, DebitBatchStatus};
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{Payment, PaymentChange};

/// Sends the parts of a batch the bank has not taken yet (new, or again after a lost answer:
/// the parts and their numbers are fixed before the first is sent, so the resend is the same
/// request). Once every part is taken or refused, the batch is submitted or, when every part
/// was refused, rejected with every line failed.
pub async fn send_batch(state: &AppState, batch: &DebitBatch) -> Result<(), FlowError> {
    let channel = flows::mandates::channel(state, &batch.channel_account_id).await?;
    let mandates = flows::mandates::mandates_of(&channel)?;
    let max_batch_no = mandates.debit_batch_no_len();
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
    let whole = DebitBatchRequest {
        batch_no: part_batch_no(&batch.batch_no, 1, max_batch_no),
        created_at_ms: batch.created_at,
        lines: request_lines,
    };
    let mut parts = state.store.bank_batch_parts(&batch.id).await?;
    if parts.is_empty() {
        let sizes = match mandates.plan_debit_batch(&whole) {
            Ok(sizes) => sizes,
            Err(ChannelError::Refused { code, message }) => {
                return reject(state, batch, &lines, &format!("{code}: {message}")).await;
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
        "agent_batch",
        |part| {
            let request = DebitBatchRequest {
                batch_no: part.bank_batch_no.clone(),
                created_at_ms: batch.created_at,
                lines: whole
                    .lines
                    .iter()
                    .filter(|l| part.holds(i64::from(l.seq_no)))
                    .cloned()
                    .collect(),
            };
            Box::pin(async move { mandates.debit_batch(&request).await })
        },
    )
    .await?;
    let taken = match sent {
        PartsSent::Unknown => {
            let next = flows::refunds::next_query_at(state, batch.query_attempts + 1);
            state
                .store
                .schedule_next_debit_batch_query(&batch.id, next)
                .await?;
            return Ok(());
        }
        PartsSent::Decided(Err(reasons)) => return reject(state, batch, &lines, &reasons).await,
        PartsSent::Decided(Ok(taken)) => taken,
    };
    let (serial_number, batch_date, batch_time) = names_of(&taken)?;
    state
        .store
        .record_debit_batch_accepted(
            &batch.id,
            serial_number,
            batch_date,
            batch_time,
            flows::refunds::next_query_at(state, 0),
            None,
            state.now_ms(),
        )
        .await?;
    Ok(())
}

/// The bank refused the whole batch: every line fails.
async fn reject(
    state: &AppState,
    batch: &DebitBatch,
    lines: &[StoredLine],
    reason: &str,
) -> Result<(), FlowError> {
    tracing::warn!(batch_id = %batch.id, %reason, "debit batch refused");
    for line in lines {
        fail_line(state, line, reason, EventSource::Api).await?;
    }
    state
        .store
        .end_debit_batch(
            &batch.id,
            DebitBatchStatus::Rejected,
            Some(reason),
            state.now_ms(),
        )
        .await?;
    Ok(())
}

/// The parts to ask about: those planned, or for a batch sent whole before batches had parts,
/// the batch itself as one part.
fn parts_of(batch: &DebitBatch, planned: Vec<BankBatchPart>) -> Vec<BankBatchPart> {
    or_whole(
        planned,
        &batch.id,
        &batch.batch_no,
        [&batch.serial_number, &batch.batch_date, &batch.batch_time],
    )
}

/// Asks the bank how the lines of each taken part stand and applies the final ones; the lines
/// of refused parts fail. The batch is finished when no line is open.
pub async fn query_batch(state: &AppState, batch: &DebitBatch) -> Result<(), FlowError> {
    let channel = flows::mandates::channel(state, &batch.channel_account_id).await?;
    let mandates = flows::mandates::mandates_of(&channel)?;
    let parts = parts_of(batch, state.store.bank_batch_parts(&batch.id).await?);
    let lines = state.store.debit_batch_lines(&batch.id).await?;
    let mut open = lines.iter().filter(|l| l.status.is_open()).count();
    for part in &parts {
        let part_open: Vec<&StoredLine> = lines
            .iter()
            .filter(|l| part.holds(l.seq_no) && l.status.is_open())
            .collect();
        if part_open.is_empty() {
            continue;
        }
        match part.status {
            PartStatus::Rejected => {
                let reason = part.reason.clone().unwrap_or_default();
                for line in part_open {
                    fail_line(state, line, &reason, EventSource::Api).await?;
                    open = open.saturating_sub(1);
                }
            }
            PartStatus::Accepted => {
                let settled = query_part(state, batch, mandates, part, &lines).await?;
                open = open.saturating_sub(settled);
            }
            PartStatus::Created => {}
        }
    }
    let now = state.now_ms();
    if open == 0 {
        state
            .store
            .end_debit_batch(&batch.id, DebitBatchStatus::Finished, None, now)
            .await?;
    } else {
        let next = flows::refunds::next_query_at(state, batch.query_attempts + 1);
        state
            .store
            .schedule_next_debit_batch_query(&batch.id, next)
            .await?;
    }
    Ok(())
}

/// One taken part: its lines' results as the bank tells them. The number of lines settled.
async fn query_part(
    state: &AppState,
    batch: &DebitBatch,
    mandates: &dyn MandateChannel,
    part: &BankBatchPart,
    lines: &[StoredLine],
) -> Result<usize, FlowError> {
    let (serial_number, batch_date, batch_time) = names_of(part)?;
    let reference = BatchRef {
        batch_no: part.bank_batch_no.clone(),
        batch_date: batch_date.to_string(),
        batch_time: batch_time.to_string(),
        serial_number: serial_number.to_string(),
    };
    let result = match mandates.query_debit_batch(&reference).await {
        Ok(result) => result,
        Err(error) => {
            // The other parts are asked all the same; this one again at the next look.
            tracing::warn!(batch_id = %batch.id, part = part.part_no, %error, "debit batch query failed");
            return Ok(0);
        }
    };
    state
        .store
        .record_bank_message(&InboundMessage {
            channel_account_id: &batch.channel_account_id,
            sha256: &result.raw.sha256,
            payment_id: None,
            order_no: Some(&part.bank_batch_no),
            source: "agent_batch_query",
            verdict: "accepted",
            reason: "",
            raw_masked: &result.raw.masked,
            now_ms: state.now_ms(),
        })
        .await?;
    let by_seq: HashMap<i64, &StoredLine> = lines
        .iter()
        .filter(|l| part.holds(l.seq_no))
        .map(|l| (l.seq_no, l))
        .collect();
    let mut settled = 0;
    for result_line in &result.lines {
        let Some(line) = by_seq.get(&i64::from(result_line.seq_no)).copied() else {
            tracing::warn!(batch_id = %batch.id, seq_no = result_line.seq_no, "bank reports a line we never sent in this part");
            continue;
        };
        if !line.status.is_open() {
            continue;
        }
        if result_line.order_no != line.order_no || result_line.amount.fen() != line.amount {
            tracing::warn!(batch_id = %batch.id, seq_no = line.seq_no, "batch line does not match ours: not believed");
            continue;
        }
        match (result_line.status, &result_line.paid) {
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
                settled += 1;
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
                settled += 1;
            }
            _ => {}
        }
    }
    Ok(settled)
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
