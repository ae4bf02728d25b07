//! `unipay settle` as an operator runs it, the real binary against a database seeded with paid
//! payments: settle → list → approve → mark-paid → file, the refusals on the way, on SQLite
//! and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::process::Output;
use unipay_core::Amount;
use unipay_core::channel::BankPaid;
use unipay_core::event::EventSource;
use unipay_core::fees::FeePlan;
use unipay_core::payment::PaymentEvent;
use unipay_store::Store;
use unipay_store::audit::AuditFilter;
use unipay_store::merchants::{App, ChannelAccount, Merchant};
use unipay_store::payments::{CreatePayment, Idempotent, NewPayment, Payment, PaymentChange};
use unipay_store::testing::{TestBackend, TestDatabase};

const NOW: i64 = 1_800_000_000_000;
const DAY: &str = "2027-03-01";
const BLOCKED_DAY: &str = "2027-03-02";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_settles_a_day_on_sqlite() {
    operator_settles_a_day(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_settles_a_day_on_postgres() {
    operator_settles_a_day(TestBackend::Postgres).await;
}

fn unipay(db: &str, args: &[&str]) -> Output {
    unipay_as("ops", db, args)
}

/// `unipay settle ...` run by the operating-system user `user`.
fn unipay_as(user: &str, db: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_unipay"))
        .arg("settle")
        .args(args)
        .args(["--database-url", db])
        .env("RUST_LOG", "warn")
        .env("USER", user)
        .output()
        .expect("runs")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&ok(output)).expect("one JSON document")
}

fn refused(output: &Output, says: &str) {
    assert!(!output.status.success(), "must be refused");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(says), "{stderr}");
}

/// Proves the whole operator path through the binary: the day's batch is made once, listed,
/// approved (once), paid (only after approval), its file printed and written with the TOTAL
/// line, and a day with an open reconciliation difference refused until overridden.
async fn operator_settles_a_day(backend: TestBackend) {
    let Some((db, store)) = TestDatabase::store(backend).await.unwrap() else {
        return;
    };
    seed(&store).await;
    // The binary is the only user of the database from here.
    store.close().await;
    let url = db.url.clone();

    let made = json(&unipay(&url, &["--date", DAY, "--json"]));
    let created = made["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "{made}");
    let batch = created[0].clone();
    let id = batch["id"].as_str().unwrap().to_string();
    assert_eq!(batch["status"], "pending_review");
    assert_eq!(batch["payments"], 2);
    // 100.00 and 50.00 at 0.6%: fees 0.60 and 0.30.
    assert_eq!(batch["payments_yuan"], "150.00");
    assert_eq!(batch["fees_yuan"], "0.90");
    assert_eq!(batch["net_yuan"], "149.10");

    let again = json(&unipay(&url, &["--date", DAY, "--json"]));
    assert_eq!(again["created"].as_array().unwrap().len(), 0);
    assert_eq!(again["existing"][0]["id"], id.as_str());
    let text = ok(&unipay(&url, &["--date", DAY]));
    assert!(text.contains("already settled"), "{text}");
    assert!(text.contains("149.10"), "{text}");

    let listed = json(&unipay(&url, &["list", "--date", DAY, "--json"]));
    assert_eq!(listed["batches"].as_array().unwrap().len(), 1);
    let table = ok(&unipay(&url, &["list"]));
    let header = table.lines().next().unwrap();
    assert!(header.starts_with("batch"), "{table}");
    assert!(
        table.contains(&id) && table.contains("pending_review"),
        "{table}"
    );
    // Columns line up: the net column ends at the same place on every line.
    let widths: Vec<usize> = table.lines().map(str::len).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{table}");

    refused(&unipay(&url, &["mark-paid", &id]), "it is pending_review");
    let approved = json(&unipay(
        &url,
        &["approve", &id, "--note", "checked", "--json"],
    ));
    assert_eq!(approved["batch"]["status"], "approved");
    assert_eq!(approved["batch"]["approved_by"], "cli:ops");
    assert!(approved["entry_id"].as_str().unwrap().starts_with("jnl_"));
    refused(&unipay(&url, &["approve", &id]), "it is approved");
    // Who approved a payout does not also record it paid.
    refused(&unipay(&url, &["mark-paid", &id]), "cli:ops approved it");
    let paid = ok(&unipay_as("payer", &url, &["mark-paid", &id]));
    assert!(paid.contains("is now paid"), "{paid}");
    refused(
        &unipay(&url, &["cancel", &id, "--note", "late"]),
        "it is paid",
    );
    refused(
        &unipay(&url, &["approve", "stl_none"]),
        "no settlement batch",
    );

    let printed = ok(&unipay(&url, &["file", &id]));
    let expected = format!(
        "merchant_id,accounting_date,channel_account_id,payments,payments_yuan,refunds,refunds_yuan,fees_yuan,net_yuan\n\
         mch_1,{DAY},cha_1,2,150.00,0,0.00,0.90,149.10\n\
         mch_1,{DAY},TOTAL,2,150.00,0,0.00,0.90,149.10\n"
    );
    assert_eq!(printed, expected);
    let dir = std::env::temp_dir().join(format!(
        "unipay-settle-{}",
        unipay_core::ids::random_token(8)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("settlement.csv");
    let wrote = ok(&unipay(
        &url,
        &["file", &id, "--out", &path.display().to_string()],
    ));
    assert!(
        wrote.contains(batch["file_sha256"].as_str().unwrap()),
        "{wrote}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    let excel_path = dir.join("settlement-excel.csv");
    ok(&unipay(
        &url,
        &[
            "file",
            &id,
            "--excel",
            "--out",
            &excel_path.display().to_string(),
        ],
    ));
    let excel = std::fs::read(&excel_path).unwrap();
    assert!(
        excel.starts_with(b"\xef\xbb\xbf"),
        "a UTF-8 byte order mark"
    );
    let excel = String::from_utf8(excel).unwrap();
    let (header, rows) = excel
        .trim_start_matches('\u{feff}')
        .split_once('\n')
        .unwrap();
    assert!(header.starts_with("商户号,会计日期,渠道账户,"), "{header}");
    assert_eq!(Some(rows), expected.split_once('\n').map(|(_, rows)| rows));
    let _ = std::fs::remove_dir_all(&dir);

    refused(
        &unipay(&url, &["--date", BLOCKED_DAY]),
        "--allow-open-differences",
    );
    let overridden = json(&unipay(
        &url,
        &["--date", BLOCKED_DAY, "--allow-open-differences", "--json"],
    ));
    assert_eq!(overridden["created"].as_array().unwrap().len(), 1);
    refused(&unipay(&url, &["--date", "2027-3-1"]), "YYYY-MM-DD");
    refused(&unipay(&url, &["cancel", &id, "--note", " "]), "--note");

    let store = Store::connect(&url).await.unwrap();
    let audit = store
        .list_audit(&AuditFilter {
            target: Some(&id),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let mut actions: Vec<(String, String)> = audit
        .iter()
        .map(|a| (a.action.clone(), a.outcome.clone()))
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            ("settlement.create", "ok"),
            ("settlement.mark_paid", "refused"),
            ("settlement.approve", "ok"),
            ("settlement.approve", "refused"),
            ("settlement.mark_paid", "refused"),
            ("settlement.mark_paid", "ok"),
            ("settlement.cancel", "refused"),
        ]
        .map(|(a, o)| (a.to_string(), o.to_string()))
    );
    assert!(audit.iter().all(|a| a.from_address == "cli"));
    assert!(
        audit.iter().all(|a| (a.actor == "cli:payer")
            == (a.action == "settlement.mark_paid" && a.outcome == "ok"))
    );
    assert!(store.check_ledger().await.unwrap().holds());
    store.close().await;
    db.drop_database().await.unwrap();
}

/// One merchant, one channel account at 0.6%, two payments on DAY and one on BLOCKED_DAY,
/// where an open reconciliation item waits.
async fn seed(store: &Store) {
    store
        .insert_merchant(&Merchant {
            id: "mch_1".into(),
            name: "Water".into(),
            created_at: NOW,
        })
        .await
        .unwrap();
    store
        .insert_channel_account(&ChannelAccount {
            id: "cha_1".into(),
            merchant_id: "mch_1".into(),
            channel: "abc".into(),
            bank_merchant_id: "103881234560010".into(),
            private_key_pem: "k".into(),
            bank_certificate_pem: "c".into(),
            signature_algorithm: "SHA1withRSA".into(),
            trx_url: "http://127.0.0.1:1/".into(),
            payment_types: "A".into(),
            notify_type: "server".into(),
            cutover_hour: 23,
            bank_fee_bps: 0,
            created_at: NOW,
        })
        .await
        .unwrap();
    let app = App {
        id: "app_1".into(),
        merchant_id: "mch_1".into(),
        name: "water".into(),
        secret: "s".into(),
        notify_url: None,
        channel_account_id: Some("cha_1".into()),
        status: "active".into(),
        created_at: NOW,
    };
    store.insert_app(&app).await.unwrap();
    let plan = FeePlan {
        rate_bps: 60,
        ..FeePlan::FREE
    };
    store
        .set_fee_plan("mch_1", "cha_1", &plan, NOW)
        .await
        .unwrap();
    for (i, (amount, date)) in [(10_000, DAY), (5_000, DAY), (2_000, BLOCKED_DAY)]
        .into_iter()
        .enumerate()
    {
        pay(store, &app, &format!("pay_{i}"), amount, date).await;
    }
    store
        .execute_for_test(&format!(
            "INSERT INTO recon_items (id, channel_account_id, accounting_date, class, kind, order_no, \
             status, created_at, updated_at) VALUES ('itm_1', 'cha_1', '{BLOCKED_DAY}', 'difference', \
             'missing_on_bank', 'o-1', 'open', {NOW}, {NOW})"
        ))
        .await
        .unwrap();
}

async fn pay(store: &Store, app: &App, id: &str, amount: i64, accounting_date: &str) {
    let route = store.channel_route_for_app(app).await.unwrap().unwrap();
    let (fee, bank_fee) = route.fees_for(amount);
    let new = NewPayment {
        bank_choice: unipay_store::payments::BankChoice::Fixed,
        id: id.into(),
        app_id: app.id.clone(),
        merchant_id: app.merchant_id.clone(),
        channel_account_id: route.channel_account_id.clone(),
        channel: "abc".into(),
        out_trade_no: format!("T-{id}"),
        order_no: unipay_core::ids::new_body(NOW),
        amount,
        currency: "CNY".into(),
        subject: "water bill".into(),
        return_url: None,
        notify_url: None,
        metadata: None,
        expires_at: NOW + 1_800_000,
        created_at: NOW,
        fee,
        bank_fee,
        capture: unipay_core::payment::CaptureMode::Immediate,
    };
    let render = |outcome: &CreatePayment| (201, format!("{outcome:?}"));
    let Idempotent::Fresh(CreatePayment::Created(p)) = store
        .create_payment(&new, None, None, &render)
        .await
        .unwrap()
    else {
        panic!("not created");
    };
    let bank = BankPaid {
        amount: Amount::from_fen(amount).unwrap(),
        channel_trade_no: format!("SIM-{id}"),
        paid_at_ms: NOW + 5_000,
        accounting_date: accounting_date.into(),
    };
    let render = |p: &Payment, id: &str, kind: &str, at: i64| format!("{id} {kind} {at} {}", p.id);
    let change = PaymentChange {
        payment_id: &p.id,
        event: PaymentEvent::BankSucceeded,
        source: EventSource::ServerNotification,
        paid: Some(&bank),
        payment_type: None,
        next_query_at: None,
        detail: "",
        raw_sha256: None,
        message: None,
        delivery_lease_ms: 0,
        known: None,
        now_ms: NOW + 5_000,
    };
    let moved = store.apply_payment_change(&change, &render).await.unwrap();
    assert!(moved.into_payment().is_some());
}
