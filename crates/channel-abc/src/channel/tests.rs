#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_tests;
mod batch_tests;
mod http_tests;
mod notify_tests;
mod preauth_tests;
mod refund_tests;
mod statement_tests;

use super::*;
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use crate::messages::{ErrorResponse, QueryOrder, QueryResponse, ResponseMessage};
use crate::wire::build_answer;
use std::sync::OnceLock;
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, BankPaymentState, ChannelError, PaymentRequest};

pub(super) const MID: &str = "103881234560010";
const PLATFORM_CER: &[u8] = include_bytes!("../../tests/vectors/stub-platform.cer");
const PAY_RESP: &[u8] = include_bytes!("../../tests/vectors/pay.resp.accepted.raw");
const QUERY_RESP: &[u8] = include_bytes!("../../tests/vectors/query.resp.accepted.raw");
const MERCHANT_KEY: &str = include_str!("../../tests/fixtures/legacy.key.pem");
const MERCHANT_CERT: &[u8] = include_bytes!("../../tests/fixtures/legacy.cert.pem");

pub(super) fn merchant_key() -> PrivateKey {
    PrivateKey::from_pem(MERCHANT_KEY).unwrap()
}

pub(super) fn merchant_cert() -> Certificate {
    Certificate::from_der_or_pem(MERCHANT_CERT).unwrap()
}

/// The simulated bank's key and certificate, made once per test run.
pub(super) fn bank() -> &'static (PrivateKey, Certificate) {
    static BANK: OnceLock<(PrivateKey, Certificate)> = OnceLock::new();
    BANK.get_or_init(|| {
        let key = PrivateKey::generate(1024).unwrap();
        let cert = key.self_signed_certificate("test bank", 1).unwrap();
        (key, cert)
    })
}

/// An account whose bank is [`bank`].
pub(super) fn account(url: &str) -> AbcAccount {
    AbcAccount::new(MID, merchant_key(), bank().1.clone(), url)
}

/// An account that trusts the captured vectors' stub platform.
fn vector_account() -> AbcAccount {
    AbcAccount::new(
        MID,
        merchant_key(),
        Certificate::from_der_or_pem(PLATFORM_CER).unwrap(),
        "http://127.0.0.1:9/ebus/trustpay/ReceiveMerchantTrxReqServlet",
    )
}

fn http_body(raw: &[u8]) -> &[u8] {
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &raw[at + 4..]
}

/// 2026-11-27 09:47:44 in Beijing.
pub(super) const CREATED_MS: i64 = 1_795_744_064_000;

pub(super) fn payment(order_no: &str, fen: i64) -> PaymentRequest {
    PaymentRequest {
        order_no: order_no.to_string(),
        amount: Amount::from_fen(fen).unwrap(),
        currency: unipay_core::Currency::Cny,
        subject: "测试订单".to_string(),
        payment_type: "A".to_string(),
        result_notify_url: "https://shop.example/notify/abc".to_string(),
        created_at_ms: CREATED_MS,
        expires_at_ms: CREATED_MS + 30 * 60_000,
        buyer_ip: Some("203.0.113.7".to_string()),
        capture: unipay_core::channel::CaptureMode::Immediate,
    }
}

fn ms(date: &str, time: &str) -> i64 {
    parse_beijing(date, time).unwrap()
}

#[test]
fn beijing_time_is_utc_plus_8() {
    assert_eq!(
        beijing_date_time(CREATED_MS).unwrap(),
        ("2026/11/27".to_string(), "09:47:44".to_string())
    );
    assert_eq!(ms("2026/11/27", "09:47:44"), CREATED_MS);
    assert_eq!(ms("1970/01/01", "08:00:00"), 0);
    assert!(parse_beijing("2026-11-27", "09:47:44").is_none());
    assert!(parse_beijing("2026/11/27", "25:00:00").is_none());
}

#[test]
fn accounting_date_cuts_over_at_the_configured_hour() {
    let at = |d, t, h| accounting_date(ms(d, t), h).unwrap();
    assert_eq!(at("2026/11/27", "22:59:59", 23), "2026-11-27");
    assert_eq!(at("2026/11/27", "23:00:00", 23), "2026-11-28");
    assert_eq!(at("2026/11/30", "23:30:00", 23), "2026-12-01");
    assert_eq!(at("2026/12/31", "23:00:00", 23), "2027-01-01");
    assert_eq!(at("2028/02/28", "23:00:00", 23), "2028-02-29");
    assert_eq!(at("2026/12/31", "23:59:59", 24), "2026-12-31");
    assert_eq!(at("2026/11/27", "00:00:00", 0), "2026-11-28");
    // 15:30 UTC is 23:30 in Beijing: already the next accounting day.
    assert_eq!(
        accounting_date(CREATED_MS + (13 * 60 + 42) * 60_000 + 16_000, 23).unwrap(),
        "2026-11-28"
    );
}

#[test]
fn the_captured_pay_answer_gives_the_payment_url() {
    let vectors = vector_account();
    let body = http_body(PAY_RESP);
    let redirect = pay::read_answer(&vectors, &payment("ST20261127094744r", 200), body).unwrap();
    assert!(matches!(
        redirect,
        PaymentRedirect::Url(url)
            if url.starts_with("https://pay.test.abchina.com/ebus/PaymentModeNewAct.ebf?TOKEN=")
    ));
    // Not our order, not our amount, not our merchant, not our bank: not believed.
    let err = pay::read_answer(&vectors, &payment("OTHER", 200), body).unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    let err = pay::read_answer(&vectors, &payment("ST20261127094744r", 201), body).unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    let mut other = vector_account();
    other.merchant_id = "103880000000000".to_string();
    let err = pay::read_answer(&other, &payment("ST20261127094744r", 200), body).unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    let err = pay::read_answer(&account(""), &payment("ST20261127094744r", 200), body).unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
}

#[test]
fn the_captured_query_answer_is_paid() {
    let state = query::read_answer(
        &vector_account(),
        "ON20261127A001",
        http_body(QUERY_RESP),
        0,
    )
    .unwrap();
    assert_eq!(
        state,
        BankPaymentState::Paid(BankPaid {
            amount: Amount::from_fen(200).unwrap(),
            channel_trade_no: "SIM094820".to_string(),
            paid_at_ms: ms("2026/11/27", "09:48:20"),
            accounting_date: "2026-11-27".to_string(),
        })
    );
    let err = query::read_answer(
        &vector_account(),
        "ON20261127A002",
        http_body(QUERY_RESP),
        0,
    )
    .unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
}

pub(super) fn query_answer(status: &str) -> Vec<u8> {
    query_answer_of("ImmediatePay", status)
}

/// A Query answer for order `Q1` of 12.34 with `pay_type_id` and `status`.
pub(super) fn query_answer_of(pay_type_id: &str, status: &str) -> Vec<u8> {
    let order = QueryOrder {
        pay_type_id: pay_type_id.to_string(),
        order_no: "Q1".to_string(),
        order_date: "2026/11/27".to_string(),
        order_time: "23:10:00".to_string(),
        order_amount: "12.34".to_string(),
        status: status.to_string(),
        i_rsp_ref: "R1".to_string(),
        host_date: None,
        host_time: None,
    };
    let json = ResponseMessage::new(
        MID,
        QueryResponse::success(MID, "交易成功", &order).unwrap(),
    )
    .to_json()
    .unwrap();
    build_answer(&json, &bank().0, SignatureAlgorithm::Sha1WithRsa)
}

/// `response` as the bank's signed answer.
pub(super) fn signed_by_bank<T: serde::Serialize>(response: T) -> Vec<u8> {
    let json = ResponseMessage::new(MID, response).to_json().unwrap();
    build_answer(&json, &bank().0, SignatureAlgorithm::Sha1WithRsa)
}

/// The TrxRequest of a request body we sent, its signature checked with our certificate.
pub(super) fn read_sent<T: serde::de::DeserializeOwned>(body: &[u8]) -> T {
    let signed = crate::wire::cut_request(body).unwrap();
    signed.verify(&merchant_cert()).unwrap();
    crate::messages::RequestMessage::<T>::read(signed.message)
        .unwrap()
        .trx_request
}

pub(super) fn error_answer(code: &str, message: &str) -> Vec<u8> {
    let response = ErrorResponse {
        return_code: code.to_string(),
        error_message: message.to_string(),
    };
    let json = ResponseMessage::new(MID, response).to_json().unwrap();
    build_answer(&json, &bank().0, SignatureAlgorithm::Sha256WithRsa)
}

#[test]
fn query_statuses_and_codes_map_to_core_states() {
    let account = account("http://127.0.0.1:9/");
    let read = |body: Vec<u8>| query::read_answer(&account, "Q1", &body, 42);
    let paid = |state: BankPaymentState| match state {
        BankPaymentState::Paid(paid) => paid,
        other => panic!("expected Paid, got {other:?}"),
    };
    for status in ["03", "04", "05"] {
        let p = paid(read(query_answer(status)).unwrap());
        assert_eq!(p.amount.fen(), 1234);
        assert_eq!(p.channel_trade_no, "R1");
        // 23:10 is after the 23:00 cut-over.
        assert_eq!(p.accounting_date, "2026-11-28");
    }
    assert_eq!(read(query_answer("01")).unwrap(), BankPaymentState::Unpaid);
    assert!(matches!(
        read(query_answer("02")).unwrap(),
        BankPaymentState::Unknown { .. }
    ));
    assert!(matches!(
        read(query_answer("99")).unwrap(),
        BankPaymentState::Failed { .. }
    ));
    assert_eq!(
        read(query_answer("00")).unwrap(),
        BankPaymentState::Cancelled
    );
    assert!(matches!(
        read(query_answer("XX")).unwrap(),
        BankPaymentState::Unknown { .. }
    ));
    assert_eq!(
        read(error_answer("2308", "订单不存在")).unwrap(),
        BankPaymentState::Unpaid
    );
    assert!(matches!(
        read(error_answer("EUNKWN", "交易结果未知")).unwrap(),
        BankPaymentState::Unknown { .. }
    ));
    assert_eq!(
        read(error_answer("2302", "系统繁忙")).unwrap_err(),
        ChannelError::Refused {
            code: "2302".to_string(),
            message: "系统繁忙".to_string()
        }
    );
    assert!(matches!(
        read(b"garbage".to_vec()).unwrap_err(),
        ChannelError::BadAnswer(_)
    ));
}

#[test]
fn the_account_is_checked_and_labels_are_given() {
    let channel = AbcChannel::new(account("http://127.0.0.1:9/x")).unwrap();
    assert_eq!(channel.name(), "abc");
    assert_eq!(
        channel.payment_types(),
        vec![("A".to_string(), "全部方式 All payment types".to_string())]
    );
    assert_eq!(payment_type_label("1"), "农行借记卡 ABC debit card");
    // ABC confirms up to the authorized amount and names no time limit for it.
    assert_eq!(channel.capture_limit_percent(), 100);
    assert_eq!(channel.capture_window_days(), None);
    let mut bad = account("ftp://x");
    assert!(AbcChannel::new(bad.clone()).is_err());
    bad.trx_url = "https://x/".to_string();
    bad.payment_types = vec!["9".to_string()];
    assert!(AbcChannel::new(bad.clone()).is_err());
    bad.payment_types = vec!["1".to_string()];
    bad.cutover_hour = 25;
    assert!(AbcChannel::new(bad).is_err());
}

#[test]
fn the_pay_request_carries_the_payment() {
    let mut request = payment("P-1", 123_456);
    request.subject = "长".repeat(100);
    let message = pay::pay_request(&account("http://x/"), &request).unwrap();
    let trx = &message.trx_request;
    assert_eq!(message.merchant.merchant_id, MID);
    assert_eq!(
        (trx.trx_type.as_str(), trx.payment_type.as_str()),
        ("PayReq", "A")
    );
    assert_eq!(trx.notify_type, "1");
    assert_eq!(trx.result_notify_url, "https://shop.example/notify/abc");
    let order = &trx.order;
    assert_eq!(
        (order.order_date.as_str(), order.order_time.as_str()),
        ("2026/11/27", "09:47:44")
    );
    assert_eq!(order.order_timeout_date, "20261127101744");
    assert_eq!(
        (order.order_amount.as_str(), order.currency_code.as_str()),
        ("1234.56", "156")
    );
    assert_eq!(order.order_desc.chars().count(), pay::MAX_SUBJECT_CHARS);
    assert_eq!(order.buy_ip, "203.0.113.7");
    assert_eq!(order.expired_date, "30");
    assert_eq!(order.order_items.len(), 1);
    assert_eq!(order.order_items[0].unit_price, "1234.56");
    let mut wrong = payment("P-1", 1);
    wrong.payment_type = "3".to_string();
    assert!(matches!(
        pay::pay_request(&account("http://x/"), &wrong),
        Err(ChannelError::Refused { code, .. }) if code == "1100"
    ));
    assert!(pay::pay_request(&account("http://x/"), &payment("bad order", 1)).is_err());
}
