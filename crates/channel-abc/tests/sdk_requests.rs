//! Every request ABC's own client (TrustPayClient V3.1.4) was captured sending, against ours.
//!
//! `tests/vectors/sdk-requests/<TrxType>.req.body` is the body the client sent. Two proofs per
//! transaction: its Message read into our typed request and written again gives the same bytes
//! (our names, nesting, key order and always-sent keys are the client's), and for the
//! transactions we send, our builder given the captured inputs writes those bytes itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use unipay_channel_abc::channel::{
    AbcAccount, NotifyType, debit_batch_request, debit_request, direct_request, pay_kcode_request,
    preauth_request, redirect_request, resend_request, sign_request, verify_request,
};
use unipay_channel_abc::crypto::{Certificate, PrivateKey};
use unipay_channel_abc::messages::*;
use unipay_channel_abc::wire::{MAX_MESSAGE_BYTES, cut_request};
use unipay_core::Amount;
use unipay_core::channel::{CaptureMode, PaymentRequest, PreAuthOperation};
use unipay_core::identity::CustomerType;
use unipay_core::identity_channel::IdentityRequest;
use unipay_core::kcode::{KcodeBill, KcodeOrder, KcodePayment};
use unipay_core::mandate_channel::{
    DebitBatchLine, DebitBatchRequest, DebitRequest, MandateSignRequest,
};
use unipay_core::money::Currency;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/sdk-requests");
const MID: &str = "103881234560010";
/// 2026/11/27 10:00:00 in Beijing.
const CAPTURED_AT_MS: i64 = 1_795_744_800_000;

fn body(trx_type: &str) -> Vec<u8> {
    std::fs::read(Path::new(DIR).join(format!("{trx_type}.req.body"))).unwrap()
}

/// M exactly as it stands in the captured body, after the client's signature over it verifies.
fn captured_message(trx_type: &str) -> String {
    let body = body(trx_type);
    assert!(
        body.len() <= MAX_MESSAGE_BYTES,
        "{trx_type} is over the limit"
    );
    let signed = cut_request(&body).unwrap();
    let merchant =
        Certificate::from_der_or_pem(&std::fs::read(Path::new(DIR).join("merchant.cer")).unwrap())
            .unwrap();
    signed.verify(&merchant).unwrap();
    signed.message_text().unwrap().to_string()
}

fn round_trip<T: Serialize + DeserializeOwned>(trx_type: &str) -> RequestMessage<T> {
    let captured = captured_message(trx_type);
    let read: RequestMessage<T> = RequestMessage::read(captured.as_bytes()).unwrap();
    assert_eq!(read.to_json().unwrap(), captured, "{trx_type}");
    read
}

fn ours<T: Serialize>(trx: T) -> String {
    RequestMessage::new(MID, trx).to_json().unwrap()
}

fn account() -> AbcAccount {
    let key = PrivateKey::from_pem(include_str!("fixtures/legacy.key.pem")).unwrap();
    let certificate =
        Certificate::from_der_or_pem(include_bytes!("fixtures/legacy.cert.pem")).unwrap();
    let mut account = AbcAccount::new(MID, key, certificate, "https://pay.example/ebus/x");
    account.notify_type = NotifyType::Server;
    account.payment_link_type = "1".to_string();
    account.commodity_type = "0101".to_string();
    account
}

/// Proves every transaction we speak reads and writes back the client's exact bytes.
#[test]
fn every_captured_message_round_trips_through_our_types() {
    round_trip::<PayRequest>("PayReq");
    round_trip::<QueryRequest>("Query");
    round_trip::<SettleRequest>("Settle");
    round_trip::<TrnxRecordsRequest>("QueryTrnxRecords");
    round_trip::<BatchRefundRequest>("BatchRefund");
    round_trip::<QueryBatchRefundRequest>("QueryBatchRefund");
    round_trip::<AgentSignRequest>("AgentSign");
    round_trip::<QueryAgentSignRequest>("QueryAgentSign");
    round_trip::<AgentUnSignRequest>("AgentUnSign");
    round_trip::<AgentPayRequest>("AgentPay");
    round_trip::<AgentBatchRequest>("AgentBatch");
    round_trip::<AgentBatchQueryRequest>("AgentBatchQuery");
    round_trip::<PreAuthRequest>("PreAuthCancelConfirm");
    round_trip::<IdentityVerifyRequest>("IdentityVerifyReq");
    round_trip::<StaticIdentifyVerifyRequest>("StaticIdentifyVerifyReq");
    round_trip::<KPayVerifyRequest>("KPayVerifyReq");
    round_trip::<KPayRequest>("KPayReq");
    round_trip::<KPayResendRequest>("KPayResendReq");
}

#[test]
fn agent_sign_is_built_as_captured() {
    let request = MandateSignRequest {
        sign_request_no: "AS20261127001".into(),
        card_type: "1".into(),
        certificate_type: "I".into(),
        certificate_no: "340121198403084619".into(),
        expires_on: "2027-11-27".into(),
        max_amount_per_debit: None,
        result_notify_url: "http://127.0.0.1:8080/merchant/AgentSignResult.jsp".into(),
        created_at_ms: CAPTURED_AT_MS,
    };
    let mut trx = sign_request(&account(), &request).unwrap();
    // The merchant's own customer number is the one input we never send.
    assert_eq!(trx.mer_custom_no, "");
    trx.mer_custom_no = "C0001".into();
    assert_eq!(ours(trx), captured_message("AgentSign"));
}

#[test]
fn agent_batch_query_and_preauth_are_built_as_captured() {
    let query = AgentBatchQueryRequest {
        trx_type: "AgentBatchQuery".into(),
        batch_no: "B001".into(),
        batch_date: "2026/11/27".into(),
    };
    assert_eq!(ours(query), captured_message("AgentBatchQuery"));

    let mut confirm = preauth_request(
        "ON20261127P001",
        "PA20261127001",
        &PreAuthOperation::Confirm {
            amount: Amount::from_fen(100).unwrap(),
        },
        CAPTURED_AT_MS,
    )
    .unwrap();
    confirm.order.merchant_remarks = "预授权确认".into();
    assert_eq!(ours(confirm), captured_message("PreAuthCancelConfirm"));
    let cancel = preauth_request(
        "ON20261127P001",
        "PA20261127002",
        &PreAuthOperation::Cancel {
            amount: Amount::from_fen(100).unwrap(),
        },
        CAPTURED_AT_MS,
    )
    .unwrap();
    assert_eq!(cancel.order.order_amount, "1.00");
    assert_eq!(cancel.order.operate_type, OPERATE_CANCEL);
}

#[test]
fn agent_pay_and_batch_carry_every_key_of_the_client() {
    let pay = debit_request(
        &account(),
        &DebitRequest {
            order_no: "AP20261127001".into(),
            agent_sign_no: "AGS0000000001".into(),
            amount: Amount::from_fen(100).unwrap(),
            subject: "中国移动IP卡".into(),
            created_at_ms: CAPTURED_AT_MS,
        },
    )
    .unwrap();
    let mut captured: RequestMessage<AgentPayRequest> = round_trip("AgentPay");
    // The demo's own item and address; every key, its place and every other value are ours.
    captured.trx_request.receiver_address = String::new();
    captured.trx_request.expired_date = pay.expired_date.clone();
    captured.trx_request.order_items = pay.order_items.clone();
    assert_eq!(ours(pay), captured.to_json().unwrap());

    let batch = DebitBatchRequest {
        batch_no: "B001".into(),
        created_at_ms: CAPTURED_AT_MS,
        lines: vec![
            DebitBatchLine {
                seq_no: 1,
                agent_sign_no: "AGS0000000001".into(),
                order_no: "AB20261127001".into(),
                amount: Amount::from_fen(100).unwrap(),
            },
            DebitBatchLine {
                seq_no: 2,
                agent_sign_no: "AGS0000000001".into(),
                order_no: "AB20261127002".into(),
                amount: Amount::from_fen(200).unwrap(),
            },
        ],
    };
    let mut built = debit_batch_request(&account(), &batch).unwrap();
    for (line, name) in built.details.iter_mut().zip(["测试商品1", "测试商品2"]) {
        line.product_name = name.into();
    }
    assert_eq!(ours(built), captured_message("AgentBatch"));
}

fn identity() -> IdentityRequest {
    IdentityRequest {
        verify_no: "IDV1".into(),
        customer_type: CustomerType::Person,
        name: "张三".into(),
        certificate_type: "I".into(),
        certificate_no: "110101199003071234".into(),
        card_no: "6228480012345678901".into(),
        mobile: Some("13800138000".into()),
        result_notify_url: "http://127.0.0.1:8080/merchant/IdentityVerifyResult.jsp".into(),
        created_at_ms: CAPTURED_AT_MS,
    }
}

#[test]
fn identity_verifications_are_built_as_captured() {
    let redirect = redirect_request(&account(), &identity()).unwrap();
    assert_eq!(ours(redirect), captured_message("IdentityVerifyReq"));
    let mut direct = direct_request(&identity()).unwrap();
    // Our verification number rides in CustomNo, which the demo left empty.
    assert_eq!(direct.custom_no, "IDV1");
    direct.custom_no = String::new();
    assert_eq!(ours(direct), captured_message("StaticIdentifyVerifyReq"));
}

#[test]
fn kcode_requests_are_built_as_captured() {
    let order = KcodeOrder {
        order_no: "KP20261127001".into(),
        amount: Amount::from_fen(200).unwrap(),
        created_at_ms: CAPTURED_AT_MS,
    };
    assert_eq!(
        ours(resend_request(&order).unwrap()),
        captured_message("KPayResendReq")
    );
    let payment = KcodePayment {
        order: order.clone(),
        payment_type: "1".into(),
        verify_code: "123456".into(),
        account_name: "张三".into(),
        certificate_type: "I".into(),
        certificate_no: "110101199003071234".into(),
        exp_date: String::new(),
        cvv2: String::new(),
    };
    assert_eq!(
        ours(pay_kcode_request(&account(), &payment).unwrap()),
        captured_message("KPayReq")
    );
    let mut account = account();
    account.payment_types = vec!["1".into()];
    let bill = KcodeBill {
        order: PaymentRequest {
            order_no: "KP20261127001".into(),
            amount: Amount::from_fen(200).unwrap(),
            currency: Currency::Cny,
            subject: "K码支付测试".into(),
            payment_type: "1".into(),
            capture: CaptureMode::Immediate,
            result_notify_url: "http://127.0.0.1:8080/unused".into(),
            buyer_ip: None,
            created_at_ms: CAPTURED_AT_MS,
            expires_at_ms: 0,
        },
        card_no: "6228480010000106517".into(),
        mobile_no: "13800137698".into(),
    };
    let built = verify_request(&account, &bill).unwrap();
    assert_eq!(built.mobile_no, "7698");
    let mut captured: RequestMessage<KPayVerifyRequest> = round_trip("KPayVerifyReq");
    // The demo's address, item and keep days; every key and its place are ours.
    captured.trx_request.order.receiver_address = String::new();
    captured.trx_request.order.expired_date = built.order.expired_date.clone();
    captured.trx_request.order.order_items = built.order.order_items.clone();
    assert_eq!(ours(built), captured.to_json().unwrap());
}
