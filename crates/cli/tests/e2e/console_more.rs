//! The console's mandate, debit-batch and identity-verification pages over real HTTP against
//! real `unipay serve` and the bank simulator: an auditor finds each in its list and reads its
//! page with personal data only masked, and cannot ask the bank about a mandate; an operator
//! can, and the mandate's timeline shows it.

use crate::harness::World;
use crate::mandates::{CERTIFICATE_NO, create_mandate, get, post, signed_mandate};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use unipay_store::audit::AuditFilter;

const PASSWORD: &str = "operations password";
const CARD_NO: &str = "6228480000000000011";
const CARD_MASKED: &str = "****0011";
const CERTIFICATE_MASKED: &str = "110***********0021";

/// A person the simulated bank knows (a valid ID number, its check character right).
const NAME: &str = "司马长风";
const PERSON_ID: &str = "310115197708234561";
const PERSON_CARD: &str = "6217000093847261550";
const PERSON_MOBILE: &str = "13687452391";

struct Page {
    status: u16,
    location: String,
    body: String,
}

impl Page {
    fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let at = self.body.find(marker).expect("the page has a form") + marker.len();
        self.body[at..].split('"').next().unwrap().to_string()
    }

    /// The `data-id` of every element marked `data-test="<test>"`.
    fn ids(&self, test: &str) -> Vec<String> {
        let marker = format!(r#"data-test="{test}""#);
        self.body
            .match_indices(&marker)
            .filter_map(|(at, _)| {
                let tag_end = self.body[at..].find('>')? + at;
                let tag = &self.body[self.body[..at].rfind('<')?..tag_end];
                let value_at = tag.find(r#"data-id=""#)? + r#"data-id=""#.len();
                Some(tag[value_at..].split('"').next()?.to_string())
            })
            .collect()
    }

    /// The text inside the first element marked `data-test="<test>"`.
    fn text_of(&self, test: &str) -> String {
        let marker = format!(r#"data-test="{test}""#);
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {test} in {}", self.body));
        let open_end = self.body[at..].find('>').unwrap() + at + 1;
        let close = self.body[open_end..].find('<').unwrap() + open_end;
        self.body[open_end..close].trim().to_string()
    }

    /// Nothing personal in plain text.
    fn assert_masked(&self, plain: &[&str]) {
        for value in plain {
            assert!(!self.body.contains(value), "{value} in plain text");
        }
    }
}

/// A signed-in console user: the session cookie kept by hand, no redirects followed.
struct Console {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Console {
    async fn sign_in(world: &World, username: &str) -> Console {
        let mut console = Console {
            base: world.server_url.clone(),
            http: world.http.clone(),
            cookies: BTreeMap::new(),
        };
        let csrf = console.get("/console/login").await.csrf();
        let signed = console
            .post_form(
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

    async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// A form as a page's own, with the session's CSRF token.
    async fn post(&mut self, path: &str) -> Page {
        let csrf = self.get("/console").await.csrf();
        self.post_form(path, &[("csrf", &csrf)]).await
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
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

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
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
            let (name, value) = line.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Page {
            status: response.status().as_u16(),
            location,
            body: response.text().await.unwrap(),
        }
    }
}

/// Proves the three pages list and show mandates (with their debits), debit batches (with
/// each line's payment) and identity verifications (with how often the same document was
/// seen), every personal value masked; an auditor's "ask the bank now" is refused with 403
/// and audited, an operator's is recorded on the mandate's timeline with source `console`.
pub async fn console_more_mandate_batch_and_identity_pages(world: &mut World) {
    world.create_console_user("aude", "auditor", PASSWORD).await;
    world
        .create_console_user("olga", "operator", PASSWORD)
        .await;

    // A signed mandate with a debit and a two-line batch, and one still waiting to be signed.
    let active = signed_mandate(world, "CM-1", CARD_NO).await;
    let active_id = active["id"].as_str().unwrap().to_string();
    let waiting = create_mandate(world, "CM-2", Some(10_000)).await;
    let waiting_id = waiting["id"].as_str().unwrap().to_string();
    let debit = post(
        world,
        &format!("/v1/mandates/{active_id}/debits"),
        &json!({"out_trade_no": "CM-DEBIT-1", "amount": 1_234, "subject": "学费 Tuition"}),
    )
    .await;
    assert_eq!(debit.status, 201, "{}", debit.body);
    let debit_id = debit.json()["id"].as_str().unwrap().to_string();
    let lines: Vec<_> = (0..2)
        .map(|i| json!({"mandate_id": active_id, "out_trade_no": format!("CM-B-{i}"), "amount": 500 + i, "subject": "学费 Tuition"}))
        .collect();
    let batch = post(
        world,
        "/v1/debit-batches",
        &json!({"out_batch_no": "CDB-1", "lines": lines}),
    )
    .await;
    assert_eq!(batch.status, 201, "{}", batch.body);
    let batch_id = batch.json()["id"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let batch = loop {
        let batch = get(world, &format!("/v1/debit-batches/{batch_id}")).await;
        if batch["status"] == "finished" || tokio::time::Instant::now() > deadline {
            break batch;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(batch["status"], "finished", "{batch}");
    let line_payments: Vec<String> = batch["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["payment_id"].as_str().unwrap().to_string())
        .collect();

    // The same person verified twice (direct mode answers at once).
    let known = world
        .http
        .post(format!("{}/sim/identities", world.bank_url))
        .json(
            &json!({"card_no": PERSON_CARD, "name": NAME, "certificate_type": "I",
            "certificate_no": PERSON_ID, "mobile": PERSON_MOBILE}),
        )
        .send()
        .await
        .unwrap();
    assert!(known.status().is_success());
    let mut verifications = Vec::new();
    for out_verify_no in ["CIV-1", "CIV-2"] {
        let body = json!({"out_verify_no": out_verify_no, "mode": "direct", "customer_type": "person",
            "name": NAME, "certificate_type": "I", "certificate_no": PERSON_ID, "card_no": PERSON_CARD,
            "mobile": PERSON_MOBILE});
        let answer = post(world, "/v1/identity-verifications", &body).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        let verification = answer.json();
        assert_eq!(verification["status"], "matched", "{verification}");
        verifications.push(verification);
    }
    let identity_id = verifications[1]["id"].as_str().unwrap().to_string();
    let plain = [
        CERTIFICATE_NO,
        CARD_NO,
        NAME,
        PERSON_ID,
        PERSON_CARD,
        PERSON_MOBILE,
    ];

    let mut aude = Console::sign_in(world, "aude").await;
    let home = aude.get("/console").await;
    for href in [
        "/console/mandates",
        "/console/debit-batches",
        "/console/identity-verifications",
    ] {
        assert!(
            home.body.contains(&format!(r#"href="{href}""#)),
            "nav has {href}"
        );
    }

    // Mandates: listed, searched, and the active one's page with its debits.
    let all = aude.get("/console/mandates").await;
    assert_eq!(all.status, 200);
    assert_eq!(
        all.ids("mandate-row"),
        vec![waiting_id.clone(), active_id.clone()]
    );
    all.assert_masked(&plain);
    assert!(all.body.contains(CERTIFICATE_MASKED));
    let found = aude.get("/console/mandates?q=CM-1").await;
    assert_eq!(found.ids("mandate-row"), vec![active_id.clone()]);
    let pending = aude.get("/console/mandates?status=pending").await;
    assert_eq!(pending.ids("mandate-row"), vec![waiting_id.clone()]);
    let none = aude
        .get("/console/mandates?from=2000-01-01&to=2000-01-02")
        .await;
    assert!(none.ids("mandate-row").is_empty());

    let page = aude.get(&format!("/console/mandates/{active_id}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text_of("mandate-status"), "Active");
    assert_eq!(page.text_of("mandate-certificate"), CERTIFICATE_MASKED);
    assert_eq!(page.text_of("mandate-card"), CARD_MASKED);
    page.assert_masked(&plain);
    assert!(page.body.contains(r#"data-test="timeline-event""#));
    let debits = page.ids("mandate-debit");
    assert_eq!(debits.len(), 3, "{debits:?}");
    for payment in std::iter::once(&debit_id).chain(&line_payments) {
        assert!(debits.contains(payment), "{payment} in {debits:?}");
        assert!(
            page.body
                .contains(&format!(r#"href="/console/payments/{payment}""#))
        );
    }
    assert!(!page.body.contains(r#"data-test="query-mandate""#));

    // Debit batches: listed, with totals and each line linked to its payment.
    let batches = aude.get("/console/debit-batches").await;
    assert_eq!(batches.ids("debit-batch-row"), vec![batch_id.clone()]);
    let batch_page = aude
        .get(&format!("/console/debit-batches/{batch_id}"))
        .await;
    assert_eq!(batch_page.text_of("debit-batch-status"), "Finished");
    assert_eq!(batch_page.text_of("debit-batch-lines"), "2");
    assert_eq!(batch_page.text_of("debit-batch-total"), "10.01");
    assert_eq!(batch_page.text_of("debit-batch-succeeded"), "2 / 10.01");
    assert_eq!(batch_page.ids("debit-batch-line"), line_payments);
    for payment in &line_payments {
        assert!(
            batch_page
                .body
                .contains(&format!(r#"href="/console/payments/{payment}""#))
        );
    }
    batch_page.assert_masked(&plain);

    // Identity verifications: masks only, and the same document seen twice.
    let listed = aude.get("/console/identity-verifications").await;
    let expected: Vec<String> = verifications
        .iter()
        .rev()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.ids("identity-row"), expected);
    listed.assert_masked(&plain);
    let one = aude
        .get(&format!("/console/identity-verifications/{identity_id}"))
        .await;
    assert_eq!(one.text_of("identity-status"), "Matched");
    assert_eq!(
        one.text_of("identity-name"),
        verifications[1]["name_masked"]
    );
    assert_eq!(
        one.text_of("identity-certificate"),
        verifications[1]["certificate_no_masked"]
    );
    assert_eq!(
        one.text_of("identity-card"),
        verifications[1]["card_no_masked"]
    );
    assert_eq!(
        one.text_of("identity-mobile"),
        verifications[1]["mobile_masked"]
    );
    assert_eq!(one.text_of("seen-certificate"), "2");
    assert_eq!(one.text_of("seen-card"), "2");
    one.assert_masked(&plain);

    // The auditor may not ask the bank: 403, audited, nothing recorded on the mandate.
    let query_path = format!("/console/mandates/{waiting_id}/query");
    let refused = aude.post(&query_path).await;
    assert_eq!(refused.status, 403);
    let store = world.store().await;
    let forbidden = store
        .list_audit(&AuditFilter {
            action: Some("console.forbidden"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(
        forbidden
            .iter()
            .any(|a| a.actor == "aude" && a.target == waiting_id),
        "{forbidden:?}"
    );
    let before = store.list_mandate_events(&waiting_id).await.unwrap().len();

    // The operator may: the bank is asked and the answer recorded with source `console`.
    let mut olga = Console::sign_in(world, "olga").await;
    let waiting_page = olga.get(&format!("/console/mandates/{waiting_id}")).await;
    assert!(waiting_page.body.contains(r#"data-test="query-mandate""#));
    let asked = olga.post(&query_path).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert!(
        asked.location.contains("ok=flash.query_sent"),
        "{}",
        asked.location
    );
    let events = store.list_mandate_events(&waiting_id).await.unwrap();
    assert!(
        events[before..].iter().any(|e| e.1 == "console"),
        "{events:?}"
    );
    let queried = store
        .list_audit(&AuditFilter {
            action: Some("mandate.query"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(
        queried
            .iter()
            .any(|a| a.actor == "olga" && a.target == waiting_id)
    );
    store.close().await;
    let after = olga.get(&format!("/console/mandates/{waiting_id}")).await;
    assert!(after.body.contains(r#"data-source="console""#));

    // An active mandate has nothing to ask: refused, and said so.
    let active_query = olga
        .post(&format!("/console/mandates/{active_id}/query"))
        .await;
    assert_eq!(active_query.status, 303);
    assert!(
        active_query
            .location
            .contains("error=flash.mandate_not_pending")
    );
}
