//! An auditor reads everything and changes nothing: the pages offer no actions, and a request
//! crafted anyway is answered 403, changes nothing, and is audited.

use crate::console::{
    audit_by, create_user, csrf_token, open, open_payment, post_as_browser, sign_in,
    submit_crafted_form,
};
use crate::harness::World;
use crate::webdriver::Browser;

/// Proves an auditor sees a payment but cannot close it, query it, resend its notification,
/// resolve an item or approve a batch: each is 403 and leaves a `console.forbidden` entry.
pub async fn an_auditor_cannot_act(world: &mut World, browser: &Browser) {
    let payment = world.create("AUDITOR-1", 2500).await;
    create_user(world, "aurelia", "auditor").await;
    sign_in(world, browser, "aurelia").await;
    open_payment(world, browser, &payment.id, "AUDITOR-1").await;
    for action in ["query-now", "close-payment", "resend-notification"] {
        assert!(
            browser
                .find_all(&format!("[data-test={action}]"))
                .await
                .is_empty(),
            "an auditor is not offered {action}"
        );
    }
    let token = csrf_token(browser).await;

    // In the browser: the close form the page does not offer, posted anyway.
    let close = format!("/console/payments/{}/close", payment.id);
    submit_crafted_form(browser, &close, &[("csrf", &token)]).await;
    browser
        .wait_for_url("the refusal", |url| url.ends_with(&close))
        .await;
    let forbidden = crate::console::audit_actions(world, "console.forbidden").await;
    assert!(
        forbidden.iter().any(|a| a.actor == "aurelia"),
        "the attempt is audited: {forbidden:?}"
    );

    // Every action of every other role, with a valid session and token: 403 each.
    let attempts = [
        (close.clone(), vec![("csrf", token.as_str())]),
        (
            format!("/console/payments/{}/query", payment.id),
            vec![("csrf", token.as_str())],
        ),
        (
            "/console/notifications/resend".to_string(),
            vec![("csrf", token.as_str()), ("event_id", "evt_any")],
        ),
        (
            "/console/recon/items/itm_any/resolve".to_string(),
            vec![
                ("csrf", token.as_str()),
                ("decision", "bank_wins"),
                ("note", "no"),
            ],
        ),
        (
            "/console/settlement/stb_any/approve".to_string(),
            vec![("csrf", token.as_str())],
        ),
    ];
    for (path, fields) in &attempts {
        let (status, _) = post_as_browser(world, browser, path, fields).await;
        assert_eq!(status, 403, "an auditor's POST {path}");
    }
    let after = world
        .client
        .get_payment(&payment.id, false)
        .await
        .expect("the payment");
    assert_eq!(after.status, payment.status, "nothing changed");
    let forbidden = audit_by(world, "aurelia")
        .await
        .into_iter()
        .filter(|a| a.action == "console.forbidden")
        .count();
    assert!(
        forbidden > attempts.len(),
        "each refusal is audited ({forbidden})"
    );

    // Reading the audit log is allowed, and it shows the refusals.
    open(
        world,
        browser,
        "/console/audit?action=console.forbidden",
        "[data-test=audit-row][data-action='console.forbidden']",
    )
    .await;
}
