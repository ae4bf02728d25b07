//! The console as its users meet it: users made with `unipay admin create-user`, signing in
//! through the form, and reading what the browser holds (its session cookie, a form's CSRF
//! token) to check with plain HTTP what a page cannot show, such as a status code.

use crate::harness::{World, unipay};
use crate::webdriver::Browser;
use serde_json::Value;

pub fn password_of(username: &str) -> String {
    format!("{username}-correct-horse-battery")
}

/// Creates a console user whose password is [`password_of`] the name.
pub async fn create_user(world: &World, username: &str, role: &str) {
    world
        .create_console_user(username, role, &password_of(username))
        .await;
}

/// Fills in the sign-in form and presses the button; does not wait for the outcome.
pub async fn submit_sign_in(world: &World, browser: &Browser, username: &str, password: &str) {
    browser
        .goto(&format!("{}/console/login", world.server_url))
        .await;
    browser.type_into("input[name=username]", username).await;
    browser.type_into("input[name=password]", password).await;
    browser.click_on("[data-test=sign-in]").await;
}

/// Signs in and waits for the console to name the user.
pub async fn sign_in(world: &World, browser: &Browser, username: &str) {
    submit_sign_in(world, browser, username, &password_of(username)).await;
    let whoami = browser.find("[data-test=whoami]").await;
    assert!(
        browser.text(&whoami).await.contains(username),
        "signed in as {username}"
    );
}

/// Opens a console page (a path under the server) and waits for it to show `css`.
pub async fn open(world: &World, browser: &Browser, path: &str, css: &str) {
    browser.goto(&format!("{}{path}", world.server_url)).await;
    browser.find(css).await;
}

/// The CSRF token of the page's first form that has one.
pub async fn csrf_token(browser: &Browser) -> String {
    let field = browser.find("input[name=csrf]").await;
    browser
        .attribute(&field, "value")
        .await
        .expect("the csrf field has a value")
}

/// Posts a form to the console with the browser's cookies, as the browser would; returns the
/// status and the body.
pub async fn post_as_browser(
    world: &World,
    browser: &Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let response = world
        .http
        .post(format!("{}{path}", world.server_url))
        .header("cookie", browser.cookie_header().await)
        .header("origin", world.server_url.as_str())
        .form(fields)
        .send()
        .await
        .expect("the console answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Gets a console page with the browser's cookies; returns the status and the body.
pub async fn get_as_browser(world: &World, browser: &Browser, path: &str) -> (u16, String) {
    let response = world
        .http
        .get(format!("{}{path}", world.server_url))
        .header("cookie", browser.cookie_header().await)
        .send()
        .await
        .expect("the console answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Runs `unipay <args> --database-url <db> --config <world's>` and returns its output.
pub async fn cli_text(world: &World, args: &[&str]) -> String {
    let output = unipay()
        .args(args)
        .args(["--database-url", &world.db_url()])
        .arg("--config")
        .arg(world.dir().join("unipay.toml"))
        .output()
        .await
        .expect("runs");
    assert!(
        output.status.success(),
        "unipay {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Like [`cli_text`], for commands that print one JSON document.
pub async fn cli_json(world: &World, args: &[&str]) -> Value {
    let text = cli_text(world, args).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?} printed {text:?}: {e}"))
}

/// Audit entries with this action, newest first, as the store keeps them.
pub async fn audit_actions(world: &World, action: &str) -> Vec<unipay_store::audit::AuditRecord> {
    let store = world.store().await;
    let entries = store
        .list_audit(&unipay_store::audit::AuditFilter {
            action: Some(action),
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("audit log");
    store.close().await;
    entries
}

/// Finds the payment by its out_trade_no with the search form, and opens it from the list.
pub async fn open_payment(world: &World, browser: &Browser, payment_id: &str, out_trade_no: &str) {
    open(
        world,
        browser,
        "/console/payments",
        "[data-test=payment-search]",
    )
    .await;
    browser
        .type_into("[data-test=payment-search] input[name=q]", out_trade_no)
        .await;
    browser
        .click_on("[data-test=payment-search] [type=submit]")
        .await;
    // The list before the search may show the row too: wait for the search's own page, or the
    // link found below could belong to the page being left (a stale element).
    let searched = format!("q={out_trade_no}");
    browser
        .wait_for_url("the search's answer", |url| url.contains(&searched))
        .await;
    let row = format!("[data-test=payment-row][data-id='{payment_id}']");
    browser.find(&row).await;
    let link = browser.find_all(&format!("{row} a")).await;
    match link.first() {
        Some(link) => browser.click(link).await,
        None => browser.click_on(&row).await,
    }
    let detail = format!("/console/payments/{payment_id}");
    browser
        .wait_for_url("the payment's page", |url| url.ends_with(&detail))
        .await;
    browser.find("[data-test=payment-status]").await;
}

/// Opens `path` again and again until `count` elements match `css` (what a person does with the
/// reload button while a worker finishes).
pub async fn reload_until(world: &World, browser: &Browser, path: &str, css: &str, count: usize) {
    let deadline = tokio::time::Instant::now() + crate::webdriver::PATIENCE;
    loop {
        browser.goto(&format!("{}{path}", world.server_url)).await;
        if browser.find_all(css).await.len() >= count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} × {css} never showed on {path}:\n{}",
            browser.body_text().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Submits a POST form built in the page (WebDriver's script channel is not the page's, so the
/// Content-Security-Policy does not stand in its way): how a person who crafts a request the
/// page does not offer them would act.
pub async fn submit_crafted_form(browser: &Browser, action: &str, fields: &[(&str, &str)]) {
    let fields: Vec<[&str; 2]> = fields.iter().map(|(k, v)| [*k, *v]).collect();
    browser
        .execute(
            "var form = document.createElement('form');
             form.method = 'post'; form.action = arguments[0];
             arguments[1].forEach(function (pair) {
                 var input = document.createElement('input');
                 input.type = 'hidden'; input.name = pair[0]; input.value = pair[1];
                 form.appendChild(input);
             });
             document.body.appendChild(form);
             form.submit();",
            serde_json::json!([action, fields]),
        )
        .await;
}

/// The users' audit entries by this actor (newest first).
pub async fn audit_by(world: &World, actor: &str) -> Vec<unipay_store::audit::AuditRecord> {
    let store = world.store().await;
    let entries = store
        .list_audit(&unipay_store::audit::AuditFilter {
            actor: Some(actor),
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("audit log");
    store.close().await;
    entries
}
