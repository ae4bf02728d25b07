//! An operator sends a dead-lettered notification again from the payment's page.

use crate::console::{audit_by, create_user, open, open_payment, reload_until, sign_in};
use crate::harness::World;
use crate::screenshots;
use crate::webdriver::Browser;
use std::time::Duration;
use unipay_client::receiver::Behaviour;

/// Proves an operator's resend delivers the dead-lettered event, with the same id, and is
/// audited.
pub async fn an_operator_resends_a_notification(world: &mut World, browser: &Browser) {
    world.receiver.set_behaviour(Behaviour::AlwaysFail);
    let payment = world.pay("RESEND-1", 4300, "server").await;
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let dead = loop {
        let dead = store.list_events_by_status("dead", 10).await.unwrap();
        if !dead.is_empty() || tokio::time::Instant::now() > deadline {
            break dead;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    store.close().await;
    assert_eq!(dead.len(), 1, "dead-lettered after the schedule");
    let event_id = dead[0].id.clone();
    world.receiver.set_behaviour(Behaviour::Accept);

    create_user(world, "oscar", "operator").await;
    sign_in(world, browser, "oscar").await;
    let dead_letter = format!("[data-test=dead-letter][data-id='{event_id}']");
    open(world, browser, "/console/notifications", &dead_letter).await;
    screenshots::save(browser, "notifications").await;

    open_payment(world, browser, &payment.id, "RESEND-1").await;
    let attempts = browser.find_all("[data-test=delivery-row]").await.len();
    assert!(attempts >= 1, "the failed attempts are shown");
    browser.click_on("[data-test=resend-notification]").await;
    browser.find("[data-test=flash-ok]").await;

    let events = world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    assert_eq!(events[0].id, event_id, "the same event, sent again");
    let detail = format!("/console/payments/{}", payment.id);
    reload_until(
        world,
        browser,
        &detail,
        "[data-test=delivery-row]",
        attempts + 1,
    )
    .await;
    let audit = audit_by(world, "oscar").await;
    assert!(
        audit
            .iter()
            .any(|a| a.target.contains(&event_id) || a.detail.contains(&event_id)),
        "the resend is audited: {audit:?}"
    );
}
