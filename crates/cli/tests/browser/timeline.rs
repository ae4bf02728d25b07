//! A payment's whole story on one page: paid in the browser, reported by the bank server to
//! server, then again by the consumer pressing the bank page's "notify the merchant" button.

use crate::cashier::pay_in_the_browser;
use crate::console::{create_user, open, open_payment, reload_until, sign_in};
use crate::harness::World;
use crate::screenshots;
use crate::shop::Shop;
use crate::webdriver::Browser;

/// Proves the payment's timeline shows both the server and the page notification.
pub async fn the_timeline_shows_both_notifications(world: &mut World, browser: &Browser) {
    let shop = Shop::start(&world.secret).await;
    let (payment, bank_page) = pay_in_the_browser(world, browser, &shop, "TIMELINE-1", false).await;
    world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;

    // Back on the bank's page, which now shows the result and the button that sends it to the
    // merchant through the browser: the page notification.
    browser.goto(&bank_page).await;
    browser.click_on("form#notify button[type=submit]").await;
    let result_path = format!("/pay/{}/result", payment.id);
    browser
        .wait_for_url("unipay's result page", |url| url.ends_with(&result_path))
        .await;

    create_user(world, "ada", "auditor").await;
    sign_in(world, browser, "ada").await;
    open(
        world,
        browser,
        "/console/payments",
        "[data-test=payment-row]",
    )
    .await;
    screenshots::save(browser, "payments").await;
    open_payment(world, browser, &payment.id, "TIMELINE-1").await;
    let detail = format!("/console/payments/{}", payment.id);
    reload_until(
        world,
        browser,
        &detail,
        "[data-test=timeline-event][data-source=page_notification]",
        1,
    )
    .await;
    browser
        .find("[data-test=timeline-event][data-source=server_notification]")
        .await;
    browser.find("[data-test=delivery-row]").await;
    let status = browser.find("[data-test=payment-status]").await;
    assert!(!browser.text(&status).await.is_empty(), "the status shows");
    screenshots::save(browser, "payment-detail").await;
    // Two notifications, one business notification.
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
}
