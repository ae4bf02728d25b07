//! `/sim/faults`: lost, duplicated and late notifications; unknown, unanswered and slow queries.

use crate::common::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn drop_sends_nothing() {
    let sim = start_sim(vec![0, 10, 10]).await;
    let receiver = start_receiver(0).await;
    sim.sim_post("/sim/faults", json!({ "notify": "drop" }))
        .await;
    sim.pay_req("F1", "1.00", "1", &receiver.url).await;
    sim.pay("F1", "success", "server").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 0);
    let order = sim.order("F1").await;
    assert_eq!(order["notify_attempts"], 0);
    assert_eq!(order["notify_log"][0]["dropped"], true);
    assert_eq!(order["notify_log"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn duplicate_sends_each_attempt_twice() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    sim.sim_post("/sim/faults", json!({ "notify": "duplicate" }))
        .await;
    sim.pay_req("F2", "1.00", "1", &receiver.url).await;
    sim.pay("F2", "success", "server").await;
    receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.count(), 2);
    let first = receiver.notification(0, &sim.certificate);
    let second = receiver.notification(1, &sim.certificate);
    assert_eq!(first, second);
    assert_eq!(sim.order("F2").await["notify_attempts"], 2);
}

#[tokio::test]
async fn delay_holds_each_attempt() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    sim.sim_post(
        "/sim/faults",
        json!({ "notify": "delay", "notify_delay_ms": 300 }),
    )
    .await;
    sim.pay_req("F3", "1.00", "1", &receiver.url).await;
    let started = Instant::now();
    sim.pay("F3", "success", "server").await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.count(), 0);
    receiver.wait_for(1).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn query_unknown_for_the_first_k_queries_of_each_order() {
    let sim = start_sim(vec![0]).await;
    let (status, faults) = sim
        .sim_post(
            "/sim/faults",
            json!({ "query": "EUNKWN", "query_first": 2 }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(faults["query"], "EUNKWN");
    for order_no in ["K1", "K2"] {
        sim.pay_req(order_no, "1.00", "1", "http://127.0.0.1:9/n")
            .await;
        sim.pay(order_no, "success", "none").await;
        assert_eq!(sim.query(order_no).await.code(), "EUNKWN");
        assert_eq!(sim.query(order_no).await.code(), "EUNKWN");
        let third = sim.query(order_no).await;
        assert_eq!(third.code(), "0000");
        assert_eq!(third.order_detail().status, "04");
    }
}

#[tokio::test]
async fn query_no_response_and_clearing_faults() {
    let sim = start_sim(vec![0]).await;
    sim.sim_post("/sim/faults", json!({ "query": "02" })).await;
    sim.pay_req("K3", "1.00", "1", "http://127.0.0.1:9/n").await;
    sim.pay("K3", "success", "none").await;
    let answer = sim.query("K3").await;
    assert_eq!(answer.code(), "0000");
    assert_eq!(answer.order_detail().status, "02");
    let response = sim.http.get(sim.url("/sim/faults")).send().await.unwrap();
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["query"],
        "02"
    );
    let cleared = sim
        .http
        .delete(sim.url("/sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert_eq!(sim.query("K3").await.order_detail().status, "04");
    let (status, _) = sim.sim_post("/sim/faults", json!({ "query": "03" })).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn query_timeout_holds_one_request_without_blocking_others() {
    let sim = start_sim(vec![0]).await;
    for order_no in ["H1", "H2"] {
        sim.pay_req(order_no, "1.00", "1", "http://127.0.0.1:9/n")
            .await;
    }
    // H2's first query under the fault set is held too: use it up in the background.
    sim.sim_post(
        "/sim/faults",
        json!({ "query": "timeout", "query_first": 1, "query_timeout_ms": 1_500 }),
    )
    .await;
    let h2_first = tokio::spawn({
        let body = crate::wire::build_request(&query_message("H2"), &sim.merchant_key);
        let url = sim.url("/ebus/trustpay/ReceiveMerchantTrxReqServlet");
        async move {
            match reqwest::Client::new().post(url).body(body).send().await {
                Ok(response) => response.bytes().await.map(|_| ()),
                Err(error) => Err(error),
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let body = crate::wire::build_request(&query_message("H1"), &sim.merchant_key);
    let impatient = reqwest::Client::new();
    let held = impatient
        .post(sim.url("/ebus/trustpay/ReceiveMerchantTrxReqServlet"))
        .timeout(Duration::from_millis(300))
        .body(body)
        .send();
    let started = Instant::now();
    let (held, other) = tokio::join!(held, async {
        // Another order is answered at once while H1 is held.
        tokio::time::sleep(Duration::from_millis(50)).await;
        sim.query("H2").await
    });
    assert!(held.is_err(), "the held query gets no answer in time");
    assert_eq!(other.code(), "0000");
    assert!(started.elapsed() < Duration::from_millis(1_000));
    // The fault covered only the first query of H1.
    assert_eq!(sim.query("H1").await.code(), "0000");
    // The held H2 query is cut after the hold: the client sees a broken answer, not a code.
    assert!(h2_first.await.unwrap().is_err());
}

#[tokio::test]
async fn query_unknown_until_answers_eunkwn_to_every_query_in_the_window() {
    let sim = start_sim(vec![0]).await;
    sim.pay_req("UW1", "1.00", "1", "http://127.0.0.1:9/n")
        .await;
    sim.pay("UW1", "success", "none").await;
    let now = chrono::Utc::now().timestamp_millis();
    let (status, faults) = sim
        .sim_post(
            "/sim/faults",
            json!({ "query_unknown_until_ms": now + 60_000 }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(faults["query_unknown_until_ms"], now + 60_000);
    assert_eq!(sim.query("UW1").await.code(), "EUNKWN");
    // Even an order the bank does not know: it cannot look anything up.
    assert_eq!(sim.query("NOPE").await.code(), "EUNKWN");
    assert_eq!(sim.order("UW1").await["query_count"], 1);

    // Once the clock has passed it, queries are answered again.
    sim.sim_post("/sim/faults", json!({ "query_unknown_until_ms": now - 1 }))
        .await;
    let answer = sim.query("UW1").await;
    assert_eq!(answer.code(), "0000");
    assert_eq!(answer.order_detail().status, "04");
    assert_eq!(sim.query("NOPE").await.code(), "2308");
}

#[tokio::test]
async fn a_percentage_over_a_hundred_is_refused_and_changes_nothing() {
    let sim = start_sim(vec![0]).await;
    let set = json!({ "notify_drop_pct": 10, "seed": 3 });
    assert_eq!(sim.sim_post("/sim/faults", set.clone()).await.0, 200);
    for field in [
        "notify_drop_pct",
        "notify_duplicate_pct",
        "notify_delay_pct",
        "call_timeout_pct",
    ] {
        let (status, body) = sim.sim_post("/sim/faults", json!({ field: 101 })).await;
        assert_eq!(status, 400, "{field}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains(field) && error.contains("0 to 100"),
            "{error}"
        );
    }
    let now: serde_json::Value = sim
        .http
        .get(sim.url("/sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&now["notify_drop_pct"], &now["seed"]),
        (&json!(10), &json!(3))
    );
    assert_eq!(now["call_timeout_pct"], serde_json::Value::Null);
}

#[tokio::test]
async fn notify_percentages_drop_or_duplicate_and_delay_attempts() {
    let sim = start_sim(vec![0, 10, 10]).await;
    let receiver = start_receiver(0).await;
    sim.sim_post("/sim/faults", json!({ "notify_drop_pct": 100 }))
        .await;
    sim.pay_req("FP1", "1.00", "1", &receiver.url).await;
    sim.pay("FP1", "success", "server").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 0);
    let order = sim.order("FP1").await;
    assert_eq!(order["notify_attempts"], 0);
    let log = order["notify_log"].as_array().unwrap();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter().all(|attempt| attempt["dropped"] == true
            && attempt["error"] == "dropped by notify_drop_pct")
    );

    sim.sim_post(
        "/sim/faults",
        json!({ "notify_duplicate_pct": 100, "notify_delay_pct": 100, "notify_delay_ms": 300 }),
    )
    .await;
    sim.pay_req("FP2", "1.00", "1", &receiver.url).await;
    let started = Instant::now();
    sim.pay("FP2", "success", "server").await;
    receiver.wait_for(2).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.count(), 2, "acknowledged at once: no retry");
    assert_eq!(
        receiver.notification(0, &sim.certificate),
        receiver.notification(1, &sim.certificate)
    );
}

/// Posts a signed message and expects no answer: the connection is cut after the hold.
async fn unanswered(sim: &Sim, message: &str) {
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
    assert!(read.is_err(), "the request gets no answer");
}

/// Sends refunds of 1.00 on `orders` (paid) under `call_timeout_pct: 100` with `seed`; which
/// of them the bank processed before losing the answer. The sim API is no transaction: it
/// tells.
async fn lost_refunds(sim: &Sim, seed: u64, orders: &[String]) -> Vec<bool> {
    let faults = json!({ "call_timeout_pct": 100, "call_timeout_ms": 100, "seed": seed });
    assert_eq!(sim.sim_post("/sim/faults", faults).await.0, 200);
    let mut processed = Vec::new();
    for order_no in orders {
        unanswered(
            sim,
            &refund_message(order_no, &format!("{order_no}-R"), "1.00"),
        )
        .await;
        let order = sim.order(order_no).await;
        let lost = &order["lost_calls"].as_array().unwrap()[0];
        assert_eq!(
            (&lost["trx_type"], &lost["fault"]),
            (&json!("Refund"), &json!("call_timeout"))
        );
        let done = lost["processed"].as_bool().unwrap();
        // Processed: the refund is done and kept; never arrived: nothing.
        assert_eq!(
            order["refunded_fen"],
            if done { 100 } else { 0 },
            "{order_no}"
        );
        assert_eq!(
            order["refunds"].as_array().unwrap().len(),
            usize::from(done)
        );
        processed.push(done);
    }
    processed
}

#[tokio::test]
async fn call_timeout_loses_answers_and_requests_repeatably_by_seed() {
    let sim = start_sim(vec![0]).await;
    let orders: Vec<String> = (0..12).map(|n| format!("CT{n}")).collect();
    let again: Vec<String> = (0..12).map(|n| format!("CU{n}")).collect();
    for order_no in orders.iter().chain(&again) {
        sim.paid(order_no, "5.00").await;
    }
    let first = lost_refunds(&sim, 11, &orders).await;
    assert!(
        first.contains(&true),
        "some lost only the answer: {first:?}"
    );
    assert!(
        first.contains(&false),
        "some never reached the bank: {first:?}"
    );
    // The same seed set again makes the same draws for requests in the same order.
    assert_eq!(lost_refunds(&sim, 11, &again).await, first);

    // Without the fault, every TrxType is answered again; a 0 % fault is no fault.
    sim.sim_post("/sim/faults", json!({ "call_timeout_pct": 0 }))
        .await;
    assert_eq!(sim.query("CT0").await.code(), "0000");
    assert_eq!(sim.refund("CT0", "CT0-R", "1.00").await.code(), "0000");
    assert_eq!(sim.order("CT0").await["refunded_fen"], 100);
}

/// Proves `query_amount_fen` makes every Query of an order answer another amount, signed as
/// usual, with the order's own status, and that lifting it gives the true amount back.
#[tokio::test]
async fn query_amount_answers_another_amount() {
    let sim = start_sim(vec![0]).await;
    sim.pay_req("FA1", "12.34", "1", "http://127.0.0.1:9/n")
        .await;
    sim.pay("FA1", "success", "none").await;
    let (status, _) = sim
        .sim_post("/sim/faults", json!({ "query_amount_fen": 1 }))
        .await;
    assert_eq!(status, 200);
    let lied = sim.query("FA1").await.order_detail();
    assert_eq!(
        (lied.order_amount.as_str(), lied.status.as_str()),
        ("0.01", "04")
    );
    let (status, body) = sim
        .sim_post("/sim/faults", json!({ "query_amount_fen": -5 }))
        .await;
    assert_eq!(status, 400, "{body}");
    sim.sim_post("/sim/faults", json!({})).await;
    let true_answer = sim.query("FA1").await.order_detail();
    assert_eq!(true_answer.order_amount, "12.34");
}
