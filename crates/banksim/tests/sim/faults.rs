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
        let body = unipay_channel_abc::wire::build_request(
            &query_message("H2"),
            &sim.merchant_key,
            unipay_channel_abc::crypto::SignatureAlgorithm::Sha1WithRsa,
        );
        let url = sim.url("/ebus/trustpay/ReceiveMerchantTrxReqServlet");
        async move {
            match reqwest::Client::new().post(url).body(body).send().await {
                Ok(response) => response.bytes().await.map(|_| ()),
                Err(error) => Err(error),
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let body = unipay_channel_abc::wire::build_request(
        &query_message("H1"),
        &sim.merchant_key,
        unipay_channel_abc::crypto::SignatureAlgorithm::Sha1WithRsa,
    );
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
