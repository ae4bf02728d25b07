//! PreAuthCancelConfirm: capture (Confirm) or release (Cancel) a pre-authorization. As for a
//! refund, the platform's refusal of the operation is a result, not an error.

use super::account::AbcAccount;
use super::answer::{self, Judged};
use super::pay::{unfit, valid_order_no};
use super::request;
use super::time::{beijing_date_time, booked};
use crate::messages::{
    CURRENCY_CNY, OPERATE_CANCEL, OPERATE_CONFIRM, PreAuthOrder, PreAuthRequest, PreAuthResponse,
};
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, BankPreAuthState, ChannelError, PreAuthOperation};

/// The typed PreAuthCancelConfirm: `operation_no` is the operation's own number, `now_ms` its
/// time.
pub fn preauth_request(
    original_order_no: &str,
    operation_no: &str,
    operation: &PreAuthOperation,
    now_ms: i64,
) -> Result<PreAuthRequest, ChannelError> {
    if !valid_order_no(original_order_no) {
        return Err(unfit("invalid original order number"));
    }
    if !valid_order_no(operation_no) {
        return Err(unfit(
            "operation number must be 1 to 60 letters, digits, - or _",
        ));
    }
    if operation_no == original_order_no {
        return Err(unfit("an operation needs its own number, not its order's"));
    }
    let (order_date, order_time) =
        beijing_date_time(now_ms).ok_or_else(|| unfit("time out of range"))?;
    // A Cancel releases the whole authorization, yet carries its amount: the bank's own
    // client refuses an operation without one above zero.
    let (operate_type, amount) = match operation {
        PreAuthOperation::Confirm { amount } => (OPERATE_CONFIRM, amount),
        PreAuthOperation::Cancel { amount } => (OPERATE_CANCEL, amount),
    };
    if amount.fen() <= 0 {
        return Err(unfit("an operation's amount must be above zero"));
    }
    Ok(PreAuthRequest {
        trx_type: "PreAuthCancelConfirm".to_string(),
        order: PreAuthOrder {
            operate_type: operate_type.to_string(),
            order_date,
            order_time,
            order_no: operation_no.to_string(),
            original_order_no: original_order_no.to_string(),
            currency_code: CURRENCY_CNY.to_string(),
            order_amount: amount.to_yuan_string(),
            fee: String::new(),
            merchant_remarks: String::new(),
        },
    })
}

pub(super) fn request_body(
    account: &AbcAccount,
    trx: &PreAuthRequest,
) -> Result<Vec<u8>, ChannelError> {
    request::signed(account, trx)
}

/// `0000` → Done: the captured (Confirm) or released (Cancel) amount, with the operation's
/// serial and host time; `EUNKWN` → Unknown; the platform's refusal (`2330` cancelled, `2331`
/// confirmed, `2332` above the authorization, `2333` not an authorization, `2308` no such
/// order, …) → Refused with its code.
pub(super) fn read_answer(
    account: &AbcAccount,
    sent: &PreAuthRequest,
    operation: &PreAuthOperation,
    body: &[u8],
    now_ms: i64,
) -> Result<BankPreAuthState, ChannelError> {
    let (message, success) =
        answer::open_checked::<PreAuthResponse>(account, body, "PreAuthCancelConfirm")?;
    let r = &message.trx_response;
    if !success {
        return Ok(match answer::judged(&r.return_code, &r.error_message)? {
            Judged::Refused { code, reason } => BankPreAuthState::Refused { code, reason },
            Judged::Unknown { reason } => BankPreAuthState::Unknown { reason },
        });
    }
    let sent = &sent.order;
    if r.order_no != sent.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for operation {:?}, not {:?}",
            r.order_no, sent.order_no
        )));
    }
    let echoes = [
        (
            "OriginalOrderNo",
            &r.original_order_no,
            &sent.original_order_no,
        ),
        ("OperateType", &r.operate_type, &sent.operate_type),
    ];
    for (field, answered, ours) in echoes {
        if !answered.is_empty() && answered.trim() != ours {
            return Err(ChannelError::BadAnswer(format!(
                "answer's {field} {answered:?} is not ours ({ours:?})"
            )));
        }
    }
    let amount = amount_of(r, operation)?;
    let (at_ms, accounting_date) = booked(&r.host_date, &r.host_time, now_ms, account.cutover_hour)
        .ok_or_else(|| ChannelError::BadAnswer("operation time out of range".to_string()))?;
    Ok(BankPreAuthState::Done(BankPaid {
        amount,
        channel_trade_no: r.i_rsp_ref.trim().to_string(),
        paid_at_ms: at_ms,
        accounting_date,
    }))
}

/// A Confirm captures what it asked for (an answer saying otherwise is not believed); a Cancel
/// releases the authorization, whose amount only the answer knows.
fn amount_of(r: &PreAuthResponse, operation: &PreAuthOperation) -> Result<Amount, ChannelError> {
    let answered = r.order_amount.trim();
    let parsed = || {
        Amount::parse_yuan(answered)
            .map_err(|e| ChannelError::BadAnswer(format!("OrderAmount: {e}")))
    };
    match operation {
        PreAuthOperation::Confirm { amount } if answered.is_empty() => Ok(*amount),
        PreAuthOperation::Confirm { amount } => {
            if parsed()? != *amount {
                return Err(ChannelError::BadAnswer(format!(
                    "answer captured {answered}, not {amount}"
                )));
            }
            Ok(*amount)
        }
        PreAuthOperation::Cancel { .. } => parsed(),
    }
}
