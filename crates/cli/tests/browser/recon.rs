//! Reconciliation in the console: a day whose bank statement shows a different amount is
//! fetched and reconciled with the page's buttons, the operator decides for the bank with a
//! note, and the audit log shows the decision.

use crate::console::{create_user, open, sign_in};
use crate::harness::World;
use crate::screenshots;
use crate::webdriver::Browser;
use serde_json::json;
use unipay_store::recon::ItemFilter;

/// Pays two orders and makes the bank's statement misreport the amount of the first. Returns
/// the day and the payment whose amount the bank misreports.
async fn a_day_with_a_difference(world: &World) -> (String, unipay_client::Payment) {
    let differing = world.pay("RECON-1", 2000, "server").await;
    let matching = world.pay("RECON-2", 3000, "server").await;
    for payment in [&differing, &matching] {
        world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
    }
    let date = world
        .client
        .get_payment(&differing.id, false)
        .await
        .expect("the payment")
        .accounting_date
        .expect("an accounting date")
        .into_owned();
    let response = world
        .http
        .post(format!(
            "{}/sim/orders/{}/statement",
            world.bank_url, differing.channel_order_no
        ))
        .json(&json!({"fault": "amount", "amount_fen": 2001}))
        .send()
        .await
        .expect("sim answers");
    assert!(response.status().is_success(), "{}", response.status());
    (date, differing)
}

/// Fetches the day's statement and reconciles it with the recon page's own buttons; returns
/// the difference's item id.
async fn reconcile_from_the_console(
    world: &World,
    browser: &Browser,
    date: &str,
    differing: &unipay_client::Payment,
) -> String {
    open(
        world,
        browser,
        &format!("/console/recon?date={date}"),
        "[data-test=fetch-statement]",
    )
    .await;
    browser.click_on("[data-test=fetch-statement]").await;
    browser.find("[data-test=flash-ok]").await;
    browser.click_on("[data-test=run-recon]").await;
    browser.find("[data-test=recon-item]").await;

    let store = world.store().await;
    let items = store
        .list_recon_items(&ItemFilter {
            accounting_date: Some(date),
            ..Default::default()
        })
        .await
        .expect("items");
    store.close().await;
    let item = items
        .iter()
        .find(|i| i.order_no == differing.channel_order_no && i.class == "amount_mismatch")
        .unwrap_or_else(|| panic!("an amount difference: {items:?}"));
    item.id.clone()
}

/// Proves an operator resolves a reconciliation item in the console (bank wins, with a note)
/// and the audit log page shows who did it.
pub async fn an_operator_resolves_an_item_and_the_audit_log_shows_it(
    world: &mut World,
    browser: &Browser,
) {
    let (date, differing) = a_day_with_a_difference(world).await;
    create_user(world, "rosa", "operator").await;
    sign_in(world, browser, "rosa").await;
    let item_id = reconcile_from_the_console(world, browser, &date, &differing).await;
    let row = format!("[data-test=recon-item][data-id='{item_id}']");
    open(world, browser, &format!("/console/recon?date={date}"), &row).await;
    let class = browser.find(&row).await;
    assert_eq!(
        browser.attribute(&class, "data-class").await.as_deref(),
        Some("amount_mismatch")
    );
    screenshots::save(browser, "reconciliation").await;
    // Both sides of a difference side by side: a wide table that scrolls, its headers whole,
    // in either language.
    let recon = format!("/console/recon?date={date}");
    for lang in ["zh-CN", "en"] {
        let back = form_urlencoded::byte_serialize(recon.as_bytes()).collect::<String>();
        open(
            world,
            browser,
            &format!("/console/lang/{lang}?back={back}"),
            &row,
        )
        .await;
        crate::layout::headers_keep_their_words(browser, &format!("{lang} {recon}")).await;
    }

    let form = format!("form[data-test=resolve-item][action$='/recon/items/{item_id}/resolve']");
    if browser.find_all(&form).await.is_empty() {
        // The form may live on the item's own page, one click from the row.
        browser.click_on(&format!("{row} a")).await;
    }
    browser
        .click_on(&format!("{form} input[name=decision][value=bank_wins]"))
        .await;
    browser
        .type_into(
            &format!("{form} textarea[name=note]"),
            "bank statement is right",
        )
        .await;
    browser.click_on(&format!("{form} [type=submit]")).await;
    browser.find("[data-test=flash-ok]").await;

    let store = world.store().await;
    let items = store
        .list_recon_items(&ItemFilter {
            accounting_date: Some(&date),
            ..Default::default()
        })
        .await
        .expect("items");
    store.close().await;
    let item = items.iter().find(|i| i.id == item_id).expect("the item");
    assert_eq!(item.resolution.as_deref(), Some("bank_wins"), "{item:?}");
    assert_eq!(item.resolved_by.as_deref(), Some("rosa"));

    let audit_row = "[data-test=audit-row][data-action='recon.resolve']";
    open(
        world,
        browser,
        "/console/audit?action=recon.resolve",
        audit_row,
    )
    .await;
    let rows = browser.find_all(audit_row).await;
    assert_eq!(rows.len(), 1);
    let text = browser.text(&rows[0]).await;
    assert!(text.contains("rosa"), "who: {text}");
    assert!(text.contains(&item_id), "what: {text}");
    screenshots::save(browser, "audit").await;
}
