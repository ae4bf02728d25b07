//! Query: what the platform says about one of our orders.

use super::account::AbcAccount;
use super::answer;
use super::time::{accounting_date, parse_beijing};
use crate::messages::{
    NO_SUCH_ORDER_CODES, OrderStatus, PAY_TYPE_IMMEDIATE, PAY_TYPE_PREAUTH, PAY_TYPE_REFUND,
    QueryOrder, QueryRequest, QueryResponse, RequestMessage,
};
use crate::wire::build_request;
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, BankPaymentState, ChannelError};

pub(super) fn request_body(account: &AbcAccount, order_no: &str) -> Result<Vec<u8>, ChannelError> {
    if !super::pay::valid_order_no(order_no) {
        return Err(ChannelError::Refused {
            code: "1100".to_string(),
            message: "invalid order number".to_string(),
        });
    }
    let json = RequestMessage::new(
        &account.merchant_id,
        QueryRequest::new(PAY_TYPE_IMMEDIATE, order_no, false),
    )
    .to_json()
    .map_err(|e| ChannelError::Refused {
        code: "1100".to_string(),
        message: e.to_string(),
    })?;
    Ok(build_request(&json, &account.key, account.algorithm))
}

/// ReturnCode `0000` → the order's Status decides; `EUNKWN` → Unknown; a "no such order" code
/// ([`NO_SUCH_ORDER_CODES`], `2308` 订单不存在) → Unpaid (the platform never registered a
/// payment); anything else → Refused.
#[cfg(test)]
pub(super) fn read_answer(
    account: &AbcAccount,
    order_no: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<BankPaymentState, ChannelError> {
    read_answer_with_code(account, order_no, body, now_ms).map(|(state, _)| state)
}

/// [`read_answer`], with the bank's own code for what it said: the ReturnCode, and the order's
/// Status when it has one (`0000/04`), for an operator to quote to the bank.
pub(super) fn read_answer_with_code(
    account: &AbcAccount,
    order_no: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<(BankPaymentState, String), ChannelError> {
    let (message, success) = answer::open_checked::<QueryResponse>(account, body, "Query")?;
    let r = &message.trx_response;
    let code = r.return_code.trim().to_string();
    if NO_SUCH_ORDER_CODES.contains(&r.return_code.as_str()) {
        return Ok((BankPaymentState::Unpaid, code));
    }
    if !success {
        return match answer::refusal(&r.return_code, &r.error_message) {
            ChannelError::Unknown(reason) => Ok((BankPaymentState::Unknown { reason }, code)),
            other => Err(other),
        };
    }
    let order = r
        .order_detail()
        .map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    if order.order_no != order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for order {:?}, not {order_no:?}",
            order.order_no
        )));
    }
    // A refund's number answers as an order too: its "04" is no payment.
    if order.pay_type_id.trim() == PAY_TYPE_REFUND {
        return Err(ChannelError::BadAnswer(format!(
            "{order_no} is a refund at the platform, not a payment"
        )));
    }
    let code = format!("{code}/{}", order.status.trim());
    state_of(account, &order, now_ms).map(|state| (state, code))
}

/// Status `04` is a payment, or with PayTypeID `PreAuthPay` an authorization (**assumed**, as
/// the simulator answers: the protocol has no code of its own for it); `07` a confirmed
/// (captured) pre-authorization, `00` a cancelled one. `03` and `05` took money too: a payment
/// (`05`: since refunded, which is the refunds' business), or a capture for a
/// pre-authorization.
///
/// A capture is read from the order's detail as it stands: its OrderAmount, iRspRef and time.
/// The simulator writes there the authorized amount and the authorization's serial and time,
/// not the capture's: the captured amount is what the PreAuthCancelConfirm answer says.
fn state_of(
    account: &AbcAccount,
    order: &QueryOrder,
    now_ms: i64,
) -> Result<BankPaymentState, ChannelError> {
    let Some(status) = OrderStatus::parse(order.status.trim()) else {
        return Ok(BankPaymentState::Unknown {
            reason: format!("unknown ABC order status {:?}", order.status),
        });
    };
    let preauth = order.pay_type_id.trim() == PAY_TYPE_PREAUTH;
    Ok(match status {
        OrderStatus::Success if preauth => {
            BankPaymentState::Authorized(paid(account, order, now_ms)?)
        }
        OrderStatus::PreAuthConfirmed => BankPaymentState::Captured(paid(account, order, now_ms)?),
        s if s.money_taken() && preauth => {
            BankPaymentState::Captured(paid(account, order, now_ms)?)
        }
        s if s.money_taken() => BankPaymentState::Paid(paid(account, order, now_ms)?),
        OrderStatus::PreAuthCancelled => BankPaymentState::Cancelled,
        OrderStatus::Unpaid => BankPaymentState::Unpaid,
        OrderStatus::NoResponse => BankPaymentState::Unknown {
            reason: "ABC order status 02: no response from the host yet".to_string(),
        },
        OrderStatus::Failed => BankPaymentState::Failed {
            reason: "ABC order status 99: payment failed".to_string(),
        },
        other => BankPaymentState::Unknown {
            reason: format!("unexpected ABC order status {}", other.code()),
        },
    })
}

fn paid(account: &AbcAccount, order: &QueryOrder, now_ms: i64) -> Result<BankPaid, ChannelError> {
    let amount = Amount::parse_yuan(order.order_amount.trim())
        .map_err(|e| ChannelError::BadAnswer(format!("OrderAmount: {e}")))?;
    // The host's time when given, else the order's time (what the basic answer has), else now.
    let host = match (&order.host_date, &order.host_time) {
        (Some(date), Some(time)) => parse_beijing(date, time),
        _ => None,
    };
    let paid_at_ms = host
        .or_else(|| parse_beijing(&order.order_date, &order.order_time))
        .unwrap_or(now_ms);
    let accounting_date = accounting_date(paid_at_ms, account.cutover_hour)
        .ok_or_else(|| ChannelError::BadAnswer("payment time out of range".to_string()))?;
    Ok(BankPaid {
        amount,
        channel_trade_no: order.i_rsp_ref.trim().to_string(),
        paid_at_ms,
        accounting_date,
    })
}
