//! Kills mid-flight, one per crash point of `server/src/crash.rs`: the server is armed to
//! SIGKILL itself at the point, driven through the flow that passes it, seen to die there,
//! started again, and judged once everything is quiet the way the chaos run's verdict judges:
//! the payment or refund final and as the bank's book has it, each fact heard by the business
//! system once under one event id (the same id twice only where the acknowledgment itself died
//! with the node), and the ledger holding (`World::check_invariants`, after every scenario).

use crate::harness::World;
use serde_json::{Value, json};
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;
use unipay_client::receiver::ReceivedEvent;
use unipay_client::{Payment, Refund};

/// Longer than the janitor's longest step (800 ms), a notifier retry (300 ms) and a lease
/// (3 s: how long a dead node's claims hold), with their polls: once this has passed after the
/// outcome, whatever a dead node left in flight has been taken over and has arrived.
const QUIET: Duration = Duration::from_millis(4_000);

/// Arms `point`: the next time the server passes it, it kills itself.
async fn arm(world: &World, point: &str) {
    let response = world
        .http
        .post(format!("{}/chaos/crash-points/{point}", world.server_url))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200, "arms {point}");
}

/// Waits for the server to die, and checks it died by its own SIGKILL at `point` — not by a
/// panic, an error, or at another point.
async fn dies_at(world: &mut World, point: &str) {
    let status = world.wait_for_server_exit(Duration::from_secs(20)).await;
    assert_eq!(status.signal(), Some(9), "killed at {point}: {status:?}");
    let log = std::fs::read_to_string(world.log_path()).unwrap_or_default();
    assert!(
        log.contains(&format!("crash point {point}: killing this process")),
        "the server died at {point}"
    );
}

/// The consumer at the cashier of a server that dies on the way: no answer.
async fn checkout_into_a_crash(world: &World, payment: &Payment) {
    let answer = world
        .http
        .post(format!("{}/pay/{}", world.server_url, payment.id))
        .form(&[("payment_type", "A")])
        .send()
        .await;
    assert!(answer.is_err(), "the server died holding it: {answer:?}");
}

/// A payment paid by the bank (server notification), succeeded, and its notification heard.
async fn paid(world: &World, out_trade_no: &str, amount: i64) -> Payment {
    let payment = world.pay(out_trade_no, amount, "server").await;
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    world.wait_for_events(&payment.id, 1).await;
    paid
}

/// Polls the refund until it is final or 20 s pass (a lease, then the janitor's query).
async fn refund_final(world: &World, id: &str) -> Refund {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let refund = world.client.get_refund(id).await.expect("gets the refund");
        if refund.status != "pending" || tokio::time::Instant::now() > deadline {
            return refund;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls the payment until it succeeded or 20 s pass.
async fn payment_succeeded(world: &World, id: &str) -> Payment {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let payment = world
            .client
            .get_payment(id, false)
            .await
            .expect("gets the payment");
        if payment.status == "succeeded" || tokio::time::Instant::now() > deadline {
            return payment;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The payment as unipay holds it is the bank's: paid there and succeeded here, the same
/// amount, serial and refunded sum.
async fn payment_as_booked(world: &World, id: &str) -> Payment {
    let ours = world.client.get_payment(id, false).await.unwrap();
    let bank = world.sim_order(&ours.channel_order_no).await;
    assert_eq!(ours.status, "succeeded", "{ours:?}");
    assert!(
        bank["state"] == "paid" || bank["state"] == "refunded",
        "{bank}"
    );
    assert_eq!(json!(ours.amount), bank["amount_fen"], "{bank}");
    assert_eq!(json!(ours.channel_trade_no), bank["i_rsp_ref"], "{bank}");
    assert_eq!(json!(ours.refunded_amount), bank["refunded_fen"], "{bank}");
    ours
}

/// The refund as unipay holds it is the bank's: the bank holds it once, under our number,
/// succeeded, for the same amount and serial.
async fn refund_as_booked(world: &World, payment: &Payment, refund: &Refund) -> Value {
    let store = world.store().await;
    let row = store.get_refund(&refund.id).await.unwrap().unwrap();
    store.close().await;
    let bank = world.sim_order(&payment.channel_order_no).await;
    let at_bank = bank["refunds"].as_array().unwrap();
    assert_eq!(at_bank.len(), 1, "the bank refunded once: {at_bank:?}");
    assert_eq!(at_bank[0]["new_order_no"], json!(row.refund_no));
    assert_eq!(at_bank[0]["state"], "succeeded");
    assert_eq!(refund.status, "succeeded", "{refund:?}");
    assert_eq!(at_bank[0]["amount_fen"], json!(refund.amount));
    assert_eq!(at_bank[0]["i_rsp_ref"], json!(refund.channel_refund_no));
    assert_eq!(bank["refunded_fen"], json!(refund.amount));
    at_bank[0].clone()
}

/// What the business system heard of `id` once everything is quiet: exactly one delivery,
/// of `event_type`, and nothing heard twice anywhere; the outbox holds that one event,
/// delivered.
async fn heard_once(world: &World, payment_id: &str, id: &str, event_type: &str) -> ReceivedEvent {
    let events = world.receiver.events_for(id);
    assert_eq!(events.len(), 1, "heard once: {events:?}");
    assert_eq!(events[0].event_type, event_type);
    assert_eq!(world.receiver.duplicates(), 0, "nothing heard twice");
    let store = world.store().await;
    let stored: Vec<_> = store
        .list_events_for_payment(payment_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == event_type)
        .collect();
    store.close().await;
    assert_eq!(stored.len(), 1, "one event written: {stored:?}");
    assert_eq!(stored[0].id, events[0].id);
    assert_eq!(stored[0].status, "delivered", "{stored:?}");
    events[0].clone()
}

/// Proves a node that dies after committing a payment `pending` and before sending PayReq
/// leaves it watched, not lost: after the restart the janitor asks the bank, which has no
/// such order, and keeps it open (not failed, not closed), so the consumer's second try at
/// the cashier reaches the bank and pays; one success, heard once.
pub async fn crash_after_payment_commit_before_bank_call(world: &mut World) {
    const POINT: &str = "payment.after_commit_before_bank_call";
    let payment = world.create("CRASH-PAY-1", 1_200).await;
    arm(world, POINT).await;
    checkout_into_a_crash(world, &payment).await;
    dies_at(world, POINT).await;

    let store = world.store().await;
    let row = store.get_payment(&payment.id).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "pending", "committed before the call");
    assert!(row.next_query_at.is_some(), "and watched by the janitor");
    let unknown = world
        .http
        .get(format!(
            "{}/sim/orders/{}",
            world.bank_url, payment.channel_order_no
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404, "the bank never heard of it");

    world.start_server().await;
    // The janitor asks; the bank's "no such order" is kept and leaves the payment open.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let asked = store
            .list_bank_messages(Some("accepted"))
            .await
            .unwrap()
            .into_iter()
            .any(|m| m.source == "query" && m.payment_id.as_deref() == Some(payment.id.as_ref()));
        if asked || tokio::time::Instant::now() > deadline {
            assert!(asked, "the janitor asked the bank after the restart");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let open = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(
        open.status, "pending",
        "an order the bank never saw stays open"
    );
    store.close().await;

    world.checkout(&payment).await;
    world
        .bank_pays(&payment.channel_order_no, "success", "server")
        .await;
    assert_eq!(
        payment_succeeded(world, &payment.id).await.status,
        "succeeded"
    );
    tokio::time::sleep(QUIET).await;

    payment_as_booked(world, &payment.id).await;
    heard_once(world, &payment.id, &payment.id, "payment.succeeded").await;
}

/// Proves a node that dies after committing a refund `pending` and before sending it to the
/// bank loses nothing and refunds once: the business system's retry under the same
/// Idempotency-Key names the same refund; the janitor hears "no such refund" (`2308`) and
/// sends it; the bank holds it once, succeeded, and `refund.succeeded` is heard once.
pub async fn crash_after_refund_commit_before_bank_call(world: &mut World) {
    const POINT: &str = "refund.after_commit_before_bank_call";
    let payment = paid(world, "CRASH-RFD-1", 1_000).await;
    arm(world, POINT).await;
    let path = format!("/v1/payments/{}/refunds", payment.id);
    let key = [("idempotency-key", "crash-refund-1".to_string())];
    let body = json!({"out_refund_no": "R-CRASH-1", "amount": 400}).to_string();
    let lost = world
        .client
        .send("POST", &path, body.as_bytes(), &key)
        .await;
    assert!(lost.is_err(), "the server died holding it: {lost:?}");
    dies_at(world, POINT).await;
    let bank = world.sim_order(&payment.channel_order_no).await;
    assert_eq!(bank["refunds"], json!([]), "the bank never heard of it");

    world.start_server().await;
    // The business system did not hear whether it was accepted, and asks again.
    let again = world
        .client
        .send("POST", &path, body.as_bytes(), &key)
        .await
        .unwrap();
    assert_eq!(again.status, 201, "{}", again.body);
    let id = again.json()["id"].as_str().unwrap().to_string();
    let done = refund_final(world, &id).await;
    assert_eq!(done.status, "succeeded", "{done:?}");
    tokio::time::sleep(QUIET).await;

    let refunds = world.client.list_refunds(&payment.id).await.unwrap();
    assert_eq!(refunds.len(), 1, "one refund: {refunds:?}");
    let done = world.client.get_refund(&id).await.unwrap();
    refund_as_booked(world, &payment, &done).await;
    let ours = payment_as_booked(world, &payment.id).await;
    assert_eq!(ours.refunded_amount, 400);
    heard_once(world, &payment.id, &id, "refund.succeeded").await;
}

/// Proves a node that dies holding the bank's answer to a refund, before committing it,
/// leaves the refund to the janitor, whose query (not a second Refund) finds it done: one
/// refund at the bank, succeeded here, `refund.succeeded` heard once.
pub async fn crash_after_refund_answer_before_commit(world: &mut World) {
    const POINT: &str = "refund.after_bank_answer_before_commit";
    let payment = paid(world, "CRASH-RFD-2", 1_000).await;
    arm(world, POINT).await;
    let path = format!("/v1/payments/{}/refunds", payment.id);
    let body = json!({"out_refund_no": "R-CRASH-2", "amount": 1_000}).to_string();
    let lost = world.client.send("POST", &path, body.as_bytes(), &[]).await;
    assert!(lost.is_err(), "the server died holding it: {lost:?}");
    dies_at(world, POINT).await;
    let bank = world.sim_order(&payment.channel_order_no).await;
    assert_eq!(bank["refunded_fen"], 1_000, "the bank refunded: {bank}");
    let store = world.store().await;
    let row = store
        .list_refunds_for_payment(&payment.id)
        .await
        .unwrap()
        .pop()
        .expect("the refund was committed");
    assert_eq!(row.status.as_str(), "pending", "its answer was not");

    world.start_server().await;
    let done = refund_final(world, &row.id).await;
    assert_eq!(done.status, "succeeded", "{done:?}");
    tokio::time::sleep(QUIET).await;

    let done = world.client.get_refund(&row.id).await.unwrap();
    let at_bank = refund_as_booked(world, &payment, &done).await;
    assert!(
        at_bank["query_count"].as_i64().unwrap_or(0) >= 1,
        "settled by a query: {at_bank}"
    );
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    let success = timeline
        .iter()
        .find(|e| e.kind == "refund.succeeded")
        .unwrap_or_else(|| panic!("{timeline:?}"));
    assert_eq!(success.source, "query", "{timeline:?}");
    store.close().await;
    payment_as_booked(world, &payment.id).await;
    heard_once(world, &payment.id, &row.id, "refund.succeeded").await;
}

/// Proves a node that dies after verifying the bank's server notification, before committing
/// the success, loses nothing: the same notification delivered again (by the bank's retries,
/// or its operator's re-notify once those ran out while the node was down) is believed by the
/// restarted node — nothing of the first delivery, not even the message, was kept as seen —
/// which records the success once and has it heard once. Queries answer "unknown" throughout,
/// so only the notification can bring the news.
pub async fn crash_after_callback_verify_before_commit(world: &mut World) {
    const POINT: &str = "callback.after_verify_before_commit";
    world.set_faults(json!({"query": "EUNKWN"})).await;
    let payment = world.create("CRASH-CB-1", 880).await;
    world.checkout(&payment).await;
    arm(world, POINT).await;
    world
        .bank_pays(&payment.channel_order_no, "success", "server")
        .await;
    dies_at(world, POINT).await;
    let store = world.store().await;
    let row = store.get_payment(&payment.id).await.unwrap().unwrap();
    assert_eq!(
        row.status.as_str(),
        "pending",
        "nothing of it was committed"
    );

    world.start_server().await;
    // The bank notifies again: the same order, the same bytes.
    world
        .bank_pays(&payment.channel_order_no, "success", "server")
        .await;
    assert_eq!(
        payment_succeeded(world, &payment.id).await.status,
        "succeeded"
    );
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    let success = timeline
        .iter()
        .find(|e| e.to_status.as_deref() == Some("succeeded"))
        .unwrap_or_else(|| panic!("{timeline:?}"));
    assert_eq!(
        success.source, "server_notification",
        "brought by the notification: {timeline:?}"
    );
    store.close().await;
    world.set_faults(json!({})).await;
    tokio::time::sleep(QUIET).await;

    payment_as_booked(world, &payment.id).await;
    heard_once(world, &payment.id, &payment.id, "payment.succeeded").await;
}

/// Proves a node that dies after the business system acknowledged a notification, before
/// recording the acknowledgment, has it delivered again under the same event id once its
/// lease runs out (at least once), and never under a second id; the outbox ends delivered.
pub async fn crash_after_notify_ack_before_record(world: &mut World) {
    const POINT: &str = "notify.after_ack_before_record";
    let payment = world.create("CRASH-ACK-1", 990).await;
    world.checkout(&payment).await;
    arm(world, POINT).await;
    world
        .bank_pays(&payment.channel_order_no, "success", "server")
        .await;
    dies_at(world, POINT).await;
    let first = world.receiver.events_for(&payment.id);
    assert_eq!(first.len(), 1, "acknowledged before the death: {first:?}");
    let event_id = first[0].id.clone();
    // Delivered again below on purpose: the acknowledgment died with the node.
    world.may_redeliver.push(event_id.clone());

    world.start_server().await;
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let events = store.list_events_for_payment(&payment.id).await.unwrap();
        let delivered = events.iter().all(|e| e.status == "delivered");
        if delivered || tokio::time::Instant::now() > deadline {
            assert!(delivered, "the acknowledgment is recorded: {events:?}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(QUIET).await;

    payment_as_booked(world, &payment.id).await;
    let heard = world.receiver.events_for(&payment.id);
    assert!(
        (1..=2).contains(&heard.len()),
        "at least once, at most once more: {heard:?}"
    );
    assert!(
        heard
            .iter()
            .all(|e| e.id == event_id && e.event_type == "payment.succeeded"),
        "one event id for the one fact: {heard:?}"
    );
    let stored = store.list_events_for_payment(&payment.id).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].id, event_id);
    store.close().await;
}

/// Proves a janitor that dies holding the lease of a payment whose notifications the bank
/// dropped, before asking about it, loses nothing: the lease runs out, the restarted node's
/// janitor asks, finds it paid, and the success is heard once.
pub async fn crash_during_janitor_lease(world: &mut World) {
    const POINT: &str = "janitor.during_lease";
    // Queries answer "unknown" until the point is armed, so the janitor cannot settle the
    // payment before it holds the lease it dies with.
    world
        .set_faults(json!({"notify": "drop", "query": "EUNKWN"}))
        .await;
    let payment = world.pay("CRASH-JAN-1", 650, "server").await;
    arm(world, POINT).await;
    world.set_faults(json!({"notify": "drop"})).await;
    dies_at(world, POINT).await;
    let store = world.store().await;
    let row = store.get_payment(&payment.id).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "pending");
    let now = chrono::Utc::now().timestamp_millis();
    // A lease reaches 3 s past the claim; the schedule's steps, at most 800 ms.
    assert!(
        row.next_query_at.is_some_and(|at| at > now + 1_500),
        "claimed under a lease when the node died: {row:?}"
    );
    let bank = world.sim_order(&payment.channel_order_no).await;
    assert_eq!(bank["state"], "paid", "{bank}");

    world.start_server().await;
    assert_eq!(
        payment_succeeded(world, &payment.id).await.status,
        "succeeded"
    );
    tokio::time::sleep(QUIET).await;

    payment_as_booked(world, &payment.id).await;
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    let success = timeline
        .iter()
        .find(|e| e.to_status.as_deref() == Some("succeeded"))
        .unwrap_or_else(|| panic!("{timeline:?}"));
    assert_eq!(
        success.source, "query",
        "found by the janitor: {timeline:?}"
    );
    store.close().await;
    heard_once(world, &payment.id, &payment.id, "payment.succeeded").await;
    world.set_faults(json!({})).await;
}
