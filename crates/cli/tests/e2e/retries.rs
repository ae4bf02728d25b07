//! What the retrying parts do over time: the janitor's query schedule step by step, a bank
//! answer that names another amount, a close racing the consumer's payment, and business
//! notifications to endpoints that time out, refuse connections or redirect.

use crate::harness::World;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use unipay_client::{CreatePayment, Payment};

/// Rewrites the janitor's query schedule in the server's configuration and restarts it.
async fn set_janitor_schedule(world: &mut World, steps_ms: &[i64]) {
    let path = world.dir().join("unipay.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let steps: Vec<String> = steps_ms.iter().map(i64::to_string).collect();
    let rewritten: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("query_schedule_ms") {
                format!("query_schedule_ms = [{}]", steps.join(", "))
            } else {
                line.to_string()
            }
        })
        .collect();
    assert_ne!(
        rewritten.join("\n"),
        text.trim_end(),
        "the schedule line is there"
    );
    std::fs::write(&path, rewritten.join("\n")).unwrap();
    world.kill_server().await;
    world.start_server().await;
}

/// Proves the janitor walks its schedule: against a bank answering every Query `EUNKWN`, each
/// query counts one more in `query_attempts` and sets `next_query_at` the schedule's next step
/// after it (the last step repeating), and no query comes before it is due.
pub async fn janitor_schedule_advances_through_its_steps(world: &mut World) {
    // Steps that differ by at least 500 ms, so that a step taken out of turn shows.
    const STEPS: [i64; 3] = [500, 1_000, 2_000];
    // The janitor writes `next_query_at` a few milliseconds after it records the answer.
    const SLACK_MS: i64 = 400;
    let step = |queries_made: usize| STEPS[queries_made.min(STEPS.len() - 1)];
    set_janitor_schedule(world, &STEPS).await;
    world.set_faults(json!({"query": "EUNKWN"})).await;
    let payment = world.create("SCHEDULE-1", 100).await;
    world.checkout(&payment).await;

    // The first (query_attempts, next_query_at) the row shows after each query: it holds for
    // a whole step (at least 500 ms), then the janitor's lease replaces `next_query_at`.
    let store = world.store().await;
    let mut scheduled: BTreeMap<i64, i64> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while scheduled.len() < 5 {
        let row = store.get_payment(&payment.id).await.unwrap().unwrap();
        assert_eq!(row.status.as_str(), "pending", "EUNKWN keeps it open");
        let next = row.next_query_at.expect("the janitor watches it");
        scheduled.entry(row.query_attempts).or_insert(next);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the janitor queried 4 times: {scheduled:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        scheduled.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2, 3, 4],
        "one more attempt per query"
    );

    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    let sent_at = timeline
        .iter()
        .find(|e| e.to_status.as_deref() == Some("pending"))
        .expect("the payment went pending")
        .created_at;
    let queried_at: Vec<i64> = timeline
        .iter()
        .filter(|e| e.kind == "query_unknown")
        .map(|e| e.created_at)
        .collect();
    assert!(
        queried_at.len() >= 4,
        "each query's answer is noted: {timeline:?}"
    );
    // After `k` queries (the k-th answered at queried_at[k-1]) the next is one step away.
    for (&attempts, &next) in &scheduled {
        let k = usize::try_from(attempts).unwrap();
        let asked_at = if k == 0 { sent_at } else { queried_at[k - 1] };
        let waited = next - asked_at;
        assert!(
            (step(k)..=step(k) + SLACK_MS).contains(&waited),
            "after {k} queries the next is {} ms away, not {waited} ms: {scheduled:?}",
            step(k)
        );
    }
    // No query before it was due.
    let mut previous = sent_at;
    for (k, &at) in queried_at.iter().take(4).enumerate() {
        assert!(
            at - previous >= step(k),
            "query {} came {} ms after the one before, before its step of {} ms",
            k + 1,
            at - previous,
            step(k)
        );
        previous = at;
    }
    let order = world.sim_order(&payment.channel_order_no).await;
    assert!(
        order["query_count"].as_i64().unwrap() >= 4,
        "the bank was asked each time: {order}"
    );
    world.set_faults(json!({})).await;
    store.close().await;
}

/// Proves a Query answer naming another amount than the order's is not believed: the paid
/// order stays pending at unipay, each such answer leaves an `amount_mismatch` note on the
/// timeline, nothing is notified; once the bank answers truly the payment succeeds, notified
/// once, for its own amount.
pub async fn query_answer_with_another_amount_is_not_believed(world: &mut World) {
    world.set_faults(json!({"query_amount_fen": 1})).await;
    let payment = world.pay("AMOUNT-LIE-1", 5_000, "none").await;
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let notes = loop {
        let notes: Vec<_> = store
            .list_payment_events(&payment.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "amount_mismatch")
            .collect();
        if notes.len() >= 2 {
            break notes;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the janitor's queries are noted: {notes:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        notes[0].detail.contains("1 fen") && notes[0].detail.contains("5000 fen"),
        "{notes:?}"
    );
    assert!(notes.iter().all(|n| n.to_status.is_none()), "{notes:?}");
    let asked = world.client.get_payment(&payment.id, true).await.unwrap();
    assert_eq!(asked.status, "pending", "nor is it believed when asked now");
    assert_eq!(asked.channel_trade_no, None);
    assert!(world.receiver.events_for(&payment.id).is_empty());

    world.set_faults(json!({})).await;
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    let events = world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    let body: serde_json::Value = serde_json::from_str(&events[0].body).unwrap();
    assert_eq!(body["data"]["amount"], 5_000);
    store.close().await;
}

/// How a close raced with the consumer's payment ended.
#[derive(Debug, PartialEq, Eq)]
enum RaceOutcome {
    /// The close won: closed, and the bank's success is a late-success anomaly.
    Closed,
    /// The payment won: succeeded, and the close was refused.
    Succeeded,
}

/// Proves a close and the consumer's payment at the same moment end one way or the other,
/// never both: either closed (the business hears `payment.closed` only, and the money the bank
/// took is a `late_success` anomaly) or succeeded (it hears `payment.succeeded` only, the close
/// is refused, no anomaly); the bank's book shows the order paid either way.
pub async fn close_racing_a_success_ends_one_way(world: &mut World) {
    let mut outcomes = Vec::new();
    for round in 0..6u64 {
        let payment = world
            .create(&format!("RACE-{round}"), 700 + round as i64)
            .await;
        world.checkout(&payment).await;
        // Vary who starts first, by a few milliseconds either way.
        let lead = Duration::from_millis(round / 2 * 5);
        let close = async {
            if round % 2 == 0 {
                tokio::time::sleep(lead).await;
            }
            world.client.close_payment(&payment.id).await
        };
        let pay = async {
            if round % 2 == 1 {
                tokio::time::sleep(lead).await;
            }
            world
                .bank_pays(&payment.channel_order_no, "success", "server")
                .await
        };
        let (closed, _) = tokio::join!(close, pay);
        let outcome = match closed {
            Ok(after) => {
                assert_eq!(after.status, "closed");
                RaceOutcome::Closed
            }
            Err(error) => {
                let error = error.to_string();
                assert!(error.contains("payment_not_closable"), "{error}");
                RaceOutcome::Succeeded
            }
        };
        outcomes.push(judge_race(world, &payment, &outcome).await);
    }
    eprintln!("close raced with a payment, 6 rounds: {outcomes:?}");
}

async fn judge_race(world: &World, payment: &Payment, outcome: &RaceOutcome) -> &'static str {
    let order = world.sim_order(&payment.channel_order_no).await;
    assert_eq!(order["state"], "paid", "the bank took the money: {order}");
    let store = world.store().await;
    let anomalies_of = |all: Vec<unipay_store::payments::Anomaly>| -> Vec<String> {
        all.into_iter()
            .filter(|a| a.payment_id == payment.id)
            .map(|a| a.kind)
            .collect()
    };
    let name = match outcome {
        RaceOutcome::Closed => {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
            loop {
                let kinds = anomalies_of(store.list_anomalies().await.unwrap());
                if !kinds.is_empty() {
                    assert_eq!(kinds, ["late_success"]);
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the bank's success after the close is a late-success anomaly"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            world
                .assert_notified_once(&payment.id, &["payment.closed"])
                .await;
            let now = world.client.get_payment(&payment.id, false).await.unwrap();
            assert_eq!(now.status, "closed");
            "closed"
        }
        RaceOutcome::Succeeded => {
            let paid = world
                .wait_for_payment(&payment.id, |p| p.status == "succeeded")
                .await;
            assert_eq!(paid.status, "succeeded");
            assert_eq!(
                paid.channel_trade_no,
                order["i_rsp_ref"].as_str().map(Into::into)
            );
            world
                .assert_notified_once(&payment.id, &["payment.succeeded"])
                .await;
            assert!(anomalies_of(store.list_anomalies().await.unwrap()).is_empty());
            "succeeded"
        }
    };
    store.close().await;
    name
}

/// An endpoint that accepts connections and never answers.
async fn silent_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

/// An address where nothing listens: connections are refused.
async fn refusing_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// An endpoint answering every request with a 307 to `to` (which, followed, would repeat the
/// POST with its body and signature there), counting the requests.
async fn redirecting_endpoint(to: String) -> (String, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        let to = to.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, to)],
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

/// Proves a business notification is acknowledged only by a 2xx from its own URL: an endpoint
/// that never answers (each attempt given up after the notifier's timeout), one that refuses
/// connections, and one that answers a redirect (not followed: the URL it names would have
/// acknowledged) are each tried once per step of the schedule, every attempt recorded with what
/// came back, then dead-lettered; the business system never hears of them.
pub async fn notifications_to_broken_endpoints_are_retried_then_dead_lettered(world: &mut World) {
    let (redirecting, redirected) = redirecting_endpoint(world.receiver.url()).await;
    let endpoints = [
        ("silent", silent_endpoint().await),
        ("refusing", refusing_endpoint().await),
        ("redirecting", redirecting),
    ];
    let mut payments = Vec::new();
    for (n, (name, url)) in endpoints.iter().enumerate() {
        let payment = world
            .client
            .create_payment(&CreatePayment {
                out_trade_no: format!("BROKEN-{name}"),
                amount: 100 + n as i64,
                currency: "CNY".into(),
                subject: "notify".into(),
                notify_url: Some(url.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        world.checkout(&payment).await;
        world
            .bank_pays(&payment.channel_order_no, "success", "server")
            .await;
        payments.push((*name, payment));
    }

    // One attempt per step of the schedule, then dead: the server's own configuration says
    // how many steps, and how long an attempt may take.
    let config: toml::Table =
        toml::from_str(&std::fs::read_to_string(world.dir().join("unipay.toml")).unwrap()).unwrap();
    let steps = config["notifier"]["schedule_ms"].as_array().unwrap().len();
    let timeout_ms = config["notifier"]["timeout_ms"].as_integer().unwrap();
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut dead = Vec::new();
    for (name, payment) in &payments {
        let event = loop {
            let events = store.list_events_for_payment(&payment.id).await.unwrap();
            if events.len() == 1 && events[0].status == "dead" {
                break events.into_iter().next().unwrap();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name}: dead-lettered after its retries: {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(event.attempts, steps as i64, "{name}: {event:?}");
        let attempts = store.payment_delivery_attempts(&payment.id).await.unwrap();
        assert_eq!(attempts.len(), steps, "{name}: every attempt recorded");
        for (i, attempt) in attempts.iter().enumerate() {
            assert_eq!(attempt.attempt, i as i64 + 1, "{name}: {attempt:?}");
            assert_eq!(
                attempt.event_id, event.id,
                "{name}: the same event each time"
            );
            let error = attempt.error.as_deref().unwrap_or("");
            assert!(
                !error.is_empty(),
                "{name}: the failure is recorded: {attempt:?}"
            );
            match *name {
                "silent" => {
                    assert_eq!(attempt.status_code, None, "{attempt:?}");
                    assert!(
                        attempt.duration_ms >= timeout_ms - 100,
                        "given up only after the timeout: {attempt:?}"
                    );
                }
                "refusing" => assert_eq!(attempt.status_code, None, "{attempt:?}"),
                _ => {
                    assert_eq!(attempt.status_code, Some(307), "{attempt:?}");
                    assert_eq!(error, "HTTP 307");
                }
            }
        }
        assert!(
            world.receiver.events_for(&payment.id).is_empty(),
            "{name}: never acknowledged"
        );
        dead.push(event.id);
    }
    assert_eq!(
        redirected.load(Ordering::SeqCst),
        steps as u32,
        "the redirecting endpoint was asked once per attempt"
    );
    assert_eq!(
        world.receiver.attempts(&dead[2]),
        0,
        "the redirect was not followed"
    );
    store.close().await;
}
