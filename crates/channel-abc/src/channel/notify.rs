//! Result notifications: read the `MSG` form field, verify, map to core; and the answer page.

use super::account::AbcAccount;
use super::time::{accounting_date, parse_beijing};
use crate::messages::{NotificationFields, RETURN_CODE_SUCCESS, RETURN_CODE_UNKNOWN};
use crate::wire::{MAX_MESSAGE_BYTES, SignedNotification, WireError, cut_notification};
use sha2::{Digest, Sha256};
use unipay_core::channel::{
    BankNotification, BankPaid, NotificationError, NotificationMode, NotificationOutcome,
};
use unipay_core::masking::mask_sensitive_fields;

/// A form body: base64 grows a message by 4/3, percent-encoding `+ / =` by up to 3.
pub const MAX_NOTIFICATION_BODY_BYTES: usize = MAX_MESSAGE_BYTES * 4;

/// Reads a notification: an `application/x-www-form-urlencoded` body (or a GET query string,
/// with or without its `?`) holding `MSG`.
pub(super) fn read(
    account: &AbcAccount,
    body: &[u8],
) -> Result<BankNotification, NotificationError> {
    let (signed, msg) = cut_form(body)?;
    signed
        .verify(&account.bank_certificate)
        .map_err(|_| NotificationError::BadSignature)?;
    read_verified(account, &signed, &msg)
}

/// The `MSG` field of a notification body, cut apart but not verified, with the field's text
/// (its hash names the message). Payment, signing and identity results all arrive this way.
pub(crate) fn cut_form(body: &[u8]) -> Result<(SignedNotification, String), NotificationError> {
    if body.len() > MAX_NOTIFICATION_BODY_BYTES {
        return Err(NotificationError::TooLarge);
    }
    let body = body.strip_prefix(b"?").unwrap_or(body);
    let mut values = form_urlencoded::parse(body)
        .filter(|(k, _)| k == "MSG")
        .map(|(_, v)| v);
    let msg = values
        .next()
        .ok_or_else(|| NotificationError::Malformed("no MSG field".to_string()))?;
    if values.next().is_some() {
        return Err(NotificationError::Malformed(
            "more than one MSG field".to_string(),
        ));
    }
    let signed = cut_notification(&msg).map_err(|e| match e {
        WireError::TooLarge => NotificationError::TooLarge,
        WireError::BadSignature => NotificationError::BadSignature,
        other => NotificationError::Malformed(other.to_string()),
    })?;
    Ok((signed, msg.into_owned()))
}

/// A payment result whose signature has verified: our merchant, then what it says. Apart from
/// [`read`] so that the fuzz target reaches it without the bank's key.
pub(crate) fn read_verified(
    account: &AbcAccount,
    signed: &SignedNotification,
    msg: &str,
) -> Result<BankNotification, NotificationError> {
    let fields = NotificationFields::from_xml(&signed.message)
        .map_err(|e| NotificationError::Malformed(e.to_string()))?;
    if fields.merchant_id != account.merchant_id {
        return Err(NotificationError::WrongMerchant(fields.merchant_id));
    }
    // The bank signs other results with the same key (a signing, an identity check): one of
    // those posted here must not be read as a payment's.
    if fields.trx_type != "PayResult" {
        return Err(NotificationError::Malformed(format!(
            "TrxType {:?} is not PayResult",
            fields.trx_type
        )));
    }
    let outcome = outcome(account, &fields)?;
    Ok(BankNotification {
        order_no: fields.order_no,
        mode: if fields.notify_type.trim() == "1" {
            NotificationMode::Server
        } else {
            NotificationMode::Page
        },
        outcome,
        raw_masked: mask_sensitive_fields(&signed.envelope),
        raw_sha256: raw_sha256(msg),
    })
}

/// The hash that names a notification: over the base64 text as sent, so the same message
/// twice is one key.
pub(crate) fn raw_sha256(msg: &str) -> String {
    hex::encode(Sha256::digest(
        msg.trim_matches(|c: char| c.is_ascii_whitespace())
            .as_bytes(),
    ))
}

fn outcome(
    account: &AbcAccount,
    fields: &NotificationFields,
) -> Result<NotificationOutcome, NotificationError> {
    let code = fields.return_code.as_str();
    if code == RETURN_CODE_UNKNOWN {
        // Not a result: failing the order on it could close a payment that later succeeds.
        // Refusing it keeps the order open; the caller's query settles it.
        return Err(NotificationError::Malformed(
            "notification outcome is unknown (EUNKWN): query the order".to_string(),
        ));
    }
    if code != RETURN_CODE_SUCCESS {
        let reason = if fields.error_message.trim().is_empty() {
            format!("ReturnCode {code}")
        } else {
            fields.error_message.clone()
        };
        return Ok(NotificationOutcome::Failed {
            reason,
            amount: fields.amount,
        });
    }
    let paid_at_ms = parse_beijing(&fields.host_date, &fields.host_time).ok_or_else(|| {
        NotificationError::Malformed("HostDate/HostTime missing or invalid".to_string())
    })?;
    let accounting_date = accounting_date(paid_at_ms, account.cutover_hour)
        .ok_or_else(|| NotificationError::Malformed("HostDate out of range".to_string()))?;
    // iRspRef is the bank's serial; VoucherNo stands in if a variant leaves it out.
    let trade_no = [&fields.i_rsp_ref, &fields.voucher_no]
        .into_iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .ok_or_else(|| NotificationError::Malformed("iRspRef missing".to_string()))?;
    Ok(NotificationOutcome::Paid(BankPaid {
        amount: fields.amount,
        channel_trade_no: trade_no.to_string(),
        paid_at_ms,
        accounting_date,
    }))
}

/// The page the platform expects after a server notification: it reads `<URL>` and sends the
/// consumer there; the meta refresh does the same for a browser.
pub(super) fn answer(customer_url: &str) -> (&'static str, Vec<u8>) {
    // The page is part of the protocol, not a page for people: the URL is escaped like XML
    // text (it stands in an element and an attribute), control characters dropped.
    let url = crate::wire::xml_escape(&customer_url.replace(char::is_control, ""));
    let html = format!(
        "<HTML><HEAD><meta http-equiv=\"refresh\" content=\"0; url={url}\"></HEAD><BODY><URL>{url}</URL></BODY></HTML>"
    );
    let (bytes, _, _) = encoding_rs::GBK.encode(&html);
    ("text/html; charset=GBK", bytes.into_owned())
}
