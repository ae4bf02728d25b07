//! PayReq and Query over the wire, and the consumer's payment page.

use crate::common::*;

#[tokio::test]
async fn pay_req_answers_a_signed_gbk_line_with_a_payment_url() {
    let sim = start_sim(vec![0]).await;
    let answer = sim
        .pay_req("T100", "12.34", "1", "http://127.0.0.1:9/notify")
        .await;
    assert_eq!(answer.code(), "0000");
    assert_eq!(answer.field("ErrorMessage"), "交易成功");
    assert_eq!(answer.field("TrxType"), "PayReq");
    assert_eq!(answer.field("OrderNo"), "T100");
    assert_eq!(answer.field("OrderAmount"), "12.34");
    assert_eq!(answer.field("MerchantID"), MERCHANT_ID);
    let payment_url = answer.field("PaymentURL").to_string();
    assert!(payment_url.starts_with(&format!("{}/ebus/PaymentModeNewAct.ebf?TOKEN=", sim.base)));
    // Fields in the vector's order.
    let text = &answer.signed.message;
    let positions: Vec<usize> = [
        "ReturnCode",
        "ErrorMessage",
        "ECMerchantType",
        "\"MerchantID\":\"",
        "TrxType",
        "OrderNo",
        "OrderAmount",
        "OneQRForAll",
        "PaymentURL",
    ]
    .iter()
    .map(|name| text.rfind(name).unwrap())
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");

    // The same order again, unpaid and same amount: the same PaymentURL.
    let again = sim
        .pay_req("T100", "12.34", "1", "http://127.0.0.1:9/notify")
        .await;
    assert_eq!(again.code(), "0000");
    assert_eq!(again.field("PaymentURL"), payment_url);
    // Another amount: refused.
    assert_eq!(
        sim.pay_req("T100", "12.35", "1", "http://127.0.0.1:9/notify")
            .await
            .code(),
        "2301"
    );

    // The consumer's page shows the order.
    let page = sim.http.get(&payment_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("T100") && html.contains("12.34") && html.contains(MERCHANT_ID));
    assert!(html.contains("支付") && html.contains("拒绝"));
    let bad = sim
        .http
        .get(sim.url("/ebus/PaymentModeNewAct.ebf?TOKEN=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 404);
}

#[tokio::test]
async fn pay_req_validates_its_fields() {
    let sim = start_sim(vec![0]).await;
    let url = "http://127.0.0.1:9/notify";
    for (order_no, amount, notify_type, notify_url, field) in [
        ("T1", "0.00", "1", url, "OrderAmount"),
        ("T1", "1.234", "1", url, "OrderAmount"),
        ("T1", "-1", "1", url, "OrderAmount"),
        ("T1", "1.00", "2", url, "NotifyType"),
        ("T1", "1.00", "1", "/relative", "ResultNotifyURL"),
        ("T1", "1.00", "1", "ftp://h/x", "ResultNotifyURL"),
        ("T\"}1", "1.00", "1", url, "OrderNo"),
    ] {
        let answer = sim
            .transact(&pay_message(order_no, amount, notify_type, notify_url))
            .await;
        assert_eq!(answer.code(), "2101", "{field}");
        assert!(
            answer.field("ErrorMessage").contains(field),
            "{}",
            answer.field("ErrorMessage")
        );
    }
    let wrong_currency = pay_message("T2", "1.00", "1", url)
        .replace("\"CurrencyCode\":\"156\"", "\"CurrencyCode\":\"840\"");
    assert_eq!(sim.transact(&wrong_currency).await.code(), "2101");
}

#[tokio::test]
async fn query_reports_unpaid_paid_and_unknown_orders() {
    let sim = start_sim(vec![0]).await;
    assert_eq!(
        sim.pay_req("Q1", "2.00", "0", "http://127.0.0.1:9/n")
            .await
            .code(),
        "0000"
    );
    let unpaid = sim.query("Q1").await;
    assert_eq!(unpaid.code(), "0000");
    assert_eq!(unpaid.field("TrxType"), "Query");
    let detail = unpaid.order_detail();
    assert_eq!(
        (
            detail.status.as_str(),
            detail.order_amount.as_str(),
            detail.order_no.as_str()
        ),
        ("01", "2.00", "Q1")
    );
    assert_eq!(detail.order_date, "2026/11/27");

    let order = sim.pay("Q1", "success", "none").await;
    assert_eq!(order["status"], "04");
    let paid = sim.query("Q1").await.order_detail();
    assert_eq!(paid.status, "04");
    assert_eq!(paid.i_rsp_ref, order["i_rsp_ref"].as_str().unwrap());
    assert!(!paid.i_rsp_ref.is_empty());

    let unknown = sim.query("NOPE").await;
    assert_eq!(unknown.code(), "2308");
    assert_eq!(unknown.field("ErrorMessage"), "订单不存在");
}

#[tokio::test]
async fn a_declined_order_queries_as_failed() {
    let sim = start_sim(vec![0]).await;
    sim.pay_req("D1", "3.00", "1", "http://127.0.0.1:9/n").await;
    let order = sim.pay("D1", "decline", "none").await;
    assert_eq!(order["status"], "99");
    assert_eq!(sim.query("D1").await.order_detail().status, "99");
}

#[tokio::test]
async fn a_replayed_pay_req_for_a_paid_order_is_refused() {
    let sim = start_sim(vec![0]).await;
    sim.pay_req("R1", "5.00", "1", "http://127.0.0.1:9/n").await;
    sim.pay("R1", "success", "none").await;
    let replay = sim.pay_req("R1", "5.00", "1", "http://127.0.0.1:9/n").await;
    assert_eq!(replay.code(), "2302");
    assert!(replay.value["TrxResponse"].get("PaymentURL").is_none());
}

#[tokio::test]
async fn other_transactions_are_refused_as_unsupported() {
    let sim = start_sim(vec![0]).await;
    let message = format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{MERCHANT_ID}"}},"TrxRequest":{{"TrxType":"InvoiceReq","OrderNo":"X"}}}}"#
    );
    assert_eq!(sim.transact(&message).await.code(), "2002");
}
