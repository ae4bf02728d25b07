//! Single refunds (`Refund`): the bank's rules, repeats, Query by NewOrderNo, statement lines,
//! and the `refund` faults.

use crate::common::*;
use crate::statements::{line_of, lines, settle, trnx};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDate, NaiveTime, Timelike};
use serde_json::{Value, json};

/// The `Order` detail of a Query answer as plain JSON (a refund's has fields a payment's lacks).
pub fn detail(answer: &Answer) -> Value {
    assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
    let json = STANDARD.decode(answer.field("Order")).unwrap();
    serde_json::from_slice(&json).unwrap()
}

fn date(text: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(text.as_str().unwrap(), "%Y/%m/%d").unwrap()
}

#[tokio::test]
async fn a_partial_then_the_rest_refunds_the_order_in_full() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF1", "10.00").await;

    let first = sim.refund("RF1", "RF1-R1", "3.00").await;
    assert_eq!(first.code(), "0000", "{}", first.signed.message);
    assert_eq!(first.field("ErrorMessage"), "交易成功");
    assert_eq!(first.field("TrxType"), "Refund");
    assert_eq!(first.field("OrderNo"), "RF1");
    assert_eq!(first.field("NewOrderNo"), "RF1-R1");
    assert_eq!(first.field("TrxAmount"), "3.00");
    assert_eq!(first.field("iRspRef").len(), 12);
    assert_eq!(first.field("VoucherNo").len(), 6);
    assert_eq!(first.field("BatchNo").len(), 6);
    assert!(NaiveDate::parse_from_str(first.field("HostDate"), "%Y/%m/%d").is_ok());
    assert!(NaiveTime::parse_from_str(first.field("HostTime"), "%H:%M:%S").is_ok());
    // Fields in the captured vector's order.
    let text = &first.signed.message;
    let positions: Vec<usize> = [
        "\"ReturnCode\"",
        "\"TrxType\"",
        "\"OrderNo\"",
        "\"NewOrderNo\"",
        "\"TrxAmount\"",
        "\"BatchNo\"",
        "\"VoucherNo\"",
        "\"HostDate\"",
        "\"HostTime\"",
        "\"iRspRef\"",
    ]
    .iter()
    .map(|name| text.find(name).unwrap())
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");

    // Partly refunded: still 04.
    assert_eq!(sim.query("RF1").await.order_detail().status, "04");
    let order = sim.order("RF1").await;
    assert_eq!(
        (&order["refunded_fen"], &order["refundable_fen"]),
        (&json!(300), &json!(700))
    );
    assert_eq!(order["state"], "paid");

    assert_eq!(sim.refund("RF1", "RF1-R2", "7.00").await.code(), "0000");
    assert_eq!(sim.query("RF1").await.order_detail().status, "05");
    let order = sim.order("RF1").await;
    assert_eq!(order["status"], "05");
    assert_eq!(order["state"], "refunded");
    assert_eq!(order["refundable_fen"], 0);
    let refunds = order["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[0]["new_order_no"], "RF1-R1");
    assert_eq!(refunds[0]["state"], "succeeded");
    assert_eq!(refunds[0]["i_rsp_ref"], first.field("iRspRef"));
    assert!(refunds[0]["accounting_date"].is_string());
}

#[tokio::test]
async fn a_refund_over_what_is_left_is_refused_and_changes_nothing() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF2", "5.00").await;
    let over = sim.refund("RF2", "RF2-R1", "5.01").await;
    assert_eq!(over.code(), "2311");
    assert_eq!(over.field("ErrorMessage"), "退款金额超过可退金额");
    assert_eq!(sim.refund("RF2", "RF2-R2", "3.00").await.code(), "0000");
    assert_eq!(sim.refund("RF2", "RF2-R3", "2.01").await.code(), "2311");
    assert_eq!(sim.order("RF2").await["refunded_fen"], 300);
    // A refused number left nothing behind: it can be used again, and queries as unknown.
    assert_eq!(sim.query("RF2-R1").await.code(), "2308");
    assert_eq!(sim.refund("RF2", "RF2-R1", "2.00").await.code(), "0000");
    assert_eq!(sim.order("RF2").await["status"], "05");
    assert_eq!(sim.refund("RF2", "RF2-R4", "0.01").await.code(), "2311");
}

#[tokio::test]
async fn a_repeated_refund_gets_the_same_answer_and_other_content_is_refused() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF3", "9.00").await;
    sim.paid("RF3B", "9.00").await;
    let first = sim.refund("RF3", "RF3-R1", "1.00").await;
    assert_eq!(first.code(), "0000");
    let again = sim.refund("RF3", "RF3-R1", "1.00").await;
    assert_eq!(
        again.signed.message, first.signed.message,
        "the same answer"
    );
    for (order_no, new_order_no, amount) in [
        ("RF3", "RF3-R1", "2.00"),
        ("RF3B", "RF3-R1", "1.00"),
        // A payment's number is no refund's.
        ("RF3", "RF3B", "1.00"),
    ] {
        let refused = sim.refund(order_no, new_order_no, amount).await;
        assert_eq!(refused.code(), "2301", "{new_order_no} {amount}");
        assert_eq!(refused.field("ErrorMessage"), "订单号重复");
    }
    assert_eq!(sim.order("RF3").await["refunded_fen"], 100);
    assert_eq!(sim.order("RF3B").await["refunded_fen"], 0);
    // A refund's number cannot become an order either.
    let pay_req = sim.pay_req("RF3-R1", "1.00", "1", "http://h/n").await;
    assert_eq!(pay_req.code(), "2301");
}

#[tokio::test]
async fn unpaid_declined_and_unknown_orders_are_not_refunded() {
    let sim = start_sim(vec![0]).await;
    sim.pay_req("RF4U", "1.00", "1", "http://h/n").await;
    sim.pay_req("RF4D", "1.00", "1", "http://h/n").await;
    sim.pay("RF4D", "decline", "none").await;
    for order_no in ["RF4U", "RF4D"] {
        let refused = sim.refund(order_no, &format!("{order_no}-R"), "1.00").await;
        assert_eq!(refused.code(), "2310", "{order_no}");
        assert_eq!(refused.field("ErrorMessage"), "订单状态不允许退款");
    }
    assert_eq!(sim.refund("NOPE", "NOPE-R", "1.00").await.code(), "2308");

    sim.paid("RF4P", "1.00").await;
    for (message, field) in [
        (refund_message("RF4P", "R-4", "0"), "TrxAmount"),
        (refund_message("RF4P", "R-4", "1.001"), "TrxAmount"),
        (refund_message("RF4P", "R\"4", "1.00"), "NewOrderNo"),
        (refund_message("", "R-4", "1.00"), "OrderNo"),
        (
            refund_message("RF4P", "R-4", "1.00").replace("2026/11/27", "2026-11-27"),
            "OrderDate",
        ),
        (
            refund_message("RF4P", "R-4", "1.00")
                .replace(r#""CurrencyCode":"156""#, r#""CurrencyCode":"840""#),
            "CurrencyCode",
        ),
        (
            refund_message("RF4P", "R-4", "1.00")
                .replace(r#""TrxAmount":"1.00""#, r#""TrxAmount":1"#),
            "TrxRequest",
        ),
    ] {
        let refused = sim.transact(&message).await;
        assert_eq!(refused.code(), "2101", "{field}");
        assert_eq!(refused.field("ErrorMessage"), format!("字段错误({field})"));
    }
    assert_eq!(sim.order("RF4P").await["refunded_fen"], 0);
}

#[tokio::test]
async fn query_of_a_new_order_no_answers_the_refund_as_an_order() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF5", "8.00").await;
    let refund = sim.refund("RF5", "RF5-R1", "2.50").await;
    let found = detail(&sim.query("RF5-R1").await);
    assert_eq!(found["PayTypeID"], "Refund");
    assert_eq!(found["OrderNo"], "RF5-R1");
    assert_eq!(found["OriginalOrderNo"], "RF5");
    assert_eq!(found["OrderAmount"], "2.50");
    assert_eq!(found["Status"], "04");
    assert_eq!(found["iRspRef"], refund.field("iRspRef"));
    assert_eq!(found["HostDate"], refund.field("HostDate"));
    assert_eq!(
        (&found["OrderDate"], &found["OrderTime"]),
        (&json!("2026/11/27"), &json!("10:00:00"))
    );
    // channel-abc's reader of order details reads it too.
    assert_eq!(sim.query("RF5-R1").await.order_detail().status, "04");
    assert_eq!(sim.query("RF5-R9").await.code(), "2308");
    assert_eq!(sim.order("RF5").await["refunds"][0]["query_count"], 2);
}

#[tokio::test]
async fn refunds_are_refund_lines_of_the_statement_with_their_original_order() {
    let sim = start_sim_with(|config| config.fee_bps = 100).await;
    sim.paid("RF6", "10.00").await;
    let answer = sim.refund("RF6", "RF6-R1", "4.00").await;
    assert_eq!(answer.code(), "0000");
    let order = sim.order("RF6").await;
    let refund = &order["refunds"][0];
    let booked = date(&refund["accounting_date"]);

    let statement = settle(&sim, booked, "0").await;
    let records = lines(&statement);
    let fields = line_of(&records, "RF6-R1").unwrap();
    let bank_time = format!(
        "{}{}",
        answer.field("HostDate").replace('/', ""),
        answer.field("HostTime").replace(':', "")
    );
    assert_eq!(fields[0], MERCHANT_ID);
    assert_eq!(fields[1], "退款");
    assert_eq!(fields[3], bank_time);
    assert_eq!(fields[4], "4.00");
    // The bank keeps the payment's fee and charges none on the refund: the account moves by
    // the whole -4.00.
    assert_eq!((fields[6].as_str(), fields[9].as_str()), ("-4.00", "0.00"));
    assert_eq!(fields[11], booked.format("%Y%m%d").to_string());
    assert_eq!(fields[12], answer.field("iRspRef"));
    assert_eq!(fields[13], answer.field("VoucherNo"));
    assert_eq!(fields[14], "RF6");
    // The refund goes back to the card that paid.
    let payment = line_of(&records, "RF6");
    if let Some(payment) = &payment {
        assert_eq!(payment[7], fields[7]);
        assert_eq!(payment[14], "");
    }
    assert_eq!(statement.field("NumOfRefunds"), "1");
    assert_eq!(statement.field("SumOfRefundAmount"), "4.00");

    // The transaction flow of the refund's host hour has it too.
    let host = date(&json!(answer.field("HostDate")));
    let hour = NaiveTime::parse_from_str(answer.field("HostTime"), "%H:%M:%S")
        .unwrap()
        .hour();
    let flow = trnx(&sim, host, hour, hour, "1").await;
    assert!(line_of(&lines(&flow), "RF6-R1").is_some());
}

/// Posts a signed message and expects no answer: the connection is cut.
async fn no_answer(sim: &Sim, message: &str) {
    let body = crate::wire::build_request(message, &sim.merchant_key);
    let sent = sim
        .http
        .post(sim.url("/ebus/trustpay/ReceiveMerchantTrxReqServlet"))
        .body(body)
        .send()
        .await;
    let read = match sent {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(read.is_err(), "the held request gets no answer");
}

#[tokio::test]
async fn refund_timeout_does_the_refund_but_loses_the_answer() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF7", "6.00").await;
    sim.sim_post(
        "/sim/faults",
        json!({ "refund": "timeout", "refund_first": 1, "refund_timeout_ms": 200 }),
    )
    .await;
    no_answer(&sim, &refund_message("RF7", "RF7-R1", "6.00")).await;
    // The bank did it: Query of the refund's number says so.
    let found = detail(&sim.query("RF7-R1").await);
    assert_eq!(found["Status"], "04");
    assert_eq!(sim.query("RF7").await.order_detail().status, "05");
    // Sent again (the second request on the order: no fault), the first answer comes back.
    let again = sim.refund("RF7", "RF7-R1", "6.00").await;
    assert_eq!(again.code(), "0000");
    assert_eq!(again.field("iRspRef"), found["iRspRef"].as_str().unwrap());
    assert_eq!(sim.order("RF7").await["refunded_fen"], 600);
}

#[tokio::test]
async fn refund_eunkwn_does_the_refund_and_answers_unknown() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF8", "6.00").await;
    let (status, faults) = sim
        .sim_post("/sim/faults", json!({ "refund": "EUNKWN" }))
        .await;
    assert_eq!((status, &faults["refund"]), (200, &json!("EUNKWN")));
    let unknown = sim.refund("RF8", "RF8-R1", "2.00").await;
    assert_eq!(unknown.code(), "EUNKWN");
    assert_eq!(unknown.field("ErrorMessage"), "交易结果未知");
    assert_eq!(sim.order("RF8").await["refunded_fen"], 200);
    assert_eq!(detail(&sim.query("RF8-R1").await)["Status"], "04");
    // Every refund is answered EUNKWN while the fault holds, refusals too.
    assert_eq!(sim.refund("RF8", "RF8-R2", "9.00").await.code(), "EUNKWN");
    assert_eq!(sim.query("RF8-R2").await.code(), "2308");
}

#[tokio::test]
async fn refund_reject_refuses_and_does_nothing() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF9", "6.00").await;
    sim.sim_post("/sim/faults", json!({ "refund": "reject" }))
        .await;
    let refused = sim.refund("RF9", "RF9-R1", "2.00").await;
    assert_eq!(refused.code(), "2313");
    assert_eq!(refused.field("ErrorMessage"), "商户账户余额不足");
    assert_eq!(sim.order("RF9").await["refunded_fen"], 0);
    assert_eq!(sim.query("RF9-R1").await.code(), "2308");
    sim.http
        .delete(sim.url("/sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.refund("RF9", "RF9-R1", "2.00").await.code(), "0000");
    // A fault set later does not turn a done refund's repeat into a refusal.
    sim.sim_post("/sim/faults", json!({ "refund": "reject" }))
        .await;
    assert_eq!(sim.refund("RF9", "RF9-R1", "2.00").await.code(), "0000");
}

#[tokio::test]
async fn refund_lost_does_nothing_and_the_same_refund_sent_again_is_done() {
    let sim = start_sim(vec![0]).await;
    sim.paid("RF10", "6.00").await;
    let (status, faults) = sim
        .sim_post(
            "/sim/faults",
            json!({ "refund": "lost", "refund_first": 1, "refund_timeout_ms": 200 }),
        )
        .await;
    assert_eq!((status, &faults["refund"]), (200, &json!("lost")));
    no_answer(&sim, &refund_message("RF10", "RF10-R1", "6.00")).await;
    // The bank never saw it: nothing refunded, the number unknown.
    assert_eq!(sim.query("RF10-R1").await.code(), "2308");
    let order = sim.order("RF10").await;
    assert_eq!(order["refunded_fen"], 0);
    assert_eq!(order["refunds"], json!([]));
    let lost = &order["lost_calls"][0];
    assert_eq!(
        (&lost["trx_type"], &lost["processed"], &lost["fault"]),
        (&json!("Refund"), &json!(false), &json!("refund_lost"))
    );
    // The second request on the order is past `refund_first`: done once.
    let again = sim.refund("RF10", "RF10-R1", "6.00").await;
    assert_eq!(again.code(), "0000", "{}", again.signed.message);
    assert_eq!(
        sim.refund("RF10", "RF10-R1", "6.00").await.signed.message,
        again.signed.message
    );
    assert_eq!(detail(&sim.query("RF10-R1").await)["Status"], "04");
    assert_eq!(sim.order("RF10").await["refunded_fen"], 600);
}
