//! Settlement in the console: finance reviews a day's batch, approves it, and downloads its
//! settlement file.

use crate::console::{cli_json, cli_text, create_user, get_as_browser, open, sign_in};
use crate::harness::World;
use crate::screenshots;
use crate::webdriver::Browser;

/// Proves finance approves a batch under review and downloads the same CSV file the command
/// line hands out.
pub async fn finance_approves_a_batch_and_downloads_its_file(world: &mut World, browser: &Browser) {
    let first = world.pay("SETTLE-1", 10_000, "server").await;
    let second = world.pay("SETTLE-2", 5_000, "server").await;
    for payment in [&first, &second] {
        world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
    }
    let date = world
        .client
        .get_payment(&first.id, false)
        .await
        .expect("the payment")
        .accounting_date
        .expect("an accounting date");
    let run = cli_json(world, &["settle", "--date", &date, "--json"]).await;
    let batch_id = run["created"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a batch: {run}"))
        .to_string();

    create_user(world, "fiona", "finance").await;
    sign_in(world, browser, "fiona").await;
    // Signing in lands on the dashboard, which now has a day of payments and a batch to review.
    let review = browser.find("[data-test=kpi-settlement-review]").await;
    assert!(
        browser.text(&review).await.contains('1'),
        "one batch to review"
    );
    browser.find("svg[data-test^='chart-']").await;
    screenshots::save(browser, "dashboard").await;
    let row = format!("[data-test=settlement-batch][data-id='{batch_id}']");
    open(
        world,
        browser,
        &format!("/console/settlement?date={date}"),
        &row,
    )
    .await;
    let batch = browser.find(&row).await;
    assert_eq!(
        browser.attribute(&batch, "data-status").await.as_deref(),
        Some("pending_review")
    );
    screenshots::save(browser, "settlement").await;

    let detail = format!("/console/settlement/{batch_id}");
    browser.goto(&format!("{}{detail}", world.server_url)).await;
    browser.click_on("[data-test=approve-batch]").await;
    // A confirmation page says what will happen; only its button approves.
    let confirm = browser.find("[data-test=confirm-text]").await;
    assert!(browser.text(&confirm).await.contains(&batch_id));
    screenshots::save(browser, "confirm").await;
    browser.click_on("[data-test=confirm]").await;
    browser.find("[data-test=flash-ok]").await;
    open(
        world,
        browser,
        &format!("/console/settlement?date={date}"),
        &row,
    )
    .await;
    let batch = browser.find(&row).await;
    assert_eq!(
        browser.attribute(&batch, "data-status").await.as_deref(),
        Some("approved")
    );

    browser.goto(&format!("{}{detail}", world.server_url)).await;
    let link = browser.find("[data-test=download-file]").await;
    let href = browser.attribute(&link, "href").await.expect("a link");
    let path = href
        .strip_prefix(&world.server_url)
        .unwrap_or(&href)
        .to_string();
    let (status, csv) = get_as_browser(world, browser, &path).await;
    assert_eq!(status, 200, "{csv}");
    let file = cli_text(world, &["settle", "file", &batch_id]).await;
    assert_eq!(csv, file, "the console hands out the batch's file");
    crate::layout::fits_a_phone_and_a_small_laptop(world, browser).await;
    let audit = crate::console::audit_actions(world, "settlement.approve").await;
    assert!(
        audit
            .iter()
            .any(|a| a.actor == "fiona" && a.target == batch_id),
        "{audit:?}"
    );
}
