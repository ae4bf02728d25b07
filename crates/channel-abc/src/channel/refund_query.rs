//! A refund read back by Query under its own number (NewOrderNo), to settle a refund whose
//! answer was lost or said `EUNKWN`.

use super::account::AbcAccount;
use super::answer;
use super::pay::{unfit, valid_order_no};
use super::request;
use super::time::{booked, parse_beijing};
use crate::messages::{
    NO_SUCH_ORDER_CODES, OrderStatus, PAY_TYPE_REFUND, QueryRequest, QueryResponse,
    RefundQueryOrder,
};
use unipay_core::channel::{BankRefundState, BankRefunded, ChannelError};

pub(super) fn request_body(account: &AbcAccount, refund_no: &str) -> Result<Vec<u8>, ChannelError> {
    if !valid_order_no(refund_no) {
        return Err(unfit("invalid refund number"));
    }
    request::signed(
        account,
        QueryRequest::new(PAY_TYPE_REFUND, refund_no, false),
    )
}

/// `04` → Succeeded; `99` → Failed; `02` or `EUNKWN` → Unknown; "no such order" (`2308`) →
/// NotFound with that code: the platform holds no such refund — never received, or refused
/// (a refused single Refund leaves nothing behind) — so no money went back, and only sending
/// it again tells which. Any other refusal of the query is an error: it says nothing about the
/// refund.
pub(super) fn read_answer(
    account: &AbcAccount,
    refund_no: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<BankRefundState, ChannelError> {
    let (message, success) = answer::open_checked::<QueryResponse>(account, body, "Query")?;
    let r = &message.trx_response;
    if NO_SUCH_ORDER_CODES.contains(&r.return_code.as_str()) {
        return Ok(BankRefundState::NotFound {
            code: r.return_code.clone(),
            reason: format!(
                "the platform holds no refund {refund_no}: {}",
                r.error_message
            ),
        });
    }
    if !success {
        return match answer::refusal(&r.return_code, &r.error_message) {
            ChannelError::Unknown(reason) => Ok(BankRefundState::Unknown { reason }),
            other => Err(other),
        };
    }
    let detail: RefundQueryOrder = r
        .order_detail_as()
        .map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    if detail.order_no != refund_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for {:?}, not {refund_no:?}",
            detail.order_no
        )));
    }
    // The number must be a refund's: a payment's "04" is no refund done.
    if detail.pay_type_id != PAY_TYPE_REFUND {
        return Err(ChannelError::BadAnswer(format!(
            "{refund_no} is a {:?} at the platform, not a refund",
            detail.pay_type_id
        )));
    }
    state_of(account, &detail, now_ms)
}

fn state_of(
    account: &AbcAccount,
    detail: &RefundQueryOrder,
    now_ms: i64,
) -> Result<BankRefundState, ChannelError> {
    let status = detail.status.trim();
    Ok(match OrderStatus::parse(status) {
        Some(OrderStatus::Success) => {
            BankRefundState::Succeeded(refunded(account, detail, now_ms)?)
        }
        Some(OrderStatus::Failed) => BankRefundState::Failed {
            code: status.to_string(),
            reason: "ABC refund status 99: refund failed".to_string(),
        },
        Some(OrderStatus::NoResponse) => BankRefundState::Unknown {
            reason: "ABC refund status 02: no response from the host yet".to_string(),
        },
        _ => BankRefundState::Unknown {
            reason: format!("unexpected ABC refund status {status:?}"),
        },
    })
}

fn refunded(
    account: &AbcAccount,
    detail: &RefundQueryOrder,
    now_ms: i64,
) -> Result<BankRefunded, ChannelError> {
    // The host's time when given, else the refund request's, else now.
    let fallback_ms = parse_beijing(&detail.order_date, &detail.order_time).unwrap_or(now_ms);
    let (refunded_at_ms, accounting_date) = booked(
        detail.host_date.as_deref().unwrap_or_default(),
        detail.host_time.as_deref().unwrap_or_default(),
        fallback_ms,
        account.cutover_hour,
    )
    .ok_or_else(|| ChannelError::BadAnswer("refund time out of range".to_string()))?;
    Ok(BankRefunded {
        channel_refund_no: detail.i_rsp_ref.trim().to_string(),
        refunded_at_ms,
        accounting_date,
    })
}
