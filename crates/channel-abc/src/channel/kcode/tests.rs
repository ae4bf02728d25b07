#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::channel::tests::{
    CREATED_MS, account, error_answer, payment, read_sent, signed_by_bank,
};
use crate::messages::RequestMessage;

fn bill() -> KcodeBill {
    KcodeBill {
        order: payment("K-1", 1234),
        card_no: "6228480012345678901".to_string(),
        mobile_no: "13912345678".to_string(),
    }
}

fn order() -> KcodeOrder {
    KcodeOrder {
        order_no: "K-1".to_string(),
        amount: Amount::from_fen(1234).unwrap(),
        created_at_ms: CREATED_MS,
    }
}

fn pay(code: &str) -> KcodePayment {
    KcodePayment {
        order: order(),
        payment_type: "A".to_string(),
        verify_code: code.to_string(),
        account_name: "张三".to_string(),
        certificate_type: "I".to_string(),
        certificate_no: "110101199003071234".to_string(),
        exp_date: String::new(),
        cvv2: String::new(),
    }
}

/// Proves the bill is the PayReq's order as the bank's client writes a K-code bill, with the
/// card and only the mobile's last four digits before it, in a fixed key order and with no
/// result address, signed like every request.
#[test]
fn the_bill_carries_the_order_as_payreq_does_plus_card_and_mobile() {
    let account = account("http://x/");
    let trx = verify_request(&account, &bill()).unwrap();
    let pay = pay_request(&account, &bill().order).unwrap().trx_request;
    let order = &pay.order;
    assert_eq!(
        trx.order,
        KPayVerifyOrder {
            pay_type_id: order.pay_type_id.clone(),
            order_timeout_date: order.order_timeout_date.clone(),
            order_no: order.order_no.clone(),
            currency_code: order.currency_code.clone(),
            order_amount: order.order_amount.clone(),
            expired_date: order.expired_date.clone(),
            order_desc: order.order_desc.clone(),
            order_date: order.order_date.clone(),
            order_time: order.order_time.clone(),
            receiver_address: order.receiver_address.clone(),
            buy_ip: order.buy_ip.clone(),
            order_items: order.order_items.clone(),
        }
    );
    assert_eq!(trx.commodity_type, order.commodity_type);
    assert_eq!(trx.payment_type, pay.payment_type);
    assert_eq!(trx.mobile_no, "5678");
    let json = RequestMessage::new(&account.merchant_id, &trx)
        .to_json()
        .unwrap();
    let expected_head = format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{}"}},"TrxRequest":{{"TrxType":"KPayVerifyReq","CardNo":"6228480012345678901","MobileNo":"5678","CommodityType":"0201","Installment":"0","PaymentType":"A","PaymentLinkType":"1","ReceiveAccount":"","ReceiveAccName":"","MerchantRemarks":"","IsBreakAccount":"0","SplitAccTemplate":"","Order":{{"PayTypeID":"ImmediatePay","orderTimeoutDate":"20261127101744","OrderNo":"K-1","CurrencyCode":"156","OrderAmount":"12.34","ExpiredDate":"30","OrderDesc":"测试订单","OrderDate":"2026/11/27","OrderTime":"09:47:44","#,
        account.merchant_id
    );
    assert!(json.starts_with(&expected_head), "{json}");
    assert!(!json.contains("NotifyType") && !json.contains("ResultNotifyURL"));
    assert!(!json.contains("13912345678"), "{json}");
    let body = request::signed(&account, &trx).unwrap();
    let sent: KPayVerifyRequest = read_sent(&body);
    assert_eq!(sent, trx);

    // The last four digits alone are enough.
    let mut last4 = bill();
    last4.mobile_no = "5678".to_string();
    assert_eq!(verify_request(&account, &last4).unwrap(), trx);

    let mut short_card = bill();
    short_card.card_no = "62284800".to_string();
    assert!(matches!(
        verify_request(&account, &short_card),
        Err(ChannelError::Refused { code, .. }) if code == "1100"
    ));
    for mobile in ["1391234567x", "139123456", "567", "56789", ""] {
        let mut bad_mobile = bill();
        bad_mobile.mobile_no = mobile.to_string();
        assert!(verify_request(&account, &bad_mobile).is_err(), "{mobile}");
    }
}

/// Proves KPayReq and KPayResendReq carry the order whole, in the client's key order (Fee in
/// KPayReq only), and refuse what the client would.
#[test]
fn kpay_and_resend_bytes() {
    let account = account("http://x/");
    let trx = pay_kcode_request(&account, &pay("123456")).unwrap();
    assert_eq!(
        serde_json::to_string(&trx).unwrap(),
        r#"{"TrxType":"KPayReq","AccName":"张三","CertificateType":"I","CertificateID":"110101199003071234","ExpDate":"","CVV2":"","VerifyCode":"123456","PaymentType":"A","PayLinkType":"1","MerchantRemarks":"","Order":{"OrderNo":"K-1","CurrencyCode":"156","OrderAmount":"12.34","Fee":"","OrderDate":"2026/11/27","OrderTime":"09:47:44"}}"#
    );
    assert_eq!(
        serde_json::to_string(&resend_request(&order()).unwrap()).unwrap(),
        r#"{"TrxType":"KPayResendReq","Order":{"OrderNo":"K-1","CurrencyCode":"156","OrderAmount":"12.34","OrderDate":"2026/11/27","OrderTime":"09:47:44"}}"#
    );
    assert!(pay_kcode_request(&account, &pay("12a456")).is_err());
    let mut bad_type = pay("123456");
    bad_type.certificate_type = "X".to_string();
    assert!(pay_kcode_request(&account, &bad_type).is_err());
    // An ID card (I) is 15 or 18 characters; another type need not be.
    let mut bad_id = pay("123456");
    bad_id.certificate_no = "1101011990030712".to_string();
    assert!(pay_kcode_request(&account, &bad_id).is_err());
    bad_id.certificate_type = "P".to_string();
    assert!(pay_kcode_request(&account, &bad_id).is_ok());
    let mut bad_order = order();
    bad_order.order_no = "bad order".to_string();
    assert!(resend_request(&bad_order).is_err());
    let mut bad_pay = pay("123456");
    bad_pay.order = bad_order;
    assert!(pay_kcode_request(&account, &bad_pay).is_err());
}

fn paid_answer(amount: &str) -> Vec<u8> {
    paid_answer_with(amount, "K-1", "R1")
}

fn paid_answer_with(amount: &str, order_no: &str, i_rsp_ref: &str) -> Vec<u8> {
    let account = account("http://x/");
    signed_by_bank(KPayResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: account.merchant_id.clone(),
        trx_type: "KPayReq".to_string(),
        order_no: order_no.to_string(),
        order_amount: amount.to_string(),
        batch_no: "261127".to_string(),
        voucher_no: "V1".to_string(),
        host_date: "2026/11/27".to_string(),
        host_time: "23:10:00".to_string(),
        pay_type: "EP001".to_string(),
        i_rsp_ref: i_rsp_ref.to_string(),
    })
}

/// Proves each answer to KPayReq reads as its state: paid with the host's serial and the
/// accounting date after the cut-over; each refusal by its code; a refusal of the message
/// itself, an answer for another amount or order, and a payment without the host's serial are
/// errors; an answer that does not echo the order number is read.
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
    assert!(matches!(
        read(&paid_answer_with("12.34", "K-2", "R1")),
        Err(ChannelError::BadAnswer(_))
    ));
    assert!(matches!(
        read(&paid_answer_with("12.34", "K-1", " ")),
        Err(ChannelError::BadAnswer(_))
    ));
    assert!(matches!(
        read(&paid_answer_with("12.34", "", "R1")),
        Ok(KcodeState::Paid(_))
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
        payment_url: "https://pay.test.abchina.com/ebus/KPay?TOKEN=1".to_string(),
        verify_date: "2026/11/27".to_string(),
        verify_time: "09:47:50".to_string(),
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
