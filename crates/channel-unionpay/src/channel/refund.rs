//! Refunds: a refund (`04`) to `backTransReq.do` naming the payment by its queryId, or, for a
//! refund of the whole payment asked on the payment's own settlement day, a consume void
//! (`31`), which UnionPay takes only then and which costs the merchant no refund fee. Either is
//! an order of its own (the refund's number and creation time), so the refund's query and its
//! back notification name it the same way whichever was sent.
//!
//! Both are back transactions: `00` is "taken in", never "done"; the result comes by back
//! notification or by query (`origRespCode`).

use super::account::UnionPayAccount;
use super::exchange::{BackAnswer, back_answer, sealed, verified};
use super::query::{CUTOVER_HOUR, accounting_date};
use super::record::{raw_message, txn_time};
use crate::messages::{
    BackOperation, BackRequest, ChannelType, OrderId, OriginalState, QueriedTransaction,
    QueryOutcome, TxnType,
};
use unipay_core::calendar::AccountingDate;
use unipay_core::channel::{
    BankRefundState, BankRefunded, ChannelError, RefundAnswer, RefundRequest,
};

/// A void (`31`, or `33` for a captured pre-authorisation's completion) or a refund (`04`): a
/// void when the whole payment goes back on the day UnionPay settled it (its day ends at 23:00
/// Beijing time), a refund otherwise.
pub fn operation_for(request: &RefundRequest, now_ms: i64) -> BackOperation {
    let today = AccountingDate::with_cutover(now_ms, CUTOVER_HOUR).map(|d| d.to_string());
    let whole = request.amount == request.payment.collected;
    let same_day = today.is_some() && request.payment.accounting_date == today;
    if whole && same_day && request.payment.captured_preauth {
        BackOperation::CompletionVoid
    } else if whole && same_day {
        BackOperation::ConsumeVoid
    } else {
        BackOperation::Refund
    }
}

/// The signed request for `request`, sent at `now_ms`, and its body.
pub(super) fn request(
    account: &UnionPayAccount,
    request: &RefundRequest,
    now_ms: i64,
) -> Result<(crate::Fields, Vec<u8>), ChannelError> {
    // Nothing reaches the bank when the request cannot be built.
    let unsent =
        |e: &dyn std::fmt::Display| ChannelError::Unreachable(format!("refund not sent: {e}"));
    let original_query_id = request
        .payment
        .channel_trade_no
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| unsent(&"the payment has no queryId from UnionPay"))?;
    let back = BackRequest {
        operation: operation_for(request, now_ms),
        channel: ChannelType::Desktop,
        order_id: OrderId::new(&request.refund_no).map_err(|e| unsent(&e))?,
        // The refund's creation, as for a payment: its query names it by this time.
        txn_time: txn_time(request.created_at_ms).map_err(|e| unsent(&e))?,
        amount: request.amount,
        original_query_id,
        back_url: request.result_notify_url.clone(),
        req_reserved: None,
    };
    sealed(account, back.fields(&account.merchant), unsent)
}

/// The synchronous answer: `00` taken in, `03`/`04`/`05` (and a duplicate) unknown, any other
/// code refused for good with that code.
pub(super) fn read_back_answer(
    account: &UnionPayAccount,
    sent: &crate::Fields,
    answer: &[u8],
    now_ms: i64,
) -> Result<RefundAnswer, ChannelError> {
    let fields = verified(account, sent, answer, now_ms)?;
    let state = match back_answer(&fields)? {
        BackAnswer::TakenIn { reason } => BankRefundState::Accepted { reason },
        BackAnswer::Unknown { reason } => BankRefundState::Unknown { reason },
        BackAnswer::Refused { code, reason } => BankRefundState::Failed { code, reason },
    };
    Ok(RefundAnswer {
        state,
        raw: raw_message(answer, &fields),
    })
}

/// What the query of a refund (by its own orderId and txnTime) found: `origRespCode` `00`/`A6` refunded, `03`/`04`/`05` not yet known,
/// other codes failed; `34` no such refund at UnionPay.
pub(super) fn read_query(
    account: &UnionPayAccount,
    sent: &crate::Fields,
    answer: &[u8],
    now_ms: i64,
) -> Result<RefundAnswer, ChannelError> {
    let fields = verified(account, sent, answer, now_ms)?;
    let outcome =
        QueryOutcome::from_answer(&fields).map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let state = match outcome {
        QueryOutcome::Found(found) => found_state(&found, sent, now_ms)?,
        QueryOutcome::NotFound { message } => BankRefundState::NotFound {
            code: "34".into(),
            reason: message,
        },
        QueryOutcome::QueryUnanswered { code, message } => BankRefundState::Unknown {
            reason: format!("query {code}: {message}"),
        },
        QueryOutcome::QueryRefused { code, message } => {
            return Err(ChannelError::Refused { code, message });
        }
    };
    Ok(RefundAnswer {
        state,
        raw: raw_message(answer, &fields),
    })
}

fn found_state(
    found: &QueriedTransaction,
    sent: &crate::Fields,
    now_ms: i64,
) -> Result<BankRefundState, ChannelError> {
    let is_refund = matches!(
        found.txn_type,
        Some(TxnType::Refund | TxnType::ConsumeVoid | TxnType::CompletionVoid)
    );
    if !is_refund {
        // The number is a refund's: anything else under it is not an answer to believe.
        return Err(ChannelError::BadAnswer(format!(
            "the refund's query found a transaction of txnType {:?}",
            found.txn_type.map(TxnType::code)
        )));
    }
    Ok(match &found.state {
        OriginalState::Succeeded | OriginalState::SucceededWithDefect => {
            BankRefundState::Succeeded(BankRefunded {
                channel_refund_no: found.query_id.clone().unwrap_or_default(),
                refunded_at_ms: now_ms,
                accounting_date: accounting_date(
                    found.settle_date.as_deref(),
                    sent.get("txnTime").unwrap_or_default(),
                    now_ms,
                ),
            })
        }
        OriginalState::InProgress { code, message } => BankRefundState::Unknown {
            reason: format!("{code}: {message}"),
        },
        OriginalState::Failed { code, message } => BankRefundState::Failed {
            code: code.clone(),
            reason: message.clone(),
        },
    })
}
