//! One conformance suite for both backends: every test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use unipay_core::Amount;
use unipay_core::channel::BankPaid;
use unipay_core::event::EventSource;
use unipay_core::ledger::{EntryReason, recon_adjustment};
use unipay_core::payment::{PaymentEvent, PaymentStatus};
use unipay_store::idempotency::IdempotencyRequest;
use unipay_store::merchants::{App, ChannelAccount, Merchant};
use unipay_store::nonces::NonceUse;
use unipay_store::outbox::{AttemptResult, NextStep};
use unipay_store::payments::{
    ApplyOutcome, CreatePayment, Idempotent, NewPayment, Payment, PaymentChange,
};
use unipay_store::testing::{TestBackend, TestDatabase};
use unipay_store::{Store, messages::InboundMessage, messages::Seen};

mod created;
mod delivery;
mod moves;
mod payments;
mod pool;
mod tallies;

use created::*;
use delivery::*;
use moves::*;
use payments::*;

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
    create_is_unique_per_app_and_out_trade_no,
    idempotency_replays_and_refuses_other_bodies,
    success_is_applied_once_with_one_notification,
    late_success_after_close_is_an_anomaly,
    claims_lease_work_to_one_worker,
    concurrent_successes_write_one_event,
    bank_messages_are_deduplicated,
    notification_attempts_move_events_along,
    nonces_are_single_use,
    a_message_and_its_change_commit_together,
    a_held_notification_waits_for_its_lease,
    a_create_spends_its_nonce,
    concurrent_changes_commit_or_fail_alone,
    changes_given_up_in_line_leave_nothing_hanging,
    a_stale_copy_of_the_row_never_wins,
    the_ledger_is_append_only_and_balanced,
    a_day_loads_into_the_reconciliation_table,
    a_payment_moved_at_once_writes_what_a_transaction_writes,
    racing_changes_from_one_copy_move_a_payment_once,
    a_payment_created_at_once_writes_what_a_transaction_writes,
    a_repeated_create_answers_the_first_and_keeps_its_nonce,
    racing_creates_of_one_order_make_one_payment,
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

async fn seed(store: &Store) {
    store
        .insert_merchant(&Merchant {
            id: "mch_1".into(),
            name: "Tuition".into(),
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
    store
        .insert_app(&App {
            id: "app_1".into(),
            merchant_id: "mch_1".into(),
            name: "tuition".into(),
            secret: "s".into(),
            notify_url: Some("http://127.0.0.1:1/notify".into()),
            channel_account_id: None,
            status: "active".into(),
            created_at: NOW,
        })
        .await
        .unwrap();
}

fn new_payment(out_trade_no: &str) -> NewPayment {
    NewPayment {
        bank_choice: unipay_store::payments::BankChoice::Fixed,
        id: unipay_core::ids::new_id("pay", NOW),
        app_id: "app_1".into(),
        merchant_id: "mch_1".into(),
        channel_account_id: "cha_1".into(),
        channel: "abc".into(),
        out_trade_no: out_trade_no.into(),
        order_no: unipay_core::ids::new_body(NOW),
        amount: 1234,
        currency: "CNY".into(),
        subject: "tuition 2026".into(),
        return_url: None,
        notify_url: Some("http://127.0.0.1:1/notify".into()),
        metadata: Some(r#"{"student":"42"}"#.into()),
        expires_at: NOW + 1_800_000,
        created_at: NOW,
        fee: 7,
        bank_fee: 3,
        capture: unipay_core::payment::CaptureMode::Immediate,
    }
}

fn render_response(outcome: &CreatePayment) -> (u16, String) {
    match outcome {
        CreatePayment::Created(p) => (201, format!("{{\"id\":\"{}\"}}", p.id)),
        CreatePayment::Duplicate(p) => (409, format!("{{\"existing\":\"{}\"}}", p.id)),
    }
}

fn render_event(p: &Payment, id: &str, kind: &str, at: i64) -> String {
    format!(
        "{{\"id\":\"{id}\",\"type\":\"{kind}\",\"at\":{at},\"payment\":\"{}\"}}",
        p.id
    )
}

async fn create(store: &Store, out_trade_no: &str) -> Payment {
    match store
        .create_payment(&new_payment(out_trade_no), None, None, &render_response)
        .await
        .unwrap()
    {
        Idempotent::Fresh(CreatePayment::Created(p)) => p,
        other => panic!("unexpected {other:?}"),
    }
}

fn paid() -> BankPaid {
    BankPaid {
        amount: Amount::from_fen(1234).unwrap(),
        channel_trade_no: "SIM0001".into(),
        paid_at_ms: NOW + 5_000,
        accounting_date: "2027-01-15".into(),
    }
}

fn change<'a>(
    id: &'a str,
    event: PaymentEvent,
    paid: Option<&'a BankPaid>,
    now_ms: i64,
) -> PaymentChange<'a> {
    PaymentChange {
        payment_id: id,
        event,
        source: EventSource::ServerNotification,
        paid,
        payment_type: None,
        next_query_at: Some(now_ms + 60_000),
        detail: "",
        raw_sha256: None,
        message: None,
        delivery_lease_ms: 0,
        known: None,
        now_ms,
    }
}
