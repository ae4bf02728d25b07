//! Every console flow walked in Chinese and in English, each page photographed into
//! `target/screenshots/flows/<language>/`: signing in, the dashboard, the lists (payments with
//! their search, refunds, notifications, reconciliation, settlement, audit, merchants, apps,
//! channel accounts, users, mandates, debit and refund batches, identity verifications; no
//! table header broken inside a word at 1366, 1024 or 390 px), a payment's page, the confirmation before disabling an app, the own
//! password page, and signing out (said on the sign-in page, and Back shows nothing kept).
//! The consumer's pages speak both languages at once and are photographed once: the K-code
//! form after a wrong entry, and a declined payment's result.

use crate::console;
use crate::harness::World;
use crate::layout::headers_keep_their_words;
use crate::screenshots;
use crate::webdriver::Browser;

/// The console's languages, as `/console/lang/{code}` names them.
const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// A list page, the element that shows it is drawn, and the flow's name.
const LISTS: [(&str, &str, &str); 14] = [
    (
        "/console/payments?q=TOUR",
        "[data-test=payment-row]",
        "payments",
    ),
    ("/console/refunds", "[data-test=refund-search]", "refunds"),
    ("/console/notifications", "#dead-letters", "notifications"),
    (
        "/console/recon",
        "[data-test=list-search]",
        "reconciliation",
    ),
    (
        "/console/settlement",
        "[data-test=settlement-search]",
        "settlement",
    ),
    ("/console/audit", "[data-test=audit-row]", "audit"),
    (
        "/console/admin/merchants",
        "[data-test=merchant-row]",
        "merchants",
    ),
    ("/console/admin/apps", "[data-test=app-row]", "apps"),
    (
        "/console/admin/channel-accounts",
        "[data-test=channel-account]",
        "channel-accounts",
    ),
    ("/console/admin/users", "[data-test=user-row]", "users"),
    (
        "/console/mandates",
        "[data-test=mandate-search]",
        "mandates",
    ),
    (
        "/console/debit-batches",
        "[data-test=debit-batch-search]",
        "debit-batches",
    ),
    (
        "/console/refund-batches",
        "[data-test=refund-batch-search]",
        "refund-batches",
    ),
    (
        "/console/identity-verifications",
        "[data-test=identity-search]",
        "identity-verifications",
    ),
];

/// Proves each console page and flow draws in both languages (the page's own words change
/// with the language), and keeps a photograph of each.
pub async fn every_flow_in_both_languages(world: &mut World, browser: &Browser) {
    console::create_user(world, "tess", "admin").await;
    let paid = world.pay("TOUR-1", 123_456, "server").await;
    world
        .wait_for_payment(&paid.id, |p| p.status == "succeeded")
        .await;

    for lang in LANGUAGES {
        let shot = |flow: &'static str| screenshots::save_flow(browser, flow, lang);
        browser
            .goto(&format!(
                "{}/console/lang/{lang}?back=%2Fconsole%2Flogin",
                world.server_url
            ))
            .await;
        browser.find("[data-test=sign-in]").await;
        shot("sign-in").await;
        console::sign_in(world, browser, "tess").await;
        browser.find("[data-test=kpi-collected-today]").await;
        shot("dashboard").await;
        let title = browser.text(&browser.find("h1").await).await;
        let expected = if lang == "en" { "Dashboard" } else { "概览" };
        assert!(
            title.contains(expected),
            "{lang}: the dashboard's title is in its language: {title}"
        );

        for (path, css, flow) in LISTS {
            console::open(world, browser, path, css).await;
            shot(flow).await;
            headers_keep_their_words(browser, &format!("{lang} {path}")).await;
        }

        console::open_payment(world, browser, &paid.id, "TOUR-1").await;
        shot("payment-detail").await;
        headers_keep_their_words(browser, &format!("{lang} a payment")).await;
        // A dangerous action is asked twice; the question is photographed, not answered.
        console::open(
            world,
            browser,
            "/console/admin/apps",
            "[data-test=disable-app]",
        )
        .await;
        browser.click_on("[data-test=disable-app]").await;
        browser.find("[data-test=confirm]").await;
        shot("confirm").await;
        console::open(
            world,
            browser,
            "/console/account/password",
            "[data-test=change-password]",
        )
        .await;
        shot("password").await;

        browser.click_on("[data-test=sign-out]").await;
        browser.find("[data-test=flash-ok]").await;
        shot("signed-out").await;
        // Back after signing out asks the server again (nothing was kept), which sends to
        // the sign-in page.
        browser
            .execute("history.back();", serde_json::json!([]))
            .await;
        browser
            .wait_for_url("the sign-in page again", |url| {
                url.contains("/console/login")
            })
            .await;
        browser.find("[data-test=sign-in]").await;
    }

    // The consumer's pages: a K-code form after a wrong entry, and a declined payment.
    let kcode = world.create("TOUR-3", 2_000).await;
    browser
        .goto(&format!("{}/pay/{}/kcode", world.server_url, kcode.id))
        .await;
    browser.type_into("#card_no", "6228480012345678901").await;
    browser.type_into("#mobile_no", "139").await;
    browser.click_on("form.kcode button[type=submit]").await;
    browser.wait_for_text("11位手机号").await;
    screenshots::save_flow(browser, "cashier-kcode", "zh-CN+en").await;
    let declined = world.create("TOUR-4", 3_000).await;
    world.checkout(&declined).await;
    world
        .bank_pays(&declined.channel_order_no, "decline", "server")
        .await;
    world
        .wait_for_payment(&declined.id, |p| p.status == "failed")
        .await;
    browser
        .goto(&format!("{}/pay/{}/result", world.server_url, declined.id))
        .await;
    browser.find("[data-test=try-again]").await;
    browser.find("[data-test=failure-reason]").await;
    screenshots::save_flow(browser, "cashier-declined", "zh-CN+en").await;
}
