//! The back notification (to `backUrl`, server to server) and the front one (the payer's
//! browser to `frontUrl`): one signed form, read and believed the same way. Only its
//! signature (the certificate chain or `certId`, or the secure key) and merId are checked here;
//! the order and the amount are the caller's to check against its own payment.

use super::account::UnionPayAccount;
use super::query::accounting_date;
use super::record::raw_message;
use crate::messages::{NotifiedOutcome, ResultNotification, TxnType, read_notification};
use crate::signing::VerifyError;
use crate::wire::decode_form;
use unipay_core::channel::{
    BankNotification, BankPaid, NotificationError, NotificationMode, NotificationOutcome,
    NotifiedPreAuth,
};
use unipay_core::money::Amount;

/// A notification larger than this is no notification of UnionPay's (a few kilobytes, its
/// certificate included).
const MAX_NOTIFICATION_BYTES: usize = 32 * 1024;

pub(super) fn read(
    account: &UnionPayAccount,
    body: &[u8],
    mode: NotificationMode,
    now_ms: i64,
) -> Result<BankNotification, NotificationError> {
    if body.len() > MAX_NOTIFICATION_BYTES {
        return Err(NotificationError::TooLarge);
    }
    let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
    let notification = read_notification(body, &account.merchant.mer_id, &account.verifier, now_s)
        .map_err(|error| match error {
            crate::messages::NotificationError::Verify(VerifyError::BadSignature) => {
                NotificationError::BadSignature
            }
            // Which certificate was not believed, and why, is what an operator needs to see.
            crate::messages::NotificationError::Verify(
                error @ (VerifyError::UnknownCertId(_)
                | VerifyError::Certificate(_)
                | VerifyError::KeyMismatch(_)
                | VerifyError::NotConfigured(_)),
            ) => NotificationError::Untrusted(error.to_string()),
            crate::messages::NotificationError::Verify(_) => NotificationError::BadSignature,
            crate::messages::NotificationError::WrongMerchant(mer_id) => {
                NotificationError::WrongMerchant(mer_id)
            }
            other => NotificationError::Malformed(other.to_string()),
        })?;
    let fields = decode_form(body).map_err(|e| NotificationError::Malformed(e.to_string()))?;
    let raw = raw_message(body, &fields);
    Ok(BankNotification {
        order_no: notification.order_id.clone(),
        mode,
        outcome: outcome(&notification, now_ms)?,
        raw_masked: raw.masked,
        raw_sha256: raw.sha256,
    })
}

fn outcome(
    notification: &ResultNotification,
    now_ms: i64,
) -> Result<NotificationOutcome, NotificationError> {
    let amount = notification
        .amount_fen
        .and_then(|fen| i64::try_from(fen).ok())
        .and_then(|fen| Amount::from_fen(fen).ok())
        .ok_or_else(|| NotificationError::Malformed("no txnAmt".into()))?;
    let failure = match &notification.outcome {
        NotifiedOutcome::Succeeded | NotifiedOutcome::SucceededWithDefect => None,
        NotifiedOutcome::Failed { code, message } => Some(format!("{code}: {message}")),
    };
    match notification.txn_type {
        // The payment itself (a pre-authorisation's result is read as the ABC one is: the
        // payment's capture mode says what a success means).
        Some(TxnType::Consume | TxnType::PreAuthorization) => Ok(match failure {
            None => NotificationOutcome::Paid(BankPaid {
                amount,
                channel_trade_no: notification.query_id.clone().unwrap_or_default(),
                paid_at_ms: now_ms,
                accounting_date: accounting_date(
                    notification.settle_date.as_deref(),
                    &notification.txn_time,
                    now_ms,
                ),
            }),
            Some(reason) => NotificationOutcome::Failed { reason, amount },
        }),
        Some(other) => Ok(NotificationOutcome::Operation {
            kind: other.code().to_string(),
            succeeded: failure.is_none(),
            amount,
            reason: failure.unwrap_or_default(),
            channel_trade_no: notification.query_id.clone().unwrap_or_default(),
            accounting_date: accounting_date(
                notification.settle_date.as_deref(),
                &notification.txn_time,
                now_ms,
            ),
            preauth: notified_preauth(notification, other),
        }),
        None => Err(NotificationError::Malformed(
            "a txnType that is not UnionPay's".into(),
        )),
    }
}

/// A completion (`03`) or pre-authorisation void (`32`), naming its hold by the order number
/// the request left in `reqReserved`, which UnionPay returns signed.
fn notified_preauth(notification: &ResultNotification, kind: TxnType) -> Option<NotifiedPreAuth> {
    let cancel = match kind {
        TxnType::PreAuthorizationCompletion => false,
        TxnType::PreAuthorizationVoid => true,
        _ => return None,
    };
    let original_order_no = notification.req_reserved.clone()?;
    Some(NotifiedPreAuth {
        cancel,
        original_order_no,
    })
}
