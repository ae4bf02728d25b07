//! The payment path: cashier → bank → result, by every route the result can take.

use crate::harness::World;
use serde_json::json;
use std::time::Duration;

fn succeeded(p: &unipay_client::Payment) -> bool {
    p.status == "succeeded"
}

/// Proves a result delivered only through the consumer's browser completes the payment.
pub async fn success_by_page_notification_only(world: &mut World) {
    let payment = world.create("PAGE-1", 1234).await;
    assert_eq!(payment.status, "created");
    let bank_url = world.checkout(&payment).await;
    assert!(bank_url.starts_with(&world.bank_url), "{bank_url}");
    world
        .bank_pays(&payment.channel_order_no, "success", "page")
        .await;
    let paid = world.wait_for_payment(&payment.id, succeeded).await;
    assert_eq!(paid.status, "succeeded");
    assert!(paid.channel_trade_no.is_some());
    assert!(paid.accounting_date.is_some());
    assert!(paid.paid_at.is_some());
    let events = world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    assert_eq!(events[0].status, "succeeded");

    // The result page sends the consumer back with the result, signed with the app's secret.
    let page = world
        .http
        .get(format!("{}/pay/{}/result", world.server_url, payment.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link_start = page
        .find("https://shop.example/return?")
        .expect("a return link");
    let link = &page[link_start..];
    // The page escapes the link for HTML; a browser would unescape it.
    let link = &link[..link.find('"').unwrap()]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let query = link.split_once('?').unwrap().1;
    let pairs =
        unipay_client::verify_return_query(&world.secret, query).expect("the signature verifies");
    assert!(pairs.contains(&("status".to_string(), "succeeded".to_string())));
    assert!(pairs.contains(&("payment_id".to_string(), payment.id.to_string())));
    let forged = query.replace("status=succeeded", "status=failed");
    assert!(unipay_client::verify_return_query(&world.secret, &forged).is_err());
}

/// Proves a result delivered only server to server completes the payment, and the bank hears
/// the answer it waits for.
pub async fn success_by_server_notification_only(world: &mut World) {
    let payment = world.pay("SERVER-1", 500, "server").await;
    let paid = world.wait_for_payment(&payment.id, succeeded).await;
    assert_eq!(paid.status, "succeeded");
    world.wait_for_bank_ack(&payment.channel_order_no).await;
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
}

/// Proves page and server notifications, each twice, in either order, make one success and
/// one business notification.
pub async fn both_notifications_twice_in_either_order_notify_once(world: &mut World) {
    for (index, order) in [["page", "server"], ["server", "page"]].iter().enumerate() {
        let payment = world.create(&format!("BOTH-{index}"), 990).await;
        world.checkout(&payment).await;
        for mode in order.iter().chain(order.iter()) {
            world
                .bank_pays(&payment.channel_order_no, "success", mode)
                .await;
        }
        let paid = world.wait_for_payment(&payment.id, succeeded).await;
        assert_eq!(paid.status, "succeeded");
        world
            .assert_notified_once(&payment.id, &["payment.succeeded"])
            .await;
    }
}

/// Proves duplicated and delayed server notifications still make one success and one
/// business notification.
pub async fn duplicated_and_delayed_server_notifications_notify_once(world: &mut World) {
    world.set_faults(json!({"notify": "duplicate"})).await;
    let duplicated = world.pay("DUP-1", 300, "server").await;
    assert_eq!(
        world
            .wait_for_payment(&duplicated.id, succeeded)
            .await
            .status,
        "succeeded"
    );

    world
        .set_faults(json!({"notify": "delay", "notify_delay_ms": 600}))
        .await;
    let delayed = world.pay("DELAY-1", 301, "both").await;
    assert_eq!(
        world.wait_for_payment(&delayed.id, succeeded).await.status,
        "succeeded"
    );
    // The late server notification is answered, whenever it comes.
    world.wait_for_bank_ack(&delayed.channel_order_no).await;
    for payment in [&duplicated, &delayed] {
        world
            .assert_notified_once(&payment.id, &["payment.succeeded"])
            .await;
    }
}

/// Proves a declined payment ends failed and the business system hears payment.failed; the
/// consumer's result page says why and how to try again.
pub async fn decline_fails_the_payment(world: &mut World) {
    let payment = world.create("DECLINE-1", 100).await;
    world.checkout(&payment).await;
    world
        .bank_pays(&payment.channel_order_no, "decline", "server")
        .await;
    let failed = world
        .wait_for_payment(&payment.id, |p| p.status == "failed")
        .await;
    assert_eq!(failed.status, "failed");
    let shown = world
        .http
        .get(format!("{}/pay/{}/result", world.server_url, payment.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reason_at = shown
        .find(r#"data-test="failure-reason""#)
        .unwrap_or_else(|| panic!("the reason is shown: {shown}"));
    let reason = shown[reason_at..].split("</p>").next().unwrap();
    assert!(
        reason.contains("Reason: ") && !reason.contains("The bank gave no reason"),
        "the bank's reason: {reason}"
    );
    assert!(shown.contains(r#"data-test="try-again""#), "{shown}");
    world
        .assert_notified_once(&payment.id, &["payment.failed"])
        .await;
}

/// Proves the janitor's query finds a success when every notification is lost.
pub async fn janitor_finds_success_when_every_notification_is_dropped(world: &mut World) {
    world.set_faults(json!({"notify": "drop"})).await;
    let payment = world.pay("DROPPED-1", 321, "none").await;
    let paid = world.wait_for_payment(&payment.id, succeeded).await;
    assert_eq!(paid.status, "succeeded", "the janitor found it");
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    // The answer that proved it is kept (masked) and named by the timeline.
    let store = world.store().await;
    let answers: Vec<_> = store
        .list_bank_messages(Some("accepted"))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.source == "query" && m.payment_id.as_deref() == Some(paid.id.as_ref()))
        .collect();
    assert!(!answers.is_empty());
    let timeline = store.list_payment_events(&paid.id).await.unwrap();
    let success = timeline
        .iter()
        .find(|e| e.to_status.as_deref() == Some("succeeded"))
        .unwrap();
    assert_eq!(success.source, "query");
    assert!(
        answers
            .iter()
            .any(|m| Some(&m.sha256) == success.raw_sha256.as_ref())
    );
    store.close().await;
}

/// Proves `EUNKWN` and status `02` answers keep the payment open until a real answer comes.
pub async fn janitor_keeps_asking_through_unknown_answers(world: &mut World) {
    world
        .set_faults(json!({"query": "EUNKWN", "query_first": 2}))
        .await;
    let payment = world.pay("UNKNOWN-1", 777, "none").await;
    let paid = world.wait_for_payment(&payment.id, succeeded).await;
    assert_eq!(paid.status, "succeeded");
    let order = world.sim_order(&payment.channel_order_no).await;
    assert!(
        order["query_count"].as_i64().unwrap_or(0) >= 3,
        "asked through the unknowns: {order}"
    );

    world
        .set_faults(json!({"query": "02", "query_first": 2}))
        .await;
    let second = world.pay("UNKNOWN-2", 778, "none").await;
    assert_eq!(
        world.wait_for_payment(&second.id, succeeded).await.status,
        "succeeded"
    );
}

/// Proves a query the bank never answers (the connection held, then cut) leaves the payment
/// open, and a later query finds the success.
pub async fn janitor_survives_a_query_that_never_answers(world: &mut World) {
    world
        .set_faults(json!({"query": "timeout", "query_first": 1, "query_timeout_ms": 700}))
        .await;
    let payment = world.pay("TIMEOUT-1", 4321, "none").await;
    let paid = world.wait_for_payment(&payment.id, succeeded).await;
    assert_eq!(paid.status, "succeeded");
    let store = world.store().await;
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == "query_failed" || e.kind == "query_unknown"),
        "the unanswered query is on the timeline: {timeline:?}"
    );
    store.close().await;
}

/// Proves an expired unpaid payment is closed only after the bank confirms it unpaid, and that
/// a success arriving afterwards is kept as a late-success anomaly, not dropped.
pub async fn expired_payment_closes_and_a_late_success_is_an_anomaly(world: &mut World) {
    let payment = world
        .client
        .create_payment(&unipay_client::CreatePayment {
            out_trade_no: "EXPIRE-1".into(),
            amount: 250,
            currency: "CNY".into(),
            subject: "short-lived".into(),
            expires_in_seconds: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    world.checkout(&payment).await;
    let closed = world
        .wait_for_payment(&payment.id, |p| p.status == "closed")
        .await;
    assert_eq!(closed.status, "closed");
    let events = world.wait_for_events(&payment.id, 1).await;
    assert_eq!(events[0].event_type, "payment.closed");
    let order = world.sim_order(&payment.channel_order_no).await;
    assert!(
        order["query_count"].as_i64().unwrap_or(0) >= 1,
        "closed after a query: {order}"
    );

    world
        .bank_pays(&payment.channel_order_no, "success", "server")
        .await;
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let anomalies = loop {
        let anomalies = store.list_anomalies().await.unwrap();
        if !anomalies.is_empty() || tokio::time::Instant::now() > deadline {
            break anomalies;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(anomalies.len(), 1);
    assert_eq!(anomalies[0].kind, "late_success");
    assert_eq!(anomalies[0].payment_id, payment.id);
    assert_eq!(
        world
            .client
            .get_payment(&payment.id, false)
            .await
            .unwrap()
            .status,
        "closed"
    );
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    assert!(
        timeline.iter().any(|e| e.kind.ends_with("late_success")),
        "{timeline:?}"
    );
    let listed = crate::harness::admin(&[
        "list-anomalies",
        "--database-url",
        &world.db_url(),
        "--json",
    ])
    .await;
    assert_eq!(listed["anomalies"][0]["payment_id"], json!(payment.id));
    // The late success is an anomaly for operators, never a second word to the business.
    world
        .assert_notified_once(&payment.id, &["payment.closed"])
        .await;
    store.close().await;
}

/// Proves 200 payments created and paid at once all succeed, each notified exactly once.
pub async fn two_hundred_concurrent_payments_each_notified_once(world: &mut World) {
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = world.client.clone();
        let http = world.http.clone();
        let server_url = world.server_url.clone();
        let bank_url = world.bank_url.clone();
        tasks.push(tokio::spawn(async move {
            let payment = client
                .create_payment(&unipay_client::CreatePayment {
                    out_trade_no: format!("MANY-{i}"),
                    amount: 100 + i,
                    currency: "CNY".into(),
                    subject: "concurrent".into(),
                    ..Default::default()
                })
                .await
                .unwrap();
            let response = http
                .post(format!("{server_url}/pay/{}", payment.id))
                .form(&[("payment_type", "A")])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 303);
            let mode = ["server", "page", "both"][(i % 3) as usize];
            let paid = http
                .post(format!(
                    "{bank_url}/sim/orders/{}/pay",
                    payment.channel_order_no
                ))
                .json(&json!({"outcome": "success", "notify": mode}))
                .send()
                .await
                .unwrap();
            assert!(paid.status().is_success());
            payment.id
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    let all_in = world
        .receiver
        .wait_until(Duration::from_secs(60), |events| events.len() >= 200)
        .await;
    assert!(
        all_in,
        "200 notifications arrive, got {}",
        world.receiver.events().len()
    );
    // Quiet: past the notifier's and the janitor's next retries, then count.
    world.quiet().await;
    world.assert_each_fact_heard_once();
    let events = world.receiver.events();
    assert_eq!(events.len(), 200, "exactly one notification per payment");
    for id in &ids {
        assert_eq!(events.iter().filter(|e| &e.payment_id == id).count(), 1);
        assert_eq!(
            world.client.get_payment(id, false).await.unwrap().status,
            "succeeded"
        );
    }
}

/// Proves a channel account that signs with SHA256withRSA works end to end: the bank verifies
/// the request by the algorithm it names, and the app bound to that account gets paid.
pub async fn sha256_channel_account_pays_end_to_end(world: &mut World) {
    use crate::harness::{BANK_MERCHANT_ID, admin};
    let dir = world.dir().display().to_string();
    let url = world.db_url();
    let account = admin(&[
        "add-channel-account",
        "--database-url",
        &url,
        "--merchant",
        &world.merchant_id,
        "--bank-merchant-id",
        BANK_MERCHANT_ID,
        "--algorithm",
        "SHA256withRSA",
        "--key-pem",
        &format!("{dir}/merchant-key.pem"),
        "--bank-certificate",
        &format!("{dir}/bank/banksim.pem"),
        "--trx-url",
        &format!(
            "{}/ebus/trustpay/ReceiveMerchantTrxReqServlet",
            world.bank_url
        ),
        "--notify-type",
        "page",
        "--json",
    ])
    .await;
    let account_id = account["channel_account_id"].as_str().unwrap();
    let app = admin(&[
        "create-app",
        "--database-url",
        &url,
        "--merchant",
        &world.merchant_id,
        "--name",
        "sha256",
        "--channel-account",
        account_id,
        "--json",
    ])
    .await;
    let client = unipay_client::Client::new(
        &world.server_url,
        app["app_id"].as_str().unwrap(),
        app["secret"].as_str().unwrap(),
    )
    .unwrap();
    let payment = client
        .create_payment(&unipay_client::CreatePayment {
            out_trade_no: "SHA256-1".into(),
            amount: 888,
            currency: "CNY".into(),
            subject: "sha256".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    world.checkout(&payment).await;
    let order = world.sim_order(&payment.channel_order_no).await;
    assert_eq!(
        order["notify_type"],
        json!("0"),
        "the account asks for page notifications"
    );
    world
        .bank_pays(&payment.channel_order_no, "success", "page")
        .await;
    let paid = client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(paid.status, "succeeded");
}
