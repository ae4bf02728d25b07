//! BatchRefund: up to 10,000 refunds handed over in one request. The platform checks the batch
//! as a whole and accepts or refuses it at once; it carries out the lines later, and
//! QueryBatchRefund ([`super::batch_query`]) tells how each went.

use super::account::AbcAccount;
use super::answer;
use super::pay::{truncate_chars, unfit, valid_order_no};
use super::refund::{MAX_REMARKS_CHARS, check_numbers};
use super::request;
use super::time::beijing_date_time;
use crate::messages::{
    BatchRefundLine as AbcLine, BatchRefundRequest as AbcBatch, BatchRefundResponse, CURRENCY_CNY,
};
use std::collections::HashSet;
use unipay_core::channel::{BatchAccepted, BatchRefundRequest, ChannelError};
use unipay_core::money::{format_yuan, parse_yuan_to_fen};

/// Lines one batch may hold (the protocol's limit).
pub const MAX_BATCH_LINES: usize = 10_000;
/// The longest BatchRefund number the bank's own client sends.
pub const MAX_BATCH_NO: usize = 20;

/// The typed BatchRefund for `request`; refused here (never sent) when the platform could only
/// refuse it: a batch is taken or refused whole, so one bad line would sink the rest.
pub fn batch_request(request: &BatchRefundRequest) -> Result<AbcBatch, ChannelError> {
    if !valid_order_no(&request.batch_no) || request.batch_no.len() > MAX_BATCH_NO {
        return Err(unfit(format!(
            "batch number must be 1 to {MAX_BATCH_NO} letters, digits, - or _"
        )));
    }
    if request.lines.is_empty() || request.lines.len() > MAX_BATCH_LINES {
        return Err(unfit(format!(
            "a batch holds 1 to {MAX_BATCH_LINES} lines, not {}",
            request.lines.len()
        )));
    }
    let (batch_date, batch_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    let mut seq_nos = HashSet::with_capacity(request.lines.len());
    let mut refund_nos = HashSet::with_capacity(request.lines.len());
    let mut total_fen: i64 = 0;
    let mut order_data = Vec::with_capacity(request.lines.len());
    for line in &request.lines {
        if !seq_nos.insert(line.seq_no) {
            return Err(unfit(format!("SeqNo {} appears twice", line.seq_no)));
        }
        check_numbers(&line.order_no, &line.refund_no)?;
        if !refund_nos.insert(line.refund_no.as_str()) {
            return Err(unfit(format!("refund {} appears twice", line.refund_no)));
        }
        total_fen = total_fen
            .checked_add(line.amount.fen())
            .ok_or_else(|| unfit("the batch's total is out of range"))?;
        order_data.push(AbcLine {
            seq_no: line.seq_no.to_string(),
            order_no: line.order_no.clone(),
            new_order_no: line.refund_no.clone(),
            currency_code: CURRENCY_CNY.to_string(),
            refund_amount: line.amount.to_yuan_string(),
            remark: truncate_chars(&line.remark, MAX_REMARKS_CHARS),
        });
    }
    Ok(AbcBatch {
        trx_type: "BatchRefund".to_string(),
        batch_no: request.batch_no.clone(),
        batch_date,
        batch_time,
        mer_refund_account_no: String::new(),
        mer_refund_account_name: String::new(),
        total_count: order_data.len().to_string(),
        total_amount: format_yuan(total_fen),
        order_data,
    })
}

/// The signed body, within the 8,000 bytes of any request.
pub(super) fn request_body(
    account: &AbcAccount,
    batch: &AbcBatch,
) -> Result<Vec<u8>, ChannelError> {
    request::signed(account, batch)
}

/// How many lines, in order, go in each bank batch (see [`super::batch_split`]).
pub fn plan(
    account: &AbcAccount,
    request: &BatchRefundRequest,
) -> Result<Vec<usize>, ChannelError> {
    let mut batch = batch_request(request)?;
    let lines = std::mem::take(&mut batch.order_data);
    batch.total_count = MAX_BATCH_LINES.to_string();
    super::batch_split::plan(account, batch, &lines)
}

/// `0000` → accepted, named by the platform's SerialNumber and the date and time we sent; any
/// other code → the batch is refused whole (`2320` totals, `2322` number reused, …).
pub(super) fn read_answer(
    account: &AbcAccount,
    sent: &AbcBatch,
    body: &[u8],
) -> Result<BatchAccepted, ChannelError> {
    let (message, success) =
        answer::open_checked::<BatchRefundResponse>(account, body, "BatchRefund")?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    // What the answer echoes must be what we sent.
    let echoes = [
        ("BatchNo", &r.batch_no, &sent.batch_no),
        ("BatchDate", &r.batch_date, &sent.batch_date),
        ("BatchTime", &r.batch_time, &sent.batch_time),
        ("TotalCount", &r.total_count, &sent.total_count),
    ];
    for (field, answered, ours) in echoes {
        if !answered.is_empty() && answered.trim() != ours {
            return Err(ChannelError::BadAnswer(format!(
                "answer's {field} {answered:?} is not ours ({ours:?})"
            )));
        }
    }
    if !r.total_amount.is_empty()
        && parse_yuan_to_fen(r.total_amount.trim()).ok()
            != parse_yuan_to_fen(&sent.total_amount).ok()
    {
        return Err(ChannelError::BadAnswer(format!(
            "answer's TotalAmount {:?} is not ours",
            r.total_amount
        )));
    }
    // The serial names the batch from now on, and goes back to the platform in each query.
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
