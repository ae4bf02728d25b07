//! The request types a client sends are what the server reads: a body serialised from each
//! `unipay-api` request type is accepted by the handler's parser, field names and all.

use super::{
    create, debit_batches, identity, kcode, mandate_input, preauth, refund_batches, refunds,
};
use serde::Serialize;

fn body<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

fn debit() -> unipay_api::CreateDebit {
    unipay_api::CreateDebit {
        out_trade_no: "D-1".into(),
        amount: 100,
        subject: "rent".into(),
        notify_url: Some("https://shop.example/notify".into()),
    }
}

#[test]
fn every_request_type_is_read_by_its_handler() {
    let payment = unipay_api::CreatePayment {
        out_trade_no: "T-1".into(),
        amount: 100,
        currency: "CNY".into(),
        subject: "s".into(),
        notify_url: Some("https://shop.example/notify".into()),
        return_url: Some("https://shop.example/return".into()),
        expires_in_seconds: Some(600),
        metadata: Some(serde_json::json!({"order": 7})),
        capture: None,
        method: Some("kcode".into()),
        card_no: Some("6228480012345678".into()),
        mobile_no: Some("13800138000".into()),
        channel: Some("unionpay".into()),
    };
    create::parse(&body(&payment))
        .map_err(|e| e.message)
        .unwrap();
    let no_card = unipay_api::CreatePayment {
        card_no: None,
        ..payment.clone()
    };
    assert!(
        create::parse(&body(&no_card)).is_err(),
        "method kcode is read"
    );
    let manual = unipay_api::CreatePayment {
        capture: Some("manual".into()),
        method: None,
        card_no: None,
        mobile_no: None,
        ..payment
    };
    create::parse(&body(&manual))
        .map_err(|e| e.message)
        .unwrap();

    let refund = unipay_api::CreateRefund {
        out_refund_no: "R-1".into(),
        amount: 50,
        reason: Some("returned".into()),
    };
    refunds::parse(&body(&refund))
        .map_err(|e| e.message)
        .unwrap();

    let capture = unipay_api::CapturePayment { amount: Some(60) };
    assert_eq!(preauth::parse_amount(&body(&capture)).ok(), Some(Some(60)));
    let all = unipay_api::CapturePayment::default();
    assert_eq!(preauth::parse_amount(&body(&all)).ok(), Some(None));

    let confirm = unipay_api::ConfirmKcode {
        verify_code: "123456".into(),
        account_name: "张三".into(),
        certificate_type: "I".into(),
        certificate_no: "11010519491231002X".into(),
        exp_date: None,
        cvv2: None,
    };
    kcode::parse_confirm(&body(&confirm))
        .map_err(|e| e.message)
        .unwrap();

    let batch = unipay_api::CreateRefundBatch {
        out_batch_no: "B-1".into(),
        lines: vec![unipay_api::RefundBatchLineRequest {
            payment_id: Some("pay_1".into()),
            out_trade_no: None,
            out_refund_no: "R-2".into(),
            amount: 10,
            reason: None,
        }],
    };
    let (_, lines) = refund_batches::parse(&body(&batch))
        .map_err(|e| e.message)
        .unwrap();
    assert_eq!(lines.len(), 1);

    let mandate = unipay_api::CreateMandate {
        out_mandate_no: "M-1".into(),
        customer_ref: "c1".into(),
        card_type: "1".into(),
        certificate_type: "I".into(),
        certificate_no: "11010519491231002X".into(),
        expires_on: "2099-12-31".into(),
        max_amount_per_debit: Some(1000),
        notify_url: None,
        return_url: None,
    };
    mandate_input::mandate(&body(&mandate), "2026-01-01")
        .map_err(|e| e.message)
        .unwrap();

    let fields = match serde_json::to_value(debit()).unwrap() {
        serde_json::Value::Object(fields) => fields,
        other => panic!("{other}"),
    };
    mandate_input::debit_fields(&fields)
        .map_err(|e| e.message)
        .unwrap();

    let debits = unipay_api::CreateDebitBatch {
        out_batch_no: "DB-1".into(),
        lines: vec![unipay_api::DebitBatchLineRequest {
            mandate_id: "man_1".into(),
            debit: debit(),
        }],
    };
    let (_, lines) = debit_batches::parse(&body(&debits))
        .map_err(|e| e.message)
        .unwrap();
    assert_eq!(lines.len(), 1);

    let verification = unipay_api::CreateIdentityVerification {
        out_verify_no: "V-1".into(),
        mode: "direct".into(),
        customer_type: Some("person".into()),
        name: "张三".into(),
        certificate_type: Some("I".into()),
        certificate_no: "11010519491231002X".into(),
        card_no: "6228480012345678".into(),
        mobile: Some("13800138000".into()),
        notify_url: None,
        return_url: None,
    };
    identity::parse(&body(&verification))
        .map_err(|e| e.message)
        .unwrap();
}
