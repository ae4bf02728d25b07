//! Refunds, refund batches, pre-authorization and the transaction flow, on both backends:
//! every test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashSet};
use std::time::Instant;
use unipay_core::Amount;
use unipay_core::channel::BankPaid;
use unipay_core::event::EventSource;
use unipay_core::fees::{FeePlan, RefundFeePolicy};
use unipay_core::ledger::EntryReason;
use unipay_core::payment::{CaptureMode, PaymentEvent, PaymentStatus};
use unipay_core::refund::{RefundEvent, RefundRefusal, RefundStatus};
use unipay_core::statement::TxnKind;
use unipay_store::bulk::{BenchOwner, BenchPayment};
use unipay_store::idempotency::IdempotencyRequest;
use unipay_store::merchants::{App, ChannelAccount, Merchant};
use unipay_store::messages::InboundMessage;
use unipay_store::nonces::NonceUse;
use unipay_store::payments::{
    ApplyOutcome, CreatePayment, Idempotent, NewPayment, Payment, PaymentChange,
};
use unipay_store::refunds::batch::{
    BatchAcceptance, BatchLineOutcome, BatchRefusal, BatchRejection, BatchResults,
    CreateRefundBatch, LineProblem, NewBatchLine, NewRefundBatch, RefundBatchStatus,
};
use unipay_store::refunds::transactions::{Cursor, TransactionKind, TransactionQuery};
use unipay_store::refunds::{
    CreateRefund, NewRefund, PaymentRef, Refund, RefundChange, RefundOutcome,
};
use unipay_store::testing::TestBackend;
use unipay_store::{Store, testing::TestDatabase};

mod at_once;
mod batches;
mod flow;
mod lifecycle;
mod preauth;
mod single;

use at_once::*;
use batches::*;
use flow::*;
use lifecycle::*;
use preauth::*;
use single::*;

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
    full_partial_and_several_partial_refunds_up_to_the_paid_amount,
    every_refusal_changes_nothing,
    a_duplicate_out_refund_no_reports_the_first_refund,
    racing_duplicates_reserve_once,
    a_nonce_is_spent_with_every_committed_answer,
    a_created_refund_comes_with_its_payment,
    idempotency_keys_and_nonces_work_as_for_payments,
    racing_refunds_never_refund_more_than_was_paid,
    an_unknown_answer_stays_pending_until_a_later_change,
    a_failure_releases_the_reservation,
    a_success_posts_one_refund_entry_and_the_books_hold,
    notifications_are_written_once,
    a_refund_moved_at_once_writes_what_a_transaction_writes,
    a_refund_created_at_once_writes_what_a_transaction_writes,
    a_refund_that_cannot_be_made_at_once_gets_the_transactions_answer,
    racing_refunds_at_once_reserve_what_fits_once,
    racing_changes_from_one_copy_move_a_refund_once,
    a_batch_with_bad_lines_is_rejected_whole_and_writes_nothing,
    a_valid_batch_makes_one_pending_refund_per_line,
    batch_results_give_exact_totals,
    a_batch_the_bank_refuses_fails_every_line,
    ten_thousand_lines_are_written_quickly,
    a_preauth_is_authorized_then_captured_in_part,
    a_captured_preauth_cannot_be_cancelled,
    an_authorized_preauth_can_be_cancelled,
    a_captured_preauth_refunds_up_to_the_captured_amount,
    transactions_page_without_skips_or_repeats_under_inserts,
    refunds_reach_reconciliation_and_settlement,
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
const NOTIFY: &str = "http://127.0.0.1:1/notify";

async fn seed(store: &Store) {
    store
        .insert_merchant(&Merchant {
            id: "mch_1".into(),
            name: "Tuition".into(),
            created_at: NOW,
        })
        .await
        .unwrap();
    for id in ["cha_1", "cha_2"] {
        store
            .insert_channel_account(&ChannelAccount {
                id: id.into(),
                merchant_id: "mch_1".into(),
                channel: "abc".into(),
                bank_merchant_id: format!("10388123456001{}", &id[4..]),
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
    }
    for id in ["app_1", "app_2"] {
        store
            .insert_app(&App {
                id: id.into(),
                merchant_id: "mch_1".into(),
                name: id.into(),
                secret: "s".into(),
                notify_url: Some(NOTIFY.into()),
                channel_account_id: None,
                status: "active".into(),
                created_at: NOW,
            })
            .await
            .unwrap();
    }
    // Refunds give back their share of our fee.
    store
        .set_fee_plan(
            "mch_1",
            "cha_1",
            &FeePlan {
                rate_bps: 60,
                refund: RefundFeePolicy::Proportional,
                ..FeePlan::FREE
            },
            NOW,
        )
        .await
        .unwrap();
}

fn new_payment(out_trade_no: &str, amount: i64, capture: CaptureMode) -> NewPayment {
    NewPayment {
        bank_choice: unipay_store::payments::BankChoice::Fixed,
        id: unipay_core::ids::new_id("pay", NOW),
        app_id: "app_1".into(),
        merchant_id: "mch_1".into(),
        channel_account_id: "cha_1".into(),
        channel: "abc".into(),
        out_trade_no: out_trade_no.into(),
        order_no: unipay_core::ids::new_body(NOW),
        amount,
        currency: "CNY".into(),
        subject: "tuition 2027".into(),
        return_url: None,
        notify_url: Some(NOTIFY.into()),
        metadata: None,
        expires_at: NOW + 1_800_000,
        created_at: NOW,
        fee: unipay_core::fees::rate_half_up(amount, 60),
        bank_fee: unipay_core::fees::rate_half_up(amount, 30),
        capture,
    }
}

fn render_payment_response(outcome: &CreatePayment) -> (u16, String) {
    (201, format!("{outcome:?}"))
}

fn render_payment_event(p: &Payment, id: &str, kind: &str, at: i64) -> String {
    format!(
        r#"{{"id":"{id}","type":"{kind}","at":{at},"payment":"{}"}}"#,
        p.id
    )
}

fn render_refund_event(r: &Refund, id: &str, kind: &str, at: i64) -> String {
    format!(
        r#"{{"id":"{id}","type":"{kind}","at":{at},"refund":"{}","status":"{}"}}"#,
        r.id, r.status
    )
}

fn render_refund_response(outcome: &CreateRefund) -> (u16, String) {
    match outcome {
        CreateRefund::Created(r) => (201, format!(r#"{{"id":"{}"}}"#, r.id)),
        CreateRefund::Duplicate(r) => (409, format!(r#"{{"existing":"{}"}}"#, r.id)),
        CreateRefund::Refused(refusal) => (422, format!(r#"{{"refused":"{refusal}"}}"#)),
    }
}

fn render_batch_response(outcome: &CreateRefundBatch) -> (u16, String) {
    (201, format!("{outcome:?}"))
}

fn bank_paid(amount: i64, serial: &str, accounting_date: &str) -> BankPaid {
    BankPaid {
        amount: Amount::from_fen(amount).unwrap(),
        channel_trade_no: serial.into(),
        paid_at_ms: NOW + 5_000,
        accounting_date: accounting_date.into(),
    }
}

fn payment_change<'a>(
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
        next_query_at: None,
        detail: "",
        raw_sha256: None,
        message: None,
        delivery_lease_ms: 0,
        known: None,
        now_ms,
    }
}

async fn create_payment(store: &Store, new: &NewPayment) -> Payment {
    match store
        .create_payment(new, None, None, &render_payment_response)
        .await
        .unwrap()
    {
        Idempotent::Fresh(CreatePayment::Created(p)) => p,
        other => panic!("unexpected {other:?}"),
    }
}

async fn apply(store: &Store, change: &PaymentChange<'_>) -> ApplyOutcome {
    store
        .apply_payment_change(change, &render_payment_event)
        .await
        .unwrap()
}

/// A payment of `amount` fen the bank took on [`DAY`].
async fn paid_payment(store: &Store, out_trade_no: &str, amount: i64) -> Payment {
    paid(
        store,
        &new_payment(out_trade_no, amount, CaptureMode::Immediate),
    )
    .await
}

/// `new` created, then paid in full by the bank.
async fn paid(store: &Store, new: &NewPayment) -> Payment {
    let p = create_payment(store, new).await;
    let (amount, out_trade_no) = (new.amount, &new.out_trade_no);
    let bank = bank_paid(amount, &format!("SIM-{out_trade_no}"), DAY);
    let outcome = apply(
        store,
        &payment_change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW + 1),
    )
    .await;
    let ApplyOutcome::Changed { payment, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    payment
}

fn refund_of(payment_id: &str, out_refund_no: &str, amount: i64) -> NewRefund {
    NewRefund {
        app_id: "app_1".into(),
        payment: PaymentRef::Id(payment_id.into()),
        out_refund_no: out_refund_no.into(),
        amount,
        reason: Some("returned".into()),
        notify_url: None,
        next_query_at: Some(NOW + 60_000),
        created_at: NOW + 10,
    }
}

async fn try_refund(store: &Store, new: &NewRefund) -> CreateRefund {
    match store
        .create_refund(new, None, None, &render_refund_response)
        .await
        .unwrap()
    {
        Idempotent::Fresh(outcome) => outcome,
        other => panic!("unexpected {other:?}"),
    }
}

/// A refund asked for as the API asks: under a nonce of its own (`nonce`).
async fn try_refund_with_nonce(store: &Store, new: &NewRefund, nonce: &str) -> CreateRefund {
    let nonce = NonceUse {
        app_id: "app_1".into(),
        nonce: nonce.into(),
        expires_at_ms: NOW + 300_000,
    };
    match store
        .create_refund(new, Some(&nonce), None, &render_refund_response)
        .await
        .unwrap()
    {
        Idempotent::Fresh(outcome) => outcome,
        other => panic!("unexpected {other:?}"),
    }
}

async fn refund(store: &Store, new: &NewRefund) -> Refund {
    match try_refund(store, new).await {
        CreateRefund::Created(r) => r,
        other => panic!("unexpected {other:?}"),
    }
}

fn refund_change<'a>(id: &'a str, event: RefundEvent, now_ms: i64) -> RefundChange<'a> {
    RefundChange {
        refund_id: id,
        event,
        source: EventSource::Query,
        channel_refund_no: Some("SIM-R-1"),
        accounting_date: Some(DAY),
        next_query_at: None,
        detail: "",
        message: None,
        delivery_lease_ms: 0,
        known: None,
        now_ms,
    }
}

async fn change_refund(store: &Store, change: &RefundChange<'_>) -> RefundOutcome {
    store
        .apply_refund_change(change, &render_refund_event)
        .await
        .unwrap()
}

async fn succeed(store: &Store, refund_id: &str) -> Refund {
    let outcome = change_refund(
        store,
        &refund_change(refund_id, RefundEvent::BankSucceeded, NOW + 100),
    )
    .await;
    let RefundOutcome::Changed { refund, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(refund.status, RefundStatus::Succeeded);
    refund
}

async fn payment(store: &Store, id: &str) -> Payment {
    store.get_payment(id).await.unwrap().unwrap()
}

/// Everything a refusal must leave as it was: the payment row, its refunds, timeline, outbox
/// and entries.
async fn snapshot(store: &Store, payment_id: &str) -> (Payment, usize, usize, usize, usize) {
    (
        payment(store, payment_id).await,
        store
            .list_refunds_for_payment(payment_id)
            .await
            .unwrap()
            .len(),
        store.list_payment_events(payment_id).await.unwrap().len(),
        store
            .list_events_for_payment(payment_id)
            .await
            .unwrap()
            .len(),
        store.check_ledger().await.unwrap().entries as usize,
    )
}
