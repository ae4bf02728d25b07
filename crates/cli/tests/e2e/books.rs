//! The books end to end: payments through the simulator, the bank's statements (GBK, gzip,
//! Chinese headers) fetched with `Settle`, reconciliation by the command line, and the ledger.

use crate::harness::{BANK_MERCHANT_ID, World, unipay};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use unipay_client::Payment;
use unipay_store::recon::ItemFilter;

fn succeeded(p: &Payment) -> bool {
    p.status == "succeeded"
}

/// Runs `unipay <args> --database-url <db>` and returns its standard output.
pub(crate) async fn cli(world: &World, args: &[&str]) -> String {
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

pub(crate) async fn cli_json(world: &World, args: &[&str]) -> Value {
    let text = cli(world, args).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?} printed {text:?}: {e}"))
}

pub(crate) async fn statement_fault(world: &World, order_no: &str, fault: Value) {
    let response = world
        .http
        .post(format!(
            "{}/sim/orders/{order_no}/statement",
            world.bank_url
        ))
        .json(&fault)
        .send()
        .await
        .expect("sim answers");
    assert!(response.status().is_success(), "{}", response.status());
}

pub(crate) fn next_day(date: &str, days: i64) -> String {
    unipay_server::flows::books::add_days(date, days).expect("a date")
}

/// Items of a date by order number: (class, status, resolution).
async fn items_of(world: &World, date: &str) -> BTreeMap<String, (String, String, String)> {
    let store = world.store().await;
    let items = store
        .list_recon_items(&ItemFilter {
            accounting_date: Some(date),
            ..ItemFilter::default()
        })
        .await
        .expect("items");
    store.close().await;
    items
        .into_iter()
        .map(|i| {
            (
                i.order_no,
                (
                    i.class,
                    i.status.as_str().to_string(),
                    i.resolution.unwrap_or_default(),
                ),
            )
        })
        .collect()
}

fn item(class: &str, status: &str, resolution: &str) -> (String, String, String) {
    (class.into(), status.into(), resolution.into())
}

/// Proves each class (bank only, platform only, amount, status, fee) is detected exactly once
/// and nothing else; a success we never heard of
/// is confirmed by query and recorded by reconciliation (补单) with one business notification;
/// a statement's unreadable line is reported; re-running changes nothing; a record the bank
/// books a day late is matched by the next day's statement; one it never books becomes a
/// difference after the hold; deciding for the bank adjusts the ledger, which still balances.
pub async fn reconciliation_end_to_end(world: &mut World) {
    // The scheduled job has fetched and reconciled yesterday's statement on its own.
    let yesterday = {
        let beijing = chrono::Utc::now() + chrono::Duration::hours(8);
        next_day(&beijing.format("%Y-%m-%d").to_string(), -1)
    };
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while store
        .recon_day(&world.channel_account_id, &yesterday)
        .await
        .expect("recon day")
        .is_none()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduled job reconciles yesterday"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let statements = store
        .list_statements(Some(&yesterday))
        .await
        .expect("statements");
    assert_eq!(statements.len(), 1);
    store.close().await;

    let mut paid = Vec::new();
    for (n, amount) in [1000, 2000, 3000, 4000, 5000, 6000].into_iter().enumerate() {
        paid.push(world.pay(&format!("RC-{n}"), amount, "server").await);
    }
    for payment in &paid {
        world.wait_for_payment(&payment.id, succeeded).await;
    }
    let date = world
        .client
        .get_payment(&paid[0].id, false)
        .await
        .expect("payment")
        .accounting_date
        .expect("an accounting date");
    let order = |i: usize| paid[i].channel_order_no.to_string();

    // A success we never hear of: no notification, and queries unanswered until after the day.
    let unheard = world.create("RC-unheard", 7000).await;
    world.checkout(&unheard).await;
    world
        .set_faults(json!({"notify": "drop", "query": "EUNKWN"}))
        .await;
    world
        .bank_pays(&unheard.channel_order_no, "success", "server")
        .await;

    // Money the bank took for an order we never made (paid at a counter, say).
    let stranger = unipay_core::ids::new_body(chrono::Utc::now().timestamp_millis());
    let counter = world
        .http
        .post(format!("{}/sim/orders", world.bank_url))
        .json(&json!({"merchant_id": BANK_MERCHANT_ID, "order_no": stranger, "amount_fen": 8000}))
        .send()
        .await
        .expect("sim answers");
    assert_eq!(counter.status().as_u16(), 201);

    statement_fault(
        world,
        &order(1),
        json!({"fault": "amount", "amount_fen": 2001}),
    )
    .await;
    statement_fault(world, &order(2), json!({"fault": "fee", "fee_fen": 5})).await;
    statement_fault(world, &order(3), json!({"fault": "omit"})).await;
    statement_fault(world, &order(4), json!({"fault": "next_day"})).await;
    statement_fault(world, &order(5), json!({"fault": "corrupt"})).await;

    // The janitor is stopped so that the statement, not a query, brings the success to light.
    world.kill_server().await;
    world.set_faults(json!({})).await;
    let fetched = cli_json(world, &["statements", "fetch", "--date", &date, "--json"]).await;
    let statement = &fetched["statements"][0];
    assert_eq!(statement["new"], true);
    assert_eq!(statement["unreadable_lines"], 1, "{statement}");
    assert!(
        statement["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .any(|c| c == "商户回佣手续费"),
        "the GBK header is read: {statement}"
    );
    let again = cli_json(world, &["statements", "fetch", "--date", &date, "--json"]).await;
    assert_eq!(
        again["statements"][0]["new"], false,
        "same file, same statement"
    );

    let report = cli_json(world, &["recon", "--date", &date, "--format", "json"]).await;
    let day = &report["days"][0];
    assert_eq!(day["matched"], 1, "{report}");
    assert_eq!(day["unreadable_lines"], 1);
    let expected = BTreeMap::from([
        (stranger.clone(), item("bank_only", "open", "")),
        (order(1), item("amount_mismatch", "open", "")),
        (order(2), item("fee_mismatch", "open", "")),
        (order(3), item("platform_only", "held", "")),
        (order(4), item("platform_only", "held", "")),
        (order(5), item("platform_only", "held", "")),
        (
            unheard.channel_order_no.to_string(),
            item("status_mismatch", "fixed", "query_confirmed"),
        ),
    ]);
    assert_eq!(items_of(world, &date).await, expected);

    // Re-running the day finds the same and changes nothing.
    let rerun = cli_json(world, &["recon", "--date", &date, "--format", "json"]).await;
    assert_eq!(rerun["items"], report["items"]);
    assert_eq!(items_of(world, &date).await, expected);

    // The success found by reconciliation is an ordinary success, notified once.
    world.start_server().await;
    let recorded = world.wait_for_payment(&unheard.id, succeeded).await;
    assert_eq!(recorded.status, "succeeded");
    world
        .assert_notified_once(&unheard.id, &["payment.succeeded"])
        .await;
    let store = world.store().await;
    let timeline = store
        .list_payment_events(&unheard.id)
        .await
        .expect("events");
    assert!(
        timeline
            .iter()
            .any(|e| e.source == "reconciliation" && e.to_status.as_deref() == Some("succeeded")),
        "{timeline:?}"
    );
    store.close().await;

    // The next day's statement holds the record booked a day late: its item is settled.
    let day_after = next_day(&date, 1);
    cli(world, &["statements", "fetch", "--date", &day_after]).await;
    let next = cli_json(world, &["recon", "--date", &day_after, "--format", "json"]).await;
    assert_eq!(next["days"][0]["matched"], 1, "{next}");
    assert!(items_of(world, &day_after).await.is_empty());
    assert_eq!(
        items_of(world, &date).await.get(&order(4)),
        Some(&item("platform_only", "fixed", "matched_cross_day"))
    );

    // Three days on, what never turned up is a difference for an operator.
    for days in 2..=3 {
        let later = next_day(&date, days);
        cli(world, &["statements", "fetch", "--date", &later]).await;
        cli(world, &["recon", "--date", &later]).await;
    }
    let items = items_of(world, &date).await;
    assert_eq!(
        items.get(&order(3)),
        Some(&item("platform_only", "open", ""))
    );
    assert_eq!(
        items.get(&order(5)),
        Some(&item("platform_only", "open", ""))
    );

    // Decisions: the bank wins on the amount (an adjustment), we win on the fee.
    let open = cli_json(world, &["recon", "items", "--open", "--format", "json"]).await;
    let id_of = |order_no: &str| -> String {
        open["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["order_no"] == order_no)
            .and_then(|i| i["id"].as_str())
            .expect("an open item")
            .to_string()
    };
    let amount_item = id_of(&order(1));
    cli(
        world,
        &[
            "recon",
            "resolve",
            &amount_item,
            "--bank-wins",
            "--note",
            "bank statement is right",
        ],
    )
    .await;
    cli(
        world,
        &[
            "recon",
            "resolve",
            &id_of(&order(2)),
            "--platform-wins",
            "--note",
            "fee agreed in contract",
        ],
    )
    .await;
    let refused = unipay()
        .args([
            "recon",
            "resolve",
            &amount_item,
            "--platform-wins",
            "--note",
            "again",
        ])
        .args(["--database-url", &world.db_url()])
        .output()
        .await
        .expect("runs");
    assert!(
        !refused.status.success(),
        "a decided item cannot be decided again"
    );

    let store = world.store().await;
    let entries = store.entries_for(&amount_item).await.expect("entries");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let differences = store
        .ledger_balances(Some("recon_differences:"), None)
        .await
        .expect("balances");
    assert_eq!(differences[0].balance, -1, "the bank showed 1 fen more");
    let audit = store
        .list_audit(&unipay_store::audit::AuditFilter {
            action: Some("recon.resolve"),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .any(|a| a.target == amount_item && a.detail.contains("bank statement is right"))
    );
    store.close().await;
    let check = cli_json(world, &["ledger", "check", "--json"]).await;
    assert_eq!(check["holds"], true, "{check}");
}
