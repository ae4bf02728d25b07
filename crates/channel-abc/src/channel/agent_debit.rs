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
    AgentBatchDetail, AgentBatchHeader, AgentBatchLineResult, AgentBatchQueryRequest,
    AgentBatchQueryResponse, AgentBatchRequest, AgentBatchResponse, AgentPayRequest,
    AgentPayResponse, CURRENCY_CNY, LINE_FAILED, LINE_NO_RESPONSE, LINE_PENDING, LINE_SUCCEEDED,
    OrderItem,
};
use crate::wire::MAX_BATCH_ANSWER_BYTES;
use std::collections::HashSet;
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, BatchAccepted, BatchLineStatus, BatchRef, ChannelError};
use unipay_core::mandate_channel::{
    BankDebitState, DebitBatchLine, DebitBatchRequest, DebitBatchResult, DebitLineResult,
    DebitRequest,
};
use unipay_core::money::{format_yuan, parse_yuan_to_fen};

/// OrderDesc as the platform keeps it.
const MAX_DESC_CHARS: usize = 60;
/// Lines one debit batch may hold (as a batch refund).
pub const MAX_DEBIT_BATCH_LINES: usize = 10_000;
/// The longest AgentBatch number the bank's own client sends.
pub const MAX_AGENT_BATCH_NO: usize = 30;
/// Every line's ProductName (the client requires one; a debit names no product).
const DEBIT_PRODUCT_NAME: &str = "授权支付";

pub fn pay_request(
    account: &AbcAccount,
    request: &DebitRequest,
) -> Result<AgentPayRequest, ChannelError> {
    if !valid_order_no(&request.order_no) || !valid_order_no(&request.agent_sign_no) {
        return Err(unfit("invalid order or mandate number"));
    }
    let (order_date, order_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    let amount = request.amount.to_yuan_string();
    let subject = truncate_chars(&request.subject, MAX_DESC_CHARS);
    // The client requires a ProductName in every item: without a subject, no item.
    let order_items = if subject.trim().is_empty() {
        Vec::new()
    } else {
        vec![OrderItem {
            product_name: subject,
            unit_price: amount.clone(),
            qty: "1".to_string(),
            ..OrderItem::default()
        }]
    };
    Ok(AgentPayRequest {
        trx_type: "AgentPay".to_string(),
        order_date,
        order_time,
        order_no: request.order_no.clone(),
        agent_sign_no: request.agent_sign_no.clone(),
        card_no: String::new(),
        currency_code: CURRENCY_CNY.to_string(),
        amount,
        receiver_address: String::new(),
        fee: String::new(),
        certificate_no: String::new(),
        installment_mark: "0".to_string(),
        commodity_type: account.commodity_type.clone(),
        payment_link_type: account.payment_link_type.clone(),
        buy_ip: String::new(),
        expired_date: account.order_keep_days.to_string(),
        receive_account: String::new(),
        receive_acc_name: String::new(),
        merchant_remarks: String::new(),
        is_break_account: "0".to_string(),
        split_acc_template: String::new(),
        order_items,
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
    let amount = Amount::parse_yuan(r.amount.trim())
        .map_err(|e| ChannelError::BadAnswer(format!("answer amount: {e}")))?;
    if amount.to_yuan_string() != sent.amount {
        return Err(ChannelError::BadAnswer(format!(
            "answer amount {:?} differs",
            r.amount
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
/// One AgentBatch is one bank batch: it must fit the 8,000 bytes of any request
/// ([`batch_body`] checks).
pub fn batch_request(
    account: &AbcAccount,
    request: &DebitBatchRequest,
) -> Result<AgentBatchRequest, ChannelError> {
    if !valid_order_no(&request.batch_no) || request.batch_no.len() > MAX_AGENT_BATCH_NO {
        return Err(unfit(format!(
            "batch number must be 1 to {MAX_AGENT_BATCH_NO} letters, digits, - or _"
        )));
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
        if !seq_nos.insert(line.seq_no)
            || !(1..=MAX_DEBIT_BATCH_LINES as u32).contains(&line.seq_no)
        {
            return Err(unfit(format!(
                "SeqNo {} appears twice or is out of range",
                line.seq_no
            )));
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
        details.push(batch_line(account, line));
    }
    Ok(AgentBatchRequest {
        trx_type: "AgentBatch".to_string(),
        receive_account: String::new(),
        receive_acc_name: String::new(),
        currency_code: CURRENCY_CNY.to_string(),
        agent_batch: AgentBatchHeader {
            batch_no: request.batch_no.clone(),
            batch_date,
            batch_time,
            agent_count: details.len().to_string(),
            agent_amount: format_yuan(total_fen),
        },
        details,
    })
}

/// A line with every key of the client's own demo, in its order.
fn batch_line(account: &AbcAccount, line: &DebitBatchLine) -> AgentBatchDetail {
    AgentBatchDetail {
        seq_no: line.seq_no.to_string(),
        order_no: line.order_no.clone(),
        agent_sign_no: line.agent_sign_no.clone(),
        order_amount: line.amount.to_yuan_string(),
        installment_mark: "0".to_string(),
        commodity_type: account.commodity_type.clone(),
        product_name: DEBIT_PRODUCT_NAME.to_string(),
        is_break_account: "0".to_string(),
        ..AgentBatchDetail::default()
    }
}

/// Every request, a batch too, within the 8,000 bytes the bank takes.
pub(super) fn batch_body(
    account: &AbcAccount,
    batch: &AgentBatchRequest,
) -> Result<Vec<u8>, ChannelError> {
    request::signed(account, batch)
}

/// How many lines, in order, go in each bank batch (see [`super::batch_split`]).
pub fn plan(account: &AbcAccount, request: &DebitBatchRequest) -> Result<Vec<usize>, ChannelError> {
    let mut batch = batch_request(account, request)?;
    let lines = std::mem::take(&mut batch.details);
    batch.agent_batch.agent_count = MAX_DEBIT_BATCH_LINES.to_string();
    super::batch_split::plan(account, batch, &lines)
}

/// The AgentBatch answer names no serial number: the batch is known by its number and date
/// from then on, so its number stands in as the serial.
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
    let header = &sent.agent_batch;
    let echoes = [
        ("BatchNo", &r.batch_no, &header.batch_no),
        ("BatchDate", &r.batch_date, &header.batch_date),
        ("AgentCount", &r.agent_count, &header.agent_count),
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
            != parse_yuan_to_fen(&header.agent_amount).ok()
    {
        return Err(ChannelError::BadAnswer(format!(
            "answer's AgentAmount {:?} is not ours",
            r.agent_amount
        )));
    }
    Ok(BatchAccepted {
        serial_number: header.batch_no.clone(),
        batch_date: header.batch_date.replace('/', "-"),
        batch_time: header.batch_time.clone(),
        raw: super::raw_message(body),
    })
}

pub(super) fn batch_query_body(
    account: &AbcAccount,
    batch: &BatchRef,
) -> Result<Vec<u8>, ChannelError> {
    if !valid_order_no(&batch.batch_no) || batch.batch_no.len() > MAX_AGENT_BATCH_NO {
        return Err(unfit("invalid batch number"));
    }
    let trx = AgentBatchQueryRequest {
        trx_type: "AgentBatchQuery".to_string(),
        batch_no: batch.batch_no.clone(),
        batch_date: protocol_date(&batch.batch_date)?,
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
    if !r.batch_no.is_empty() && r.batch_no.trim() != batch.batch_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for batch {:?}, not {:?}",
            r.batch_no, batch.batch_no
        )));
    }
    let count = r.agent_count.trim();
    if !count.is_empty() && count.parse::<usize>().ok() != Some(r.agent_batch_detail.len()) {
        return Err(ChannelError::BadAnswer(format!(
            "answer counts {count} lines and lists {}",
            r.agent_batch_detail.len()
        )));
    }
    let lines = r
        .agent_batch_detail
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
    let amount =
        Amount::parse_yuan(l.order_amount.trim()).map_err(|e| bad(format!("OrderAmount: {e}")))?;
    let mut paid = None;
    let (status, reason) = match l.order_status.trim() {
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
        LINE_FAILED => (BatchLineStatus::Failed, failure_reason(l)),
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

/// The bank's code and reason when it gives them, else the status in words it always gives.
fn failure_reason(l: &AgentBatchLineResult) -> String {
    let reason = format!("{} {}", l.reason_code.trim(), l.reason.trim());
    let reason = reason.trim();
    if reason.is_empty() {
        l.order_status_zh.trim().to_string()
    } else {
        reason.to_string()
    }
}
