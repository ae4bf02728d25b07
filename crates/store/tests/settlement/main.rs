//! Settlement on both backends: batches sum the day's payments and agree with the ledger, every
//! state change is one transaction with its entry and audit record, races have one winner, and
//! open reconciliation differences hold a merchant's settlement back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sha2::{Digest, Sha256};
use unipay_core::Amount;
use unipay_core::channel::BankPaid;
use unipay_core::event::EventSource;
use unipay_core::fees::{FeePlan, RefundFeePolicy};
use unipay_core::ledger::EntryReason;
use unipay_core::money::format_yuan;
use unipay_core::payment::{PaymentEvent, PaymentStatus};
use unipay_store::Store;
use unipay_store::audit::AuditFilter;
use unipay_store::merchants::{App, ChannelAccount, Merchant};
use unipay_store::payments::{CreatePayment, Idempotent, NewPayment, Payment, PaymentChange};
use unipay_store::settlement::{BatchChange, BatchStatus, CSV_HEADER, SettleRun, SettlementBatch};
use unipay_store::testing::{TestBackend, TestDatabase};

mod batches;

use batches::*;

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::run(unipay_store::testing::TestBackend::Sqlite, super::$name).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::run(unipay_store::testing::TestBackend::Postgres, super::$name).await; })*
        }
    };
}

on_both_backends!(
    batches_sum_the_day_and_match_the_ledger,
    approval_and_payment_clear_the_merchant_balances,
    settling_twice_creates_nothing,
    concurrent_runs_make_one_batch_per_merchant,
    racing_approvals_have_one_winner,
    paying_before_approval_is_refused,
    cancelling_an_approved_batch_reverses_it_and_allows_a_new_generation,
    open_differences_hold_settlement_unless_overridden,
    the_file_total_equals_the_batch,
);

async fn run<F, Fut>(backend: TestBackend, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some((db, store)) = TestDatabase::store(backend).await.unwrap() else {
        return;
    };
    seed(&store).await;
    test(store.clone()).await;
    store.close().await;
    db.drop_database().await.unwrap();
}

const NOW: i64 = 1_800_000_000_000;
const DAY: &str = "2027-01-15";
const NEXT_DAY: &str = "2027-01-16";
const ACTOR: &str = "cli:tester";
const FROM: &str = "cli";

/// (merchant, channel account, app, bank fee bps, our fee plan)
const ACCOUNTS: [(&str, &str, &str, i64, Option<FeePlan>); 4] = [
    (
        "mch_1",
        "cha_1",
        "app_1",
        10,
        Some(FeePlan {
            rate_bps: 60,
            min_fen: Some(5),
            max_fen: None,
            refund: RefundFeePolicy::Kept,
        }),
    ),
    (
        "mch_1",
        "cha_2",
        "app_2",
        0,
        Some(FeePlan {
            rate_bps: 30,
            min_fen: None,
            max_fen: Some(50),
            refund: RefundFeePolicy::Proportional,
        }),
    ),
    ("mch_2", "cha_3", "app_3", 5, None),
    ("mch_3", "cha_4", "app_4", 0, None),
];

async fn seed(store: &Store) {
    for merchant in ["mch_1", "mch_2", "mch_3"] {
        store
            .insert_merchant(&Merchant {
                id: merchant.into(),
                name: format!("merchant {merchant}"),
                created_at: NOW,
            })
            .await
            .unwrap();
    }
    for (i, (merchant, account, app, bank_fee_bps, plan)) in ACCOUNTS.iter().enumerate() {
        store
            .insert_channel_account(&ChannelAccount {
                id: (*account).into(),
                merchant_id: (*merchant).into(),
                channel: "abc".into(),
                bank_merchant_id: format!("10388123456001{i}"),
                private_key_pem: "k".into(),
                bank_certificate_pem: "c".into(),
                signature_algorithm: "SHA1withRSA".into(),
                trx_url: "http://127.0.0.1:1/".into(),
                payment_types: "A".into(),
                notify_type: "server".into(),
                cutover_hour: 23,
                bank_fee_bps: *bank_fee_bps,
                created_at: NOW,
            })
            .await
            .unwrap();
        store
            .insert_app(&App {
                id: (*app).into(),
                merchant_id: (*merchant).into(),
                name: (*app).into(),
                secret: "s".into(),
                notify_url: None,
                channel_account_id: Some((*account).into()),
                status: "active".into(),
                created_at: NOW,
            })
            .await
            .unwrap();
        if let Some(plan) = plan {
            store
                .set_fee_plan(merchant, account, plan, NOW)
                .await
                .unwrap();
        }
    }
    for (id, app, amount, date) in PAYMENTS {
        match date {
            Some(date) => pay(store, id, app, amount, date).await,
            None => create(store, id, app, amount).await,
        };
    }
}

/// (payment id, app, amount, accounting date when paid). mch_1: three payments on DAY through
/// cha_1 (one held to the minimum fee), two through cha_2 (one held to the maximum); one on
/// the next day and one never paid, which DAY must not count. mch_2: one payment on DAY.
/// mch_3: only the next day, so no batch for DAY.
const PAYMENTS: [(&str, &str, i64, Option<&str>); 9] = [
    ("pay_1", "app_1", 1234, Some(DAY)),
    ("pay_2", "app_1", 1250, Some(DAY)),
    ("pay_3", "app_1", 100, Some(DAY)),
    ("pay_4", "app_2", 20_000, Some(DAY)),
    ("pay_5", "app_2", 999, Some(DAY)),
    ("pay_6", "app_3", 3333, Some(DAY)),
    ("pay_7", "app_1", 5000, Some(NEXT_DAY)),
    ("pay_8", "app_4", 4444, Some(NEXT_DAY)),
    ("pay_9", "app_1", 777, None),
];

/// Creates a payment with the fees its route's plan fixes, as the API does.
async fn create(store: &Store, id: &str, app_id: &str, amount: i64) -> Payment {
    let app = store.get_app(app_id).await.unwrap().unwrap();
    let route = store.channel_route_for_app(&app).await.unwrap().unwrap();
    let (fee, bank_fee) = route.fees_for(amount);
    let new = NewPayment {
        bank_choice: unipay_store::payments::BankChoice::Fixed,
        id: id.into(),
        app_id: app.id.clone(),
        merchant_id: app.merchant_id.clone(),
        channel_account_id: route.channel_account_id.clone(),
        channel: "abc".into(),
        out_trade_no: unipay_core::ids::random_token(12),
        order_no: unipay_core::ids::new_body(NOW),
        amount,
        currency: "CNY".into(),
        subject: "tuition".into(),
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
    match store
        .create_payment(&new, None, None, &render)
        .await
        .unwrap()
    {
        Idempotent::Fresh(CreatePayment::Created(p)) => p,
        other => panic!("unexpected {other:?}"),
    }
}

async fn pay(store: &Store, id: &str, app_id: &str, amount: i64, accounting_date: &str) -> Payment {
    let p = create(store, id, app_id, amount).await;
    let bank = BankPaid {
        amount: Amount::from_fen(amount).unwrap(),
        channel_trade_no: unipay_core::ids::random_token(10),
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
    store
        .apply_payment_change(&change, &render)
        .await
        .unwrap()
        .into_payment()
        .unwrap()
}

/// The successful payments of `date` for a merchant, as the payments table has them.
async fn paid_on(store: &Store, merchant_id: &str, date: &str) -> Vec<Payment> {
    let mut out = Vec::new();
    for (id, _, _, _) in PAYMENTS {
        let p = store.get_payment(id).await.unwrap().unwrap();
        if p.merchant_id == merchant_id
            && p.accounting_date.as_deref() == Some(date)
            && p.status == PaymentStatus::Succeeded
        {
            out.push(p);
        }
    }
    out
}

async fn settle(store: &Store, allow_open: bool) -> SettleRun {
    store
        .settle_day(DAY, ACTOR, FROM, allow_open, NOW + 10_000)
        .await
        .unwrap()
}

fn only<'a>(batches: &'a [SettlementBatch], merchant_id: &str) -> &'a SettlementBatch {
    let found: Vec<_> = batches
        .iter()
        .filter(|b| b.merchant_id == merchant_id)
        .collect();
    assert_eq!(found.len(), 1, "{batches:?}");
    found[0]
}

async fn balance(store: &Store, account: &str) -> i64 {
    store
        .ledger_balances(Some(account), Some(DAY))
        .await
        .unwrap()
        .iter()
        .filter(|b| b.account == account)
        .map(|b| b.balance)
        .sum()
}

async fn audit_actions(store: &Store, target: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = store
        .list_audit(&AuditFilter {
            target: Some(target),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            assert_eq!(r.actor, ACTOR);
            assert_eq!(r.from_address, FROM);
            (r.action, r.outcome)
        })
        .collect();
    rows.reverse();
    rows
}

fn changed(change: BatchChange) -> (SettlementBatch, Option<String>) {
    match change {
        BatchChange::Changed { batch, entry_id } => (batch, entry_id),
        other => panic!("expected a change, got {other:?}"),
    }
}
