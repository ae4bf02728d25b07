//! Pre-authorization: PayReq with PreAuthPay, Query's authorization states, and
//! PreAuthCancelConfirm over HTTP.

use super::http_tests::{Script, channel, serve};
use super::*;
use crate::messages::{PreAuthRequest, PreAuthResponse};
use unipay_core::channel::{
    BankPreAuthState, CaptureMode, PreAuthOperation, PreAuthRequest as OperationRequest,
};

#[test]
fn a_manual_capture_payment_is_a_preauthorization() {
    let account = account("http://x/");
    let mut request = payment("P-1", 100);
    let pay_type = |request: &PaymentRequest| {
        pay::pay_request(&account, request)
            .unwrap()
            .trx_request
            .order
            .pay_type_id
    };
    assert_eq!(pay_type(&request), "ImmediatePay");
    request.capture = CaptureMode::Manual;
    assert_eq!(pay_type(&request), "PreAuthPay");
    assert_eq!(CaptureMode::default(), CaptureMode::Immediate);
}

/// Proves Query tells an authorization (04 + PreAuthPay) from a payment (04), a capture (07,
/// and money taken on a pre-authorization) from both, and reads a cancellation (00).
#[test]
fn query_reads_preauthorization_states() {
    let account = account("http://127.0.0.1:9/");
    let read = |pay_type: &str, status: &str| {
        query::read_answer(&account, "Q1", &query_answer_of(pay_type, status), 42)
    };
    let expected = BankPaid {
        amount: Amount::from_fen(1234).unwrap(),
        channel_trade_no: "R1".to_string(),
        paid_at_ms: ms("2026/11/27", "23:10:00"),
        accounting_date: "2026-11-28".to_string(),
    };
    assert_eq!(
        read("PreAuthPay", "04").unwrap(),
        BankPaymentState::Authorized(expected.clone())
    );
    assert_eq!(
        read("ImmediatePay", "04").unwrap(),
        BankPaymentState::Paid(expected.clone())
    );
    for (pay_type, status) in [
        ("PreAuthPay", "07"),
        ("", "07"),
        ("PreAuthPay", "05"),
        ("PreAuthPay", "03"),
    ] {
        assert_eq!(
            read(pay_type, status).unwrap(),
            BankPaymentState::Captured(expected.clone()),
            "{pay_type} {status}"
        );
    }
    assert_eq!(
        read("ImmediatePay", "05").unwrap(),
        BankPaymentState::Paid(expected)
    );
    assert_eq!(
        read("PreAuthPay", "00").unwrap(),
        BankPaymentState::Cancelled
    );
    assert_eq!(read("PreAuthPay", "01").unwrap(), BankPaymentState::Unpaid);
    assert!(matches!(
        read("Refund", "04").unwrap_err(),
        ChannelError::BadAnswer(_)
    ));
}

/// The bank's success answer to the PreAuthCancelConfirm in `request_body`: it echoes the
/// operation and its amount (for a Cancel, the amount held, released whole).
fn preauth_answer(request_body: &[u8]) -> Vec<u8> {
    let sent = read_sent::<PreAuthRequest>(request_body).order;
    signed_by_bank(PreAuthResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "PreAuthCancelConfirm".to_string(),
        operate_type: sent.operate_type,
        order_no: sent.order_no,
        original_order_no: sent.original_order_no,
        order_amount: sent.order_amount,
        i_rsp_ref: "SIMP1".to_string(),
        batch_no: "261127".to_string(),
        voucher_no: "654321".to_string(),
        host_date: "2026/11/27".to_string(),
        host_time: "12:00:00".to_string(),
    })
}

#[tokio::test]
async fn preauth_confirm_captures_the_amount() {
    let (url, server) = serve(Script::Answer(Box::new(preauth_answer))).await;
    let confirm = PreAuthOperation::Confirm {
        amount: Amount::from_fen(1000).unwrap(),
    };
    let answer = channel(&url)
        .preauth(&operation_request("PC1", confirm))
        .await
        .unwrap();
    assert_eq!(
        answer.state,
        BankPreAuthState::Done(BankPaid {
            amount: Amount::from_fen(1000).unwrap(),
            channel_trade_no: "SIMP1".to_string(),
            paid_at_ms: ms("2026/11/27", "12:00:00"),
            accounting_date: "2026-11-27".to_string(),
        })
    );
    assert!(answer.raw.masked.contains("PreAuthCancelConfirm"));
    let (_, body) = server.await.unwrap();
    let sent: PreAuthRequest = read_sent(&body);
    assert_eq!(sent.trx_type, "PreAuthCancelConfirm");
    let sent = sent.order;
    assert_eq!(
        (
            sent.operate_type.as_str(),
            sent.order_no.as_str(),
            sent.original_order_no.as_str(),
            sent.order_amount.as_str(),
            sent.currency_code.as_str()
        ),
        ("Confirm", "PC1", "ON1", "10.00", "156")
    );
    assert!(parse_beijing(&sent.order_date, &sent.order_time).is_some());
}

/// Proves a Cancel releases the whole authorization and, as the bank's own client requires,
/// names the amount held.
#[tokio::test]
async fn preauth_cancel_releases_the_authorization() {
    let (url, server) = serve(Script::Answer(Box::new(preauth_answer))).await;
    let cancel = PreAuthOperation::Cancel {
        amount: Amount::from_fen(1234).unwrap(),
    };
    let answer = channel(&url)
        .preauth(&operation_request("PX1", cancel))
        .await
        .unwrap();
    assert!(
        matches!(answer.state, BankPreAuthState::Done(ref done) if done.amount.fen() == 1234),
        "{answer:?}"
    );
    let (_, body) = server.await.unwrap();
    let sent = read_sent::<PreAuthRequest>(&body).order;
    assert_eq!(
        (sent.operate_type.as_str(), sent.order_amount.as_str()),
        ("Cancel", "12.34")
    );
}

/// Proves each refusal of the operation keeps its code, EUNKWN stays unknown, and an answer
/// for another operation or amount is not believed.
#[test]
fn preauth_refusals_keep_their_code() {
    let account = account("http://127.0.0.1:9/");
    let confirm = PreAuthOperation::Confirm {
        amount: Amount::from_fen(1000).unwrap(),
    };
    let sent = preauth_request("ON1", "PC1", &confirm, CREATED_MS).unwrap();
    let read = |body: Vec<u8>| preauth::read_answer(&account, &sent, &confirm, &body, 0);
    for (code, message) in [
        ("2330", "预授权已撤销"),
        ("2331", "预授权已确认"),
        ("2332", "确认金额超过授权金额"),
        ("2333", "非预授权订单或未授权"),
        ("2308", "订单不存在"),
    ] {
        assert_eq!(
            read(error_answer(code, message)).unwrap(),
            BankPreAuthState::Refused {
                code: code.to_string(),
                reason: message.to_string()
            }
        );
    }
    assert!(matches!(
        read(error_answer("EUNKWN", "交易结果未知")).unwrap(),
        BankPreAuthState::Unknown { .. }
    ));
    assert!(matches!(
        read(error_answer("2101", "字段错误(OrderAmount)")).unwrap_err(),
        ChannelError::Refused { .. }
    ));
    let body = |edit: fn(&mut PreAuthResponse)| {
        let mut r = PreAuthResponse {
            return_code: "0000".to_string(),
            merchant_id: MID.to_string(),
            trx_type: "PreAuthCancelConfirm".to_string(),
            operate_type: "Confirm".to_string(),
            order_no: "PC1".to_string(),
            original_order_no: "ON1".to_string(),
            order_amount: "10.00".to_string(),
            ..PreAuthResponse::default()
        };
        edit(&mut r);
        signed_by_bank(r)
    };
    assert!(matches!(
        read(body(|_| {})).unwrap(),
        BankPreAuthState::Done(ref done) if done.paid_at_ms == 0
    ));
    for edit in [
        (|r: &mut PreAuthResponse| r.order_no = "PC2".to_string()) as fn(&mut _),
        |r| r.original_order_no = "ON2".to_string(),
        |r| r.operate_type = "Cancel".to_string(),
        |r| r.order_amount = "12.34".to_string(),
    ] {
        let err = read(body(edit)).unwrap_err();
        assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    }
}

#[tokio::test]
async fn a_lost_preauth_answer_is_an_unknown_outcome() {
    let (url, _s) = serve(Script::HangUp).await;
    let cancel = PreAuthOperation::Cancel {
        amount: Amount::from_fen(1234).unwrap(),
    };
    let err = channel(&url)
        .preauth(&operation_request("PX1", cancel))
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
}

#[test]
fn unfit_preauth_operations_are_never_sent() {
    let cancel = PreAuthOperation::Cancel {
        amount: Amount::from_fen(1234).unwrap(),
    };
    assert!(preauth_request("ON1", "PX1", &cancel, CREATED_MS).is_ok());
    for (original, operation) in [("ON1", "ON1"), ("ON 1", "PX1"), ("ON1", "")] {
        assert!(
            matches!(
                preauth_request(original, operation, &cancel, CREATED_MS),
                Err(ChannelError::Refused { ref code, .. }) if code == "1100"
            ),
            "{original} {operation}"
        );
    }
}

/// A capture or cancel of the hold `ON1` as the flow asks for it.
fn operation_request(operation_no: &str, operation: PreAuthOperation) -> OperationRequest {
    OperationRequest {
        original_order_no: "ON1".to_string(),
        original_trade_no: None,
        operation_no: operation_no.to_string(),
        operation,
        operation_time_ms: 0,
        result_notify_url: String::new(),
    }
}
