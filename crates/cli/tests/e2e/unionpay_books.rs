//! The books across two banks: a day of ABC and UnionPay payments for the same app, each
//! bank's file fetched and reconciled against that bank's channel account only, every
//! difference class on the UnionPay side, and the day settled in one batch per merchant.

use crate::books::{cli, cli_json, next_day, statement_fault};
use crate::console_pages::{Console, PASSWORD};
use crate::harness::{World, unipay};
use crate::unionpay::{
    Gateway, MER_ID, pay_amount_at_gateway, set_gateway_faults, start_gateway_with,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use unipay_client::Payment;
use unipay_store::recon::ItemFilter;

fn succeeded(p: &Payment) -> bool {
    p.status == "succeeded"
}

/// The hour the world's ABC bank and channel account cut over at (its simulator's config).
fn abc_cutover_hour(world: &World) -> String {
    let config = std::fs::read_to_string(world.dir().join("bank/banksim.toml")).unwrap();
    config
        .trim()
        .strip_prefix("cutover_hour = ")
        .expect("the world's cut-over hour")
        .to_string()
}

/// How the UnionPay file shows `order_id`.
async fn file_fault(world: &World, gateway: &Gateway, order_id: &str, fault: Value) {
    let response = world
        .http
        .post(format!(
            "{}/sim/unionpay/orders/{order_id}/statement",
            gateway.url
        ))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// Items of a date by order number: (channel account, class, status, resolution).
async fn items_of(world: &World, date: &str) -> BTreeMap<String, (String, String, String, String)> {
    let store = world.store().await;
    let items = store
        .list_recon_items(&ItemFilter {
            accounting_date: Some(date),
            ..ItemFilter::default()
        })
        .await
        .unwrap();
    store.close().await;
    items
        .into_iter()
        .map(|i| {
            (
                i.order_no,
                (
                    i.channel_account_id,
                    i.class,
                    i.status.as_str().to_string(),
                    i.resolution.unwrap_or_default(),
                ),
            )
        })
        .collect()
}

fn item(
    account: &str,
    class: &str,
    status: &str,
    resolution: &str,
) -> (String, String, String, String) {
    (
        account.into(),
        class.into(),
        status.into(),
        resolution.into(),
    )
}

/// Proves a day with payments through ABC and through UnionPay for the same app reconciles
/// each bank's file against that bank's channel account only: on the UnionPay side a match,
/// an amount and a fee that differ, a line missing (held), a line filed a day late (held, then
/// matched by the next day's file), an unreadable line (reported, its payment held), money for
/// an order we never made (bank only) and a success we never heard of (confirmed by query and
/// recorded: 补单, notified once); a day without a file is refused as not ready and stores
/// nothing; and the day settles in one batch for the merchant whose totals are both banks'
/// money, with a balanced ledger.
pub async fn abc_and_unionpay_day_reconciled_and_settled(world: &mut World) {
    // ABC first: the app's default route is the world's ABC account.
    let abc = [
        world.pay("AB-0", 1100, "server").await,
        world.pay("AB-1", 2200, "server").await,
    ];
    for payment in &abc {
        world.wait_for_payment(&payment.id, succeeded).await;
    }
    let date = world
        .client
        .get_payment(&abc[0].id, false)
        .await
        .unwrap()
        .accounting_date
        .expect("an accounting date");
    statement_fault(
        world,
        &abc[1].channel_order_no,
        json!({"fault": "amount", "amount_fen": 2201}),
    )
    .await;

    // UnionPay's day cuts over at the same hour, so both banks' payments share the date.
    let cutover = abc_cutover_hour(world);
    let gateway = start_gateway_with(world, &["--unionpay-cutover-hour", &cutover]).await;
    let abc_account = world.channel_account_id.clone();
    let up_account = gateway.channel_account_id.clone();
    let mut up = Vec::new();
    for (n, amount) in [1000, 2000, 3000, 4000, 5000, 6000].into_iter().enumerate() {
        let (payment, _, _) = pay_amount_at_gateway(world, &format!("UP-{n}"), amount).await;
        up.push(payment);
    }
    for payment in &up {
        let paid = world.wait_for_payment(&payment.id, succeeded).await;
        assert_eq!(paid.channel, "unionpay");
        assert_eq!(paid.accounting_date.as_deref(), Some(&*date));
    }
    let order = |i: usize| up[i].channel_order_no.to_string();

    // A success we never hear of: the back notification lost, queries answering "in progress".
    set_gateway_faults(
        world,
        &gateway,
        json!({"notify": "drop", "query_orig_resp_code": "05"}),
    )
    .await;
    let (unheard, _, _) = pay_amount_at_gateway(world, "UP-unheard", 7000).await;

    // Money UnionPay took for an order we never made.
    let stranger = unipay_core::ids::new_body(chrono::Utc::now().timestamp_millis());
    let counter = world
        .http
        .post(format!("{}/sim/unionpay/orders", gateway.url))
        .json(&json!({"mer_id": MER_ID, "order_id": stranger, "amount_fen": 8000}))
        .send()
        .await
        .unwrap();
    assert_eq!(counter.status().as_u16(), 201);

    file_fault(
        world,
        &gateway,
        &order(1),
        json!({"fault": "amount", "amount_fen": 2001}),
    )
    .await;
    file_fault(
        world,
        &gateway,
        &order(2),
        json!({"fault": "fee", "fee_fen": 5}),
    )
    .await;
    file_fault(world, &gateway, &order(3), json!({"fault": "omit"})).await;
    file_fault(world, &gateway, &order(4), json!({"fault": "next_day"})).await;
    file_fault(world, &gateway, &order(5), json!({"fault": "corrupt"})).await;

    // The janitor is stopped so that the file, not a query of its own, brings the success out.
    world.kill_server().await;
    set_gateway_faults(world, &gateway, json!({})).await;

    let fetched = cli_json(world, &["statements", "fetch", "--date", &date, "--json"]).await;
    let statements = fetched["statements"].as_array().expect("statements");
    assert_eq!(statements.len(), 2, "one file per bank: {fetched}");
    let of = |account: &str| {
        statements
            .iter()
            .find(|s| s["channel_account_id"] == account)
            .unwrap_or_else(|| panic!("a statement of {account}: {fetched}"))
    };
    let up_file = of(&up_account);
    assert_eq!(up_file["gzip"], false, "the zip is kept as delivered");
    assert_eq!(up_file["unreadable_lines"], 1, "{up_file}");
    assert_eq!(up_file["totals_agree"], true, "{up_file}");
    assert_eq!(up_file["read"]["payments"], 5, "{up_file}");
    assert_eq!(
        up_file["read"]["payments_fen"],
        1000 + 2001 + 3000 + 7000 + 8000
    );
    assert!(
        up_file["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .any(|c| c == "商户订单号"),
        "{up_file}"
    );
    let abc_file = of(&abc_account);
    assert_eq!(abc_file["read"]["payments"], 2, "{abc_file}");
    assert_eq!(abc_file["read"]["payments_fen"], 1100 + 2201);

    let report = cli_json(world, &["recon", "--date", &date, "--format", "json"]).await;
    let expected = BTreeMap::from([
        (
            abc[1].channel_order_no.to_string(),
            item(&abc_account, "amount_mismatch", "open", ""),
        ),
        (stranger.clone(), item(&up_account, "bank_only", "open", "")),
        (order(1), item(&up_account, "amount_mismatch", "open", "")),
        (order(2), item(&up_account, "fee_mismatch", "open", "")),
        (order(3), item(&up_account, "platform_only", "held", "")),
        (order(4), item(&up_account, "platform_only", "held", "")),
        (order(5), item(&up_account, "platform_only", "held", "")),
        (
            unheard.channel_order_no.to_string(),
            item(&up_account, "status_mismatch", "fixed", "query_confirmed"),
        ),
    ]);
    assert_eq!(items_of(world, &date).await, expected, "{report}");

    // Each bank's day counts that bank's records only.
    let store = world.store().await;
    let up_day = store.recon_day(&up_account, &date).await.unwrap().unwrap();
    assert_eq!(
        (up_day.platform_payments, up_day.platform_payments_fen),
        (6, 21_000)
    );
    assert_eq!(
        (up_day.bank_payments, up_day.bank_payments_fen),
        (5, 21_001)
    );
    assert_eq!((up_day.matched, up_day.unreadable_lines), (1, 1));
    let abc_day = store.recon_day(&abc_account, &date).await.unwrap().unwrap();
    assert_eq!(
        (abc_day.platform_payments, abc_day.platform_payments_fen),
        (2, 3300)
    );
    assert_eq!(
        (abc_day.bank_payments, abc_day.bank_payments_fen),
        (2, 3301)
    );
    assert_eq!(abc_day.matched, 1);
    store.close().await;

    // Re-running the day finds the same and changes nothing.
    let rerun = cli_json(world, &["recon", "--date", &date, "--format", "json"]).await;
    assert_eq!(rerun["items"], report["items"]);
    assert_eq!(items_of(world, &date).await, expected);

    // The success the file brought out is an ordinary success, notified once.
    world.start_server().await;
    let recorded = world.wait_for_payment(&unheard.id, succeeded).await;
    assert_eq!(recorded.accounting_date.as_deref(), Some(&*date));
    world
        .assert_notified_once(&unheard.id, &["payment.succeeded"])
        .await;
    let store = world.store().await;
    let timeline = store.list_payment_events(&unheard.id).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.source == "reconciliation" && e.to_status.as_deref() == Some("succeeded")),
        "{timeline:?}"
    );
    store.close().await;

    // The next day's UnionPay file holds the line filed a day late: its held item is fixed.
    let day_after = next_day(&date, 1);
    let account_args = ["--channel-account", up_account.as_str()];
    cli(
        world,
        &[
            &["statements", "fetch", "--date", &day_after][..],
            &account_args,
        ]
        .concat(),
    )
    .await;
    cli(
        world,
        &[&["recon", "--date", &day_after][..], &account_args].concat(),
    )
    .await;
    let store = world.store().await;
    let next = store
        .recon_day(&up_account, &day_after)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((next.matched, next.bank_payments), (1, 1));
    store.close().await;
    assert_eq!(
        items_of(world, &date).await.get(&order(4)),
        Some(&item(
            &up_account,
            "platform_only",
            "fixed",
            "matched_cross_day"
        ))
    );

    // A day UnionPay has no file for: refused as not ready and nothing kept, while ABC's
    // statement of that day is fetched all the same.
    let empty_day = next_day(&date, 2);
    let refused = unipay()
        .args(["statements", "fetch", "--date", &empty_day])
        .args(["--database-url", &world.db_url()])
        .arg("--config")
        .arg(world.dir().join("unipay.toml"))
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&up_account)
            && said.contains("98")
            && said.contains("no reconciliation file"),
        "{said}"
    );
    assert!(!said.contains(&abc_account), "{said}");
    let store = world.store().await;
    assert!(
        store
            .latest_statement(&up_account, &empty_day)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .latest_statement(&abc_account, &empty_day)
            .await
            .unwrap()
            .is_some()
    );
    store.close().await;

    // The day settles in one batch for the merchant: both banks' money, a line per bank.
    let run = cli_json(
        world,
        &[
            "settle",
            "--date",
            &date,
            "--allow-open-differences",
            "--json",
        ],
    )
    .await;
    let created = run["created"].as_array().expect("created");
    assert_eq!(created.len(), 1, "{run}");
    let batch = &created[0];
    assert_eq!(batch["merchant_id"], world.merchant_id.as_str());
    let up_money = 1000 + 2000 + 3000 + 4000 + 5000 + 6000 + 7000;
    assert_eq!(batch["payments"], 2 + 7, "{batch}");
    assert_eq!(batch["payments_fen"], 3300 + up_money, "{batch}");
    let store = world.store().await;
    let lines = store
        .batch_lines(batch["id"].as_str().expect("a batch id"))
        .await
        .unwrap();
    let by_account: BTreeMap<&str, (i64, i64)> = lines
        .iter()
        .map(|l| (l.channel_account_id.as_str(), (l.payments, l.payments_fen)))
        .collect();
    assert_eq!(
        by_account,
        BTreeMap::from([
            (abc_account.as_str(), (2, 3300)),
            (up_account.as_str(), (7, up_money)),
        ])
    );
    store.close().await;
    let check = cli_json(world, &["ledger", "check", "--json"]).await;
    assert_eq!(check["holds"], true, "{check}");

    // The console's reconciliation page says which bank each day, item and statement is of,
    // and shows one bank's alone when asked.
    world
        .create_console_user("fiona", "finance", PASSWORD)
        .await;
    let mut fiona = Console::sign_in(world, "fiona").await;
    let banks_on = |page: &crate::console_pages::Page, test: &str| {
        let mut banks = page.attribute_of(test, "data-bank");
        banks.sort();
        banks.dedup();
        banks
    };
    let both = fiona.get(&format!("/console/recon?date={date}")).await;
    for test in ["recon-day-bank", "recon-item-bank", "statement"] {
        assert_eq!(banks_on(&both, test), ["abc", "unionpay"], "{test}");
    }
    assert!(
        both.body.contains("中国银联") || both.body.contains("China UnionPay"),
        "the bank by name"
    );
    for bank in ["abc", "unionpay"] {
        let one = fiona
            .get(&format!("/console/recon?date={date}&bank={bank}"))
            .await;
        for test in ["recon-day-bank", "recon-item-bank", "statement"] {
            assert_eq!(banks_on(&one, test), [bank], "{bank} {test}");
        }
    }
    // The batch's page shows each bank's line.
    let batch_page = fiona
        .get(&format!(
            "/console/settlement/{}",
            batch["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        banks_on(&batch_page, "settlement-line"),
        ["abc", "unionpay"]
    );
    world.check_invariants().await;
}
