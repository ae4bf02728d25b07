//! Signing a typed TrxRequest into the body we POST, within the size the platform takes.

use super::account::AbcAccount;
use super::pay::unfit;
use crate::messages::RequestMessage;
use crate::wire::{MAX_MESSAGE_BYTES, build_request};
use serde::Serialize;
use unipay_core::channel::ChannelError;

/// The signed body of `trx`, at most the 8,000 bytes the bank takes (without the line end,
/// which it does not count). A larger one would only be refused: it is never sent.
pub(super) fn signed<T: Serialize>(account: &AbcAccount, trx: T) -> Result<Vec<u8>, ChannelError> {
    let json = RequestMessage::new(&account.merchant_id, trx)
        .to_json()
        .map_err(|e| unfit(e.to_string()))?;
    let body = build_request(&json, &account.key, account.algorithm);
    let counted = body.strip_suffix(b"\n").unwrap_or(&body).len();
    if counted > MAX_MESSAGE_BYTES {
        return Err(unfit(format!(
            "request of {counted} bytes exceeds {MAX_MESSAGE_BYTES}"
        )));
    }
    Ok(body)
}
