#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::crypto::{Certificate, ChainOfTrust, IdentityRule};
use crate::signing::{self, BankVerifier, SecureKeyDigest, SecureKeySigner, Version};
use crate::wire::{decode_form, encode_form, parse_answer};
use crate::{Charset, Fields};
use std::io::Write;
use unipay_core::money::Amount;

fn vector_file(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn test_chain_verifier() -> BankVerifier {
    let cert =
        |name: &str| Certificate::from_der_or_pem(&vector_file(&format!("certs/{name}"))).unwrap();
    BankVerifier::new().with_rsa_chain(ChainOfTrust {
        root: cert("acp_test_root.cer"),
        middle: cert("acp_test_middle.cer"),
        identity: IdentityRule::AlsoTestIdentity,
    })
}

/// 2024-01-05 08:00 UTC: inside the 2020 UnionPay test certificate's validity.
const JANUARY_2024: u64 = 1_704_441_600;
/// 2018-06-14 00:00 UTC: inside the 2017 one's.
const JUNE_2018: u64 = 1_528_934_400;

fn request_of(path: &str) -> Fields {
    decode_form(&vector_file(path)).unwrap()
}

fn demo_merchant() -> Merchant {
    Merchant {
        mer_id: "777290058110048".to_string(),
        version: Version::V5_1_0,
        charset: Charset::Utf8,
    }
}

#[test]
fn a_real_query_answer_reads_as_a_succeeded_consume() {
    let request = request_of("messages/req_query_5.1.0_urlencoded_2024.txt");
    let body = vector_file("messages/resp_query_5.1.0_origRespCode00_2024.txt");
    let answer = read_answer(&body, &request, &test_chain_verifier(), JANUARY_2024).unwrap();
    let QueryOutcome::Found(found) = QueryOutcome::from_answer(&answer).unwrap() else {
        panic!("not found");
    };
    assert_eq!(found.state, OriginalState::Succeeded);
    assert_eq!(found.txn_type, Some(TxnType::Consume));
    assert_eq!(found.query_id.as_deref(), Some("442401051450467846498"));
    assert_eq!(found.amount_fen, Some(1));
    assert_eq!(found.settle_date.as_deref(), Some("0105"));
    assert_eq!(found.trace_no.as_deref(), Some("784649"));
}

#[test]
fn real_query_answers_in_progress_and_not_found() {
    let verifier = test_chain_verifier();
    let in_progress = vector_file("messages/resp_query_5.1.0_origRespCode05_2018.txt");
    let fields = parse_answer(&in_progress, Charset::Utf8).unwrap();
    verifier.verify(&fields, JUNE_2018).unwrap();
    let QueryOutcome::Found(found) = QueryOutcome::from_answer(&fields).unwrap() else {
        panic!("not found");
    };
    assert!(matches!(found.state, OriginalState::InProgress { ref code, .. } if code == "05"));
    let not_found = vector_file("messages/resp_query_5.1.0_respCode34_2018.txt");
    let fields = parse_answer(&not_found, Charset::Utf8).unwrap();
    verifier.verify(&fields, JUNE_2018).unwrap();
    assert_eq!(
        QueryOutcome::from_answer(&fields).unwrap(),
        QueryOutcome::NotFound {
            message: "查无此交易[2600000]".to_string()
        }
    );
}

#[test]
fn query_codes_map_to_outcomes() {
    let answer = |code: &str, orig: Option<&str>| {
        let mut fields: Fields = [("respCode", code), ("respMsg", "m")].into_iter().collect();
        fields.set_optional("origRespCode", orig);
        QueryOutcome::from_answer(&fields).unwrap()
    };
    assert!(matches!(
        answer("04", None),
        QueryOutcome::QueryUnanswered { .. }
    ));
    assert!(matches!(
        answer("12", None),
        QueryOutcome::QueryRefused { .. }
    ));
    let state = |orig: &str| match answer("00", Some(orig)) {
        QueryOutcome::Found(found) => found.state,
        other => panic!("{other:?}"),
    };
    assert_eq!(state("A6"), OriginalState::SucceededWithDefect);
    assert!(matches!(state("03"), OriginalState::InProgress { .. }));
    assert!(matches!(state("61"), OriginalState::Failed { .. }));
    let without_orig: Fields = [("respCode", "00")].into_iter().collect();
    assert_eq!(
        QueryOutcome::from_answer(&without_orig),
        Err(MessageError::MissingField("origRespCode"))
    );
}

#[test]
fn real_void_and_refund_answers_are_accepted_not_done() {
    for (request, answer, query_id) in [
        (
            "messages/req_void31_5.1.0_urlencoded_2024.txt",
            "messages/resp_void31_5.1.0_2024.txt",
            "652401051647252421528",
        ),
        (
            "messages/req_refund04_5.1.0_urlencoded_2024.txt",
            "messages/resp_refund04_5.1.0_2024.txt",
            "052401051658427863998",
        ),
    ] {
        let request = request_of(request);
        let answer = read_answer(
            &vector_file(answer),
            &request,
            &test_chain_verifier(),
            JANUARY_2024,
        )
        .unwrap();
        assert_eq!(
            BackOutcome::from_answer(&answer).unwrap(),
            BackOutcome::Accepted {
                query_id: Some(query_id.to_string())
            }
        );
    }
    let unknown: Fields = [("respCode", "05")].into_iter().collect();
    assert!(matches!(
        BackOutcome::from_answer(&unknown).unwrap(),
        BackOutcome::Unknown { .. }
    ));
    let refused: Fields = [("respCode", "12"), ("respMsg", "重复交易")]
        .into_iter()
        .collect();
    assert!(matches!(
        BackOutcome::from_answer(&refused).unwrap(),
        BackOutcome::Refused { .. }
    ));
}

#[test]
fn answers_that_name_another_transaction_or_say_nothing_are_refused() {
    let mut request = request_of("messages/req_query_5.1.0_urlencoded_2024.txt");
    let body = vector_file("messages/resp_query_5.1.0_origRespCode00_2024.txt");
    let verifier = test_chain_verifier();
    assert_eq!(
        read_answer(b"", &request, &verifier, JANUARY_2024),
        Err(AnswerError::Empty)
    );
    request.set("orderId", "pay20240105145047");
    assert!(matches!(
        read_answer(&body, &request, &verifier, JANUARY_2024),
        Err(AnswerError::Mismatch {
            field: "orderId",
            ..
        })
    ));
    assert!(matches!(
        read_answer(&body, &request, &BankVerifier::new(), JANUARY_2024),
        Err(AnswerError::Verify(_))
    ));
}

/// The real 2022 notification, posted as UnionPay posts it (URL-encoded form).
#[test]
fn a_real_back_notification_reads_as_a_success() {
    let mut fields = parse_answer(
        &vector_file("messages/notify_consume_5.1.0_bizType000201_2022.txt"),
        Charset::Utf8,
    )
    .unwrap();
    let signature = String::from_utf8(vector_file(
        "messages/notify_consume_5.1.0_bizType000201_2022.signature.txt",
    ))
    .unwrap();
    fields.set("signature", signature.trim());
    let body = encode_form(&fields, Charset::Utf8).unwrap();
    // 2022-09-08 05:22 UTC.
    let at = 1_662_614_526;
    let notification =
        read_notification(&body, "777290058167151", &test_chain_verifier(), at).unwrap();
    assert_eq!(notification.outcome, NotifiedOutcome::Succeeded);
    assert_eq!(notification.txn_type, Some(TxnType::Consume));
    assert_eq!(notification.order_id, "yansongda20220908132206");
    assert_eq!(
        notification.query_id.as_deref(),
        Some("782209081322060674028")
    );
    assert_eq!(notification.amount_fen, Some(1));
    assert!(matches!(
        read_notification(&body, "777290058110048", &test_chain_verifier(), at),
        Err(NotificationError::WrongMerchant(_))
    ));
    let mut tampered = fields.clone();
    tampered.set("txnAmt", "100");
    let body = encode_form(&tampered, Charset::Utf8).unwrap();
    assert!(matches!(
        read_notification(&body, "777290058167151", &test_chain_verifier(), at),
        Err(NotificationError::Verify(_))
    ));
}

/// The builder writes exactly the official demo's consume: signed with the test secure key
/// it gives the vector's signature.
#[test]
fn the_front_consume_is_the_demo_field_set() {
    let payment = FrontPayment {
        kind: FrontPaymentKind::Consume,
        channel: ChannelType::Desktop,
        order_id: OrderId::new("20240101120000001").unwrap(),
        txn_time: TxnTime::new("20240101120000").unwrap(),
        amount: Amount::from_fen(1000).unwrap(),
        front_url: "http://127.0.0.1:8080/acp/frontRcvResponse".to_string(),
        back_url: "http://127.0.0.1:8080/acp/backRcvResponse".to_string(),
        pay_timeout: Some(TxnTime::new("20240101121500").unwrap()),
        req_reserved: None,
        issuer_code: None,
    };
    let mut fields = payment.fields(&demo_merchant());
    signing::sign(
        &mut fields,
        &SecureKeySigner::new(SecureKeyDigest::Sha256, "88888888"),
    )
    .unwrap();
    assert_eq!(
        fields.get("signature"),
        Some("d20a15c8b92376ae2a1a2190dca71845a30db1e8a0932ecd1cfa90ee91eda3a4")
    );
    let preauth = FrontPayment {
        kind: FrontPaymentKind::PreAuthorization,
        channel: ChannelType::Mobile,
        ..payment
    };
    let fields = preauth.fields(&demo_merchant());
    assert_eq!(fields.get("txnType"), Some("02"));
    assert_eq!(fields.get("txnSubType"), Some("01"));
    assert_eq!(fields.get("channelType"), Some("08"));
}

#[test]
fn back_operations_carry_the_original_query_id() {
    let expected = [
        (BackOperation::ConsumeVoid, "31"),
        (BackOperation::Refund, "04"),
        (BackOperation::PreAuthorizationVoid, "32"),
        (BackOperation::PreAuthorizationCompletion, "03"),
        (BackOperation::CompletionVoid, "33"),
    ];
    for (operation, code) in expected {
        let request = BackRequest {
            operation,
            channel: ChannelType::Desktop,
            order_id: OrderId::new("20240101130000001").unwrap(),
            txn_time: TxnTime::new("20240101130000").unwrap(),
            amount: Amount::from_fen(500).unwrap(),
            original_query_id: "201603171508382661928".to_string(),
            back_url: "http://127.0.0.1:8080/acp/backRcvResponse".to_string(),
            req_reserved: None,
        };
        let fields = request.fields(&demo_merchant());
        assert_eq!(fields.get("txnType"), Some(code));
        assert_eq!(fields.get("txnSubType"), Some("00"));
        assert_eq!(fields.get("origQryId"), Some("201603171508382661928"));
        if operation == BackOperation::Refund {
            // The demo's refund field set, as the computed 5.0.0 vector holds it.
            let mut merchant = demo_merchant();
            merchant.version = Version::V5_0_0;
            let mut fields = request.fields(&merchant);
            fields.set("signMethod", "01");
            fields.set("certId", "68759663125");
            assert_eq!(
                fields.string_to_sign(),
                "accessType=0&backUrl=http://127.0.0.1:8080/acp/backRcvResponse&bizType=000201\
                 &certId=68759663125&channelType=07&currencyCode=156&encoding=UTF-8\
                 &merId=777290058110048&orderId=20240101130000001&origQryId=201603171508382661928\
                 &signMethod=01&txnAmt=500&txnSubType=00&txnTime=20240101130000&txnType=04&version=5.0.0"
            );
        }
    }
}

#[test]
fn query_and_file_download_requests() {
    let query = QueryRequest {
        order_id: OrderId::new("20240101120000001").unwrap(),
        txn_time: TxnTime::new("20240101120000").unwrap(),
    };
    let fields = query.fields(&demo_merchant());
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "accessType",
            "bizType",
            "encoding",
            "merId",
            "orderId",
            "txnSubType",
            "txnTime",
            "txnType",
            "version"
        ]
    );
    let download =
        FileDownloadRequest::new("0905", TxnTime::new("20150906120000").unwrap()).unwrap();
    let fields = download.fields(&demo_merchant());
    assert_eq!(fields.get("txnType"), Some("76"));
    assert_eq!(fields.get("txnSubType"), Some("01"));
    assert_eq!(fields.get("bizType"), Some("000000"));
    assert_eq!(fields.get("fileType"), Some("00"));
    assert_eq!(fields.get("settleDate"), Some("0905"));
    assert!(FileDownloadRequest::new("1305", TxnTime::new("20150906120000").unwrap()).is_err());
}

#[test]
fn the_file_download_answer_delivers_the_zip() {
    let zip = vector_file("recon/802310048993424_20150905.zip");
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&zip).unwrap();
    let content = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        encoder.finish().unwrap(),
    );
    let answer: Fields = [
        ("respCode", "00"),
        ("fileName", "802310048993424_20150905.zip"),
        ("fileContent", content.as_str()),
    ]
    .into_iter()
    .collect();
    let FileDownloadOutcome::Delivered(file) = FileDownloadOutcome::from_answer(&answer).unwrap()
    else {
        panic!("not delivered");
    };
    assert_eq!(file.zip, zip);
    assert_eq!(
        file.file_name.as_deref(),
        Some("802310048993424_20150905.zip")
    );
    let none: Fields = [("respCode", "98"), ("respMsg", "文件不存在")]
        .into_iter()
        .collect();
    assert!(matches!(
        FileDownloadOutcome::from_answer(&none).unwrap(),
        FileDownloadOutcome::NoFile { .. }
    ));
}

#[test]
fn request_values_are_checked() {
    assert!(OrderId::new("1234567").is_err());
    assert!(OrderId::new("order_2024_0001").is_err());
    assert!(OrderId::new(&"9".repeat(41)).is_err());
    assert!(TxnTime::new("20241301120000").is_err());
    assert!(TxnTime::new("2024010112000").is_err());
    assert!(TxnTime::new("20240101246000").is_err());
    assert_eq!(TxnType::parse("33"), Some(TxnType::CompletionVoid));
    assert_eq!(TxnType::parse("99"), None);
    assert_eq!(classify("A6"), CodeClass::AcceptedWithDefect);
}
