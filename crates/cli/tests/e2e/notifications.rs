//! Messages from the bank that must not be believed, and business notifications that must
//! not be lost.

use crate::harness::{BANK_MERCHANT_ID, World, admin};
use base64::Engine;
use serde_json::json;
use std::time::Duration;
use unipay_channel_abc::crypto::{PrivateKey, SignatureAlgorithm};
use unipay_channel_abc::messages::PayResultNotification;
use unipay_channel_abc::wire::build_notification;
use unipay_client::receiver::Behaviour;

fn notification(merchant_id: &str, order_no: &str, amount: &str) -> PayResultNotification {
    PayResultNotification {
        return_code: "0000".into(),
        error_message: "交易成功".into(),
        merchant_id: merchant_id.into(),
        order_no: order_no.into(),
        amount: amount.into(),
        batch_no: "000001".into(),
        voucher_no: "654321".into(),
        host_date: "2026/11/27".into(),
        host_time: "10:00:00".into(),
        merchant_remarks: String::new(),
        pay_type: "EP001".into(),
        notify_type: "1".into(),
        i_rsp_ref: "FORGED0001".into(),
    }
}

async fn post_msg(world: &World, msg: &str) -> u16 {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("MSG", msg)
        .finish();
    world
        .http
        .post(format!(
            "{}/callbacks/{}",
            world.server_url, world.channel_account_id
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Proves a forged signature, a wrong MerchantID, a tampered amount and an unknown order are
/// rejected and recorded, and change nothing.
pub async fn forged_and_tampered_messages_change_nothing(world: &mut World) {
    let payment = world.create("FORGE-1", 1000).await;
    world.checkout(&payment).await;
    // The janitor's look at the open payment put off: its queries leave records of their own.
    world.postpone_janitor("payments", &payment.id).await;
    let bank_key_pem = std::fs::read_to_string(world.dir().join("bank/banksim-key.pem")).unwrap();
    let bank_key = PrivateKey::from_pem(&bank_key_pem).unwrap();
    let forger = PrivateKey::generate(1024).unwrap();
    let order: &str = &payment.channel_order_no;
    let sha1 = SignatureAlgorithm::Sha1WithRsa;

    let forged = build_notification(
        &notification(BANK_MERCHANT_ID, order, "10.00").to_xml(),
        &forger,
        sha1,
    );
    let wrong_merchant = build_notification(
        &notification("103880000000001", order, "10.00").to_xml(),
        &bank_key,
        sha1,
    );
    let wrong_amount = build_notification(
        &notification(BANK_MERCHANT_ID, order, "0.01").to_xml(),
        &bank_key,
        sha1,
    );
    let unknown_order = build_notification(
        &notification(BANK_MERCHANT_ID, "NOSUCHORDER1", "10.00").to_xml(),
        &bank_key,
        sha1,
    );
    // A genuine message whose amount was changed in transit: its signature no longer holds.
    let genuine = build_notification(
        &notification(BANK_MERCHANT_ID, order, "10.00").to_xml(),
        &bank_key,
        sha1,
    );
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&genuine)
        .unwrap();
    let tampered_bytes = String::from_utf8_lossy(&decoded)
        .replace("<Amount>10.00</Amount>", "<Amount>99.00</Amount>");
    let tampered = base64::engine::general_purpose::STANDARD.encode(tampered_bytes.as_bytes());

    let store = world.store().await;
    let row = store.get_payment(&payment.id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    for msg in [
        &forged,
        &wrong_merchant,
        &wrong_amount,
        &unknown_order,
        &tampered,
        &"not base64!".to_string(),
    ] {
        let status = post_msg(world, msg).await;
        assert_eq!(status, 400, "rejected");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Each kept as a rejected message, and nothing else: no timeline entry, no notification,
    // no ledger entry, and the payment is the same row.
    world
        .assert_stored(&before, &[("bank_messages", 6)], "rejected results")
        .await;
    assert_eq!(
        store.get_payment(&payment.id).await.unwrap().unwrap(),
        row,
        "nothing changed"
    );
    assert!(world.receiver.events_for(&payment.id).is_empty());

    let rejected = store.list_bank_messages(Some("rejected")).await.unwrap();
    assert_eq!(
        rejected.len(),
        6,
        "every rejected message is recorded: {rejected:?}"
    );
    assert!(rejected.iter().any(|m| m.reason.contains("signature")));
    assert!(rejected.iter().any(|m| m.reason.contains("merchant")));
    assert!(rejected.iter().any(|m| m.reason.contains("amount")));
    assert!(rejected.iter().any(|m| m.reason.contains("unknown order")));
    // The same forgery again is one record seen twice.
    assert_eq!(post_msg(world, &forged).await, 400);
    let again = store.list_bank_messages(Some("rejected")).await.unwrap();
    assert_eq!(again.len(), 6);
    assert_eq!(again.iter().map(|m| m.seen_count).sum::<i64>(), 7);
    world
        .assert_stored(&before, &[("bank_messages", 6)], "a rejected result again")
        .await;

    // The genuine message is believed, once.
    assert_eq!(post_msg(world, &genuine).await, 200);
    assert_eq!(post_msg(world, &genuine).await, 200);
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    // The janitor's queries of the open payment are kept too; only notifications count here.
    let accepted: Vec<_> = store
        .list_bank_messages(Some("accepted"))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.source != "query")
        .collect();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0].seen_count, 2);
    assert_eq!(world.wait_for_events(&payment.id, 1).await.len(), 1);
    store.close().await;
}

/// Proves a notification that fails at first is delivered later under the same event id.
pub async fn endpoint_down_first_then_delivered_with_the_same_id(world: &mut World) {
    world.receiver.set_behaviour(Behaviour::FailFirst(2));
    let payment = world.pay("RETRY-1", 4200, "server").await;
    let events = world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    assert_eq!(
        world.receiver.attempts(&events[0].id),
        3,
        "two refusals, then delivered"
    );
    let store = world.store().await;
    let stored = store.list_events_for_payment(&payment.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].id, events[0].id,
        "the same event id on every attempt"
    );
    store.close().await;
}

/// Proves an event never acknowledged is dead-lettered, and a resend delivers the same event.
pub async fn never_acknowledged_is_dead_lettered_and_resend_works(world: &mut World) {
    world.receiver.set_behaviour(Behaviour::AlwaysFail);
    let payment = world.pay("DEAD-1", 4300, "server").await;
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let dead = loop {
        let dead = store.list_events_by_status("dead", 10).await.unwrap();
        if !dead.is_empty() || tokio::time::Instant::now() > deadline {
            break dead;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(dead.len(), 1, "dead-lettered after the schedule");
    let event_id = dead[0].id.clone();
    assert_eq!(
        world.receiver.attempts(&event_id),
        4,
        "one attempt per schedule step"
    );
    let metrics = world.metrics_text().await;
    for expected in [
        "unipay_notifications_dead 1",
        "unipay_notifications_pending 0",
        "unipay_payments{status=\"succeeded\"} 1",
        "unipay_janitor_due ",
        "unipay_http_requests_total{method=\"POST\",route=\"/v1/payments\",status=\"201\"} 1",
        "unipay_http_requests_total{method=\"POST\",route=\"/callbacks/{channel_account_id}\",status=\"200\"}",
    ] {
        assert!(
            metrics.contains(expected),
            "metrics lack {expected:?}:\n{metrics}"
        );
    }
    world.receiver.set_behaviour(Behaviour::Accept);
    let resent = admin(&[
        "resend-event",
        "--database-url",
        &world.db_url(),
        &event_id,
        "--json",
    ])
    .await;
    assert_eq!(resent["event_id"], json!(event_id));
    let events = world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    assert_eq!(events[0].id, event_id);
    store.close().await;
}
