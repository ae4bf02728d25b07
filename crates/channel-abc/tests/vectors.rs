//! The captured ABC vectors, through the crate's public API only.
//!
//! The vectors are read from `tests/vectors/` (copied into the crate so that it is
//! self-contained); when the shared reference directory is present too, the copies must be
//! identical to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use unipay_channel_abc::channel::{AbcAccount, AbcChannel};
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use unipay_channel_abc::messages::{
    NotificationFields, PAY_TYPE_IMMEDIATE, PayResultNotification, QueryRequest, RequestMessage,
};
use unipay_channel_abc::wire::{
    WireError, cut_answer, cut_notification, cut_request, parse_lenient,
};
use unipay_core::channel::{Channel, NotificationError, NotificationOutcome};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/abc");
const LOCAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
const MID: &str = "103881234560010";

const FILES: &[&str] = &[
    "TrustPay.cer",
    "merchant.cer",
    "stub-platform.cer",
    "pay.raw-socket.req.raw",
    "pay.httpclient.req.raw",
    "query.raw-socket.req.raw",
    "refund.raw-socket.req.raw",
    "pay.resp.accepted.raw",
    "query.resp.accepted.raw",
    "refund.resp.accepted.raw",
    "notify.accepted.b64",
];

fn read(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(LOCAL).join(name)).unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_der_or_pem(&read(name)).unwrap()
}

fn body(raw: &[u8]) -> Vec<u8> {
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    raw[at + 4..].to_vec()
}

#[test]
fn local_copies_match_the_shared_reference() {
    for name in FILES {
        let shared: PathBuf = if *name == "TrustPay.cer" {
            Path::new(SHARED).join(name)
        } else {
            Path::new(SHARED).join("vectors").join(name)
        };
        // Outside the project workspace the shared directory is absent: the copies stand alone.
        if let Ok(original) = std::fs::read(&shared) {
            assert_eq!(
                read(name),
                original,
                "{name} differs from the shared reference"
            );
        }
    }
}

#[test]
fn trustpay_certificate_loads() {
    let trustpay = cert("TrustPay.cer");
    assert!(trustpay.subject().contains("MainServer.0001"));
    assert_eq!(trustpay.fingerprint_sha256().len(), 64);
}

#[test]
fn every_request_verifies_with_the_merchant_certificate_only() {
    let merchant = cert("merchant.cer");
    for name in [
        "pay.raw-socket.req.raw",
        "pay.httpclient.req.raw",
        "query.raw-socket.req.raw",
        "refund.raw-socket.req.raw",
    ] {
        let body = body(&read(name));
        let signed = cut_request(&body).unwrap();
        signed
            .verify(&merchant)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            signed.verify(&cert("stub-platform.cer")),
            Err(WireError::BadSignature)
        );
        assert_eq!(
            signed.verify(&cert("TrustPay.cer")),
            Err(WireError::BadSignature)
        );
        let value = parse_lenient(signed.message).unwrap();
        assert_eq!(value["Merchant"]["MerchantID"], MID);
    }
}

#[test]
fn every_answer_and_the_notification_verify_with_the_platform_certificate() {
    let platform = cert("stub-platform.cer");
    for name in [
        "pay.resp.accepted.raw",
        "query.resp.accepted.raw",
        "refund.resp.accepted.raw",
    ] {
        let signed = cut_answer(&body(&read(name))).unwrap();
        signed
            .verify(&platform)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            signed.verify(&cert("merchant.cer")),
            Err(WireError::BadSignature)
        );
    }
    let msg = String::from_utf8(read("notify.accepted.b64")).unwrap();
    let signed = cut_notification(&msg).unwrap();
    signed.verify(&platform).unwrap();
    let fields = NotificationFields::from_xml(&signed.message).unwrap();
    assert_eq!(
        (fields.order_no.as_str(), fields.amount.fen()),
        ("ON20261127A001", 200)
    );
}

#[test]
fn query_and_notification_messages_rebuild_byte_for_byte() {
    let query = RequestMessage::new(
        MID,
        QueryRequest::new(PAY_TYPE_IMMEDIATE, "ON20261127A001", false),
    )
    .to_json()
    .unwrap();
    let captured = body(&read("query.raw-socket.req.raw"));
    assert_eq!(query.as_bytes(), cut_request(&captured).unwrap().message);

    let notification = PayResultNotification {
        return_code: "0000".into(),
        error_message: "交易成功".into(),
        merchant_id: MID.into(),
        order_no: "ON20261127A001".into(),
        amount: "2.00".into(),
        batch_no: "000001".into(),
        voucher_no: "654321".into(),
        host_date: "2026/11/27".into(),
        host_time: "09:45:38".into(),
        merchant_remarks: String::new(),
        pay_type: "EP001".into(),
        notify_type: "0".into(),
        i_rsp_ref: "A8C3F0E1B2D4".into(),
    };
    let msg = String::from_utf8(read("notify.accepted.b64")).unwrap();
    let signed = cut_notification(&msg).unwrap();
    assert_eq!(notification.to_xml(), signed.message);
    assert_eq!(signed.algorithm, SignatureAlgorithm::Sha1WithRsa);
}

#[test]
fn the_channel_reads_the_captured_notification() {
    let key = PrivateKey::from_pem(include_str!("fixtures/legacy.key.pem")).unwrap();
    let account = AbcAccount::new(
        MID,
        key.clone(),
        cert("stub-platform.cer"),
        "https://pay.example/ebus/x",
    );
    let channel = AbcChannel::new(account).unwrap();
    let msg = String::from_utf8(read("notify.accepted.b64")).unwrap();
    let form = format!(
        "MSG={}",
        form_urlencoded::byte_serialize(msg.trim().as_bytes()).collect::<String>()
    );
    let n = channel.read_notification(form.as_bytes()).unwrap();
    assert!(
        matches!(n.outcome, NotificationOutcome::Paid(ref p) if p.channel_trade_no == "A8C3F0E1B2D4")
    );

    // The same message trusted against the real TrustPay certificate does not verify.
    let account = AbcAccount::new(MID, key, cert("TrustPay.cer"), "https://pay.example/ebus/x");
    let channel = AbcChannel::new(account).unwrap();
    assert_eq!(
        channel.read_notification(form.as_bytes()),
        Err(NotificationError::BadSignature)
    );
}
