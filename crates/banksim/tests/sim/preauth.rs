//! Pre-authorization: PayReq with PreAuthPay authorizes, PreAuthCancelConfirm confirms (07) or
//! cancels (00) once, and a confirmed one refunds up to what was captured.

use crate::common::*;
use crate::statements::{line_of, lines, settle};
use chrono::NaiveDate;
use serde_json::json;

fn operation(operate_type: &str, order_no: &str, original: &str, amount: &str) -> String {
    crate::sdk::pre_auth_cancel_confirm(operate_type, order_no, original, amount).message()
}

async fn confirm(sim: &Sim, order_no: &str, original: &str, amount: &str) -> Answer {
    sim.transact(&operation("Confirm", order_no, original, amount))
        .await
}

/// A Cancel carries the amount held: every authorization cancelled here is of 10.00.
async fn cancel(sim: &Sim, order_no: &str, original: &str) -> Answer {
    sim.transact(&operation("Cancel", order_no, original, "10.00"))
        .await
}

/// Registers a pre-authorization and authorizes it without notifications.
async fn authorized(sim: &Sim, order_no: &str, amount: &str) -> serde_json::Value {
    let message = pre_auth_message(order_no, amount, "1", "http://127.0.0.1:9/n");
    assert_eq!(sim.transact(&message).await.code(), "0000");
    sim.pay(order_no, "success", "none").await
}

#[tokio::test]
async fn paying_a_pre_auth_pay_order_authorizes_it_and_notifies_as_a_payment() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let message = pre_auth_message("PA1", "10.00", "1", &receiver.url);
    assert_eq!(sim.transact(&message).await.code(), "0000");
    let order = sim.pay("PA1", "success", "server").await;
    assert_eq!(order["state"], "authorized");
    assert_eq!(order["status"], "04");
    assert_eq!(order["pay_type_id"], "PreAuthPay");
    assert_eq!(order["preauth"]["state"], "authorized");
    assert_eq!(order["preauth"]["authorized_fen"], 1000);
    assert_eq!(order["preauth"]["operation"], json!(null));
    // An authorization is nothing to refund.
    assert_eq!(order["refundable_fen"], json!(null));

    receiver.wait_for(1).await;
    let notification = receiver.notification(0, &sim.certificate);
    assert_eq!(notification.order_no, "PA1");
    assert_eq!(notification.amount.fen(), 1000);
    assert_eq!(notification.return_code, "0000");

    let detail = sim.query("PA1").await.order_detail();
    assert_eq!(
        (detail.status.as_str(), detail.pay_type_id.as_str()),
        ("04", "PreAuthPay")
    );
    assert_eq!(detail.i_rsp_ref, order["i_rsp_ref"].as_str().unwrap());
    // Paying again changes nothing; the order is taken for another PayReq.
    assert_eq!(
        sim.pay("PA1", "success", "none").await["state"],
        "authorized"
    );
    assert_eq!(sim.transact(&message).await.code(), "2302");
    assert_eq!(sim.refund("PA1", "PA1-R", "1.00").await.code(), "2310");
}

#[tokio::test]
async fn confirming_part_captures_it_once_and_a_repeat_gets_the_same_answer() {
    let sim = start_sim(vec![0]).await;
    authorized(&sim, "PA2", "10.00").await;
    let confirmed = confirm(&sim, "PA2-C", "PA2", "6.00").await;
    assert_eq!(confirmed.code(), "0000", "{}", confirmed.signed.message);
    for (field, value) in [
        ("ErrorMessage", "交易成功"),
        ("TrxType", "PreAuthCancelConfirm"),
        ("OperateType", "Confirm"),
        ("OrderNo", "PA2-C"),
        ("OriginalOrderNo", "PA2"),
        ("OrderAmount", "6.00"),
    ] {
        assert_eq!(confirmed.field(field), value, "{field}");
    }
    for field in ["iRspRef", "VouchNo", "BatchNo", "HostDate", "HostTime"] {
        assert!(!confirmed.field(field).is_empty(), "{field}");
    }
    assert_eq!(sim.query("PA2").await.order_detail().status, "07");
    let order = sim.order("PA2").await;
    assert_eq!(order["state"], "confirmed");
    assert_eq!(order["preauth"]["captured_fen"], 600);
    assert_eq!(order["preauth"]["operation"]["order_no"], "PA2-C");
    assert_eq!(order["refundable_fen"], 600);

    let again = confirm(&sim, "PA2-C", "PA2", "6.00").await;
    assert_eq!(
        again.signed.message, confirmed.signed.message,
        "the same answer"
    );
    for (answer, code) in [
        (confirm(&sim, "PA2-C", "PA2", "5.00").await, "2301"),
        (cancel(&sim, "PA2-C", "PA2").await, "2301"),
        (cancel(&sim, "PA2-X", "PA2").await, "2331"),
        (confirm(&sim, "PA2-D", "PA2", "1.00").await, "2331"),
    ] {
        assert_eq!(answer.code(), code, "{}", answer.signed.message);
    }
    assert_eq!(sim.query("PA2").await.order_detail().status, "07");
    assert_eq!(sim.order("PA2").await["preauth"]["captured_fen"], 600);
}

#[tokio::test]
async fn cancelling_an_authorization_releases_it() {
    let sim = start_sim(vec![0]).await;
    authorized(&sim, "PA3", "10.00").await;
    let cancelled = cancel(&sim, "PA3-X", "PA3").await;
    assert_eq!(cancelled.code(), "0000", "{}", cancelled.signed.message);
    assert_eq!(cancelled.field("OperateType"), "Cancel");
    assert_eq!(
        cancelled.field("OrderAmount"),
        "10.00",
        "the whole authorization"
    );
    assert_eq!(sim.query("PA3").await.order_detail().status, "00");
    assert_eq!(sim.order("PA3").await["state"], "cancelled");
    let refused = confirm(&sim, "PA3-C", "PA3", "1.00").await;
    assert_eq!(refused.code(), "2330");
    assert_eq!(refused.field("ErrorMessage"), "预授权已撤销");
    assert_eq!(cancel(&sim, "PA3-Y", "PA3").await.code(), "2330");
    assert_eq!(sim.refund("PA3", "PA3-R", "1.00").await.code(), "2310");
    // The repeat of the cancellation itself is answered as the first time.
    let again = cancel(&sim, "PA3-X", "PA3").await;
    assert_eq!(again.signed.message, cancelled.signed.message);
}

#[tokio::test]
async fn confirmations_the_bank_cannot_carry_out_are_refused() {
    let sim = start_sim(vec![0]).await;
    authorized(&sim, "PA4", "10.00").await;
    let over = confirm(&sim, "PA4-C", "PA4", "10.01").await;
    assert_eq!(over.code(), "2332");
    assert_eq!(over.field("ErrorMessage"), "确认金额超过授权金额");
    assert_eq!(confirm(&sim, "PA4-C", "NOPE", "1.00").await.code(), "2308");
    sim.paid("PA4P", "10.00").await;
    assert_eq!(confirm(&sim, "PA4-C", "PA4P", "1.00").await.code(), "2333");
    let unpaid = pre_auth_message("PA4U", "10.00", "1", "http://h/n");
    sim.transact(&unpaid).await;
    let not_yet = confirm(&sim, "PA4-C", "PA4U", "1.00").await;
    assert_eq!(not_yet.code(), "2333");
    assert_eq!(not_yet.field("ErrorMessage"), "非预授权订单或未授权");
    // An operation's number must be new: not an order's.
    assert_eq!(confirm(&sim, "PA4P", "PA4", "1.00").await.code(), "2301");
    for (message, field) in [
        (operation("Capture", "PA4-C", "PA4", "1.00"), "OperateType"),
        (operation("Confirm", "PA4-C", "PA4", ""), "OrderAmount"),
        (operation("Confirm", "PA4-C", "PA4", "0.00"), "OrderAmount"),
        (operation("Confirm", "PA4-C", "", "1.00"), "OriginalOrderNo"),
        (operation("Cancel", "", "PA4", ""), "OrderNo"),
    ] {
        let refused = sim.transact(&message).await;
        assert_eq!(refused.code(), "2101", "{field}");
        assert_eq!(refused.field("ErrorMessage"), format!("字段错误({field})"));
    }
    assert_eq!(sim.order("PA4").await["state"], "authorized");
    assert_eq!(confirm(&sim, "PA4-C", "PA4", "10.00").await.code(), "0000");
}

#[tokio::test]
async fn a_confirmed_pre_auth_refunds_up_to_the_captured_amount() {
    let sim = start_sim(vec![0]).await;
    authorized(&sim, "PA5", "10.00").await;
    let confirmed = confirm(&sim, "PA5-C", "PA5", "6.00").await;
    assert_eq!(confirmed.code(), "0000");
    assert_eq!(sim.refund("PA5", "PA5-R1", "6.01").await.code(), "2311");
    assert_eq!(sim.refund("PA5", "PA5-R1", "2.00").await.code(), "0000");
    assert_eq!(sim.query("PA5").await.order_detail().status, "07");
    assert_eq!(sim.refund("PA5", "PA5-R2", "4.00").await.code(), "0000");
    assert_eq!(sim.query("PA5").await.order_detail().status, "05");
    assert_eq!(sim.order("PA5").await["state"], "refunded");

    // The statement shows the capture as a payment of what was captured, with its stamp.
    let order = sim.order("PA5").await;
    let booked = NaiveDate::parse_from_str(
        order["preauth"]["operation"]["accounting_date"]
            .as_str()
            .unwrap(),
        "%Y/%m/%d",
    )
    .unwrap();
    let records = lines(&settle(&sim, booked, "0").await);
    let capture = line_of(&records, "PA5").unwrap();
    assert_eq!(
        (
            capture[1].as_str(),
            capture[4].as_str(),
            capture[12].as_str()
        ),
        ("支付", "6.00", confirmed.field("iRspRef"))
    );
    let refund = line_of(&records, "PA5-R2").unwrap();
    assert_eq!((refund[1].as_str(), refund[14].as_str()), ("退款", "PA5"));
}

/// Proves the SDK's shape: the fields inside `Order{…}`, a Cancel carrying the amount held
/// (`2334` for another amount, `2101` for none), and flat fields not read.
#[tokio::test]
async fn a_cancel_carries_the_amount_held_inside_order() {
    let sim = start_sim(vec![0]).await;
    authorized(&sim, "PA9", "10.00").await;
    let other = sim
        .transact(&operation("Cancel", "PA9-X", "PA9", "9.00"))
        .await;
    assert_eq!(other.code(), "2334", "{}", other.signed.message);
    let none = sim.transact(&operation("Cancel", "PA9-X", "PA9", "")).await;
    assert_eq!(none.field("ErrorMessage"), "字段错误(OrderAmount)");
    let flat = format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{MERCHANT_ID}"}},"TrxRequest":{{"TrxType":"PreAuthCancelConfirm","OperateType":"Cancel","OrderNo":"PA9-X","OriginalOrderNo":"PA9","CurrencyCode":"156","OrderAmount":"10.00"}}}}"#
    );
    assert_eq!(
        sim.transact(&flat).await.field("ErrorMessage"),
        "字段错误(Order)"
    );
    let cancelled = sim
        .transact(&operation("Cancel", "PA9-X", "PA9", "10.00"))
        .await;
    assert_eq!(cancelled.code(), "0000", "{}", cancelled.signed.message);
    assert!(!cancelled.field("VouchNo").is_empty());
}
