//! Console flows over real HTTP against real `unipay serve` and the bank simulator, counted
//! once the system is quiet: an operator resends every failure of one endpoint (exactly those
//! are delivered again, once), and an operator gives back money the bank took after the
//! payment was closed (the refund is made, the books and the audit log say so).

use crate::console_pages::{Console, PASSWORD};
use crate::harness::World;
use std::time::Duration;
use unipay_client::receiver::Behaviour;

/// Waits (20 s at most) until `count` notifications are dead letters; their ids.
async fn dead_letters(world: &World, count: usize) -> Vec<String> {
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let dead = loop {
        let dead = store.list_events_by_status("dead", 100).await.unwrap();
        if dead.len() >= count || tokio::time::Instant::now() > deadline {
            break dead;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    store.close().await;
    assert_eq!(dead.len(), count, "dead letters: {dead:?}");
    dead.into_iter().map(|e| e.id).collect()
}

/// Proves "resend every failure" of an endpoint delivers exactly its dead letters, each once
/// under its own event id, and leaves what was already delivered alone; the page lists the
/// payments affected before, and nothing failing after; the action is audited.
pub async fn resend_every_failure_of_an_endpoint(world: &mut World) {
    world
        .create_console_user("olga", "operator", PASSWORD)
        .await;
    let delivered = world.pay("RESEND-0", 100, "server").await;
    world.wait_for_events(&delivered.id, 1).await;
    world.receiver.set_behaviour(Behaviour::AlwaysFail);
    let first = world.pay("RESEND-1", 200, "server").await;
    let second = world.pay("RESEND-2", 300, "server").await;
    let mut dead = dead_letters(world, 2).await;
    dead.sort();

    let mut olga = Console::sign_in(world, "olga").await;
    let page = olga.get("/console/notifications").await;
    let endpoints = page.body.matches(r#"data-test="failing-endpoint""#).count();
    assert_eq!(endpoints, 1, "one endpoint fails: {}", page.body);
    for payment in [&first, &second] {
        assert!(
            page.body
                .contains(&format!("/console/payments/{}", payment.id)),
            "{} is listed as affected",
            payment.id
        );
    }
    // The dead letters a page at a time, and one of them downloaded by its payment.
    let one = olga.get("/console/notifications?per=1").await;
    assert_eq!(one.text_of("list-total"), "2 found");
    let next = one
        .attribute_of("next-page", "href")
        .pop()
        .expect("a second page")
        .replace("&#38;", "&");
    let two = olga.get(&next).await;
    let mut paged = one.ids("dead-letter");
    paged.extend(two.ids("dead-letter"));
    paged.sort();
    assert_eq!(paged, dead, "the next page shows the other dead letter");
    let csv = super::console_lists::csv_rows(
        &olga
            .get(&format!("/console/notifications/dead.csv?q={}", second.id))
            .await,
    );
    assert_eq!(csv.len(), 1, "{csv:?}");
    assert!(csv[0].contains(second.id.as_ref()));
    world.receiver.set_behaviour(Behaviour::Accept);
    let resent = olga
        .post(
            "/console/notifications/resend-endpoint",
            &[("url", &world.receiver.url()), ("app_id", &world.app_id)],
        )
        .await;
    assert_eq!(resent.status, 303, "{}", resent.body);
    assert!(
        resent.location.contains("ok=flash.resent"),
        "{}",
        resent.location
    );

    // Counted once nothing moves any more.
    for payment in [&first, &second] {
        let events = world
            .assert_notified_once(&payment.id, &["payment.succeeded"])
            .await;
        assert!(dead.contains(&events[0].id), "the same event id is resent");
    }
    world
        .assert_notified_once(&delivered.id, &["payment.succeeded"])
        .await;
    assert_eq!(world.receiver.duplicates(), 0);
    let store = world.store().await;
    assert!(
        store
            .list_events_by_status("dead", 100)
            .await
            .unwrap()
            .is_empty()
    );
    store.close().await;
    let after = olga.get("/console/notifications").await;
    assert!(!after.body.contains(r#"data-test="failing-endpoint""#));
    let audited = world
        .audit_rows("olga", "notification.resend_endpoint")
        .await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].outcome, "ok");
    assert!(audited[0].detail.starts_with("2 events"), "{audited:?}");
}

/// Proves an operator's "refund" decision on a payment the bank took after it was closed gives
/// the money back: one refund of the whole amount, numbered `late-<payment id>`, succeeds at
/// the bank; the payment records the money taken with the refund beside it; the decision is
/// audited; a second decision is refused.
pub async fn late_success_refunded_from_the_console(world: &mut World) {
    world
        .create_console_user("olga", "operator", PASSWORD)
        .await;
    let mut olga = Console::sign_in(world, "olga").await;
    let payment = world.create("LATE-REFUND-1", 880).await;
    world.checkout(&payment).await;
    let path = format!("/console/payments/{}", payment.id);
    let closed = olga.post(&format!("{path}/close"), &[]).await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    world
        .bank_pays(&payment.channel_order_no, "success", "server")
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let page = olga.get(&path).await;
        if page.attribute_of("late-success", "data-open") == ["true"] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the late success is shown: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refunded = olga
        .post(
            &format!("{path}/late-success"),
            &[("decision", "refund"), ("note", "the customer cancelled")],
        )
        .await;
    assert_eq!(refunded.status, 303, "{}", refunded.body);
    assert!(
        refunded.location.contains("ok=flash.late_refunded"),
        "{}",
        refunded.location
    );

    // The money goes back: one refund of the whole amount, settled by the bank.
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let refund = loop {
        let refunds = store.list_refunds_for_payment(&payment.id).await.unwrap();
        assert!(refunds.len() <= 1, "one refund: {refunds:?}");
        if let Some(refund) = refunds.into_iter().next()
            && refund.status.as_str() != "pending"
        {
            break refund;
        }
        assert!(tokio::time::Instant::now() < deadline, "the refund settles");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    store.close().await;
    assert_eq!(refund.status.as_str(), "succeeded", "{refund:?}");
    assert_eq!(refund.amount.fen(), 880);
    assert_eq!(refund.out_refund_no, format!("late-{}", payment.id));
    world.quiet().await;
    let page = olga.get(&path).await;
    assert_eq!(page.attribute_of("late-success", "data-open"), ["false"]);
    assert_eq!(page.ids("refund-row"), vec![refund.id.clone()]);
    // Taken, then given back: the payment records what the bank did, the refund beside it.
    assert_eq!(page.text_of("payment-status"), "Succeeded");
    let decided = world.audit_rows("olga", "payment.late_success").await;
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert_eq!(decided[0].target, payment.id);
    assert_eq!(decided[0].outcome, "ok");
    let again = olga
        .post(
            &format!("{path}/late-success"),
            &[("decision", "refund"), ("note", "twice")],
        )
        .await;
    assert!(again.location.contains("error=flash.late_not_open"));
    let store = world.store().await;
    assert_eq!(
        store
            .list_refunds_for_payment(&payment.id)
            .await
            .unwrap()
            .len(),
        1,
        "still one refund"
    );
    store.close().await;
}
