//! Opening an answer: cut, verify with the bank's certificate, read, check it is ours.

use super::account::AbcAccount;
use crate::messages::{
    CarvedMessage, MESSAGE_REJECTED_CODES, RETURN_CODE_SUCCESS, RETURN_CODE_UNKNOWN, ResponseHead,
    ResponseMessage, carve_records,
};
use crate::wire::{MAX_STATEMENT_ANSWER_BYTES, cut_answer, cut_large_answer};
use serde::de::DeserializeOwned;
use unipay_core::channel::ChannelError;

fn open<T: DeserializeOwned>(
    account: &AbcAccount,
    body: &[u8],
) -> Result<ResponseMessage<T>, ChannelError> {
    let signed =
        cut_answer(body).map_err(|e| ChannelError::BadAnswer(format!("unreadable answer: {e}")))?;
    signed
        .verify(&account.bank_certificate)
        .map_err(|_| ChannelError::BadAnswer("answer signature does not verify".to_string()))?;
    ResponseMessage::read(&signed.message).map_err(|e| ChannelError::BadAnswer(e.to_string()))
}

/// Opens an answer and checks what every answer must show: our MerchantID and the TrxType we
/// asked for. Returns the message and whether its ReturnCode is success.
pub(super) fn open_checked<T: DeserializeOwned + ResponseHead>(
    account: &AbcAccount,
    body: &[u8],
    trx_type: &str,
) -> Result<(ResponseMessage<T>, bool), ChannelError> {
    let message = open::<T>(account, body)?;
    let success = check(account, &message, trx_type)?;
    Ok((message, success))
}

/// [`open_checked`] for an answer of up to `max_bytes` that is read whole (a QueryBatchRefund
/// answer lists every line of its batch).
pub(super) fn open_checked_large<T: DeserializeOwned + ResponseHead>(
    account: &AbcAccount,
    body: &[u8],
    trx_type: &str,
    max_bytes: usize,
) -> Result<(ResponseMessage<T>, bool), ChannelError> {
    let signed = cut_large_answer(body, max_bytes)
        .map_err(|e| ChannelError::BadAnswer(format!("unreadable answer: {e}")))?;
    signed
        .verify(&account.bank_certificate)
        .map_err(|_| ChannelError::BadAnswer("answer signature does not verify".to_string()))?;
    let text = encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(signed.message_gbk)
        .ok_or_else(|| ChannelError::BadAnswer("answer is not valid GBK".to_string()))?;
    let message = ResponseMessage::<T>::read_large(&text, max_bytes)
        .map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let success = check(account, &message, trx_type)?;
    Ok((message, success))
}

/// A statement answer, opened: its small part read, the file's place in it found.
pub(super) struct OpenedStatement<T> {
    pub message: ResponseMessage<T>,
    pub success: bool,
    /// Where M starts in the body.
    pub message_offset: usize,
    /// M without the file, and where the file stands in M.
    pub carved: CarvedMessage,
}

/// [`open_checked`] for a statement answer, which may be up to
/// [`MAX_STATEMENT_ANSWER_BYTES`]: the signature is checked over the whole of M as it stands
/// in the body; the file is cut out by position, and the rest read and checked as usual.
pub(super) fn open_checked_statement<T: DeserializeOwned + ResponseHead>(
    account: &AbcAccount,
    body: &[u8],
    trx_type: &str,
) -> Result<OpenedStatement<T>, ChannelError> {
    let signed = cut_large_answer(body, MAX_STATEMENT_ANSWER_BYTES)
        .map_err(|e| ChannelError::BadAnswer(format!("unreadable answer: {e}")))?;
    signed
        .verify(&account.bank_certificate)
        .map_err(|_| ChannelError::BadAnswer("answer signature does not verify".to_string()))?;
    let carved =
        carve_records(signed.message_gbk).map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let head = encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(&carved.head)
        .ok_or_else(|| ChannelError::BadAnswer("answer is not valid GBK".to_string()))?;
    let message =
        ResponseMessage::<T>::read(&head).map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let success = check(account, &message, trx_type)?;
    Ok(OpenedStatement {
        message,
        success,
        message_offset: signed.message_offset,
        carved,
    })
}

/// What every answer must show: our MerchantID and the TrxType we asked for. Returns whether
/// its ReturnCode is success.
fn check<T: ResponseHead>(
    account: &AbcAccount,
    message: &ResponseMessage<T>,
    trx_type: &str,
) -> Result<bool, ChannelError> {
    let head = &message.trx_response;
    let success = is_success(head.return_code());
    check_merchant(
        account,
        &message.merchant.merchant_id,
        head.merchant_id(),
        success,
    )?;
    check_trx_type(head.trx_type(), trx_type)?;
    Ok(success)
}

/// Every MerchantID the answer names must be ours; a success must name it at least once.
fn check_merchant(
    account: &AbcAccount,
    envelope_id: &str,
    response_id: &str,
    success: bool,
) -> Result<(), ChannelError> {
    for id in [envelope_id, response_id] {
        if !id.is_empty() && id != account.merchant_id {
            return Err(ChannelError::BadAnswer(format!(
                "answer names merchant {id}, not ours"
            )));
        }
    }
    if success && envelope_id.is_empty() && response_id.is_empty() {
        return Err(ChannelError::BadAnswer(
            "answer names no merchant".to_string(),
        ));
    }
    Ok(())
}

/// A `TrxType` in the answer, when present, must be the one we asked for.
fn check_trx_type(trx_type: &str, expected: &str) -> Result<(), ChannelError> {
    if !trx_type.is_empty() && trx_type != expected {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for {trx_type}, not {expected}"
        )));
    }
    Ok(())
}

/// Maps a non-success ReturnCode: EUNKWN is "ask again", anything else a refusal.
pub(super) fn refusal(code: &str, message: &str) -> ChannelError {
    if code == RETURN_CODE_UNKNOWN {
        ChannelError::Unknown(format!("platform answered {code}: {message}"))
    } else if code.is_empty() {
        ChannelError::BadAnswer("answer has no ReturnCode".to_string())
    } else {
        ChannelError::Refused {
            code: code.to_string(),
            message: message.to_string(),
        }
    }
}

/// How the platform answered a transaction whose refusal is itself a result (a refund, a
/// pre-authorization operation): the caller records it against the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Judged {
    /// The platform judged the transaction and declined it: nothing was done.
    Refused { code: String, reason: String },
    /// `EUNKWN`: it may or may not have been done.
    Unknown { reason: String },
}

/// Maps a non-success ReturnCode of such a transaction. A refusal of the message itself
/// ([`MESSAGE_REJECTED_CODES`]: our signature, our fields, our merchant setup) is no verdict
/// on the transaction and stays an error, as does an answer without a code.
pub(super) fn judged(code: &str, message: &str) -> Result<Judged, ChannelError> {
    if code == RETURN_CODE_UNKNOWN {
        return Ok(Judged::Unknown {
            reason: format!("platform answered {code}: {message}"),
        });
    }
    if code.is_empty() || MESSAGE_REJECTED_CODES.contains(&code) {
        return Err(refusal(code, message));
    }
    Ok(Judged::Refused {
        code: code.to_string(),
        reason: message.to_string(),
    })
}

fn is_success(code: &str) -> bool {
    code == RETURN_CODE_SUCCESS
}
