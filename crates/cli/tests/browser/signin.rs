//! Signing in to the console: a wrong password is refused, the right one lets the user in and
//! sign-out lets them out, and repeated failures lock the account for a while even against the
//! right password.

use crate::console::{create_user, password_of, sign_in, submit_sign_in};
use crate::harness::World;
use crate::screenshots;
use crate::webdriver::Browser;

/// More failures than any sensible lock-out threshold; the account must lock before this.
const MAX_TRIES: usize = 10;

async fn refused(browser: &Browser) {
    browser.find("[data-test=flash-error]").await;
    assert!(
        browser.find_all("[data-test=whoami]").await.is_empty(),
        "not signed in"
    );
}

async fn locked(world: &World, username: &str) -> bool {
    let store = world.store().await;
    let user = store
        .get_console_user(username)
        .await
        .expect("reads the user")
        .expect("the user exists");
    store.close().await;
    user.locked_until > chrono::Utc::now().timestamp_millis()
}

/// The delay before a failed sign-in's answer, doubled per failure in a row, and its cap: short
/// here so that the test is quick, long enough to be measured.
const FAILURE_DELAY_MS: u64 = 100;
const MAX_FAILURE_DELAY_MS: u64 = 400;

/// Restarts the server with short sign-in failure delays.
async fn quick_failure_delays(world: &mut World) {
    world.kill_server().await;
    let path = world.dir().join("unipay.toml");
    let mut config = std::fs::read_to_string(&path).expect("the config");
    config.push_str(&format!(
        "[console]\nfailure_delay_ms = {FAILURE_DELAY_MS}\nmax_failure_delay_ms = {MAX_FAILURE_DELAY_MS}\n"
    ));
    std::fs::write(&path, config).expect("writes the config");
    world.start_server().await;
}

/// Proves sign-in success and failure, sign-out, and lock-out after repeated failures, each
/// failure answered later than the one before.
pub async fn sign_in_succeeds_fails_and_locks_out(world: &mut World, browser: &Browser) {
    quick_failure_delays(world).await;
    create_user(world, "olivia", "operator").await;
    create_user(world, "lars", "operator").await;
    create_user(world, "amelia", "admin").await;

    browser
        .goto(&format!("{}/console/login", world.server_url))
        .await;
    browser.find("[data-test=sign-in]").await;
    screenshots::save(browser, "sign-in").await;
    // The language switch: Chinese, then back to English, on the same page.
    browser.click_on("[data-test=lang-zh-CN]").await;
    browser.find("html[lang='zh-CN'] [data-test=sign-in]").await;
    browser.click_on("[data-test=lang-en]").await;
    browser.find("html[lang='en'] [data-test=sign-in]").await;

    submit_sign_in(world, browser, "olivia", "not-her-password").await;
    refused(browser).await;
    submit_sign_in(world, browser, "nobody", "whatever-it-is").await;
    refused(browser).await;

    sign_in(world, browser, "olivia").await;
    browser.find("[data-test^='kpi-']").await;
    // Without a session the console sends the browser to the sign-in page.
    browser.click_on("[data-test=sign-out]").await;
    browser
        .wait_for_url("the sign-in page", |url| url.contains("/console/login"))
        .await;
    browser
        .goto(&format!("{}/console/payments", world.server_url))
        .await;
    browser
        .wait_for_url("the sign-in page", |url| url.contains("/console/login"))
        .await;
    assert!(browser.find_all("[data-test=whoami]").await.is_empty());

    // Lock-out: failures in a row lock the account; then even the right password is refused.
    let mut tries = 0;
    let started = std::time::Instant::now();
    let mut owed_ms = 0;
    while !locked(world, "lars").await {
        assert!(
            tries < MAX_TRIES,
            "{MAX_TRIES} failures did not lock the account"
        );
        submit_sign_in(world, browser, "lars", "guessing-again").await;
        refused(browser).await;
        tries += 1;
        owed_ms += (FAILURE_DELAY_MS << (tries - 1)).min(MAX_FAILURE_DELAY_MS);
    }
    assert!(tries >= 2, "one failure alone does not lock an account");
    assert!(
        started.elapsed().as_millis() >= u128::from(owed_ms),
        "failed sign-ins are slowed: {tries} took {:?}, at least {owed_ms} ms expected",
        started.elapsed()
    );
    submit_sign_in(world, browser, "lars", &password_of("lars")).await;
    refused(browser).await;
    let lockouts = crate::console::audit_actions(world, "console.signin.lockout").await;
    assert_eq!(lockouts.len(), 1, "the lock is audited: {lockouts:?}");
    let signins = crate::console::audit_actions(world, "console.signin").await;
    let failures = signins
        .iter()
        .filter(|a| a.target == "lars" && a.outcome != "ok")
        .count();
    assert_eq!(failures, tries + 1, "every refused sign-in is audited");
    // Someone else is not locked out by it.
    sign_in(world, browser, "amelia").await;
    crate::console::open(world, browser, "/console/admin/users", "[data-test=whoami]").await;
    browser.wait_for_text("lars").await;
    screenshots::save(browser, "admin").await;
}
