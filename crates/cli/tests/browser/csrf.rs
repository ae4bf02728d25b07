//! Forms without their CSRF token, or with another, are refused with 403 and change nothing.

use crate::console::{audit_by, create_user, csrf_token, post_as_browser, sign_in};
use crate::harness::World;
use crate::webdriver::Browser;

/// Proves a console form posted with an altered or missing CSRF token is refused (403) and
/// does nothing, while the same form with its token works.
pub async fn forms_without_their_csrf_token_are_refused(world: &mut World, browser: &Browser) {
    create_user(world, "otto", "operator").await;
    sign_in(world, browser, "otto").await;
    let token = csrf_token(browser).await;

    // In the browser: the sign-out form with its token altered.
    let altered = browser
        .execute(
            "var fields = document.querySelectorAll('input[name=csrf]');
             fields.forEach(function (field) { field.value = 'forged' + field.value; });
             return fields.length;",
            serde_json::json!([]),
        )
        .await;
    assert!(
        altered.as_u64().unwrap_or(0) >= 1,
        "the page has CSRF fields"
    );
    browser.click_on("[data-test=sign-out]").await;
    browser
        .wait_for_url("the sign-out answer", |url| {
            url.ends_with("/console/logout")
        })
        .await;
    // The refusal page, and the user is still signed in.
    browser.find("[data-test=flash-error]").await;
    browser.goto(&format!("{}/console", world.server_url)).await;
    browser.find("[data-test=whoami]").await;

    // The same posts, to read the status: forged, missing, and then the real token.
    for fields in [vec![("csrf", "forged")], vec![]] {
        let (status, _) = post_as_browser(world, browser, "/console/logout", &fields).await;
        assert_eq!(status, 403, "sign-out with {fields:?}");
    }
    let resend = [("event_id", "evt_does_not_matter")];
    let (status, _) =
        post_as_browser(world, browser, "/console/notifications/resend", &resend).await;
    assert_eq!(status, 403, "resend without a token");
    browser.goto(&format!("{}/console", world.server_url)).await;
    browser.find("[data-test=whoami]").await;
    let refusals = audit_by(world, "otto")
        .await
        .into_iter()
        .filter(|a| a.action == "console.csrf")
        .count();
    assert_eq!(refusals, 4, "every refusal is audited");

    let (status, _) = post_as_browser(world, browser, "/console/logout", &[("csrf", &token)]).await;
    assert!(
        (200..400).contains(&status),
        "sign-out with the page's token works: {status}"
    );
    browser.goto(&format!("{}/console", world.server_url)).await;
    browser
        .wait_for_url("the sign-in page", |url| url.contains("/console/login"))
        .await;
}
