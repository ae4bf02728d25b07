//! AgentPay (one debit of a signed mandate, answered at once) and AgentBatch / AgentBatchQuery
//! (many debits handed over in one request, carried out later, reported line by line like a
//! batch refund).

use super::account::AbcAccount;
use super::answer::{self, Judged};
use super::pay::{truncate_chars, unfit, valid_order_no};
use super::request;
use super::statement::protocol_date;
use super::time::{beijing_date_time, booked};
use crate::messages::{
    AgentBatchDetail, AgentBatchLineResult, AgentBatchQueryRequest, AgentBatchQueryResponse,
    AgentBatchRequest, AgentBatchResponse, AgentPayRequest, AgentPayResponse, CURRENCY_CNY,
    LINE_FAILED, LINE_NO_RESPONSE, LINE_PENDING, LINE_SUCCEEDED,
};
use crate::wire::{MAX_BATCH_ANSWER_BYTES, MAX_BATCH_REQUEST_BYTES};
use std::collections::HashSet;
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, BatchAccepted, BatchLineStatus, BatchRef, ChannelError};
use unipay_core::mandate_channel::{
    BankDebitState, DebitBatchRequest, DebitBatchResult, DebitLineResult, DebitRequest,
};
use unipay_core::money::{format_yuan, parse_yuan_to_fen};

/// OrderDesc as the platform keeps it.
const MAX_DESC_CHARS: usize = 60;
/// Lines one debit batch may hold (as a batch refund).
pub const MAX_DEBIT_BATCH_LINES: usize = 10_000;

pub(super) fn pay_request(request: &DebitRequest) -> Result<AgentPayRequest, ChannelError> {
    if !valid_order_no(&request.order_no) || !valid_order_no(&request.agent_sign_no) {
        return Err(unfit("invalid order or mandate number"));
    }
    let (order_date, order_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    Ok(AgentPayRequest {
        trx_type: "AgentPay".to_string(),
        order_no: request.order_no.clone(),
        agent_sign_no: request.agent_sign_no.clone(),
        order_date,
        order_time,
        currency_code: CURRENCY_CNY.to_string(),
        order_amount: request.amount.to_yuan_string(),
        order_desc: truncate_chars(&request.subject, MAX_DESC_CHARS),
        merchant_remarks: String::new(),
    })
}

/// `0000` → Paid, stamped with the host's time; `EUNKWN` → Unknown; a refusal of the debit
/// (insufficient funds, mandate not valid) → Failed with its code.
pub(super) fn read_pay_answer(
    account: &AbcAccount,
    sent: &AgentPayRequest,
    body: &[u8],
    now_ms: i64,
) -> Result<BankDebitState, ChannelError> {
    let (message, success) = answer::open_checked::<AgentPayResponse>(account, body, "AgentPay")?;
    let r = &message.trx_response;
    if !success {
        return Ok(match answer::judged(&r.return_code, &r.error_message)? {
            Judged::Refused { code, reason } => BankDebitState::Failed { code, reason },
            Judged::Unknown { reason } => BankDebitState::Unknown { reason },
        });
    }
    if r.order_no.trim() != sent.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for order {:?}, not {:?}",
            r.order_no, sent.order_no
        )));
    }
    let amount = Amount::parse_yuan(r.order_amount.trim())
        .map_err(|e| ChannelError::BadAnswer(format!("answer amount: {e}")))?;
    if amount.to_yuan_string() != sent.order_amount {
        return Err(ChannelError::BadAnswer(format!(
            "answer amount {:?} differs",
            r.order_amount
        )));
    }
    let serial = r.i_rsp_ref.trim();
    if serial.is_empty() {
        return Err(ChannelError::BadAnswer("answer has no iRspRef".to_string()));
    }
    let (paid_at_ms, accounting_date) =
        booked(&r.host_date, &r.host_time, now_ms, account.cutover_hour)
            .ok_or_else(|| ChannelError::BadAnswer("debit time out of range".to_string()))?;
    Ok(BankDebitState::Paid(BankPaid {
        amount,
        channel_trade_no: serial.to_string(),
        paid_at_ms,
        accounting_date,
    }))
}

/// The typed AgentBatch; refused here (never sent) when the platform could only refuse it.
pub(super) fn batch_request(
    request: &DebitBatchRequest,
) -> Result<AgentBatchRequest, ChannelError> {
    if !valid_order_no(&request.batch_no) {
        return Err(unfit(
            "batch number must be 1 to 50 letters, digits, - or _",
        ));
    }
    if request.lines.is_empty() || request.lines.len() > MAX_DEBIT_BATCH_LINES {
        return Err(unfit(format!(
            "a batch holds 1 to {MAX_DEBIT_BATCH_LINES} lines, not {}",
            request.lines.len()
        )));
    }
    let (batch_date, batch_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    let mut seq_nos = HashSet::with_capacity(request.lines.len());
    let mut order_nos = HashSet::with_capacity(request.lines.len());
    let mut total_fen: i64 = 0;
    let mut details = Vec::with_capacity(request.lines.len());
    for line in &request.lines {
        if !seq_nos.insert(line.seq_no) {
            return Err(unfit(format!("SeqNo {} appears twice", line.seq_no)));
        }
        if !valid_order_no(&line.order_no) || !valid_order_no(&line.agent_sign_no) {
            return Err(unfit(format!(
                "line {}: invalid order or mandate number",
                line.seq_no
            )));
        }
        if !order_nos.insert(line.order_no.as_str()) {
            return Err(unfit(format!("order {} appears twice", line.order_no)));
        }
        total_fen = total_fen
            .checked_add(line.amount.fen())
            .ok_or_else(|| unfit("the batch's total is out of range"))?;
        details.push(AgentBatchDetail {
            seq_no: line.seq_no.to_string(),
            agent_sign_no: line.agent_sign_no.clone(),
            order_no: line.order_no.clone(),
            amount: line.amount.to_yuan_string(),
        });
    }
    Ok(AgentBatchRequest {
        trx_type: "AgentBatch".to_string(),
        batch_no: request.batch_no.clone(),
        batch_date,
        batch_time,
        agent_count: details.len().to_string(),
        agent_amount: format_yuan(total_fen),
        details,
    })
}

/// A batch may be past 8,000 bytes, like a batch refund.
pub(super) fn batch_body(
    account: &AbcAccount,
    batch: &AgentBatchRequest,
) -> Result<Vec<u8>, ChannelError> {
    request::signed_within(account, batch, MAX_BATCH_REQUEST_BYTES)
}

pub(super) fn read_batch_answer(
    account: &AbcAccount,
    sent: &AgentBatchRequest,
    body: &[u8],
) -> Result<BatchAccepted, ChannelError> {
    let (message, success) =
        answer::open_checked::<AgentBatchResponse>(account, body, "AgentBatch")?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    let echoes = [
        ("BatchNo", &r.batch_no, &sent.batch_no),
        ("BatchDate", &r.batch_date, &sent.batch_date),
        ("BatchTime", &r.batch_time, &sent.batch_time),
        ("AgentCount", &r.agent_count, &sent.agent_count),
    ];
    for (field, answered, ours) in echoes {
        if !answered.is_empty() && answered.trim() != ours {
            return Err(ChannelError::BadAnswer(format!(
                "answer's {field} {answered:?} is not ours ({ours:?})"
            )));
        }
    }
    if !r.agent_amount.is_empty()
        && parse_yuan_to_fen(r.agent_amount.trim()).ok()
            != parse_yuan_to_fen(&sent.agent_amount).ok()
    {
        return Err(ChannelError::BadAnswer(format!(
            "answer's AgentAmount {:?} is not ours",
            r.agent_amount
        )));
    }
    let serial_number = r.serial_number.trim();
    if !valid_order_no(serial_number) {
        return Err(ChannelError::BadAnswer(format!(
            "answer has no usable SerialNumber ({serial_number:?})"
        )));
    }
    Ok(BatchAccepted {
        serial_number: serial_number.to_string(),
        batch_date: sent.batch_date.replace('/', "-"),
        batch_time: sent.batch_time.clone(),
        raw: super::raw_message(body),
    })
}

pub(super) fn batch_query_body(
    account: &AbcAccount,
    batch: &BatchRef,
) -> Result<Vec<u8>, ChannelError> {
    if !valid_order_no(&batch.batch_no) || !valid_order_no(&batch.serial_number) {
        return Err(unfit("invalid batch or serial number"));
    }
    let trx = AgentBatchQueryRequest {
        trx_type: "AgentBatchQuery".to_string(),
        batch_no: batch.batch_no.clone(),
        batch_date: protocol_date(&batch.batch_date)?,
        batch_time: batch.batch_time.clone(),
        serial_number: batch.serial_number.clone(),
    };
    request::signed(account, trx)
}

pub(super) fn read_batch_query_answer(
    account: &AbcAccount,
    batch: &BatchRef,
    body: &[u8],
    now_ms: i64,
) -> Result<DebitBatchResult, ChannelError> {
    let (message, success) = answer::open_checked_large::<AgentBatchQueryResponse>(
        account,
        body,
        "AgentBatchQuery",
        MAX_BATCH_ANSWER_BYTES,
    )?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    if !r.serial_number.is_empty() && r.serial_number.trim() != batch.serial_number {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for batch {:?}, not {:?}",
            r.serial_number, batch.serial_number
        )));
    }
    let count = r.agent_count.trim();
    if !count.is_empty() && count.parse::<usize>().ok() != Some(r.details.len()) {
        return Err(ChannelError::BadAnswer(format!(
            "answer counts {count} lines and lists {}",
            r.details.len()
        )));
    }
    let lines = r
        .details
        .iter()
        .map(|l| line(account, l, now_ms))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DebitBatchResult {
        lines,
        raw: super::raw_message(body),
    })
}

fn line(
    account: &AbcAccount,
    l: &AgentBatchLineResult,
    now_ms: i64,
) -> Result<DebitLineResult, ChannelError> {
    let bad = |what: String| ChannelError::BadAnswer(format!("batch line {:?}: {what}", l.seq_no));
    let seq_no = l
        .seq_no
        .trim()
        .parse::<u32>()
        .map_err(|_| bad("SeqNo is not a line number".to_string()))?;
    let order_no = l.order_no.trim();
    if order_no.is_empty() {
        return Err(bad("no OrderNo".to_string()));
    }
    let amount = Amount::parse_yuan(l.amount.trim()).map_err(|e| bad(format!("Amount: {e}")))?;
    let mut paid = None;
    let (status, reason) = match l.status.trim() {
        LINE_PENDING => (BatchLineStatus::Pending, String::new()),
        LINE_SUCCEEDED => {
            let serial = l.i_rsp_ref.trim();
            if serial.is_empty() {
                return Err(bad("a debited line without iRspRef".to_string()));
            }
            let (paid_at_ms, accounting_date) =
                booked(&l.host_date, &l.host_time, now_ms, account.cutover_hour)
                    .ok_or_else(|| bad("debit time out of range".to_string()))?;
            paid = Some(BankPaid {
                amount,
                channel_trade_no: serial.to_string(),
                paid_at_ms,
                accounting_date,
            });
            (BatchLineStatus::Succeeded, String::new())
        }
        LINE_FAILED => (
            BatchLineStatus::Failed,
            format!("{} {}", l.reason_code.trim(), l.reason.trim())
                .trim()
                .to_string(),
        ),
        LINE_NO_RESPONSE => (
            BatchLineStatus::NoResponse,
            "ABC line status 2: no response from the host yet".to_string(),
        ),
        other => (
            BatchLineStatus::NoResponse,
            format!("unknown ABC line status {other:?}"),
        ),
    };
    Ok(DebitLineResult {
        seq_no,
        order_no: order_no.to_string(),
        amount,
        status,
        paid,
        reason,
    })
}
