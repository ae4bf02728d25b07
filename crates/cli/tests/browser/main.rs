//! Browser tests: headless Chromium, driven over WebDriver, clicks through the cashier, the bank
//! simulator's pages and the operations console of real `unipay serve` and `banksim` processes
//! (the end-to-end harness's world, on SQLite), and photographs the main pages into
//! `target/screenshots/`. Without Chromium they skip (each skip reported on the terminal),
//! unless `CI` is set: then they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../e2e/harness.rs"]
#[allow(dead_code)]
mod harness;

mod auditor;
mod cashier;
mod console;
mod csrf;
mod layout;
mod recon;
mod resend;
mod screenshots;
mod settlement;
mod shop;
mod signin;
mod timeline;
mod tour;
mod webdriver;

use harness::World;
use tokio::sync::Semaphore;
use unipay_store::testing::TestBackend;
use webdriver::Browser;

/// Browsers running at once: each test brings a browser and two servers, on a small machine.
static BROWSERS: Semaphore = Semaphore::const_new(2);

macro_rules! browser_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
          async fn $name() { run($module::$name).await; })*
    };
}

browser_tests!(
    cashier::consumer_pays_and_returns_to_the_business_system,
    signin::sign_in_succeeds_fails_and_locks_out,
    csrf::forms_without_their_csrf_token_are_refused,
    timeline::the_timeline_shows_both_notifications,
    resend::an_operator_resends_a_notification,
    auditor::an_auditor_cannot_act,
    recon::an_operator_resolves_an_item_and_the_audit_log_shows_it,
    settlement::finance_approves_a_batch_and_downloads_its_file,
    tour::every_flow_in_both_languages,
);

async fn run(scenario: impl AsyncFnOnce(&mut World, &Browser)) {
    if let Err(reason) = webdriver::installed() {
        // In CI a missing browser fails the suite: a browser suite that passes without a
        // browser has proved nothing. Elsewhere the skip is reported on the terminal.
        assert!(
            !unipay_store::testing::in_ci(),
            "{reason}; the browser tests need Debian's chromium and chromium-driver"
        );
        unipay_store::testing::report_skip(
            "the browser",
            &format!("{reason} (apt-get install chromium chromium-driver)"),
        );
        return;
    }
    let _turn = BROWSERS.acquire().await.expect("the semaphore stays open");
    let Some(mut world) = World::start(TestBackend::Sqlite).await else {
        return;
    };
    let browser = Browser::start().await;
    scenario(&mut world, &browser).await;
    browser.quit().await;
    world.check_invariants().await;
    world.finish().await;
}
