//! Refund and the refund query: canned signed answers, read directly and over HTTP.

use super::http_tests::{Script, channel, serve};
use super::*;
use crate::messages::{QueryRequest, RefundQueryOrder, RefundRequest as AbcRefund, RefundResponse};
use base64::Engine;
use unipay_core::channel::{BankRefundState, BankRefunded, RefundRequest, RefundedPayment};

const REFUND_RESP: &[u8] = include_bytes!("../../../tests/vectors/refund.resp.accepted.raw");

fn refund(refund_no: &str, fen: i64) -> RefundRequest {
    RefundRequest {
        order_no: "ON1".to_string(),
        payment: RefundedPayment {
            channel_trade_no: Some("SIMP000001".to_string()),
            collected: Amount::from_fen(fen).unwrap(),
            accounting_date: None,
            captured_preauth: false,
        },
        refund_no: refund_no.to_string(),
        amount: Amount::from_fen(fen).unwrap(),
        reason: "退货".to_string(),
        created_at_ms: CREATED_MS,
        result_notify_url: "https://pay.example.com/callbacks/cha_1".to_string(),
    }
}

/// The bank's success answer to the Refund in `request_body`, stamped 23:05 (after the 23:00
/// cut-over).
fn refund_answer(request_body: &[u8]) -> Vec<u8> {
    let trx: AbcRefund = read_sent(request_body);
    signed_by_bank(RefundResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "Refund".to_string(),
        order_no: trx.order_no,
        new_order_no: trx.new_order_no,
        trx_amount: trx.trx_amount,
        batch_no: "261127".to_string(),
        voucher_no: "123456".to_string(),
        host_date: "2026/11/27".to_string(),
        host_time: "23:05:00".to_string(),
        i_rsp_ref: "SIMR1".to_string(),
    })
}

#[tokio::test]
async fn refund_posts_the_refund_and_reads_its_stamp() {
    let (url, server) = serve(Script::Answer(Box::new(refund_answer))).await;
    let answer = channel(&url).refund(&refund("RF1", 1234)).await.unwrap();
    assert_eq!(
        answer.state,
        BankRefundState::Succeeded(BankRefunded {
            channel_refund_no: "SIMR1".to_string(),
            refunded_at_ms: ms("2026/11/27", "23:05:00"),
            accounting_date: "2026-11-28".to_string(),
        })
    );
    assert_eq!(answer.raw.sha256.len(), 64);
    assert!(answer.raw.masked.contains(r#""TrxType":"Refund""#));
    let (_, body) = server.await.unwrap();
    let sent: AbcRefund = read_sent(&body);
    assert_eq!(
        sent,
        AbcRefund {
            trx_type: "Refund".to_string(),
            order_date: "2026/11/27".to_string(),
            order_time: "09:47:44".to_string(),
            order_no: "ON1".to_string(),
            new_order_no: "RF1".to_string(),
            currency_code: "156".to_string(),
            trx_amount: "12.34".to_string(),
            refund_type: "0".to_string(),
            merchant_remarks: "退货".to_string(),
            ..AbcRefund::default()
        }
    );
}

#[test]
fn the_captured_refund_answer_is_a_success() {
    let request = RefundRequest {
        order_no: "ON20261127A001".to_string(),
        ..refund("RF20261127094409250", 100)
    };
    let state = refund::read_answer(&vector_account(), &request, http_body(REFUND_RESP), 0);
    assert_eq!(
        state.unwrap(),
        BankRefundState::Succeeded(BankRefunded {
            channel_refund_no: "SIMR094409".to_string(),
            refunded_at_ms: ms("2026/11/27", "09:44:09"),
            accounting_date: "2026-11-27".to_string(),
        })
    );
}

/// Proves each refusal of the refund itself is a failed refund with the bank's code, not an
/// error, while EUNKWN stays unknown and a refusal of our message stays an error.
#[test]
fn refund_refusals_are_failed_refunds_with_their_code() {
    let account = account("http://127.0.0.1:9/");
    let read = |body: Vec<u8>| refund::read_answer(&account, &refund("RF1", 100), &body, 0);
    for (code, message) in [
        ("2310", "订单状态不允许退款"),
        ("2311", "退款金额超过可退金额"),
        ("2313", "商户账户余额不足"),
        ("2301", "订单号重复"),
        ("2308", "订单不存在"),
    ] {
        assert_eq!(
            read(error_answer(code, message)).unwrap(),
            BankRefundState::Failed {
                code: code.to_string(),
                reason: message.to_string()
            }
        );
    }
    assert!(matches!(
        read(error_answer("EUNKWN", "交易结果未知")).unwrap(),
        BankRefundState::Unknown { .. }
    ));
    for code in ["2101", "1302", "2001"] {
        assert!(
            matches!(
                read(error_answer(code, "x")).unwrap_err(),
                ChannelError::Refused { code: ref c, .. } if c == code
            ),
            "{code}"
        );
    }
}

#[tokio::test]
async fn refund_refusal_and_unknowns_over_http() {
    let (url, _s) = serve(Script::Answer(Box::new(|_| {
        error_answer("2311", "退款金额超过可退金额")
    })))
    .await;
    let answer = channel(&url).refund(&refund("RF2", 100)).await.unwrap();
    assert!(
        matches!(answer.state, BankRefundState::Failed { ref code, .. } if code == "2311"),
        "{answer:?}"
    );
    assert!(answer.raw.masked.contains("2311"));
    let (url, _s) = serve(Script::Answer(Box::new(|_| error_answer("EUNKWN", "未知")))).await;
    let answer = channel(&url).refund(&refund("RF3", 100)).await.unwrap();
    assert!(matches!(answer.state, BankRefundState::Unknown { .. }));
    // The refund may have been done: a lost answer is an unknown outcome, not a failure.
    for script in [Script::Silence, Script::HangUp] {
        let (url, _s) = serve(script).await;
        let err = channel(&url).refund(&refund("RF4", 100)).await.unwrap_err();
        assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
    }
}

#[test]
fn refund_answers_not_ours_are_not_believed() {
    let account = account("http://127.0.0.1:9/");
    let request = refund("RF1", 1234);
    let mut body = Vec::new();
    body.extend_from_slice(&crate::wire::build_request(
        &crate::messages::RequestMessage::new(MID, refund::refund_request(&request).unwrap())
            .to_json()
            .unwrap(),
        &merchant_key(),
        SignatureAlgorithm::Sha1WithRsa,
    ));
    let good = refund_answer(&body);
    assert!(refund::read_answer(&account, &request, &good, 0).is_ok());
    for other in [refund("RF9", 1234), refund("RF1", 1235)] {
        let err = refund::read_answer(&account, &other, &good, 0).unwrap_err();
        assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    }
    let mut other_order = refund("RF1", 1234);
    other_order.order_no = "ON2".to_string();
    let err = refund::read_answer(&account, &other_order, &good, 0).unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    let impostor = AbcAccount::new(MID, merchant_key(), merchant_cert(), "http://127.0.0.1:9/");
    let err = refund::read_answer(&impostor, &request, &good, 0).unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
}

#[test]
fn unfit_refunds_are_never_sent() {
    let unfit = |request: RefundRequest| {
        matches!(
            refund::refund_request(&request),
            Err(ChannelError::Refused { code, .. }) if code == "1100"
        )
    };
    assert!(unfit(refund("ON1", 100)), "its order's number");
    assert!(unfit(refund("RF 1", 100)));
    assert!(unfit(refund(&"R".repeat(61), 100)));
    // Order numbers run to 60 characters.
    assert!(!unfit(refund(&"R".repeat(60), 100)));
    assert!(unfit(RefundRequest {
        order_no: String::new(),
        ..refund("RF1", 100)
    }));
    let long = RefundRequest {
        reason: "因".repeat(150),
        ..refund("RF1", 100)
    };
    let trx = refund::refund_request(&long).unwrap();
    assert_eq!(trx.merchant_remarks.chars().count(), 100);
}

/// A Query answer reading the refund `RF1` of 12.34 as an order.
fn refund_query_answer(pay_type_id: &str, status: &str, host: bool) -> Vec<u8> {
    let detail = RefundQueryOrder {
        pay_type_id: pay_type_id.to_string(),
        order_no: "RF1".to_string(),
        order_date: "2026/11/27".to_string(),
        order_time: "10:00:00".to_string(),
        order_amount: "12.34".to_string(),
        status: status.to_string(),
        i_rsp_ref: if status == "04" { "SIMR2" } else { "" }.to_string(),
        host_date: host.then(|| "2026/11/27".to_string()),
        host_time: host.then(|| "23:30:00".to_string()),
        original_order_no: "ON1".to_string(),
    };
    let json = serde_json::to_string(&detail).unwrap();
    signed_by_bank(QueryResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "Query".to_string(),
        order: base64::engine::general_purpose::STANDARD.encode(json),
    })
}

#[test]
fn query_refund_maps_statuses_and_codes() {
    let account = account("http://127.0.0.1:9/");
    let read = |body: Vec<u8>| refund_query::read_answer(&account, "RF1", &body, 42);
    assert_eq!(
        read(refund_query_answer("Refund", "04", true)).unwrap(),
        BankRefundState::Succeeded(BankRefunded {
            channel_refund_no: "SIMR2".to_string(),
            refunded_at_ms: ms("2026/11/27", "23:30:00"),
            accounting_date: "2026-11-28".to_string(),
        })
    );
    // Without the host's time, the refund request's.
    assert!(matches!(
        read(refund_query_answer("Refund", "04", false)).unwrap(),
        BankRefundState::Succeeded(BankRefunded { refunded_at_ms, ref accounting_date, .. })
            if refunded_at_ms == ms("2026/11/27", "10:00:00") && accounting_date == "2026-11-27"
    ));
    assert!(matches!(
        read(refund_query_answer("Refund", "99", false)).unwrap(),
        BankRefundState::Failed { ref code, .. } if code == "99"
    ));
    assert!(matches!(
        read(refund_query_answer("Refund", "02", false)).unwrap(),
        BankRefundState::Unknown { .. }
    ));
    assert!(matches!(
        read(refund_query_answer("Refund", "01", false)).unwrap(),
        BankRefundState::Unknown { .. }
    ));
    // The platform has no refund under the number: not refused, to be sent again.
    assert!(matches!(
        read(error_answer("2308", "订单不存在")).unwrap(),
        BankRefundState::NotFound { ref code, ref reason }
            if code == "2308" && reason.contains("RF1") && reason.contains("订单不存在")
    ));
    for code in crate::messages::NO_SUCH_ORDER_CODES {
        assert!(
            matches!(
                read(error_answer(code, "订单不存在")).unwrap(),
                BankRefundState::NotFound { .. }
            ),
            "{code}"
        );
    }
    assert!(matches!(
        read(error_answer("EUNKWN", "交易结果未知")).unwrap(),
        BankRefundState::Unknown { .. }
    ));
    assert!(matches!(
        read(error_answer("2302", "系统繁忙")).unwrap_err(),
        ChannelError::Refused { ref code, .. } if code == "2302"
    ));
    // A payment's number is no refund, and another refund is not this one.
    for body in [
        refund_query_answer("ImmediatePay", "04", true),
        refund_query_answer("", "04", true),
    ] {
        assert!(matches!(
            read(body).unwrap_err(),
            ChannelError::BadAnswer(_)
        ));
    }
    let err = refund_query::read_answer(
        &account,
        "RF2",
        &refund_query_answer("Refund", "04", true),
        0,
    )
    .unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
}

#[tokio::test]
async fn query_refund_asks_by_the_refund_number() {
    let (url, server) = serve(Script::Answer(Box::new(|_| {
        refund_query_answer("Refund", "04", true)
    })))
    .await;
    let answer = channel(&url).query_refund("RF1", 0).await.unwrap();
    assert!(matches!(answer.state, BankRefundState::Succeeded(_)));
    assert_eq!(answer.raw.sha256.len(), 64);
    let (_, body) = server.await.unwrap();
    let sent: QueryRequest = read_sent(&body);
    assert_eq!(sent, QueryRequest::new("Refund", "RF1", false));
    // And a payment query that meets a refund's number does not take it for a payment.
    let (url, _s) = serve(Script::Answer(Box::new(|_| {
        refund_query_answer("Refund", "04", true)
    })))
    .await;
    let err = channel(&url).query_payment("RF1", 0, 0).await.unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
}
