//! Refunds: which operation goes, what it names, and what each answer and query means.

use super::*;
use crate::messages::BackOperation;
use unipay_core::channel::{BankRefundState, RefundedPayment};

// 2026-12-07 10:00:00 Beijing time.
const LATER_SAME_DAY_MS: i64 = CREATED_MS + 2 * 3_600_000;
// 2026-12-07 23:30:00 Beijing time: after UnionPay's 23:00 cut-over, the next day's.
const AFTER_CUTOVER_MS: i64 = CREATED_MS + 15 * 3_600_000 + 1_800_000;

fn refund_request(fen: i64) -> RefundRequest {
    RefundRequest {
        order_no: "ord0000000001".into(),
        payment: RefundedPayment {
            channel_trade_no: Some("202612070800001234567".into()),
            collected: Amount::from_fen(1234).unwrap(),
            accounting_date: Some("2026-12-07".into()),
            captured_preauth: false,
        },
        refund_no: "rfd0000000001".into(),
        amount: Amount::from_fen(fen).unwrap(),
        reason: "退货".into(),
        created_at_ms: LATER_SAME_DAY_MS,
        result_notify_url: "https://pay.example.com/callbacks/cha_1".into(),
    }
}

#[test]
fn the_whole_payment_on_its_day_is_a_void_anything_else_a_refund() {
    let whole = refund_request(1234);
    assert_eq!(
        operation_for(&whole, LATER_SAME_DAY_MS),
        BackOperation::ConsumeVoid
    );
    assert_eq!(
        operation_for(&whole, AFTER_CUTOVER_MS),
        BackOperation::Refund,
        "after the cut-over the day is the next one's"
    );
    assert_eq!(
        operation_for(&refund_request(1000), LATER_SAME_DAY_MS),
        BackOperation::Refund
    );
    let undated = RefundRequest {
        payment: RefundedPayment {
            accounting_date: None,
            ..whole.payment.clone()
        },
        ..whole
    };
    assert_eq!(
        operation_for(&undated, LATER_SAME_DAY_MS),
        BackOperation::Refund
    );
}

#[test]
fn a_captured_holds_whole_refund_on_its_day_is_a_completion_void() {
    let captured = RefundRequest {
        payment: RefundedPayment {
            captured_preauth: true,
            ..refund_request(1234).payment
        },
        ..refund_request(1234)
    };
    assert_eq!(
        operation_for(&captured, LATER_SAME_DAY_MS),
        BackOperation::CompletionVoid
    );
    assert_eq!(
        operation_for(&captured, AFTER_CUTOVER_MS),
        BackOperation::Refund
    );
}

#[test]
fn the_refund_names_the_payment_by_its_query_id_and_itself_by_its_number() {
    let channel = channel();
    let (sent, _) =
        refund::request(channel.account(), &refund_request(100), AFTER_CUTOVER_MS).unwrap();
    assert_eq!(sent.get("txnType"), Some("04"));
    assert_eq!(sent.get("orderId"), Some("rfd0000000001"));
    assert_eq!(sent.get("txnTime"), Some("20261207100000"));
    assert_eq!(sent.get("origQryId"), Some("202612070800001234567"));
    assert_eq!(sent.get("txnAmt"), Some("100"));
    assert_eq!(
        sent.get("backUrl"),
        Some("https://pay.example.com/callbacks/cha_1")
    );
    channel.account().verifier.verify(&sent, 0).unwrap();
    let (void, _) =
        refund::request(channel.account(), &refund_request(1234), LATER_SAME_DAY_MS).unwrap();
    assert_eq!(void.get("txnType"), Some("31"));
    // A payment UnionPay gave no queryId cannot be named: nothing is sent.
    let unnamed = RefundRequest {
        payment: RefundedPayment {
            channel_trade_no: None,
            ..refund_request(100).payment
        },
        ..refund_request(100)
    };
    assert!(matches!(
        refund::request(channel.account(), &unnamed, LATER_SAME_DAY_MS),
        Err(ChannelError::Unreachable(_))
    ));
}

#[test]
fn taken_in_is_not_done_and_unknown_codes_are_not_failures() {
    let channel = channel();
    let (sent, _) =
        refund::request(channel.account(), &refund_request(100), AFTER_CUTOVER_MS).unwrap();
    let read = |code: &str| {
        refund::read_back_answer(
            channel.account(),
            &sent,
            &answer_to(&sent, &[("respCode", code), ("queryId", "Q1")]),
            CREATED_MS,
        )
        .unwrap()
        .state
    };
    assert!(matches!(read("00"), BankRefundState::Accepted { .. }));
    for code in ["03", "04", "05", "12"] {
        assert!(
            matches!(read(code), BankRefundState::Unknown { .. }),
            "{code}"
        );
    }
    assert_eq!(
        read("36"),
        BankRefundState::Failed {
            code: "36".into(),
            reason: "msg".into()
        }
    );
    // An answer not signed by the bank is not believed.
    let mut forged = answer_to(&sent, &[("respCode", "00")]);
    forged.extend_from_slice(b"&txnAmt=1");
    assert!(matches!(
        refund::read_back_answer(channel.account(), &sent, &forged, CREATED_MS),
        Err(ChannelError::BadAnswer(_))
    ));
}

#[test]
fn the_refund_query_reads_the_refund_not_a_payment() {
    let channel = channel();
    let (sent, _) = query::request(channel.account(), "rfd0000000001", LATER_SAME_DAY_MS).unwrap();
    let read = |extra: &[(&str, &str)]| {
        refund::read_query(
            channel.account(),
            &sent,
            &answer_to(&sent, extra),
            CREATED_MS,
        )
    };
    let found = |txn_type: &'static str, code: &'static str| {
        vec![
            ("respCode", "00"),
            ("origRespCode", code),
            ("origRespMsg", "orig"),
            ("queryId", "Q2"),
            ("settleDate", "1207"),
            ("txnAmt", "100"),
            ("txnType", txn_type),
        ]
    };
    let BankRefundState::Succeeded(done) = read(&found("04", "00")).unwrap().state else {
        panic!("refunded");
    };
    assert_eq!(done.channel_refund_no, "Q2");
    assert_eq!(done.accounting_date, "2026-12-07");
    assert!(matches!(
        read(&found("31", "00")).unwrap().state,
        BankRefundState::Succeeded(_)
    ));
    assert!(matches!(
        read(&found("04", "05")).unwrap().state,
        BankRefundState::Unknown { .. }
    ));
    assert_eq!(
        read(&found("04", "36")).unwrap().state,
        BankRefundState::Failed {
            code: "36".into(),
            reason: "orig".into()
        }
    );
    assert!(matches!(
        read(&[("respCode", "34")]).unwrap().state,
        BankRefundState::NotFound { ref code, .. } if code == "34"
    ));
    assert!(matches!(
        read(&[("respCode", "03")]).unwrap().state,
        BankRefundState::Unknown { .. }
    ));
    // A payment found under the refund's number is not the refund's answer.
    assert!(matches!(
        read(&found("01", "00")),
        Err(ChannelError::BadAnswer(_))
    ));
}

#[test]
fn a_refund_notification_carries_the_refunds_serial_and_date() {
    let refund = channel()
        .read_notification(&notification("04", "00", "100", MER_ID))
        .unwrap();
    let NotificationOutcome::Operation {
        kind,
        succeeded,
        amount,
        channel_trade_no,
        accounting_date,
        ..
    } = refund.outcome
    else {
        panic!("an operation");
    };
    assert_eq!((kind.as_str(), succeeded, amount.fen()), ("04", true, 100));
    assert_eq!(channel_trade_no, "202612070800001234567");
    assert_eq!(accounting_date, "2026-12-07");
}

#[test]
fn a_batch_of_refunds_is_refused_as_not_offered() {
    let batch = unipay_core::channel::BatchRefundRequest {
        batch_no: "b1".into(),
        created_at_ms: CREATED_MS,
        lines: Vec::new(),
    };
    assert!(matches!(
        channel().plan_refund_batch(&batch),
        Err(ChannelError::Refused { ref code, .. }) if code == NOT_OFFERED
    ));
}
