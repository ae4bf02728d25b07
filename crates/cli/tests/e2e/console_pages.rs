//! The console's operational pages over real HTTP against real `unipay serve` and the bank
//! simulator: payment search and story, an operator's resend, close and reconciliation
//! decision, finance's settlement review and file, the auditor refused, and an admin's secret
//! rotation.

use crate::harness::World;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use unipay_client::Client;
use unipay_client::receiver::Behaviour;
use unipay_store::audit::{AuditFilter, AuditRecord};

pub(crate) const PASSWORD: &str = "operations password";

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: String,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

impl Page {
    /// The value of the first hidden `csrf` field.
    pub(crate) fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let at = self.body.find(marker).expect("the page has a form") + marker.len();
        self.body[at..].split('"').next().unwrap().to_string()
    }

    /// The `data-id` of every element marked `data-test="<test>"`.
    pub(crate) fn ids(&self, test: &str) -> Vec<String> {
        self.attribute_of(test, "data-id")
    }

    /// The value of `attribute` on every element marked `data-test="<test>"`.
    pub(crate) fn attribute_of(&self, test: &str, attribute: &str) -> Vec<String> {
        let marker = format!(r#"data-test="{test}""#);
        self.body
            .match_indices(&marker)
            .filter_map(|(at, _)| {
                let tag_end = self.body[at..].find('>')? + at;
                let start = self.body[..at].rfind('<')?;
                let tag = &self.body[start..tag_end];
                let key = format!(r#"{attribute}=""#);
                let value_at = tag.find(&key)? + key.len();
                Some(tag[value_at..].split('"').next()?.to_string())
            })
            .collect()
    }

    /// The text inside the first element marked `data-test="<test>"`.
    pub(crate) fn text_of(&self, test: &str) -> String {
        let marker = format!(r#"data-test="{test}""#);
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {test} in {}", self.body));
        let open_end = self.body[at..].find('>').unwrap() + at + 1;
        let close = self.body[open_end..].find('<').unwrap() + open_end;
        self.body[open_end..close].trim().to_string()
    }
}

/// A signed-in console user: the session cookie kept by hand, no redirects followed.
pub(crate) struct Console {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Console {
    pub(crate) async fn sign_in(world: &World, username: &str) -> Console {
        let mut console = Console {
            base: world.server_url.clone(),
            http: world.http.clone(),
            cookies: BTreeMap::new(),
        };
        let form = console.get("/console/login").await;
        let csrf = form.csrf();
        let signed = console
            .post_raw(
                "/console/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(signed.status, 303, "{username} signs in: {}", signed.body);
        console
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// A form as the page's own, with the session's CSRF token.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get("/console").await.csrf();
        let mut all = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    pub(crate) async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// A multipart form (files as bytes) with the session's CSRF token, built by hand.
    pub(crate) async fn post_multipart(&mut self, path: &str, fields: &[(&str, &[u8])]) -> Page {
        let csrf = self.get("/console").await.csrf();
        let boundary = "unipay-console-test-boundary";
        let mut body = Vec::new();
        let mut all = fields.to_vec();
        all.push(("csrf", csrf.as_bytes()));
        for (name, value) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(request).await
    }

    pub(crate) async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = request.header("accept-language", "en");
        if !cookie.is_empty() {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        for line in response.headers().get_all("set-cookie") {
            let line = line.to_str().unwrap();
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (location, content_type) = (header("location"), header("content-type"));
        Page {
            status: response.status().as_u16(),
            location,
            content_type,
            body: response.text().await.unwrap(),
        }
    }
}

async fn audit(world: &World, action: &str) -> Vec<AuditRecord> {
    let store = world.store().await;
    let rows = store
        .list_audit(&AuditFilter {
            action: Some(action),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    store.close().await;
    rows
}

/// Proves a payment is found by its out_trade_no and its page tells its whole story (both
/// notifications with their message hashes, the delivery attempts, the ledger entry); an
/// operator's resend of a dead letter delivers the same event; an operator closes an unpaid
/// payment (source `console`); an auditor's POST is refused with 403 and audited.
pub async fn payment_story_and_operator_actions(world: &mut World) {
    world
        .create_console_user("olga", "operator", PASSWORD)
        .await;
    world.create_console_user("aude", "auditor", PASSWORD).await;
    world.receiver.set_behaviour(Behaviour::AlwaysFail);
    let payment = world.pay("CONSOLE-1", 2500, "both").await;
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
    assert_eq!(dead.len(), 1, "the notification is dead-lettered");
    let event_id = dead[0].id.clone();

    let mut olga = Console::sign_in(world, "olga").await;
    // The dead letters search, count and download alike.
    let dead_csv = olga
        .get(&format!("/console/notifications/dead.csv?q={}", payment.id))
        .await;
    let dead_rows = super::console_lists::csv_rows(&dead_csv);
    assert_eq!(dead_rows.len(), 1, "{dead_rows:?}");
    assert!(dead_rows[0].starts_with(&format!("{event_id},{}", payment.id)));
    let none = olga.get("/console/notifications?q=no-such-payment").await;
    assert!(none.ids("dead-letter").is_empty());
    assert_eq!(none.text_of("list-total"), "0 found");
    let nothing = olga
        .get("/console/notifications/dead.csv?q=no-such-payment")
        .await;
    assert!(super::console_lists::csv_rows(&nothing).is_empty());
    let found = olga.get("/console/payments?q=CONSOLE-1").await;
    assert_eq!(found.status, 200);
    assert_eq!(found.ids("payment-row"), vec![payment.id.clone()]);
    let by_status = olga.get("/console/payments?status=closed").await;
    assert!(by_status.ids("payment-row").is_empty());

    let path = format!("/console/payments/{}", payment.id);
    let detail = olga.get(&path).await;
    assert_eq!(detail.text_of("payment-status"), "Succeeded");
    let sources = detail.attribute_of("timeline-event", "data-source");
    for source in ["api", "cashier", "page_notification", "server_notification"] {
        assert!(
            sources.iter().any(|s| s == source),
            "{source} in {sources:?}"
        );
    }
    assert!(detail.body.contains(r#"data-test="raw-sha256""#));
    // The method the request went with is a word, not the bank's code.
    assert!(
        detail
            .body
            .contains(r#"<div class="detail">Any method</div>"#),
        "{}",
        detail.body
    );
    assert!(detail.body.contains(r#"data-test="raw-message""#));
    assert_eq!(detail.ids("notification-event"), vec![event_id.clone()]);
    let failed_attempts = detail
        .attribute_of("delivery-row", "data-status-code")
        .len();
    assert_eq!(failed_attempts, 4, "every attempt is shown");
    assert!(
        detail.body.contains(r#"data-reason="payment_succeeded""#),
        "the ledger entry"
    );
    assert!(detail.body.contains(r#"data-test="resend-notification""#));
    assert!(detail.body.contains(r#"data-test="query-now""#));

    // The auditor reads the same page without the buttons, and is refused when posting.
    let mut aude = Console::sign_in(world, "aude").await;
    let read = aude.get(&path).await;
    assert_eq!(read.status, 200);
    assert!(!read.body.contains(r#"data-test="resend-notification""#));
    let refused = aude
        .post("/console/notifications/resend", &[("event_id", &event_id)])
        .await;
    assert_eq!(refused.status, 403);
    let forbidden = audit(world, "console.forbidden").await;
    assert!(
        forbidden
            .iter()
            .any(|a| a.actor == "aude" && a.target == event_id),
        "{forbidden:?}"
    );

    // The failing endpoint names the payment it failed for, beside the app's name.
    let failing = olga.get("/console/notifications").await;
    let affected = failing.text_of("affected-payments");
    assert!(
        failing
            .body
            .contains(&format!(r#"href="/console/payments/{}""#, payment.id)),
        "{affected}"
    );

    // The operator resends: the same event is delivered.
    world.receiver.set_behaviour(Behaviour::Accept);
    let resent = olga
        .post(
            "/console/notifications/resend",
            &[("event_id", &event_id), ("back", &path)],
        )
        .await;
    assert_eq!(resent.status, 303);
    assert!(
        resent.location.starts_with(&format!("{path}?ok=")),
        "{}",
        resent.location
    );
    let events = world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    assert_eq!(events[0].id, event_id);
    let after = olga.get(&path).await;
    let codes = after.attribute_of("delivery-row", "data-status-code");
    assert_eq!(
        codes.len(),
        5,
        "the resend is a new delivery attempt: {codes:?}"
    );
    assert_eq!(codes.last().map(String::as_str), Some("200"));
    let resends = audit(world, "notification.resend").await;
    assert!(
        resends
            .iter()
            .any(|a| a.actor == "olga" && a.target == event_id)
    );

    // An operator refunds part of the paid payment from its page; the auditor is not offered it.
    assert!(!read.body.contains(r#"data-test="refund-form""#));
    assert!(after.body.contains(r#"data-test="refund-form""#));
    let refunded = olga
        .post(
            &format!("{path}/refund"),
            &[("amount", "5.00"), ("reason", "at the counter")],
        )
        .await;
    assert!(
        refunded.location.contains("ok=flash.refund_"),
        "{}",
        refunded.location
    );
    let refunded_page = olga.get(&path).await;
    assert_eq!(
        refunded_page.ids("refund-row").len(),
        1,
        "{}",
        refunded_page.body
    );
    let too_much = olga
        .post(&format!("{path}/refund"), &[("amount", "1,000.00")])
        .await;
    assert!(
        too_much.location.contains("error=flash.refund_refused"),
        "{}",
        too_much.location
    );
    let refunds = audit(world, "payment.refund").await;
    let outcomes: Vec<&str> = refunds.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes.len(), 2, "{refunds:?}");
    assert!(outcomes.contains(&"ok") && outcomes.contains(&"refused"));
    world.wait_for_events(&payment.id, 2).await;
    // The refunds list and the audit log download as the payments list does.
    let refunds_csv = olga
        .get(&format!("/console/refunds.csv?q={}", payment.id))
        .await;
    assert!(refunds_csv.body.starts_with('\u{feff}'));
    assert!(refunds_csv.body.contains(",5.00,"), "{}", refunds_csv.body);
    assert!(refunds_csv.body.contains("at the counter"));
    let audit_csv = olga.get("/console/audit.csv?action=payment.refund").await;
    assert_eq!(
        audit_csv.body.trim_end().split("\r\n").count(),
        3,
        "{}",
        audit_csv.body
    );

    // Asking the bank now is recorded; closing an unpaid payment closes it from the console.
    let unpaid = world.create("CONSOLE-2", 700).await;
    world.checkout(&unpaid).await;
    let unpaid_path = format!("/console/payments/{}", unpaid.id);
    // The bank's answer shows on the page: what it said, and its own code.
    let asked = olga.post(&format!("{unpaid_path}/query"), &[]).await;
    assert_eq!(asked.status, 200);
    assert_eq!(asked.attribute_of("bank-answer", "data-answer"), ["unpaid"]);
    assert!(asked.body.contains("Not paid"), "{}", asked.body);
    assert!(!asked.text_of("bank-answer-code").is_empty());
    assert!(!audit(world, "payment.query").await.is_empty());
    // The page's button leads to a confirmation that says what will happen; it posts.
    let confirm = olga.get(&format!("{unpaid_path}/close")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.text_of("confirm-text").contains("CONSOLE-2"));
    assert!(
        confirm
            .body
            .contains(&format!(r#"action="{unpaid_path}/close""#))
    );
    assert!(
        confirm
            .body
            .contains(r#"class="danger" data-test="confirm""#)
    );
    let closed = olga.post(&format!("{unpaid_path}/close"), &[]).await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    let closed_page = olga.get(&unpaid_path).await;
    assert_eq!(closed_page.text_of("payment-status"), "Closed");
    // 实收 only for money received: a closed payment shows nothing there.
    assert_eq!(closed_page.text_of("payment-collected"), "");
    assert!(
        closed_page
            .attribute_of("timeline-event", "data-source")
            .iter()
            .any(|s| s == "console")
    );
    late_success_decided_from_the_console(world, &mut olga, &unpaid).await;
    // Keyset paging: every payment exactly once across pages, newest first.
    for n in 0..52 {
        world.create(&format!("PAGE-{n:02}"), 100 + n).await;
    }
    let mut seen = Vec::new();
    let mut path = "/console/payments".to_string();
    loop {
        let page = olga.get(&path).await;
        let ids = page.ids("payment-row");
        assert!(ids.len() <= 50);
        seen.extend(ids);
        let Some(next) = page.attribute_of("next-page", "href").pop() else {
            break;
        };
        path = next.replace("&#38;", "&").replace("&amp;", "&");
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no payment twice");
    assert_eq!(total, 54, "every payment once");
    let beijing_today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    let tomorrow = unipay_server::flows::books::add_days(&beijing_today, 1).unwrap();
    let today = olga
        .get(&format!(
            "/console/payments?q=PAGE-07&from={beijing_today}&to={beijing_today}"
        ))
        .await;
    assert_eq!(today.ids("payment-row").len(), 1);
    let later = olga
        .get(&format!("/console/payments?from={tomorrow}"))
        .await;
    assert!(later.ids("payment-row").is_empty());
    let bad = olga.get("/console/payments?from=2026-13-01").await;
    assert!(bad.body.contains(r#"data-test="flash-error""#));

    // Partial search: an out_trade_no's start, an exact amount; totals over every page.
    let prefix = olga.get("/console/payments?q=PAGE-0").await;
    assert_eq!(prefix.ids("payment-row").len(), 10);
    assert_eq!(prefix.text_of("list-total"), "10 found, ¥10.45 in all");
    let by_amount = olga.get("/console/payments?q=PAGE&amount=1.07").await;
    assert_eq!(by_amount.ids("payment-row").len(), 1);
    let all = olga.get("/console/payments").await;
    assert_eq!(all.text_of("page-number"), "Page 1");
    let second = olga
        .get(&all.attribute_of("next-page", "href")[0].replace("&#38;", "&"))
        .await;
    assert_eq!(second.text_of("page-number"), "Page 2");
    let back = second
        .attribute_of("previous-page", "href")
        .pop()
        .expect("a link to the previous page")
        .replace("&#38;", "&");
    assert_eq!(
        olga.get(&back).await.ids("payment-row"),
        all.ids("payment-row")
    );
    // The same filters as a CSV file for Excel: a BOM, a header, one line per payment.
    let csv = olga.get("/console/payments.csv?q=PAGE-0").await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.body.starts_with('\u{feff}'));
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 11, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("PAGE-07") && l.contains(",1.07,"))
    );
    assert!(!audit(world, "console.export").await.is_empty());

    let notifications = olga.get("/console/notifications").await;
    assert_eq!(notifications.status, 200);
    world.wait_for_events(&unpaid.id, 1).await;
}

pub(crate) fn yesterday_in_beijing() -> String {
    let beijing = chrono::Utc::now() + chrono::Duration::hours(8);
    unipay_server::flows::books::add_days(&beijing.format("%Y-%m-%d").to_string(), -1).unwrap()
}

/// Proves an operator decides a reconciliation difference on the page and the audit log shows
/// it; finance approves the date's settlement batch, downloads its CSV and marks it paid; the
/// auditor cannot approve.
pub async fn recon_decision_and_settlement_review(world: &mut World) {
    world
        .create_console_user("olga", "operator", PASSWORD)
        .await;
    world
        .create_console_user("fiona", "finance", PASSWORD)
        .await;
    world
        .create_console_user("felix", "finance", PASSWORD)
        .await;
    world.create_console_user("aude", "auditor", PASSWORD).await;
    // The scheduled job reconciles yesterday at start; wait for it so it does not race ours.
    let store = world.store().await;
    let yesterday = yesterday_in_beijing();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while store
        .recon_day(&world.channel_account_id, &yesterday)
        .await
        .unwrap()
        .is_none()
    {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.close().await;

    let right = world.pay("RECON-1", 1000, "server").await;
    let wrong = world.pay("RECON-2", 2000, "server").await;
    for payment in [&right, &wrong] {
        world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
        world.wait_for_events(&payment.id, 1).await;
    }
    let date = world
        .client
        .get_payment(&right.id, false)
        .await
        .unwrap()
        .accounting_date
        .unwrap();
    let fault = world
        .http
        .post(format!(
            "{}/sim/orders/{}/statement",
            world.bank_url, wrong.channel_order_no
        ))
        .json(&json!({"fault": "amount", "amount_fen": 2001}))
        .send()
        .await
        .unwrap();
    assert!(fault.status().is_success());
    // Finance fetches the statement and runs the day from the console; settlement of a date
    // with an open difference is refused until it is decided.
    let mut fiona = Console::sign_in(world, "fiona").await;
    let day: [(&str, &str); 2] = [
        ("channel_account", &world.channel_account_id),
        ("date", &date),
    ];
    let fetched = fiona.post("/console/recon/fetch", &day).await;
    assert!(
        fetched.location.contains("ok=flash.statement_fetched"),
        "{}",
        fetched.location
    );
    let ran = fiona.post("/console/recon/run", &day).await;
    assert!(
        ran.location.contains("ok=flash.recon_differences"),
        "{}",
        ran.location
    );
    assert_eq!(audit(world, "statement.fetch").await.len(), 1);
    assert_eq!(audit(world, "recon.run").await.len(), 1);
    let settle: [(&str, &str); 1] = [("date", &date)];
    let blocked = fiona.post("/console/settlement/create", &settle).await;
    assert!(
        blocked.location.contains("error=flash.settle_blocked"),
        "{}",
        blocked.location
    );
    // An empty page says what to do next.
    let empty = fiona.get("/console/settlement?date=2000-01-01").await;
    assert!(empty.body.contains(r#"data-test="empty-next""#));

    let mut olga = Console::sign_in(world, "olga").await;
    let recon = olga.get(&format!("/console/recon?date={date}")).await;
    assert_eq!(recon.status, 200);
    let classes = recon.attribute_of("recon-item", "data-class");
    assert_eq!(
        classes,
        vec!["amount_mismatch".to_string()],
        "{}",
        recon.body
    );
    let item_id = recon.ids("recon-item").remove(0);
    assert!(recon.body.contains(r#"data-test="resolve-item""#));
    // The differences download with the date and the search applied.
    let items_csv = super::console_lists::csv_rows(
        &olga
            .get(&format!("/console/recon/items.csv?date={date}&q={item_id}"))
            .await,
    );
    assert_eq!(items_csv.len(), 1, "{items_csv:?}");
    assert!(items_csv[0].starts_with(&format!("{item_id},{date},")));
    let other_day = olga.get("/console/recon/items.csv?date=2000-01-01").await;
    assert!(super::console_lists::csv_rows(&other_day).is_empty());
    let searched = olga
        .get(&format!("/console/recon?date={date}&q=no-such-order"))
        .await;
    assert!(searched.ids("recon-item").is_empty());
    let statement = recon.ids("statement").remove(0);
    let file = olga
        .get(&format!("/console/statements/{statement}/file"))
        .await;
    assert_eq!(file.status, 200);
    assert!(file.content_type.starts_with("application/octet-stream"));

    let no_note = olga
        .post(
            &format!("/console/recon/items/{item_id}/resolve"),
            &[("decision", "bank_wins"), ("note", " ")],
        )
        .await;
    assert!(
        no_note.location.contains("error=flash.note_required"),
        "{}",
        no_note.location
    );
    let resolved = olga
        .post(
            &format!("/console/recon/items/{item_id}/resolve"),
            &[
                ("decision", "bank_wins"),
                ("note", "the bank statement is right"),
            ],
        )
        .await;
    assert!(
        resolved.location.contains("ok=flash.resolved"),
        "{}",
        resolved.location
    );
    let after = olga.get(&format!("/console/recon?date={date}")).await;
    assert_eq!(
        after.attribute_of("recon-item", "data-status"),
        vec!["resolved".to_string()]
    );
    assert!(!after.body.contains(r#"data-test="resolve-item""#));
    let log = olga.get("/console/audit?action=recon.resolve").await;
    assert_eq!(
        log.attribute_of("audit-row", "data-action"),
        vec!["recon.resolve".to_string(); 2]
    );
    assert_eq!(
        log.attribute_of("audit-row", "data-outcome"),
        vec!["ok".to_string(), "refused".to_string()],
        "the decision, and the one refused for want of a note, newest first"
    );
    assert!(log.body.contains("olga") && log.body.contains("the bank statement is right"));

    // Settlement of the date, made and reviewed on the page.
    let made = fiona.post("/console/settlement/create", &settle).await;
    assert!(
        made.location.contains("ok=flash.batches_created"),
        "{}",
        made.location
    );
    let list = fiona.get(&format!("/console/settlement?date={date}")).await;
    let batches = list.ids("settlement-batch");
    assert_eq!(batches.len(), 1, "{}", list.body);
    assert_eq!(
        list.attribute_of("settlement-batch", "data-status"),
        vec!["pending_review".to_string()]
    );
    let batch = &batches[0];
    let batch_path = format!("/console/settlement/{batch}");
    // The batches download with the filters applied, their net sum counted over them.
    assert!(list.text_of("list-total").starts_with("1 found, ¥"));
    let batches_csv = super::console_lists::csv_rows(
        &fiona
            .get(&format!("/console/settlement.csv?date={date}"))
            .await,
    );
    assert_eq!(batches_csv.len(), 1, "{batches_csv:?}");
    assert!(batches_csv[0].starts_with(&format!("{batch},{date},")));
    let elsewhere = fiona
        .get(&format!(
            "/console/settlement.csv?date={date}&merchant=no-such"
        ))
        .await;
    assert!(super::console_lists::csv_rows(&elsewhere).is_empty());

    let mut aude = Console::sign_in(world, "aude").await;
    let refused = aude.post(&format!("{batch_path}/approve"), &[]).await;
    assert_eq!(refused.status, 403);
    assert!(
        audit(world, "console.forbidden")
            .await
            .iter()
            .any(|a| a.actor == "aude" && a.target == *batch)
    );

    let review = fiona.get(&batch_path).await;
    assert!(review.body.contains(r#"data-test="approve-batch""#));
    assert_eq!(review.attribute_of("settlement-line", "data-test").len(), 1);
    let approved = fiona
        .post(&format!("{batch_path}/approve"), &[("note", "checked")])
        .await;
    assert!(
        approved.location.contains("ok=flash.approved"),
        "{}",
        approved.location
    );
    assert_eq!(
        fiona.get(&batch_path).await.text_of("batch-status"),
        "Approved"
    );
    let again = fiona.post(&format!("{batch_path}/approve"), &[]).await;
    assert!(
        again.location.contains("error=flash.batch_refused"),
        "{}",
        again.location
    );
    let csv = fiona.get(&format!("{batch_path}/file")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.body
            .starts_with("merchant_id,accounting_date,channel_account_id")
    );
    assert!(csv.body.contains(&world.merchant_id));
    // Who approved the payout does not also record it paid: another finance user does.
    let own = fiona.post(&format!("{batch_path}/mark-paid"), &[]).await;
    assert!(
        own.location.contains("error=flash.same_approver"),
        "{}",
        own.location
    );
    assert_eq!(
        fiona.get(&batch_path).await.text_of("batch-status"),
        "Approved"
    );
    assert!(
        audit(world, "settlement.mark_paid")
            .await
            .iter()
            .any(|a| a.actor == "fiona" && a.outcome == "refused")
    );
    let mut felix = Console::sign_in(world, "felix").await;
    let paid = felix.post(&format!("{batch_path}/mark-paid"), &[]).await;
    assert!(
        paid.location.contains("ok=flash.marked_paid"),
        "{}",
        paid.location
    );
    assert_eq!(fiona.get(&batch_path).await.text_of("batch-status"), "Paid");
    let approvals = audit(world, "settlement.approve").await;
    assert!(
        approvals
            .iter()
            .any(|a| a.actor == "fiona" && a.target == *batch)
    );
}

/// Proves an admin's rotation shows the new secret once: requests signed with the old secret
/// are refused at once and the new one works; the apps page never shows a secret.
pub async fn admin_rotates_an_app_secret(world: &mut World) {
    world.create_console_user("ada", "admin", PASSWORD).await;
    let payment = world.create("ROTATE-1", 100).await;
    let mut ada = Console::sign_in(world, "ada").await;
    let apps = ada.get("/console/admin/apps").await;
    assert_eq!(apps.ids("app-row"), vec![world.app_id.clone()]);
    assert!(!apps.body.contains(&world.secret));
    let accounts = ada.get("/console/admin/channel-accounts").await;
    assert_eq!(
        accounts.ids("channel-account"),
        vec![world.channel_account_id.clone()]
    );
    assert!(!accounts.body.contains("PRIVATE KEY"));

    let rotated = ada
        .post(
            &format!("/console/admin/apps/{}/rotate-secret", world.app_id),
            &[],
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let secret = rotated.text_of("app-secret");
    assert_eq!(secret.len(), 40);
    assert_ne!(secret, world.secret);
    assert!(
        !ada.get("/console/admin/apps").await.body.contains(&secret),
        "shown once"
    );
    assert!(
        audit(world, "app.rotate_secret")
            .await
            .iter()
            .any(|a| a.actor == "ada" && a.target == world.app_id)
    );

    let old = Client::new(&world.server_url, &world.app_id, &world.secret).unwrap();
    assert!(
        old.get_payment(&payment.id, false).await.is_err(),
        "the old secret is refused"
    );
    let new = Client::new(&world.server_url, &world.app_id, &secret).unwrap();
    assert_eq!(
        new.get_payment(&payment.id, false).await.unwrap().id,
        payment.id
    );
    world.client = new;
    let old_secret = std::mem::replace(&mut world.secret, secret);

    // A second channel account from uploaded files, shown by fingerprints only.
    let pfx = std::fs::read(world.dir().join("merchant.pfx")).unwrap();
    let password = std::fs::read_to_string(world.dir().join("merchant.pfx.password")).unwrap();
    let certificate = std::fs::read(world.dir().join("bank/banksim.cer")).unwrap();
    let trx_url = format!(
        "{}/ebus/trustpay/ReceiveMerchantTrxReqServlet",
        world.bank_url
    );
    let added = ada
        .post_multipart(
            "/console/admin/channel-accounts",
            &[
                ("merchant_id", world.merchant_id.as_bytes()),
                ("bank_merchant_id", b"103881234560099"),
                ("key_pfx", &pfx),
                ("key_password", password.trim_end().as_bytes()),
                ("bank_certificate", &certificate),
                ("trx_url", trx_url.as_bytes()),
            ],
        )
        .await;
    assert!(
        added.location.contains("ok=flash.channel_account_added"),
        "{} {}",
        added.location,
        added.body
    );
    let accounts = ada.get("/console/admin/channel-accounts").await;
    assert_eq!(accounts.ids("channel-account").len(), 2);
    // Searched, paged a row at a time and downloaded like every list.
    let mut both = accounts.ids("channel-account");
    both.sort();
    let one = ada.get("/console/admin/channel-accounts?per=1").await;
    let next = one
        .attribute_of("next-page", "href")
        .pop()
        .expect("a next page");
    let two = ada.get(&next.replace("&#38;", "&")).await;
    let mut paged = one.ids("channel-account");
    paged.extend(two.ids("channel-account"));
    paged.sort();
    assert_eq!(paged, both);
    let account_csv = super::console_lists::csv_rows(
        &ada.get(&format!(
            "/console/admin/channel-accounts.csv?q={}",
            world.channel_account_id
        ))
        .await,
    );
    assert_eq!(account_csv.len(), 1, "{account_csv:?}");
    assert!(account_csv[0].starts_with(&format!("{},", world.channel_account_id)));
    assert!(!account_csv[0].contains("PRIVATE KEY"));
    assert!(!accounts.body.contains("PRIVATE KEY"));
    let fingerprints = accounts.attribute_of("key-sha256", "data-test");
    assert_eq!(fingerprints.len(), 2);
    let wrong_password = ada
        .post_multipart(
            "/console/admin/channel-accounts",
            &[
                ("merchant_id", world.merchant_id.as_bytes()),
                ("bank_merchant_id", b"103881234560098"),
                ("key_pfx", &pfx),
                ("key_password", b"not the password"),
                ("bank_certificate", &certificate),
                ("trx_url", trx_url.as_bytes()),
            ],
        )
        .await;
    assert!(wrong_password.location.contains("error=flash.bad_input"));
    assert_eq!(
        ada.get("/console/admin/channel-accounts")
            .await
            .ids("channel-account")
            .len(),
        2
    );
    // Neither secret of the app, nor either account's key, nor the password is stored.
    super::secrets_at_rest::assert_no_secret_stored(world, &[&old_secret]).await;

    // A disabled app is refused at once.
    let disabled = ada
        .post(
            &format!("/console/admin/apps/{}/disable", world.app_id),
            &[],
        )
        .await;
    assert!(
        disabled.location.contains("ok=flash.app_disabled"),
        "{}",
        disabled.location
    );
    assert!(world.client.get_payment(&payment.id, false).await.is_err());
    assert_eq!(
        ada.get("/console/admin/apps")
            .await
            .attribute_of("app-row", "data-status"),
        vec!["disabled".to_string()]
    );

    let merchants = ada
        .post("/console/admin/merchants", &[("name", "Library")])
        .await;
    assert!(
        merchants.location.contains("ok=flash.merchant_created"),
        "{}",
        merchants.location
    );
    assert_eq!(
        ada.get("/console/admin/merchants")
            .await
            .ids("merchant-row")
            .len(),
        2
    );
}

/// Proves money the bank took after an operator closed the payment is an alert on the
/// dashboard and a filter of the payments list, tells the consumer, and is accepted from the
/// payment's page: the payment succeeds, the business system hears `payment.late_succeeded`,
/// the suspense entry is reversed, and the decision is audited. The success rate divides by
/// the payments that reached the bank, and each tile links to exactly the rows it counts.
async fn late_success_decided_from_the_console(
    world: &World,
    olga: &mut Console,
    unpaid: &unipay_client::Payment,
) {
    let path = format!("/console/payments/{}", unpaid.id);
    world
        .bank_pays(&unpaid.channel_order_no, "success", "server")
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let dashboard = loop {
        let dashboard = olga.get("/console").await;
        if dashboard.body.contains(r#"data-test="late-success-alert""#)
            || tokio::time::Instant::now() > deadline
        {
            break dashboard;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(dashboard.text_of("kpi-late-successes"), "1");
    // Two payments reached the bank today (one paid, one closed after paying late): 1 of 2.
    assert_eq!(dashboard.text_of("kpi-success-rate-today"), "50.0%");
    let tile = dashboard.attribute_of("tile-success-rate-today", "href");
    let counted = olga.get(&tile[0].replace("&amp;", "&")).await;
    assert_eq!(
        counted.ids("payment-row").len(),
        2,
        "the rows the rate divides by"
    );
    let late = olga.get("/console/payments?set=late_success").await;
    assert_eq!(late.ids("payment-row"), vec![unpaid.id.clone()]);
    // The consumer is told the money is held, not only "closed".
    let shown = world
        .http
        .get(format!("{}/pay/{}/result", world.server_url, unpaid.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains(r#"data-test="paid-late""#), "{shown}");

    let page = olga.get(&path).await;
    assert_eq!(page.attribute_of("late-success", "data-open"), ["true"]);
    let refused = olga
        .post(&format!("{path}/late-success"), &[("decision", "accept")])
        .await;
    assert!(refused.location.contains("error=flash.note_required"));
    let accepted = olga
        .post(
            &format!("{path}/late-success"),
            &[
                ("decision", "accept"),
                ("note", "customer confirmed the order"),
            ],
        )
        .await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert!(accepted.location.contains("ok=flash.late_accepted"));
    let after = olga.get(&path).await;
    assert_eq!(after.text_of("payment-status"), "Succeeded");
    assert_eq!(after.text_of("payment-collected"), "7.00");
    assert_eq!(after.attribute_of("late-success", "data-open"), ["false"]);
    assert!(
        after.body.contains(r#"data-reason="reversal""#),
        "suspense released"
    );
    world
        .assert_notified_once(&unpaid.id, &["payment.closed", "payment.late_succeeded"])
        .await;
    let decided = audit(world, "payment.late_success").await;
    assert!(
        decided
            .iter()
            .any(|a| a.actor == "olga" && a.target == unpaid.id && a.outcome == "ok"),
        "{decided:?}"
    );
    // Decided once: a second decision is refused and audited.
    let again = olga
        .post(
            &format!("{path}/late-success"),
            &[("decision", "refund"), ("note", "twice")],
        )
        .await;
    assert!(again.location.contains("error=flash.late_not_open"));
    let dashboard = olga.get("/console").await;
    assert_eq!(dashboard.text_of("kpi-late-successes"), "0");
    assert_eq!(dashboard.text_of("kpi-success-rate-today"), "100.0%");
}
