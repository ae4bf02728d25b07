//! A batch of ours (refunds or debits) goes to the bank as consecutive parts, each a bank
//! batch of its own within the bank's 8,000 bytes (see `unipay_store::bank_batch_parts`).
//! Here: the parts' numbers and lines from the channel's plan, and sending the parts not yet
//! taken, which refund and debit batches share.

use crate::flows::FlowError;
use crate::state::AppState;
use unipay_core::channel::{BatchAccepted, BoxFuture, ChannelError};
use unipay_store::StoreError;
use unipay_store::bank_batch_parts::{BankBatchPart, PartStatus, PlannedPart};
use unipay_store::messages::InboundMessage;

/// How a round of sending a batch's parts ended.
pub enum PartsSent {
    /// A part's outcome is unknown: it is sent again (the same request) at the next look, and
    /// the parts after it then.
    Unknown,
    /// Every part is taken or refused. The first part taken names the batch as a whole; none
    /// was taken when the bank refused every part (the reasons, joined).
    Decided(Result<BankBatchPart, String>),
}

/// Writes the plan (unless one stands) and answers with the batch's parts. `plan` is the
/// channel's: the number of lines of each part, in order.
pub async fn planned(
    state: &AppState,
    batch_id: &str,
    batch_no: &str,
    max_chars: usize,
    seq_nos: &[i64],
    plan: &[usize],
) -> Result<Vec<BankBatchPart>, FlowError> {
    let parts = planned_parts(batch_no, max_chars, seq_nos, plan)
        .ok_or_else(|| StoreError::Corrupt(format!("batch {batch_id}: plan {plan:?}")))?;
    Ok(state
        .store
        .plan_bank_batch_parts(batch_id, &parts, state.now_ms())
        .await?)
}

/// Sends each part not yet taken with `send`, keeping each answer and each part's acceptance or
/// refusal; `source` names the answers among the bank messages.
pub async fn send_parts<'a>(
    state: &AppState,
    channel_account_id: &str,
    parts: &'a [BankBatchPart],
    source: &str,
    send: impl Fn(&'a BankBatchPart) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>>,
) -> Result<PartsSent, FlowError> {
    for part in parts.iter().filter(|p| p.status == PartStatus::Created) {
        let answer = send(part).await;
        let now = state.now_ms();
        match answer {
            Ok(accepted) => {
                state
                    .store
                    .record_bank_message(&InboundMessage {
                        channel_account_id,
                        sha256: &accepted.raw.sha256,
                        payment_id: None,
                        order_no: Some(&part.bank_batch_no),
                        source,
                        verdict: "accepted",
                        reason: "",
                        raw_masked: &accepted.raw.masked,
                        now_ms: now,
                    })
                    .await?;
                state
                    .store
                    .record_bank_batch_part_accepted(
                        part,
                        &accepted.serial_number,
                        &accepted.batch_date,
                        &accepted.batch_time,
                        now,
                    )
                    .await?;
            }
            Err(ChannelError::Refused { code, message }) => {
                let reason = format!("{code}: {message}");
                tracing::warn!(batch_id = %part.batch_id, part = part.part_no, %reason, "bank batch refused");
                state
                    .store
                    .record_bank_batch_part_rejected(part, &reason, now)
                    .await?;
            }
            Err(error) => {
                tracing::warn!(batch_id = %part.batch_id, part = part.part_no, %error, "bank batch outcome unknown");
                return Ok(PartsSent::Unknown);
            }
        }
    }
    let Some(batch_id) = parts.first().map(|p| p.batch_id.as_str()) else {
        return Ok(PartsSent::Decided(Err("no parts".to_string())));
    };
    let parts = state.store.bank_batch_parts(batch_id).await?;
    Ok(PartsSent::Decided(
        match parts.iter().find(|p| p.status == PartStatus::Accepted) {
            Some(taken) => Ok(taken.clone()),
            None => Err(parts
                .iter()
                .filter_map(|p| p.reason.as_deref())
                .collect::<Vec<_>>()
                .join("; ")),
        },
    ))
}

/// `planned`, or when there is no plan (a batch sent whole before batches had parts) the batch
/// itself as one accepted part under its own names `[serial, date, time]`.
pub fn or_whole(
    planned: Vec<BankBatchPart>,
    batch_id: &str,
    batch_no: &str,
    [serial_number, batch_date, batch_time]: [&Option<String>; 3],
) -> Vec<BankBatchPart> {
    if !planned.is_empty() {
        return planned;
    }
    vec![BankBatchPart {
        batch_id: batch_id.to_string(),
        part_no: 1,
        bank_batch_no: batch_no.to_string(),
        first_seq: 1,
        last_seq: i64::MAX,
        status: PartStatus::Accepted,
        serial_number: serial_number.clone(),
        batch_date: batch_date.clone(),
        batch_time: batch_time.clone(),
        reason: None,
    }]
}

/// The names a taken part was accepted under: serial number, date, time.
pub fn names_of(part: &BankBatchPart) -> Result<(&str, &str, &str), FlowError> {
    match (
        part.serial_number.as_deref(),
        part.batch_date.as_deref(),
        part.batch_time.as_deref(),
    ) {
        (Some(serial), Some(date), Some(time)) => Ok((serial, date, time)),
        _ => Err(StoreError::Corrupt(format!(
            "batch {} part {} accepted without its names",
            part.batch_id, part.part_no
        ))
        .into()),
    }
}

/// The bank batch number of part `part_no`: the batch's own number, cut to leave room for a
/// four-digit part number within `max_chars` (the batch's number is unique, and its first
/// characters already are: a time and random letters).
pub fn part_batch_no(batch_no: &str, part_no: usize, max_chars: usize) -> String {
    let keep = max_chars.saturating_sub(4);
    let head: String = batch_no.chars().take(keep).collect();
    format!("{head}{part_no:04}")
}

/// The plan as parts: `sizes` lines each, taken in order from `seq_nos` (the batch's line
/// numbers, in order). `None` when the sizes do not add up to the lines.
pub fn planned_parts(
    batch_no: &str,
    max_chars: usize,
    seq_nos: &[i64],
    sizes: &[usize],
) -> Option<Vec<PlannedPart>> {
    if sizes.iter().sum::<usize>() != seq_nos.len() || sizes.contains(&0) {
        return None;
    }
    let mut parts = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for (index, size) in sizes.iter().enumerate() {
        let lines = seq_nos.get(start..start + size)?;
        parts.push(PlannedPart {
            bank_batch_no: part_batch_no(batch_no, index + 1, max_chars),
            first_seq: *lines.first()?,
            last_seq: *lines.last()?,
        });
        start += size;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Proves part numbers fit the bank's limit and the parts cover the lines in order.
    #[test]
    fn parts_cover_the_lines_in_order() {
        assert_eq!(
            part_batch_no("ABCDEFGHIJKLMNOPQRSTUV", 3, 20),
            "ABCDEFGHIJKLMNOP0003"
        );
        assert_eq!(part_batch_no("AB", 12, 30), "AB0012");
        let parts = planned_parts("B1", 20, &[1, 2, 3, 4, 5], &[2, 2, 1]).unwrap();
        let ranges: Vec<_> = parts.iter().map(|p| (p.first_seq, p.last_seq)).collect();
        assert_eq!(ranges, vec![(1, 2), (3, 4), (5, 5)]);
        assert_eq!(parts[2].bank_batch_no, "B10003");
        assert!(planned_parts("B1", 20, &[1, 2], &[3]).is_none());
        assert!(planned_parts("B1", 20, &[1, 2], &[2, 0]).is_none());
    }
}
