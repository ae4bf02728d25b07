//! Refund: one refund of a paid order, answered at once. The platform's refusal of the refund
//! is a result (the refund failed, no money went back), not an error.

use super::account::AbcAccount;
use super::answer::{self, Judged};
use super::pay::{truncate_chars, unfit, valid_order_no};
use super::request;
use super::time::{beijing_date_time, booked};
use crate::messages::{CURRENCY_CNY, RefundRequest as AbcRefund, RefundResponse};
use unipay_core::Amount;
use unipay_core::channel::{BankRefundState, BankRefunded, ChannelError, RefundRequest};

/// MerchantRemarks and a batch line's Remark: the platform keeps 100 characters.
pub(super) const MAX_REMARKS_CHARS: usize = 100;
/// `RefundType` as ABC's own client sends it in its demo (the values are not public).
const REFUND_TYPE: &str = "0";

/// The typed Refund for `request`; refused here (never sent) when the platform could only
/// refuse it.
pub fn refund_request(request: &RefundRequest) -> Result<AbcRefund, ChannelError> {
    check_numbers(&request.order_no, &request.refund_no)?;
    let (order_date, order_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    Ok(AbcRefund {
        trx_type: "Refund".to_string(),
        order_date,
        order_time,
        mer_refund_account_no: String::new(),
        mer_refund_account_name: String::new(),
        order_no: request.order_no.clone(),
        new_order_no: request.refund_no.clone(),
        currency_code: CURRENCY_CNY.to_string(),
        trx_amount: request.amount.to_yuan_string(),
        refund_type: REFUND_TYPE.to_string(),
        merchant_remarks: truncate_chars(&request.reason, MAX_REMARKS_CHARS),
    })
}

/// A refund's number must be good on the wire and its own: the platform keeps order and
/// refund numbers in one space.
pub(super) fn check_numbers(order_no: &str, refund_no: &str) -> Result<(), ChannelError> {
    if !valid_order_no(order_no) {
        return Err(unfit(
            "order number must be 1 to 60 letters, digits, - or _",
        ));
    }
    if !valid_order_no(refund_no) {
        return Err(unfit(
            "refund number must be 1 to 60 letters, digits, - or _",
        ));
    }
    if refund_no == order_no {
        return Err(unfit("a refund needs its own number, not its order's"));
    }
    Ok(())
}

pub(super) fn request_body(
    account: &AbcAccount,
    request: &RefundRequest,
) -> Result<Vec<u8>, ChannelError> {
    request::signed(account, refund_request(request)?)
}

/// `0000` → Succeeded, stamped with the host's time; `EUNKWN` → Unknown; the platform's
/// refusal of the refund (`2310` not refundable, `2311` over-refund, `2313` balance, `2301`
/// number reused, `2308` no such order, …) → Failed with its code.
pub(super) fn read_answer(
    account: &AbcAccount,
    request: &RefundRequest,
    body: &[u8],
    now_ms: i64,
) -> Result<BankRefundState, ChannelError> {
    let (message, success) = answer::open_checked::<RefundResponse>(account, body, "Refund")?;
    let r = &message.trx_response;
    if !success {
        return Ok(match answer::judged(&r.return_code, &r.error_message)? {
            Judged::Refused { code, reason } => BankRefundState::Failed { code, reason },
            Judged::Unknown { reason } => BankRefundState::Unknown { reason },
        });
    }
    if r.new_order_no != request.refund_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for refund {:?}, not {:?}",
            r.new_order_no, request.refund_no
        )));
    }
    if !r.order_no.is_empty() && r.order_no != request.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer refunds order {:?}, not {:?}",
            r.order_no, request.order_no
        )));
    }
    if !r.trx_amount.is_empty()
        && Amount::parse_yuan(r.trx_amount.trim()).ok() != Some(request.amount)
    {
        return Err(ChannelError::BadAnswer(format!(
            "answer amount {:?} differs",
            r.trx_amount
        )));
    }
    let (refunded_at_ms, accounting_date) =
        booked(&r.host_date, &r.host_time, now_ms, account.cutover_hour)
            .ok_or_else(|| ChannelError::BadAnswer("refund time out of range".to_string()))?;
    Ok(BankRefundState::Succeeded(BankRefunded {
        channel_refund_no: r.i_rsp_ref.trim().to_string(),
        refunded_at_ms,
        accounting_date,
    }))
}
