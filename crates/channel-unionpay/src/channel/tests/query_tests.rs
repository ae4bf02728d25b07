//! A payment's query: what an order still in progress means before and after its payTimeout.

use super::*;

#[test]
fn an_order_in_progress_is_unknown_until_its_pay_timeout_then_unpaid() {
    let channel = channel();
    let (sent, _) = query::request(channel.account(), "ord0000000001", CREATED_MS).unwrap();
    let pay_by = CREATED_MS + 1_800_000;
    let in_progress = answer_to(
        &sent,
        &[
            ("respCode", "00"),
            ("origRespCode", "05"),
            ("origRespMsg", "交易已受理，请稍后查询交易结果"),
        ],
    );
    let read = |now_ms: i64| {
        query::read(channel.account(), &sent, &in_progress, pay_by, now_ms)
            .unwrap()
            .state
    };
    assert!(matches!(read(pay_by), BankPaymentState::Unknown { .. }));
    assert!(matches!(
        read(pay_by + 5_000),
        BankPaymentState::Unknown { .. }
    ));
    assert_eq!(read(pay_by + 5_001), BankPaymentState::Unpaid);
    // The query itself unanswered says nothing of the order, whatever the time.
    let unanswered = answer_to(&sent, &[("respCode", "03")]);
    assert!(matches!(
        query::read(
            channel.account(),
            &sent,
            &unanswered,
            pay_by,
            pay_by + 3_600_000
        )
        .unwrap()
        .state,
        BankPaymentState::Unknown { .. }
    ));
    // A success is a success after the deadline too (a late success is kept, not lost).
    let paid = answer_to(
        &sent,
        &[
            ("respCode", "00"),
            ("origRespCode", "00"),
            ("origRespMsg", "成功"),
            ("queryId", "Q1"),
            ("settleDate", "1207"),
            ("txnAmt", "1234"),
        ],
    );
    assert!(matches!(
        query::read(channel.account(), &sent, &paid, pay_by, pay_by + 3_600_000)
            .unwrap()
            .state,
        BankPaymentState::Paid(_)
    ));
}
