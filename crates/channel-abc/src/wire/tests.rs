#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

const MERCHANT_CER: &[u8] = include_bytes!("../../tests/vectors/merchant.cer");
const PLATFORM_CER: &[u8] = include_bytes!("../../tests/vectors/stub-platform.cer");
const PAY_REQ: &[u8] = include_bytes!("../../tests/vectors/pay.raw-socket.req.raw");
const PAY_REQ_HTTPCLIENT: &[u8] = include_bytes!("../../tests/vectors/pay.httpclient.req.raw");
const QUERY_REQ: &[u8] = include_bytes!("../../tests/vectors/query.raw-socket.req.raw");
const REFUND_REQ: &[u8] = include_bytes!("../../tests/vectors/refund.raw-socket.req.raw");
const PAY_RESP: &[u8] = include_bytes!("../../tests/vectors/pay.resp.accepted.raw");
const QUERY_RESP: &[u8] = include_bytes!("../../tests/vectors/query.resp.accepted.raw");
const REFUND_RESP: &[u8] = include_bytes!("../../tests/vectors/refund.resp.accepted.raw");
const NOTIFY: &str = include_str!("../../tests/vectors/notify.accepted.b64");

fn http_body(raw: &[u8]) -> &[u8] {
    let at = find(raw, b"\r\n\r\n").unwrap();
    &raw[at + 4..]
}

fn cert(der: &[u8]) -> Certificate {
    Certificate::from_der_or_pem(der).unwrap()
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

#[test]
fn captured_requests_verify_with_and_without_newline() {
    let merchant = cert(MERCHANT_CER);
    for raw in [PAY_REQ, PAY_REQ_HTTPCLIENT, QUERY_REQ, REFUND_REQ] {
        let body = http_body(raw);
        let trimmed = body.strip_suffix(b"\n").unwrap_or(body);
        for b in [body, trimmed] {
            let signed = cut_request(b).unwrap();
            assert_eq!(signed.algorithm, SignatureAlgorithm::Sha1WithRsa);
            assert!(signed.message.starts_with(b"{\"Version\":\"V3.0.0\""));
            signed.verify(&merchant).unwrap();
            // The platform's certificate is not the merchant's.
            assert_eq!(
                signed.verify(&cert(PLATFORM_CER)),
                Err(WireError::BadSignature)
            );
        }
    }
}

#[test]
fn a_tampered_request_fails() {
    let merchant = cert(MERCHANT_CER);
    let body = http_body(PAY_REQ);
    // Flip a byte inside M (the OrderAmount "2.00" → "3.00").
    let at = find(body, b"\"OrderAmount\":\"2.00\"").unwrap() + 15;
    let tampered = flip(body, at);
    assert_eq!(
        cut_request(&tampered).unwrap().verify(&merchant),
        Err(WireError::BadSignature)
    );
}

#[test]
fn request_round_trip_with_both_algorithms() {
    let key = PrivateKey::generate(1024).unwrap();
    let certificate = key.self_signed_certificate("merchant", 1).unwrap();
    let m = r#"{"Version":"V3.0.0","TrxRequest":{"Remark":"含 ,\"Signature-Algorithm\":\" 文本"}}"#;
    for alg in [
        SignatureAlgorithm::Sha1WithRsa,
        SignatureAlgorithm::Sha256WithRsa,
    ] {
        let body = build_request(m, &key, alg);
        assert!(body.ends_with(b"\"}\n"));
        let signed = cut_request(&body).unwrap();
        assert_eq!(signed.message, m.as_bytes());
        assert_eq!(signed.algorithm, alg);
        signed.verify(&certificate).unwrap();
    }
}

#[test]
fn malformed_requests_are_errors() {
    assert!(matches!(cut_request(b""), Err(WireError::Malformed(_))));
    assert!(matches!(
        cut_request(b"{\"Message\":{}}"),
        Err(WireError::Malformed(_))
    ));
    let body = br#"{"Message":{},"Signature-Algorithm":"MD5withRSA","Signature":"AAAA"}"#;
    assert_eq!(
        cut_request(body).unwrap_err(),
        WireError::UnknownAlgorithm("MD5withRSA".into())
    );
    let body = br#"{"Message":{},"Signature-Algorithm":"SHA1withRSA","Signature":"%%%"}"#;
    assert!(matches!(cut_request(body), Err(WireError::Malformed(_))));
    let mut big = b"{\"Message\":".to_vec();
    big.resize(MAX_MESSAGE_BYTES + 1, b' ');
    assert_eq!(cut_request(&big).unwrap_err(), WireError::TooLarge);
    assert_eq!(cut_answer(&big).unwrap_err(), WireError::TooLarge);
}

#[test]
fn the_real_refund_message_parses_leniently() {
    let signed = cut_request(http_body(REFUND_REQ)).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(signed.message).is_err());
    let value = parse_lenient(signed.message).unwrap();
    assert_eq!(value["TrxRequest"]["TrxType"], "Refund");
    assert_eq!(value["TrxRequest"]["MerchantRemarks"], "退款测试");
    assert_eq!(value["Merchant"]["MerchantID"], "103881234560010");
    // Commas inside strings stay; control characters inside strings are tolerated.
    let v = parse_lenient(b"{\"a\":\"x,}\",\"b\":[1,2,],\"c\":\"l1\nl2\",}").unwrap();
    assert_eq!(v["a"], "x,}");
    assert_eq!(v["b"], serde_json::json!([1, 2]));
    assert_eq!(v["c"], "l1\nl2");
    assert!(parse_lenient(b"{\"a\":1} trailing").is_err());
    assert!(parse_lenient(b"").is_err());
}

#[test]
fn captured_answers_verify_with_the_platform_certificate() {
    let platform = cert(PLATFORM_CER);
    for raw in [PAY_RESP, QUERY_RESP, REFUND_RESP] {
        let body = http_body(raw);
        let signed = cut_answer(body).unwrap();
        signed.verify(&platform).unwrap();
        assert!(signed.message.contains("\"ErrorMessage\":\"交易成功\""));
        assert_eq!(
            signed.verify(&cert(MERCHANT_CER)),
            Err(WireError::BadSignature)
        );
        let at = find(body, b"0000").unwrap();
        let tampered = flip(body, at + 3);
        assert_eq!(
            cut_answer(&tampered).unwrap().verify(&platform),
            Err(WireError::BadSignature)
        );
    }
}

#[test]
fn answer_round_trip_is_gbk_with_a_newline() {
    let key = PrivateKey::generate(1024).unwrap();
    let certificate = key.self_signed_certificate("bank", 1).unwrap();
    let m =
        r#"{"Version":"V3.0.0","TrxResponse":{"ReturnCode":"2308","ErrorMessage":"订单不存在"}}"#;
    let body = build_answer(m, &key, SignatureAlgorithm::Sha256WithRsa);
    assert!(body.ends_with(b"}}\n"));
    assert!(std::str::from_utf8(&body).is_err(), "GBK, not UTF-8");
    let signed = cut_answer(&body).unwrap();
    assert_eq!(signed.message, m);
    assert_eq!(signed.algorithm, SignatureAlgorithm::Sha256WithRsa);
    signed.verify(&certificate).unwrap();
}

#[test]
fn the_captured_notification_verifies() {
    let platform = cert(PLATFORM_CER);
    let signed = cut_notification(NOTIFY).unwrap();
    signed.verify(&platform).unwrap();
    assert!(signed.message.starts_with("<Version>V3.0.0</Version>"));
    assert!(signed.message.ends_with("</TrxResponse>"));
    assert!(signed.envelope.starts_with("<MSG><Message>"));
    assert_eq!(xml_field(&signed.message, "ErrorMessage"), Some("交易成功"));
    assert_eq!(xml_field(&signed.message, "iRspRef"), Some("A8C3F0E1B2D4"));
    assert_eq!(xml_field(&signed.message, "Nope"), None);
    // Surrounding whitespace is fine.
    cut_notification(&format!("  {}\n", NOTIFY.trim()))
        .unwrap()
        .verify(&platform)
        .unwrap();
}

#[test]
fn a_notification_with_plus_turned_into_space_fails() {
    let text = NOTIFY.trim();
    assert!(text.contains('+'));
    let damaged = text.replace('+', " ");
    assert!(matches!(
        cut_notification(&damaged),
        Err(WireError::Malformed(_))
    ));
    // A newline inside is not tolerated either.
    let (a, b) = text.split_at(40);
    assert!(cut_notification(&format!("{a}\n{b}")).is_err());
}

#[test]
fn a_tampered_or_oversize_notification_fails() {
    use base64::Engine;
    let platform = cert(PLATFORM_CER);
    let engine = base64::engine::general_purpose::STANDARD;
    let mut raw = engine.decode(NOTIFY.trim()).unwrap();
    let at = find(&raw, b"<Amount>2.00").unwrap() + 8;
    raw[at] = b'9';
    let tampered = engine.encode(&raw);
    assert_eq!(
        cut_notification(&tampered).unwrap().verify(&platform),
        Err(WireError::BadSignature)
    );
    let big = engine.encode(vec![b'a'; MAX_MESSAGE_BYTES + 1]);
    assert_eq!(cut_notification(&big).unwrap_err(), WireError::TooLarge);
    assert_eq!(
        cut_notification(&"A".repeat(20_000)).unwrap_err(),
        WireError::TooLarge
    );
}

#[test]
fn notification_round_trip() {
    let key = PrivateKey::generate(1024).unwrap();
    let certificate = key.self_signed_certificate("bank", 1).unwrap();
    let m = "<TrxType>PayResult</TrxType><OrderNo>A&amp;B</OrderNo><ErrorMessage>交易成功</ErrorMessage>";
    let msg = build_notification(m, &key, SignatureAlgorithm::Sha1WithRsa);
    assert!(!msg.contains('\n'));
    let signed = cut_notification(&msg).unwrap();
    assert_eq!(signed.message, m);
    signed.verify(&certificate).unwrap();
    assert_eq!(
        xml_unescape(xml_field(&signed.message, "OrderNo").unwrap()),
        "A&B"
    );
}

#[test]
fn xml_escaping_round_trips() {
    let text = "a<b>&c\"'中";
    assert_eq!(xml_escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    assert_eq!(xml_unescape(&xml_escape(text)), text);
    assert_eq!(xml_unescape("&#20013;&#x6587;"), "中文");
    assert_eq!(xml_unescape("AT&T &bogus; &"), "AT&T &bogus; &");
    assert_eq!(xml_unescape("&#000000000065;"), "&#000000000065;");
}
