//! The console's mandate, batch and identity-verification lists, and the reconciliation differences and settlement
//! batches walked past their first page, over real HTTP against real `unipay serve` and the
//! bank simulator: each search narrows the page and the CSV file alike (exactly the rows
//! found), the count (and sum, where the list holds money) is over the search, and the second
//! page shows the rows the first does not.

use crate::console_lists::{csv_rows, first_fields, walk_two_pages};
use crate::console_pages::{Console, PASSWORD, yesterday_in_beijing};
use crate::harness::World;
use crate::mandates::{create_mandate, get, post, signed_mandate};
use serde_json::{Value, json};
use std::time::Duration;

const CARD_NO: &str = "6228480000000000011";

/// A person the simulated bank knows (a valid ID number, its check character right).
const NAME: &str = "司马长风";
const PERSON_ID: &str = "310115197708234561";
const PERSON_CARD: &str = "6217000093847261550";
const PERSON_MOBILE: &str = "13687452391";

/// `ids` sorted, as the helpers compare them.
fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// Polls `path` of the API until its status is one of `done`.
async fn wait_api_status(world: &World, path: &str, done: &[&str]) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let value = get(world, path).await;
        let status = value["status"].as_str().unwrap_or("");
        if done.contains(&status) {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} still {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Proves the mandates, debit batches, refund batches and identity verifications lists each
/// find by part of a number, count (and sum the batches' money) over the search, download
/// exactly the rows found (personal values masked), and page forward and back; every download
/// is audited.
pub async fn mandate_and_batch_lists_search_page_and_export(world: &mut World) {
    world
        .create_console_user("list-olga", "operator", PASSWORD)
        .await;
    let mut olga = Console::sign_in(world, "list-olga").await;

    // Mandates: two of three found by part of the business system's number, in any case.
    let mut found_mandates = Vec::new();
    for no in ["LM-FIND-1", "LM-FIND-2", "LM-ELSE-1"] {
        let mandate = create_mandate(world, no, None).await;
        if no.starts_with("LM-FIND") {
            found_mandates.push(mandate["id"].as_str().unwrap().to_string());
        }
    }
    let found_mandates = sorted(found_mandates);
    let page = olga.get("/console/mandates?q=lm-find").await;
    assert_eq!(
        sorted(page.ids("mandate-row")),
        found_mandates,
        "{}",
        page.body
    );
    assert_eq!(page.text_of("list-total"), "2 found");
    let csv = csv_rows(&olga.get("/console/mandates.csv?q=lm-find").await);
    assert_eq!(first_fields(&csv), found_mandates);
    assert!(csv.iter().all(|row| row.contains(",LM-FIND-")), "{csv:?}");
    walk_two_pages(
        &mut olga,
        "/console/mandates?q=lm-find",
        "mandate-row",
        &found_mandates,
    )
    .await;

    // Debit batches: three of one line each on a signed mandate, two found, their sum shown.
    let signed = signed_mandate(world, "LM-SIGNED", CARD_NO).await;
    let mandate_id = signed["id"].as_str().unwrap().to_string();
    let mut found_debits = Vec::new();
    for (no, amount) in [("LDB-FIND-1", 100), ("LDB-FIND-2", 200), ("LDB-ELSE", 400)] {
        let line = json!({"mandate_id": mandate_id, "out_trade_no": format!("{no}-T"), "amount": amount, "subject": "学费 Tuition"});
        let made = post(
            world,
            "/v1/debit-batches",
            &json!({"out_batch_no": no, "lines": [line]}),
        )
        .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let id = made.json()["id"].as_str().unwrap().to_string();
        wait_api_status(
            world,
            &format!("/v1/debit-batches/{id}"),
            &["finished", "rejected"],
        )
        .await;
        if no.starts_with("LDB-FIND") {
            found_debits.push(id);
        }
    }
    let found_debits = sorted(found_debits);
    let page = olga.get("/console/debit-batches?q=ldb-find").await;
    assert_eq!(
        sorted(page.ids("debit-batch-row")),
        found_debits,
        "{}",
        page.body
    );
    assert_eq!(page.text_of("list-total"), "2 found, ¥3.00 in all");
    let csv = csv_rows(&olga.get("/console/debit-batches.csv?q=ldb-find").await);
    assert_eq!(first_fields(&csv), found_debits);
    assert!(
        csv.iter().any(|row| row.contains(",2.00,")),
        "plain yuan: {csv:?}"
    );
    walk_two_pages(
        &mut olga,
        "/console/debit-batches?q=ldb-find",
        "debit-batch-row",
        &found_debits,
    )
    .await;

    // Refund batches: three of one line each on a paid payment, two found, their sum shown.
    let payment = world.pay("LRB-PAY-1", 1000, "server").await;
    world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    let mut found_refunds = Vec::new();
    for (no, amount) in [("LRB-FIND-1", 10), ("LRB-FIND-2", 20), ("LRB-ELSE", 40)] {
        let made = world
            .client
            .create_refund_batch(&json!({"out_batch_no": no, "lines": [
                {"payment_id": payment.id, "out_refund_no": format!("{no}-R"), "amount": amount}
            ]}))
            .await
            .unwrap();
        assert_eq!(made.status, 201, "{}", made.body);
        let id = made.json()["id"].as_str().unwrap().to_string();
        wait_api_status(
            world,
            &format!("/v1/refund-batches/{id}"),
            &["finished", "rejected"],
        )
        .await;
        if no.starts_with("LRB-FIND") {
            found_refunds.push(id);
        }
    }
    let found_refunds = sorted(found_refunds);
    let page = olga.get("/console/refund-batches?q=lrb-find").await;
    assert_eq!(
        sorted(page.ids("refund-batch")),
        found_refunds,
        "{}",
        page.body
    );
    assert_eq!(page.text_of("list-total"), "2 found, ¥0.30 in all");
    let csv = csv_rows(&olga.get("/console/refund-batches.csv?q=lrb-find").await);
    assert_eq!(first_fields(&csv), found_refunds);
    let none = csv_rows(
        &olga
            .get("/console/refund-batches.csv?q=lrb-find&status=rejected")
            .await,
    );
    let rejected = page.attribute_of("refund-batch", "data-status");
    let rejected = rejected.iter().filter(|s| *s == "rejected").count();
    assert_eq!(none.len(), rejected, "the status narrows the file too");
    walk_two_pages(
        &mut olga,
        "/console/refund-batches?q=lrb-find",
        "refund-batch",
        &found_refunds,
    )
    .await;

    // Identity verifications: three answered at once, two found by part of their number; the
    // file holds masks only.
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
    let mut found_identities = Vec::new();
    for no in ["LIV-FIND-1", "LIV-FIND-2", "LIV-ELSE"] {
        let body = json!({"out_verify_no": no, "mode": "direct", "customer_type": "person",
            "name": NAME, "certificate_type": "I", "certificate_no": PERSON_ID,
            "card_no": PERSON_CARD, "mobile": PERSON_MOBILE});
        let answer = post(world, "/v1/identity-verifications", &body).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        if no.starts_with("LIV-FIND") {
            found_identities.push(answer.json()["id"].as_str().unwrap().to_string());
        }
    }
    let found_identities = sorted(found_identities);
    let page = olga.get("/console/identity-verifications?q=liv-find").await;
    assert_eq!(
        sorted(page.ids("identity-row")),
        found_identities,
        "{}",
        page.body
    );
    assert_eq!(page.text_of("list-total"), "2 found");
    let file = olga
        .get("/console/identity-verifications.csv?q=liv-find")
        .await;
    for plain in [PERSON_ID, PERSON_CARD, NAME] {
        assert!(!file.body.contains(plain), "{plain} in plain text");
    }
    assert_eq!(first_fields(&csv_rows(&file)), found_identities);
    walk_two_pages(
        &mut olga,
        "/console/identity-verifications?q=liv-find",
        "identity-row",
        &found_identities,
    )
    .await;

    // Every download above is audited with its filters.
    let exports = csv_rows(&olga.get("/console/audit.csv?action=console.export").await);
    for list in [
        "mandates",
        "debit-batches",
        "refund-batches",
        "identity-verifications",
    ] {
        assert!(
            exports
                .iter()
                .any(|row| row.contains(&format!(",{list},")) && row.contains("q=")),
            "{list} audited: {exports:?}"
        );
    }
}

/// Proves the reconciliation differences and the settlement batches of a day each walk to a
/// second page that shows the other row, and each download holds exactly the rows searched.
pub async fn book_lists_walk_to_a_second_page(world: &mut World) {
    world
        .create_console_user("olga", "operator", PASSWORD)
        .await;
    world
        .create_console_user("fiona", "finance", PASSWORD)
        .await;
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

    // Two payments the bank's statement gives another amount: two differences.
    let mut payments = Vec::new();
    for (no, amount) in [("BOOKS-LIST-1", 1000), ("BOOKS-LIST-2", 2000)] {
        let payment = world.pay(no, amount, "server").await;
        world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
        world.wait_for_events(&payment.id, 1).await;
        let fault = world
            .http
            .post(format!(
                "{}/sim/orders/{}/statement",
                world.bank_url, payment.channel_order_no
            ))
            .json(&json!({"fault": "amount", "amount_fen": amount + 1}))
            .send()
            .await
            .unwrap();
        assert!(fault.status().is_success());
        payments.push(payment);
    }
    let date = world
        .client
        .get_payment(&payments[0].id, false)
        .await
        .unwrap()
        .accounting_date
        .unwrap();
    let mut olga = Console::sign_in(world, "olga").await;
    let day: [(&str, &str); 2] = [
        ("channel_account", &world.channel_account_id),
        ("date", &date),
    ];
    let fetched = olga.post("/console/recon/fetch", &day).await;
    assert!(fetched.location.contains("ok="), "{}", fetched.location);
    let ran = olga.post("/console/recon/run", &day).await;
    assert!(ran.location.contains("ok="), "{}", ran.location);

    let recon_path = format!("/console/recon?date={date}");
    let items = sorted(olga.get(&recon_path).await.ids("recon-item"));
    assert_eq!(items.len(), 2, "{items:?}");
    walk_two_pages(&mut olga, &recon_path, "recon-item", &items).await;
    let one = csv_rows(
        &olga
            .get(&format!(
                "/console/recon/items.csv?date={date}&q={}",
                items[1]
            ))
            .await,
    );
    assert_eq!(first_fields(&one), vec![items[1].clone()]);
    for item in &items {
        let resolved = olga
            .post(
                &format!("/console/recon/items/{item}/resolve"),
                &[
                    ("decision", "bank_wins"),
                    ("note", "the statement is right"),
                ],
            )
            .await;
        assert!(resolved.location.contains("ok="), "{}", resolved.location);
    }

    // A day's batch made, cancelled by finance, and made again: two batches of the day.
    let settle: [(&str, &str); 1] = [("date", &date)];
    let made = olga.post("/console/settlement/create", &settle).await;
    assert!(made.location.contains("ok="), "{}", made.location);
    let settlement_path = format!("/console/settlement?date={date}");
    let first = olga.get(&settlement_path).await.ids("settlement-batch");
    assert_eq!(first.len(), 1);
    let mut fiona = Console::sign_in(world, "fiona").await;
    let cancelled = fiona
        .post(
            &format!("/console/settlement/{}/cancel", first[0]),
            &[("note", "made again")],
        )
        .await;
    assert!(cancelled.location.contains("ok="), "{}", cancelled.location);
    let again = olga.post("/console/settlement/create", &settle).await;
    assert!(again.location.contains("ok="), "{}", again.location);
    let batches = sorted(fiona.get(&settlement_path).await.ids("settlement-batch"));
    assert_eq!(batches.len(), 2, "{batches:?}");
    walk_two_pages(&mut fiona, &settlement_path, "settlement-batch", &batches).await;
    let pending = csv_rows(
        &fiona
            .get(&format!(
                "/console/settlement.csv?date={date}&status=pending_review"
            ))
            .await,
    );
    let made_again: Vec<String> = batches.into_iter().filter(|b| *b != first[0]).collect();
    assert_eq!(first_fields(&pending), made_again);
}
