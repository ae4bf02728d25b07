#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::channel::tests::{account, error_answer, payment, read_sent, signed_by_bank};
use crate::messages::RequestMessage;

fn bill() -> KcodeBill {
    KcodeBill {
        order: payment("K-1", 1234),
        card_no: "6228480012345678901".to_string(),
        mobile_no: "13912345678".to_string(),
    }
}

fn pay(code: &str) -> KcodePayment {
    KcodePayment {
        order_no: "K-1".to_string(),
        amount: Amount::from_fen(1234).unwrap(),
        verify_code: code.to_string(),
        account_name: "张三".to_string(),
        certificate_type: "I".to_string(),
        certificate_no: "110101199003071234".to_string(),
        exp_date: String::new(),
        cvv2: String::new(),
    }
}

/// Proves the bill is the PayReq's order with the card and mobile before it, in a fixed key
/// order, signed like every request.
#[test]
fn the_bill_carries_the_order_as_payreq_does_plus_card_and_mobile() {
    let account = account("http://x/");
    let trx = verify_request(&account, &bill()).unwrap();
    let pay = pay_request(&account, &bill().order).unwrap().trx_request;
    assert_eq!(trx.order, pay.order);
    let json = RequestMessage::new(&account.merchant_id, &trx)
        .to_json()
        .unwrap();
    let expected_head = format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{}"}},"TrxRequest":{{"TrxType":"KPayVerifyReq","PaymentType":"A","PaymentLinkType":"1","NotifyType":"1","ResultNotifyURL":"https://shop.example/notify/abc","MerchantRemarks":"","CardNo":"6228480012345678901","MobileNo":"13912345678","Order":{{"PayTypeID":"ImmediatePay","OrderDate":"2026/11/27","OrderTime":"09:47:44","#,
        account.merchant_id
    );
    assert!(json.starts_with(&expected_head), "{json}");
    let body = request::signed(&account, &trx).unwrap();
    let sent: KPayVerifyRequest = read_sent(&body);
    assert_eq!(sent, trx);

    let mut short_card = bill();
    short_card.card_no = "62284800".to_string();
    assert!(matches!(
        verify_request(&account, &short_card),
        Err(ChannelError::Refused { code, .. }) if code == "1100"
    ));
    let mut bad_mobile = bill();
    bad_mobile.mobile_no = "1391234567x".to_string();
    assert!(verify_request(&account, &bad_mobile).is_err());
}

#[test]
fn kpay_and_resend_bytes() {
    let trx = pay_kcode_request(&pay("123456")).unwrap();
    assert_eq!(
        serde_json::to_string(&trx).unwrap(),
        r#"{"TrxType":"KPayReq","OrderNo":"K-1","VerifyCode":"123456","AccName":"张三","CertificateType":"I","CertificateID":"110101199003071234","ExpDate":"","CVV2":""}"#
    );
    assert_eq!(
        serde_json::to_string(&resend_request("K-1").unwrap()).unwrap(),
        r#"{"TrxType":"KPayResendReq","OrderNo":"K-1"}"#
    );
    assert!(pay_kcode_request(&pay("12a456")).is_err());
    let mut bad_type = pay("123456");
    bad_type.certificate_type = "X".to_string();
    assert!(pay_kcode_request(&bad_type).is_err());
    assert!(resend_request("bad order").is_err());
}

fn paid_answer(amount: &str) -> Vec<u8> {
    let account = account("http://x/");
    signed_by_bank(KPayResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: account.merchant_id.clone(),
        trx_type: "KPayReq".to_string(),
        order_no: "K-1".to_string(),
        amount: amount.to_string(),
        batch_no: "261127".to_string(),
        voucher_no: "V1".to_string(),
        host_date: "2026/11/27".to_string(),
        host_time: "23:10:00".to_string(),
        pay_type: "EP001".to_string(),
        i_rsp_ref: "R1".to_string(),
    })
}

/// Proves each answer to KPayReq reads as its state: paid with the host's serial and the
/// accounting date after the cut-over; each refusal by its code; a refusal of the message
/// itself and an answer for another amount are errors.
#[test]
fn pay_answers_read_as_their_states() {
    let account = account("http://x/");
    let read = |body: &[u8]| read_pay_answer(&account, &pay("123456"), body, 42);
    assert_eq!(
        read(&paid_answer("12.34")).unwrap(),
        KcodeState::Paid(BankPaid {
            amount: Amount::from_fen(1234).unwrap(),
            channel_trade_no: "R1".to_string(),
            paid_at_ms: crate::channel::parse_beijing("2026/11/27", "23:10:00").unwrap(),
            accounting_date: "2026-11-28".to_string(),
        })
    );
    assert!(matches!(
        read(&paid_answer("12.35")),
        Err(ChannelError::BadAnswer(_))
    ));
    let state = |code: &str| read(&error_answer(code, "x")).unwrap();
    assert!(matches!(state("2350"), KcodeState::WrongCode { .. }));
    assert!(matches!(state("2351"), KcodeState::CodeExpired { .. }));
    assert!(matches!(
        state("2352"),
        KcodeState::AttemptsExhausted { .. }
    ));
    assert!(matches!(state("EUNKWN"), KcodeState::Unknown { .. }));
    assert!(matches!(state("2308"), KcodeState::Refused { code, .. } if code == "2308"));
    assert!(matches!(
        read(&error_answer("1302", "签名验证失败")),
        Err(ChannelError::Refused { .. })
    ));
}

#[test]
fn code_answers_read_as_code_sent() {
    let account = account("http://x/");
    let answer = signed_by_bank(KPayCodeResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: account.merchant_id.clone(),
        trx_type: "KPayResendReq".to_string(),
        order_no: "K-1".to_string(),
        order_amount: "12.34".to_string(),
        mobile_no: "139****5678".to_string(),
    });
    assert_eq!(
        read_code_answer(&account, "KPayResendReq", "K-1", &answer).unwrap(),
        KcodeState::CodeSent
    );
    assert!(read_code_answer(&account, "KPayResendReq", "K-2", &answer).is_err());
    assert!(read_code_answer(&account, "KPayVerifyReq", "K-1", &answer).is_err());
    assert!(matches!(
        read_code_answer(&account, "KPayResendReq", "K-1", &error_answer("2353", "x")),
        Ok(KcodeState::ResendLimit { .. })
    ));
}
