//! The status query of a payment (`00/00`), and what its answer means for core: `origRespCode`
//! `00`/`A6` paid (or authorised), `03`/`04`/`05` not known yet — unless the order's
//! `payTimeout` has passed, after which UnionPay takes no payment for it and such an order is
//! unpaid ("超过超时时间调查询接口应答origRespCode不是A6或者00的就可以判断为失败") — others
//! failed; respCode `34` no such order (the payer never reached UnionPay's page with it).

use super::account::UnionPayAccount;
use super::exchange::{sealed, verified};
use super::record::{raw_message, settle_date, txn_time};
use crate::messages::{
    OrderId, OriginalState, QueriedTransaction, QueryOutcome, QueryRequest, TxnType,
};
use unipay_core::calendar::AccountingDate;
use unipay_core::channel::{BankPaid, BankPaymentState, ChannelError, QueryAnswer};
use unipay_core::money::Amount;

/// UnionPay's day ends at 23:00 Beijing time; the date a payment without a `settleDate` falls on.
pub(super) const CUTOVER_HOUR: u8 = 23;

pub(super) fn request(
    account: &UnionPayAccount,
    order_no: &str,
    requested_at_ms: i64,
) -> Result<(crate::Fields, Vec<u8>), ChannelError> {
    let bad = |e: &dyn std::fmt::Display| ChannelError::Unreachable(format!("query not sent: {e}"));
    let query = QueryRequest {
        order_id: OrderId::new(order_no).map_err(|e| bad(&e))?,
        txn_time: txn_time(requested_at_ms).map_err(|e| bad(&e))?,
    };
    sealed(account, query.fields(&account.merchant), bad)
}

/// How long after `payTimeout` an order still in progress is taken as unpaid: the gateway's
/// clock and ours may differ by a little. A payment the gateway took later still is a late
/// success, which is kept for operators.
const PAY_TIMEOUT_GRACE_MS: i64 = 5_000;

pub(super) fn read(
    account: &UnionPayAccount,
    sent: &crate::Fields,
    answer: &[u8],
    pay_by_ms: i64,
    now_ms: i64,
) -> Result<QueryAnswer, ChannelError> {
    let fields = verified(account, sent, answer, now_ms)?;
    let outcome =
        QueryOutcome::from_answer(&fields).map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let state = match outcome {
        QueryOutcome::Found(found) => match found_state(&found, sent, now_ms)? {
            BankPaymentState::Unknown { .. }
                if now_ms > pay_by_ms.saturating_add(PAY_TIMEOUT_GRACE_MS) =>
            {
                BankPaymentState::Unpaid
            }
            state => state,
        },
        QueryOutcome::NotFound { .. } => BankPaymentState::Unpaid,
        QueryOutcome::QueryUnanswered { code, message } => BankPaymentState::Unknown {
            reason: format!("query {code}: {message}"),
        },
        QueryOutcome::QueryRefused { code, message } => {
            return Err(ChannelError::Refused { code, message });
        }
    };
    Ok(QueryAnswer {
        state,
        code: answer_code(&fields),
        raw: raw_message(answer, &fields),
    })
}

/// The codes an operator is shown: the query's own `respCode`, and the order's
/// `origRespCode` when the bank found it (`00/00` paid, `00/05` in progress, `34` no such order).
fn answer_code(fields: &crate::Fields) -> String {
    let answered = fields.get("respCode").unwrap_or_default();
    match fields.get("origRespCode") {
        Some(original) => format!("{answered}/{original}"),
        None => answered.to_string(),
    }
}

fn found_state(
    found: &QueriedTransaction,
    sent: &crate::Fields,
    now_ms: i64,
) -> Result<BankPaymentState, ChannelError> {
    match &found.state {
        OriginalState::Succeeded | OriginalState::SucceededWithDefect => {
            let paid = paid(found, sent, now_ms)?;
            Ok(match found.txn_type {
                Some(TxnType::PreAuthorization) => BankPaymentState::Authorized(paid),
                _ => BankPaymentState::Paid(paid),
            })
        }
        OriginalState::InProgress { code, message } => Ok(BankPaymentState::Unknown {
            reason: format!("{code}: {message}"),
        }),
        OriginalState::Failed { code, message } => Ok(BankPaymentState::Failed {
            reason: format!("{code}: {message}"),
        }),
    }
}

pub(super) fn paid(
    found: &QueriedTransaction,
    sent: &crate::Fields,
    now_ms: i64,
) -> Result<BankPaid, ChannelError> {
    let amount = found
        .amount_fen
        .and_then(|fen| i64::try_from(fen).ok())
        .and_then(|fen| Amount::from_fen(fen).ok())
        .ok_or_else(|| ChannelError::BadAnswer("a paid order without a txnAmt".into()))?;
    let txn_time = sent.get("txnTime").unwrap_or_default();
    Ok(BankPaid {
        amount,
        channel_trade_no: found.query_id.clone().unwrap_or_default(),
        paid_at_ms: now_ms,
        accounting_date: accounting_date(found.settle_date.as_deref(), txn_time, now_ms),
    })
}

/// The settlement date UnionPay names, else the Beijing day (cut over at 23:00) of `now_ms`.
pub(super) fn accounting_date(settle_mmdd: Option<&str>, txn_time: &str, now_ms: i64) -> String {
    settle_mmdd
        .and_then(|mmdd| settle_date(mmdd, txn_time))
        .or_else(|| AccountingDate::with_cutover(now_ms, CUTOVER_HOUR).map(|d| d.to_string()))
        .unwrap_or_default()
}
