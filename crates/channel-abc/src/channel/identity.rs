//! Identity verification through the platform: `IdentityVerifyReq` (the customer confirms on
//! the platform's page, the result arrives as an `IdentityVerifyResult` MSG, verified like a
//! payment result) and `StaticIdentifyVerifyReq` (the answer is the verdict).

use super::account::AbcAccount;
use super::answer;
use super::mandates::check_certificate;
use super::pay::{truncate_chars, unfit, valid_order_no};
use super::time::beijing_date_time;
use super::{AbcChannel, http, raw_message, request};
use crate::messages::{
    IDENTITY_VERIFY_REQ, IdentityResultNotification, IdentityVerifyRequest, IdentityVerifyResponse,
    RETURN_CODE_IDENTITY_MISMATCH, RETURN_CODE_UNKNOWN, STATIC_IDENTIFY_VERIFY_REQ,
    StaticIdentifyVerifyRequest, StaticIdentifyVerifyResponse,
};
use crate::wire::SignedNotification;
use unipay_core::channel::{BoxFuture, ChannelError, NotificationError};
use unipay_core::identity::CustomerType;
use unipay_core::identity_channel::{
    IdentityAnswer, IdentityChannel, IdentityNotification, IdentityOutcome, IdentityRedirect,
    IdentityRequest,
};
use unipay_core::masking::{mask_card, mask_id, mask_sensitive_fields};

/// What the bank's own client sends of a name, a card number or a URL.
const MAX_NAME_CHARS: usize = 30;
const MAX_CARD_DIGITS: usize = 20;
const MAX_URL_BYTES: usize = 200;

impl IdentityChannel for AbcChannel {
    fn request_identity_verification<'a>(
        &'a self,
        request: &'a IdentityRequest,
    ) -> BoxFuture<'a, Result<IdentityRedirect, ChannelError>> {
        Box::pin(async move {
            let trx = redirect_request(&self.account, request)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let verify_url = read_redirect_answer(&self.account, &answer)?;
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
            let outcome = read_direct_answer(&self.account, &answer)?;
            Ok(IdentityAnswer {
                outcome,
                raw: raw_message(&answer),
            })
        })
    }

    fn read_identity_result(
        &self,
        verify_no: &str,
        body: &[u8],
    ) -> Result<IdentityNotification, NotificationError> {
        read_result(&self.account, verify_no, body)
    }
}

fn checked_common(request: &IdentityRequest) -> Result<(), ChannelError> {
    if !valid_order_no(&request.verify_no) {
        return Err(unfit(
            "verification number must be 1 to 60 letters, digits, - or _",
        ));
    }
    check_certificate(&request.certificate_type, &request.certificate_no)?;
    // The bank's own client takes a card number of 1 to 20 digits.
    let card = &request.card_no;
    if card.is_empty() || card.len() > MAX_CARD_DIGITS || !card.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(unfit("card number must be 1 to 20 digits"));
    }
    Ok(())
}

fn custom_type(customer_type: CustomerType) -> &'static str {
    match customer_type {
        CustomerType::Person => "0",
        CustomerType::Company => "1",
    }
}

/// The typed IdentityVerifyReq. It carries no number of ours: the result comes back to
/// `result_notify_url`, which names the verification.
pub fn redirect_request(
    account: &AbcAccount,
    request: &IdentityRequest,
) -> Result<IdentityVerifyRequest, ChannelError> {
    checked_common(request)?;
    let url = &request.result_notify_url;
    if url.len() > MAX_URL_BYTES || !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(unfit(
            "result notify URL must be an http(s) URL of at most 200 bytes",
        ));
    }
    let (order_date, order_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    Ok(IdentityVerifyRequest {
        trx_type: IDENTITY_VERIFY_REQ.to_string(),
        custom_type: custom_type(request.customer_type).to_string(),
        bank_card_no: request.card_no.clone(),
        certificate_no: request.certificate_no.clone(),
        certificate_type: request.certificate_type.clone(),
        result_notify_url: url.clone(),
        order_date,
        order_time,
        payment_link_type: account.payment_link_type.clone(),
    })
}

/// The typed StaticIdentifyVerifyReq; our verification number rides in CustomNo, which the
/// bank's client sends unchecked.
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
    if mobile.len() != 11 || !mobile.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unfit("the mobile number must be 11 digits"));
    }
    Ok(StaticIdentifyVerifyRequest {
        trx_type: STATIC_IDENTIFY_VERIFY_REQ.to_string(),
        custom_type: custom_type(request.customer_type).to_string(),
        client_name: name,
        acc_no: request.card_no.clone(),
        certificate_no: request.certificate_no.clone(),
        certificate_type: request.certificate_type.clone(),
        mobile_no: mobile,
        custom_no: request.verify_no.clone(),
    })
}

fn read_redirect_answer(account: &AbcAccount, body: &[u8]) -> Result<String, ChannelError> {
    let (message, success) =
        answer::open_checked::<IdentityVerifyResponse>(account, body, IDENTITY_VERIFY_REQ)?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    let url = r.verify_url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ChannelError::BadAnswer(
            "answer has no http(s) VerifyURL".to_string(),
        ));
    }
    Ok(url.to_string())
}

fn read_direct_answer(account: &AbcAccount, body: &[u8]) -> Result<IdentityOutcome, ChannelError> {
    let (message, success) = answer::open_checked::<StaticIdentifyVerifyResponse>(
        account,
        body,
        STATIC_IDENTIFY_VERIFY_REQ,
    )?;
    let r = &message.trx_response;
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
    verify_no: &str,
    body: &[u8],
) -> Result<IdentityNotification, NotificationError> {
    let (signed, msg) = super::notify::cut_form(body)?;
    signed
        .verify(&account.bank_certificate)
        .map_err(|_| NotificationError::BadSignature)?;
    result_verified(account, verify_no, &signed, &msg)
}

/// An identity result whose signature has verified (apart from [`read_result`] so that the
/// fuzz target reaches it without the bank's key).
pub(crate) fn result_verified(
    account: &AbcAccount,
    verify_no: &str,
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
    let masked = |number: &str, mask: fn(&str) -> String| {
        if number.is_empty() {
            String::new()
        } else {
            mask(number)
        }
    };
    Ok(IdentityNotification {
        verify_no: verify_no.to_string(),
        card_no_masked: masked(&fields.bank_card_no, mask_card),
        certificate_no_masked: masked(&fields.certificate_no, mask_id),
        outcome,
        raw_masked: mask_sensitive_fields(&signed.envelope),
        // Over the base64 text as sent, and the verification it came for: the same message
        // twice is one key, while two verifications' results alike (they name nothing of
        // ours) stay two.
        raw_sha256: super::notify::raw_sha256(&format!("{verify_no}:{msg}")),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::crypto::SignatureAlgorithm;
    use crate::messages::{RETURN_CODE_SUCCESS, RequestMessage};
    use crate::wire::build_notification;

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

    /// Proves both requests carry what the platform reads (no order number: the redirect's
    /// result comes back to its address, the direct one carries our number in CustomNo), and
    /// refuse what the bank's own client would.
    #[test]
    fn requests_are_built_and_checked() {
        let account = crate::channel::tests::account("http://127.0.0.1:9/");
        let redirect = redirect_request(&account, &request()).unwrap();
        assert_eq!(redirect.custom_type, "0");
        assert_eq!(redirect.bank_card_no, "6228480012345678");
        assert_eq!(redirect.result_notify_url, "http://m/callbacks/ca/identity");
        assert_eq!(
            (redirect.order_date.as_str(), redirect.order_time.as_str()),
            ("1970/01/01", "08:00:00")
        );
        assert_eq!(redirect.payment_link_type, account.payment_link_type);
        let json = RequestMessage::new(&account.merchant_id, &redirect)
            .to_json()
            .unwrap();
        assert!(
            !json.contains("OrderNo") && !json.contains("IDV1"),
            "{json}"
        );
        let direct = direct_request(&request()).unwrap();
        assert_eq!(direct.client_name, "张三");
        assert_eq!(direct.mobile_no, "13800138000");
        assert_eq!(direct.custom_type, "0");
        assert_eq!(direct.custom_no, "IDV1");
        let json = RequestMessage::new(&account.merchant_id, &direct)
            .to_json()
            .unwrap();
        assert!(!json.contains("OrderNo"), "{json}");
        // A name is sent as its first 30 characters.
        let mut long = request();
        long.name = "张".repeat(40);
        assert_eq!(direct_request(&long).unwrap().client_name, "张".repeat(30));
        // Other certificate types the client knows, and a 15-character ID card.
        for (kind, number) in [
            ("S", "S1234567"),
            ("M", "M1234567"),
            ("I", "110101900307123"),
        ] {
            let mut other = request();
            other.certificate_type = kind.into();
            other.certificate_no = number.into();
            assert!(direct_request(&other).is_ok(), "{kind} {number}");
            assert!(
                redirect_request(&account, &other).is_ok(),
                "{kind} {number}"
            );
        }

        let mut bads = Vec::new();
        let mut bad = request();
        bad.certificate_type = "Z".into();
        bads.push(bad);
        let mut bad = request();
        bad.certificate_no = "1101011990030712".into();
        bads.push(bad);
        let mut bad = request();
        bad.card_no = "6228 4800".into();
        bads.push(bad);
        let mut bad = request();
        bad.card_no = "6".repeat(21);
        bads.push(bad);
        let mut bad = request();
        bad.verify_no = "V".repeat(61);
        bads.push(bad);
        for bad in &bads {
            assert!(direct_request(bad).is_err(), "{bad:?}");
            assert!(redirect_request(&account, bad).is_err(), "{bad:?}");
        }
        let mut bad = request();
        bad.name = "a\"b".into();
        assert!(direct_request(&bad).is_err());
        for mobile in [
            None,
            Some("1380013800"),
            Some("138001380000"),
            Some("1380013800x"),
        ] {
            let mut bad = request();
            bad.mobile = mobile.map(str::to_string);
            assert!(direct_request(&bad).is_err(), "{mobile:?}");
        }
        let mut bad = request();
        bad.result_notify_url = "ftp://x".into();
        assert!(redirect_request(&account, &bad).is_err());
        bad.result_notify_url = format!("https://m/{}", "a".repeat(200));
        assert!(redirect_request(&account, &bad).is_err());
    }

    fn result(code: &str, merchant: &str) -> IdentityResultNotification {
        IdentityResultNotification {
            return_code: code.to_string(),
            error_message: if code == RETURN_CODE_SUCCESS {
                "交易成功"
            } else {
                "身份信息不符"
            }
            .to_string(),
            merchant_id: merchant.to_string(),
            bank_card_no: "6228480012345678".to_string(),
            certificate_no: "11010119900307123X".to_string(),
            account_name: "张喆".to_string(),
            host_date: "2026/11/27".to_string(),
            host_time: "10:00:00".to_string(),
        }
    }

    fn form(result: &IdentityResultNotification, key: &crate::crypto::PrivateKey) -> Vec<u8> {
        let msg = build_notification(&result.to_xml(), key, SignatureAlgorithm::Sha1WithRsa);
        form_urlencoded::Serializer::new(String::new())
            .append_pair("MSG", &msg)
            .finish()
            .into_bytes()
    }

    /// Proves a result is believed only when the bank signed it for us; it is named by the
    /// verification number of the address it arrived at, and carries the card and certificate
    /// it is about, masked.
    #[test]
    fn results_are_read_for_the_verification_of_their_address() {
        let account = crate::channel::tests::account("http://127.0.0.1:9/");
        let (bank_key, _) = crate::channel::tests::bank();
        let merchant = account.merchant_id.clone();
        let read = read_result(
            &account,
            "IDV1",
            &form(&result("0000", &merchant), bank_key),
        )
        .unwrap();
        assert_eq!(read.verify_no, "IDV1");
        assert_eq!(read.outcome, IdentityOutcome::Matched);
        assert_eq!(read.card_no_masked, mask_card("6228480012345678"));
        assert_eq!(read.certificate_no_masked, mask_id("11010119900307123X"));
        assert!(!read.raw_masked.contains("6228480012345678"));
        assert!(!read.raw_masked.contains("11010119900307123X"));

        let mismatch = read_result(
            &account,
            "IDV2",
            &form(&result(RETURN_CODE_IDENTITY_MISMATCH, &merchant), bank_key),
        )
        .unwrap();
        assert_eq!(mismatch.verify_no, "IDV2");
        assert!(matches!(
            mismatch.outcome,
            IdentityOutcome::NotMatched { .. }
        ));

        // Numbers the bank did not echo stay empty.
        let mut bare = result("0000", &merchant);
        bare.bank_card_no = String::new();
        bare.certificate_no = String::new();
        let bare = read_result(&account, "IDV1", &form(&bare, bank_key)).unwrap();
        assert_eq!(
            (
                bare.card_no_masked.as_str(),
                bare.certificate_no_masked.as_str()
            ),
            ("", "")
        );

        assert_eq!(
            read_result(&account, "IDV1", &form(&result("0000", "OTHER"), bank_key)),
            Err(NotificationError::WrongMerchant("OTHER".to_string()))
        );
        let forged_key = crate::channel::tests::merchant_key();
        assert_eq!(
            read_result(
                &account,
                "IDV1",
                &form(&result("0000", &merchant), &forged_key)
            ),
            Err(NotificationError::BadSignature)
        );
        assert!(matches!(
            read_result(
                &account,
                "IDV1",
                &form(&result("EUNKWN", &merchant), bank_key)
            ),
            Err(NotificationError::Malformed(_))
        ));
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
