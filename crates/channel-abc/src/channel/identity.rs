//! Identity verification through the platform: `IdentityVerifyReq` (the customer confirms on
//! the platform's page, the result arrives as an `IdentityVerifyResult` MSG, verified like a
//! payment result) and `StaticIdentifyVerifyReq` (the answer is the verdict).

use super::account::AbcAccount;
use super::answer;
use super::pay::{truncate_chars, unfit, valid_order_no};
use super::{AbcChannel, http, raw_message, request};
use crate::messages::{
    IDENTITY_VERIFY_REQ, IdentityResultNotification, IdentityVerifyRequest, IdentityVerifyResponse,
    RETURN_CODE_IDENTITY_MISMATCH, RETURN_CODE_UNKNOWN, STATIC_IDENTIFY_VERIFY_REQ,
    StaticIdentifyVerifyRequest, StaticIdentifyVerifyResponse,
};
use crate::wire::SignedNotification;
use unipay_core::channel::{BoxFuture, ChannelError, NotificationError};
use unipay_core::identity::{CERTIFICATE_TYPES, CustomerType};
use unipay_core::identity_channel::{
    IdentityAnswer, IdentityChannel, IdentityNotification, IdentityOutcome, IdentityRedirect,
    IdentityRequest,
};
use unipay_core::masking::mask_sensitive_fields;

/// What the platform keeps of a name, a number or a URL.
const MAX_NAME_CHARS: usize = 60;
const MAX_NUMBER_CHARS: usize = 32;
const MAX_URL_CHARS: usize = 200;

impl IdentityChannel for AbcChannel {
    fn request_identity_verification<'a>(
        &'a self,
        request: &'a IdentityRequest,
    ) -> BoxFuture<'a, Result<IdentityRedirect, ChannelError>> {
        Box::pin(async move {
            let trx = redirect_request(request)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let verify_url = read_redirect_answer(&self.account, &trx, &answer)?;
            Ok(IdentityRedirect {
                verify_url,
                raw: raw_message(&answer),
            })
        })
    }

    fn verify_identity<'a>(
        &'a self,
        request: &'a IdentityRequest,
    ) -> BoxFuture<'a, Result<IdentityAnswer, ChannelError>> {
        Box::pin(async move {
            let trx = direct_request(request)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let outcome = read_direct_answer(&self.account, &trx, &answer)?;
            Ok(IdentityAnswer {
                outcome,
                raw: raw_message(&answer),
            })
        })
    }

    fn read_identity_result(&self, body: &[u8]) -> Result<IdentityNotification, NotificationError> {
        read_result(&self.account, body)
    }
}

fn checked_common(request: &IdentityRequest) -> Result<(), ChannelError> {
    if !valid_order_no(&request.verify_no) {
        return Err(unfit(
            "verification number must be 1 to 50 letters, digits, - or _",
        ));
    }
    if !CERTIFICATE_TYPES.contains(&request.certificate_type.as_str()) {
        return Err(unfit("unknown certificate type"));
    }
    let number = |text: &str| {
        !text.is_empty()
            && text.chars().count() <= MAX_NUMBER_CHARS
            && text.chars().all(|c| c.is_ascii_alphanumeric())
    };
    if !number(&request.certificate_no) || !number(&request.card_no) {
        return Err(unfit(
            "card and certificate numbers must be letters and digits",
        ));
    }
    Ok(())
}

fn custom_type(customer_type: CustomerType) -> &'static str {
    match customer_type {
        CustomerType::Person => "0",
        CustomerType::Company => "1",
    }
}

/// The typed IdentityVerifyReq.
pub fn redirect_request(request: &IdentityRequest) -> Result<IdentityVerifyRequest, ChannelError> {
    checked_common(request)?;
    let url = &request.result_notify_url;
    if url.chars().count() > MAX_URL_CHARS
        || !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(unfit("result notify URL must be an http(s) URL"));
    }
    Ok(IdentityVerifyRequest {
        trx_type: IDENTITY_VERIFY_REQ.to_string(),
        order_no: request.verify_no.clone(),
        custom_type: custom_type(request.customer_type).to_string(),
        bank_card_no: request.card_no.clone(),
        certificate_type: request.certificate_type.clone(),
        certificate_no: request.certificate_no.clone(),
        result_notify_url: url.clone(),
    })
}

/// The typed StaticIdentifyVerifyReq.
pub fn direct_request(
    request: &IdentityRequest,
) -> Result<StaticIdentifyVerifyRequest, ChannelError> {
    checked_common(request)?;
    let name = truncate_chars(request.name.trim(), MAX_NAME_CHARS);
    // The naive scanner on the platform's side reads no escapes: a quote or a backslash in a
    // name would cut the field.
    if name.is_empty() || name.contains(['"', '\\', '{', '}']) {
        return Err(unfit(
            "the name is empty or holds characters the platform cannot read",
        ));
    }
    let mobile = request.mobile.clone().unwrap_or_default();
    if !mobile.chars().all(|c| c.is_ascii_digit()) || mobile.len() > MAX_NUMBER_CHARS {
        return Err(unfit("the mobile number must be digits"));
    }
    Ok(StaticIdentifyVerifyRequest {
        trx_type: STATIC_IDENTIFY_VERIFY_REQ.to_string(),
        order_no: request.verify_no.clone(),
        acc_no: request.card_no.clone(),
        certificate_type: request.certificate_type.clone(),
        certificate_no: request.certificate_no.clone(),
        client_name: name,
        mobile_no: mobile,
    })
}

fn read_redirect_answer(
    account: &AbcAccount,
    sent: &IdentityVerifyRequest,
    body: &[u8],
) -> Result<String, ChannelError> {
    let (message, success) =
        answer::open_checked::<IdentityVerifyResponse>(account, body, IDENTITY_VERIFY_REQ)?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    if !r.order_no.is_empty() && r.order_no != sent.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for verification {:?}, not {:?}",
            r.order_no, sent.order_no
        )));
    }
    let url = r.verify_url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ChannelError::BadAnswer(
            "answer has no http(s) VerifyURL".to_string(),
        ));
    }
    Ok(url.to_string())
}

fn read_direct_answer(
    account: &AbcAccount,
    sent: &StaticIdentifyVerifyRequest,
    body: &[u8],
) -> Result<IdentityOutcome, ChannelError> {
    let (message, success) = answer::open_checked::<StaticIdentifyVerifyResponse>(
        account,
        body,
        STATIC_IDENTIFY_VERIFY_REQ,
    )?;
    let r = &message.trx_response;
    if !r.order_no.is_empty() && r.order_no != sent.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for verification {:?}, not {:?}",
            r.order_no, sent.order_no
        )));
    }
    if success {
        return Ok(IdentityOutcome::Matched);
    }
    if r.return_code == RETURN_CODE_UNKNOWN {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    Ok(verdict(&r.return_code, &r.error_message))
}

/// A non-success ReturnCode: a mismatch is a verdict; anything else is none.
fn verdict(code: &str, message: &str) -> IdentityOutcome {
    let reason = if message.trim().is_empty() {
        format!("ReturnCode {code}")
    } else {
        message.trim().to_string()
    };
    if code == RETURN_CODE_IDENTITY_MISMATCH {
        IdentityOutcome::NotMatched {
            code: code.to_string(),
            reason,
        }
    } else {
        // A refusal of the message itself (our signature, fields, setup) is no verdict either.
        IdentityOutcome::Failed {
            code: code.to_string(),
            reason,
        }
    }
}

fn read_result(
    account: &AbcAccount,
    body: &[u8],
) -> Result<IdentityNotification, NotificationError> {
    let (signed, msg) = super::notify::cut_form(body)?;
    signed
        .verify(&account.bank_certificate)
        .map_err(|_| NotificationError::BadSignature)?;
    result_verified(account, &signed, &msg)
}

/// An identity result whose signature has verified (apart from [`read_result`] so that the
/// fuzz target reaches it without the bank's key).
pub(crate) fn result_verified(
    account: &AbcAccount,
    signed: &SignedNotification,
    msg: &str,
) -> Result<IdentityNotification, NotificationError> {
    let fields = IdentityResultNotification::from_xml(&signed.message)
        .map_err(|e| NotificationError::Malformed(e.to_string()))?;
    if fields.merchant_id != account.merchant_id {
        return Err(NotificationError::WrongMerchant(fields.merchant_id));
    }
    if fields.return_code == RETURN_CODE_UNKNOWN {
        return Err(NotificationError::Malformed(
            "verification outcome is unknown (EUNKWN)".to_string(),
        ));
    }
    let outcome = if fields.return_code == crate::messages::RETURN_CODE_SUCCESS {
        IdentityOutcome::Matched
    } else {
        verdict(&fields.return_code, &fields.error_message)
    };
    Ok(IdentityNotification {
        verify_no: fields.order_no,
        outcome,
        raw_masked: mask_sensitive_fields(&signed.envelope),
        // Over the base64 text as sent: the same message twice is one key.
        raw_sha256: super::notify::raw_sha256(msg),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn request() -> IdentityRequest {
        IdentityRequest {
            verify_no: "IDV1".into(),
            customer_type: CustomerType::Person,
            name: "张三".into(),
            certificate_type: "I".into(),
            certificate_no: "11010119900307123X".into(),
            card_no: "6228480012345678".into(),
            mobile: Some("13800138000".into()),
            result_notify_url: "http://m/callbacks/ca/identity".into(),
            created_at_ms: 0,
        }
    }

    /// Proves both requests carry what the platform reads, and refuse what it cannot.
    #[test]
    fn requests_are_built_and_checked() {
        let redirect = redirect_request(&request()).unwrap();
        assert_eq!(redirect.custom_type, "0");
        assert_eq!(redirect.bank_card_no, "6228480012345678");
        let direct = direct_request(&request()).unwrap();
        assert_eq!(direct.client_name, "张三");
        assert_eq!(direct.mobile_no, "13800138000");
        let mut bad = request();
        bad.certificate_type = "Z".into();
        assert!(direct_request(&bad).is_err());
        let mut bad = request();
        bad.name = "a\"b".into();
        assert!(direct_request(&bad).is_err());
        let mut bad = request();
        bad.result_notify_url = "ftp://x".into();
        assert!(redirect_request(&bad).is_err());
    }

    /// Proves a mismatch is a verdict and other refusals are not.
    #[test]
    fn codes_map_to_outcomes() {
        assert!(matches!(
            verdict(RETURN_CODE_IDENTITY_MISMATCH, "身份信息不符"),
            IdentityOutcome::NotMatched { .. }
        ));
        assert!(matches!(
            verdict("2101", ""),
            IdentityOutcome::Failed { .. }
        ));
    }
}
