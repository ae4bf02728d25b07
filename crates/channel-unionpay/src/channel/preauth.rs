//! Capturing (completion `03`) and cancelling (pre-authorisation void `32`) a hold: back
//! transactions to `backTransReq.do` naming the hold by its queryId, each an order of its own
//! (the operation's number and time), so its query names it the same way.
//!
//! `00` is "taken in", never "done": the result comes by back notification or by the
//! operation's query (`origRespCode`). A query of the hold would not tell: it still reads as
//! authorised after a completion.

use super::account::UnionPayAccount;
use super::exchange::{BackAnswer, back_answer, sealed, verified};
use super::query::paid;
use super::record::{raw_message, txn_time};
use crate::messages::{
    BackOperation, BackRequest, ChannelType, OrderId, OriginalState, QueryOutcome, TxnType,
};
use unipay_core::channel::{
    BankPreAuthState, ChannelError, PreAuthAnswer, PreAuthOperation, PreAuthRequest,
};

/// The code a query of an operation UnionPay never took in answers.
const NO_SUCH_ORDER: &str = "34";

/// A completion comes within 30 days of the hold (§4.5 of the protocol page); the gateway
/// refuses a later one.
pub(super) const COMPLETION_WINDOW_DAYS: u32 = 30;

/// The signed request for `request` and its body.
pub(super) fn request(
    account: &UnionPayAccount,
    request: &PreAuthRequest,
) -> Result<(crate::Fields, Vec<u8>), ChannelError> {
    // Nothing reaches the bank when the request cannot be built.
    let unsent = |e: &dyn std::fmt::Display| {
        ChannelError::Unreachable(format!("pre-authorisation operation not sent: {e}"))
    };
    let original_query_id = request
        .original_trade_no
        .clone()
        .ok_or_else(|| unsent(&"the hold has no queryId from UnionPay"))?;
    let (operation, amount) = match request.operation {
        PreAuthOperation::Confirm { amount } => (BackOperation::PreAuthorizationCompletion, amount),
        PreAuthOperation::Cancel { amount } => (BackOperation::PreAuthorizationVoid, amount),
    };
    let back = BackRequest {
        operation,
        channel: ChannelType::Desktop,
        order_id: OrderId::new(&request.operation_no).map_err(|e| unsent(&e))?,
        txn_time: txn_time(request.operation_time_ms).map_err(|e| unsent(&e))?,
        amount,
        original_query_id,
        back_url: request.result_notify_url.clone(),
        // Returned signed in the back notification: the hold its result belongs to.
        req_reserved: Some(request.original_order_no.clone()),
    };
    sealed(account, back.fields(&account.merchant), unsent)
}

/// The synchronous answer: `00` taken in, `03`/`04`/`05` (and a duplicate) unknown, any other
/// code refused with that code.
pub(super) fn read_back_answer(
    account: &UnionPayAccount,
    sent: &crate::Fields,
    answer: &[u8],
    now_ms: i64,
) -> Result<PreAuthAnswer, ChannelError> {
    let fields = verified(account, sent, answer, now_ms)?;
    let state = match back_answer(&fields)? {
        BackAnswer::TakenIn { reason } => BankPreAuthState::Accepted { reason },
        BackAnswer::Unknown { reason } => BankPreAuthState::Unknown { reason },
        BackAnswer::Refused { code, reason } => BankPreAuthState::Refused { code, reason },
    };
    Ok(PreAuthAnswer {
        state,
        raw: raw_message(answer, &fields),
    })
}

/// What the operation's query (its own orderId and txnTime) found: `origRespCode` `00`/`A6`
/// done, `03`/`04`/`05` not yet known, other codes refused; `34` never taken in (refused: the
/// hold is as it was).
pub(super) fn read_query(
    account: &UnionPayAccount,
    request: &PreAuthRequest,
    sent: &crate::Fields,
    answer: &[u8],
    now_ms: i64,
) -> Result<PreAuthAnswer, ChannelError> {
    let fields = verified(account, sent, answer, now_ms)?;
    let outcome =
        QueryOutcome::from_answer(&fields).map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let state = match outcome {
        QueryOutcome::Found(found) => {
            let expected = match request.operation {
                PreAuthOperation::Confirm { .. } => TxnType::PreAuthorizationCompletion,
                PreAuthOperation::Cancel { .. } => TxnType::PreAuthorizationVoid,
            };
            if found.txn_type != Some(expected) {
                // The number is this operation's: anything else under it is not believed.
                return Err(ChannelError::BadAnswer(format!(
                    "the operation's query found a transaction of txnType {:?}",
                    found.txn_type.map(TxnType::code)
                )));
            }
            match &found.state {
                OriginalState::Succeeded | OriginalState::SucceededWithDefect => {
                    BankPreAuthState::Done(paid(&found, sent, now_ms)?)
                }
                OriginalState::InProgress { code, message } => BankPreAuthState::Unknown {
                    reason: format!("{code}: {message}"),
                },
                OriginalState::Failed { code, message } => BankPreAuthState::Refused {
                    code: code.clone(),
                    reason: message.clone(),
                },
            }
        }
        QueryOutcome::NotFound { message } => BankPreAuthState::Refused {
            code: NO_SUCH_ORDER.into(),
            reason: message,
        },
        QueryOutcome::QueryUnanswered { code, message } => BankPreAuthState::Unknown {
            reason: format!("query {code}: {message}"),
        },
        QueryOutcome::QueryRefused { code, message } => {
            return Err(ChannelError::Refused { code, message });
        }
    };
    Ok(PreAuthAnswer {
        state,
        raw: raw_message(answer, &fields),
    })
}
