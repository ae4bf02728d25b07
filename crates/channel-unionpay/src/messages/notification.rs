//! The result notification UnionPay posts to `backUrl` (server to server; for a front
//! transaction only on success, for a back transaction on success and failure), or the
//! payer's browser to `frontUrl` (not proof of anything). Both are the same signed form.
//! The merchant answers HTTP 200 within 10 s, or UnionPay posts again (five times in all).

use super::common::{MessageError, TxnType, fen_field, text_field};
use super::names::*;
use super::response_code::{CodeClass, classify};
use crate::crypto::UnixSeconds;
use crate::signing::{BankVerifier, VerifiedBy, VerifyError};
use crate::wire::{WireError, decode_form};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("the notification is not believed: {0}")]
    Verify(#[from] VerifyError),
    #[error("the notification names merchant {0}, not ours")]
    WrongMerchant(String),
    #[error(transparent)]
    Message(#[from] MessageError),
}

/// What a notification says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifiedOutcome {
    /// `00`.
    Succeeded,
    /// `A6`: succeeded with a defect; counted as a success. For money the SDK's advice is
    /// to confirm by query.
    SucceededWithDefect,
    Failed {
        code: String,
        message: String,
    },
}

/// A verified notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultNotification {
    pub outcome: NotifiedOutcome,
    /// The code as sent, when it is not one of ours (kept rather than refused).
    pub txn_type: Option<TxnType>,
    pub txn_sub_type: Option<String>,
    pub order_id: String,
    pub txn_time: String,
    pub query_id: Option<String>,
    pub original_query_id: Option<String>,
    pub amount_fen: Option<u64>,
    /// `MMDD`.
    pub settle_date: Option<String>,
    pub settle_amount_fen: Option<u64>,
    pub trace_no: Option<String>,
    pub trace_time: Option<String>,
    pub req_reserved: Option<String>,
    pub verified_by: VerifiedBy,
}

/// Reads a notification body (`application/x-www-form-urlencoded`, as posted) for merchant
/// `mer_id`. Strip any query string that was part of `backUrl` before: it is not signed.
pub fn read_notification(
    body: &[u8],
    mer_id: &str,
    verifier: &BankVerifier,
    now: UnixSeconds,
) -> Result<ResultNotification, NotificationError> {
    let fields = decode_form(body)?;
    let verified_by = verifier.verify(&fields, now)?;
    let named = fields.get(MER_ID).unwrap_or_default();
    if named != mer_id {
        return Err(NotificationError::WrongMerchant(named.to_string()));
    }
    let code = fields
        .get(RESP_CODE)
        .ok_or(MessageError::MissingField(RESP_CODE))?;
    let outcome = match classify(code) {
        CodeClass::Accepted => NotifiedOutcome::Succeeded,
        CodeClass::AcceptedWithDefect => NotifiedOutcome::SucceededWithDefect,
        // "00、A6为成功，其余为失败": in a notification every other code is a failure.
        CodeClass::Unknown | CodeClass::Refused => NotifiedOutcome::Failed {
            code: code.to_string(),
            message: text_field(&fields, RESP_MSG).unwrap_or_default(),
        },
    };
    Ok(ResultNotification {
        outcome,
        txn_type: fields.get(TXN_TYPE).and_then(TxnType::parse),
        txn_sub_type: text_field(&fields, TXN_SUB_TYPE),
        order_id: text_field(&fields, ORDER_ID).ok_or(MessageError::MissingField(ORDER_ID))?,
        txn_time: text_field(&fields, TXN_TIME).ok_or(MessageError::MissingField(TXN_TIME))?,
        query_id: text_field(&fields, QUERY_ID),
        original_query_id: text_field(&fields, ORIG_QRY_ID),
        amount_fen: fen_field(&fields, TXN_AMT)?,
        settle_date: text_field(&fields, SETTLE_DATE),
        settle_amount_fen: fen_field(&fields, SETTLE_AMT)?,
        trace_no: text_field(&fields, TRACE_NO),
        trace_time: text_field(&fields, TRACE_TIME),
        req_reserved: text_field(&fields, REQ_RESERVED),
        verified_by,
    })
}
