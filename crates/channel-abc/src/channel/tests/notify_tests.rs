//! Result notifications through the channel.

use super::*;
use crate::messages::PayResultNotification;
use crate::wire::build_notification;
use sha2::{Digest, Sha256};
use unipay_core::channel::{NotificationError, NotificationMode, NotificationOutcome};

const NOTIFY: &str = include_str!("../../../tests/vectors/notify.accepted.b64");

fn form(msg: &str) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("MSG", msg)
        .finish()
        .into_bytes()
}

fn notification(return_code: &str, notify_type: &str, merchant: &str) -> PayResultNotification {
    PayResultNotification {
        return_code: return_code.to_string(),
        error_message: if return_code == "0000" {
            "交易成功"
        } else {
            "余额不足"
        }
        .to_string(),
        merchant_id: merchant.to_string(),
        order_no: "N1".to_string(),
        amount: "5.00".to_string(),
        batch_no: "000001".to_string(),
        voucher_no: "1".to_string(),
        host_date: "2026/12/31".to_string(),
        host_time: "23:00:00".to_string(),
        merchant_remarks: String::new(),
        pay_type: "EP001".to_string(),
        notify_type: notify_type.to_string(),
        i_rsp_ref: "RSP1".to_string(),
    }
}

fn signed(n: &PayResultNotification, key: &PrivateKey) -> String {
    build_notification(&n.to_xml(), key, SignatureAlgorithm::Sha1WithRsa)
}

fn channel() -> AbcChannel {
    AbcChannel::new(account("http://127.0.0.1:9/")).unwrap()
}

#[test]
fn the_captured_notification_reads_as_paid() {
    let channel = AbcChannel::new(super::vector_account()).unwrap();
    let n = channel.read_notification(&form(NOTIFY.trim())).unwrap();
    assert_eq!(n.order_no, "ON20261127A001");
    assert_eq!(n.mode, NotificationMode::Page);
    assert_eq!(
        n.outcome,
        NotificationOutcome::Paid(BankPaid {
            amount: Amount::from_fen(200).unwrap(),
            channel_trade_no: "A8C3F0E1B2D4".to_string(),
            paid_at_ms: super::ms("2026/11/27", "09:45:38"),
            accounting_date: "2026-11-27".to_string(),
        })
    );
    assert_eq!(
        n.raw_sha256,
        hex::encode(Sha256::digest(NOTIFY.trim().as_bytes()))
    );
    assert!(n.raw_masked.contains("<OrderNo>ON20261127A001</OrderNo>"));
    // The same message as a GET query string is the same notification.
    let query = [b"?".as_slice(), &form(NOTIFY.trim())].concat();
    assert_eq!(channel.read_notification(&query).unwrap(), n);
}

#[test]
fn server_mode_failure_and_cutover() {
    let key = &bank().0;
    let paid = channel()
        .read_notification(&form(&signed(&notification("0000", "1", MID), key)))
        .unwrap();
    assert_eq!(paid.mode, NotificationMode::Server);
    match paid.outcome {
        NotificationOutcome::Paid(p) => assert_eq!(p.accounting_date, "2027-01-01"),
        other => panic!("{other:?}"),
    }
    let failed = channel()
        .read_notification(&form(&signed(&notification("2100", "0", MID), key)))
        .unwrap();
    assert_eq!(
        failed.outcome,
        NotificationOutcome::Failed {
            reason: "余额不足".to_string(),
            amount: Amount::from_fen(500).unwrap()
        }
    );
    let unknown =
        channel().read_notification(&form(&signed(&notification("EUNKWN", "1", MID), key)));
    assert!(matches!(unknown, Err(NotificationError::Malformed(_))));
}

#[test]
fn a_signed_result_of_another_kind_is_not_a_payment_result() {
    let key = &bank().0;
    let xml = notification("0000", "1", MID).to_xml();
    for other in ["AgentSignResult", "IdentityVerifyResult", ""] {
        let message = xml.replace(
            "<TrxType>PayResult</TrxType>",
            &format!("<TrxType>{other}</TrxType>"),
        );
        let read = channel().read_notification(&form(&build_notification(
            &message,
            key,
            SignatureAlgorithm::Sha1WithRsa,
        )));
        assert!(
            matches!(read, Err(NotificationError::Malformed(_))),
            "{other}: {read:?}"
        );
    }
}

#[test]
fn wrong_merchant_and_bad_signature_are_rejected() {
    let key = &bank().0;
    let other = channel().read_notification(&form(&signed(
        &notification("0000", "1", "103889999999999"),
        key,
    )));
    assert_eq!(
        other.unwrap_err(),
        NotificationError::WrongMerchant("103889999999999".to_string())
    );
    let impostor = PrivateKey::generate(1024).unwrap();
    let forged =
        channel().read_notification(&form(&signed(&notification("0000", "1", MID), &impostor)));
    assert_eq!(forged.unwrap_err(), NotificationError::BadSignature);
    // The captured vector is signed by another platform than this account's bank.
    let foreign = channel().read_notification(&form(NOTIFY.trim()));
    assert_eq!(foreign.unwrap_err(), NotificationError::BadSignature);
}

#[test]
fn malformed_and_oversize_bodies_are_rejected() {
    let raw_plus = format!("MSG={}", NOTIFY.trim()).into_bytes();
    assert!(raw_plus.contains(&b'+'));
    let channel = AbcChannel::new(super::vector_account()).unwrap();
    assert!(matches!(
        channel.read_notification(&raw_plus),
        Err(NotificationError::Malformed(_))
    ));
    assert!(matches!(
        channel.read_notification(b"OTHER=1"),
        Err(NotificationError::Malformed(_))
    ));
    let twice = [form(NOTIFY.trim()), b"&".to_vec(), form(NOTIFY.trim())].concat();
    assert!(matches!(
        channel.read_notification(&twice),
        Err(NotificationError::Malformed(_))
    ));
    let huge = vec![b'A'; notify::MAX_NOTIFICATION_BODY_BYTES + 1];
    assert_eq!(
        channel.read_notification(&huge),
        Err(NotificationError::TooLarge)
    );
    let long = form(&"A".repeat(12_000));
    assert_eq!(
        channel.read_notification(&long),
        Err(NotificationError::TooLarge)
    );
}

#[test]
fn the_answer_page_sends_the_consumer_on() {
    let (content_type, body) =
        channel().notification_answer("https://shop.example/done?a=1&b=\"2\"");
    assert_eq!(content_type, "text/html; charset=GBK");
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<URL>https://shop.example/done?a=1&amp;b=&quot;2&quot;</URL>"));
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"0; url=https://shop.example/done?a=1&amp;b=&quot;2&quot;\">"));
}

/// `M` sealed in a notification envelope with a signature over `signed` (whatever bytes the
/// test chooses), base64 as the form carries it.
fn sealed(message_gbk: &[u8], signed: &[u8], key: &PrivateKey) -> String {
    let algorithm = SignatureAlgorithm::Sha1WithRsa;
    let signature = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        key.sign(algorithm, signed),
    );
    let envelope = [
        b"<MSG><Message>".as_slice(),
        message_gbk,
        b"</Message><Signature-Algorithm>",
        algorithm.as_str().as_bytes(),
        b"</Signature-Algorithm><Signature>",
        signature.as_bytes(),
        b"</Signature></MSG>",
    ]
    .concat();
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, envelope)
}

/// Proves a notification is verified over the GB2312 form of its message, as the bank's own
/// client verifies it: with 喆 and 镕 (GBK has them, GB2312 does not) in MerchantRemarks, a
/// signature over the bytes where each stands as `?` verifies, one over the plain GBK bytes
/// does not; the remarks reach us as they were sent, unescaped.
#[test]
fn signatures_cover_the_gb2312_form_of_the_message() {
    let key = &bank().0;
    let mut n = notification("0000", "1", MID);
    n.merchant_remarks = "张喆 朱镕基 <a&b>".to_string();
    let xml = n.to_xml();
    assert!(xml.contains("<MerchantRemarks>张喆 朱镕基 <a&b></MerchantRemarks>"));
    let gbk = encoding_rs::GBK.encode(&xml).0.into_owned();
    let gb2312 = crate::wire::gb2312_signed_bytes(&gbk);
    assert_ne!(gb2312, gbk);
    assert_eq!(gb2312.len(), gbk.len() - 2, "two characters, one byte each");

    let as_the_client_signs = sealed(&gbk, &gb2312, key);
    assert_eq!(as_the_client_signs, signed(&n, key));
    let read = channel()
        .read_notification(&form(&as_the_client_signs))
        .unwrap();
    assert_eq!(read.order_no, "N1");
    assert!(matches!(read.outcome, NotificationOutcome::Paid(_)));
    assert!(
        read.raw_masked.contains("张喆 朱镕基 <a&b>"),
        "{}",
        read.raw_masked
    );

    let over_plain_gbk = sealed(&gbk, &gbk, key);
    assert_eq!(
        channel().read_notification(&form(&over_plain_gbk)),
        Err(NotificationError::BadSignature)
    );

    // Where the message holds only GB2312 characters, both forms are the same bytes.
    let plain = notification("0000", "1", MID);
    let plain_gbk = encoding_rs::GBK.encode(&plain.to_xml()).0.into_owned();
    assert_eq!(crate::wire::gb2312_signed_bytes(&plain_gbk), plain_gbk);
    assert!(
        channel()
            .read_notification(&form(&sealed(&plain_gbk, &plain_gbk, key)))
            .is_ok()
    );
}
