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
    idempotency_keys_and_nonces_work_as_for_payments,
    racing_refunds_never_refund_more_than_was_paid,
    an_unknown_answer_stays_pending_until_a_later_change,
    a_failure_releases_the_reservation,
    a_success_posts_one_refund_entry_and_the_books_hold,
    notifications_are_written_once,
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
    let p = create_payment(
        store,
        &new_payment(out_trade_no, amount, CaptureMode::Immediate),
    )
    .await;
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

/// Proves a full refund, a partial one, and several partials exactly up to the paid amount,
/// with the payment staying `succeeded` and its refunded sum exact.
async fn full_partial_and_several_partial_refunds_up_to_the_paid_amount(store: Store) {
    let full = paid_payment(&store, "FULL", 10_000).await;
    let r = refund(&store, &refund_of(&full.id, "R-FULL", 10_000)).await;
    assert_eq!(r.status, RefundStatus::Pending);
    assert_eq!(
        r.fee_returned, 60,
        "the whole fee goes back on a full refund"
    );
    assert_eq!(r.refund_no.len(), 22);
    assert_eq!(payment(&store, &full.id).await.refund_reserved, 10_000);
    succeed(&store, &r.id).await;
    let after = payment(&store, &full.id).await;
    assert_eq!(after.status, PaymentStatus::Succeeded);
    assert_eq!((after.refunded_amount, after.refund_reserved), (10_000, 0));
    assert_eq!(
        try_refund(&store, &refund_of(&full.id, "R-FULL-2", 1)).await,
        CreateRefund::Refused(RefundRefusal::ExceedsRefundable {
            requested: 1,
            remaining: 0
        })
    );

    let partial = paid_payment(&store, "PART", 10_000).await;
    let r = refund(&store, &refund_of(&partial.id, "R-PART", 2_500)).await;
    assert_eq!(r.fee_returned, 15);
    succeed(&store, &r.id).await;
    assert_eq!(payment(&store, &partial.id).await.refunded_amount, 2_500);

    let several = paid_payment(&store, "SEVERAL", 1_000).await;
    let mut returned = 0;
    for (n, amount) in [333, 333, 334].into_iter().enumerate() {
        let r = refund(&store, &refund_of(&several.id, &format!("R-S-{n}"), amount)).await;
        returned += r.fee_returned;
        succeed(&store, &r.id).await;
    }
    assert_eq!(returned, several.fee, "the parts return exactly the fee");
    let after = payment(&store, &several.id).await;
    assert_eq!(after.refunded_amount, 1_000);
    assert_eq!(after.status, PaymentStatus::Succeeded);
    assert!(matches!(
        try_refund(&store, &refund_of(&several.id, "R-S-X", 1)).await,
        CreateRefund::Refused(RefundRefusal::ExceedsRefundable { .. })
    ));
    // Lookups by id, by the app's number, by the bank's number and by payment.
    let by_id = store.get_refund(&r.id).await.unwrap().unwrap();
    assert_eq!(by_id.status, RefundStatus::Succeeded);
    assert_eq!(
        store
            .get_refund_by_out_refund_no("app_1", "R-PART")
            .await
            .unwrap()
            .unwrap()
            .id,
        r.id
    );
    assert_eq!(
        store
            .get_refund_by_refund_no("cha_1", &r.refund_no)
            .await
            .unwrap()
            .unwrap()
            .id,
        r.id
    );
    assert_eq!(
        store
            .list_refunds_for_payment(&several.id)
            .await
            .unwrap()
            .len(),
        3
    );
    let check = store.check_ledger().await.unwrap();
    assert!(check.holds(), "{check:?}");
}

/// Proves each rule refuses with its own reason and changes nothing.
async fn every_refusal_changes_nothing(store: Store) {
    let created = create_payment(
        &store,
        &new_payment("UNPAID", 1_000, CaptureMode::Immediate),
    )
    .await;
    let failed = create_payment(
        &store,
        &new_payment("FAILED", 1_000, CaptureMode::Immediate),
    )
    .await;
    apply(
        &store,
        &payment_change(&failed.id, PaymentEvent::BankFailed, None, NOW + 1),
    )
    .await;
    let closed = create_payment(
        &store,
        &new_payment("CLOSED", 1_000, CaptureMode::Immediate),
    )
    .await;
    apply(
        &store,
        &payment_change(
            &closed.id,
            PaymentEvent::ConfirmedUnpaidClose,
            None,
            NOW + 1,
        ),
    )
    .await;
    let authorized = create_payment(&store, &new_payment("AUTH", 1_000, CaptureMode::Manual)).await;
    let bank = bank_paid(1_000, "SIM-AUTH", DAY);
    apply(
        &store,
        &payment_change(
            &authorized.id,
            PaymentEvent::BankSucceeded,
            Some(&bank),
            NOW + 1,
        ),
    )
    .await;
    let paid = paid_payment(&store, "PAID", 1_000).await;
    refund(&store, &refund_of(&paid.id, "R-HELD", 400)).await;
    let cases = [
        (
            &created.id,
            1,
            RefundRefusal::NotPaid {
                status: PaymentStatus::Created,
            },
        ),
        (
            &failed.id,
            1,
            RefundRefusal::NotPaid {
                status: PaymentStatus::Failed,
            },
        ),
        (
            &closed.id,
            1,
            RefundRefusal::NotPaid {
                status: PaymentStatus::Closed,
            },
        ),
        (&authorized.id, 1, RefundRefusal::NotCaptured),
        (&paid.id, 0, RefundRefusal::AmountNotPositive),
        (&paid.id, -1, RefundRefusal::AmountNotPositive),
        (
            &paid.id,
            601,
            RefundRefusal::ExceedsRefundable {
                requested: 601,
                remaining: 600,
            },
        ),
    ];
    for (n, (payment_id, amount, refusal)) in cases.into_iter().enumerate() {
        let before = snapshot(&store, payment_id).await;
        let outcome =
            try_refund(&store, &refund_of(payment_id, &format!("R-NO-{n}"), amount)).await;
        assert_eq!(outcome, CreateRefund::Refused(refusal));
        assert_eq!(snapshot(&store, payment_id).await, before);
        assert!(
            store
                .get_refund_by_out_refund_no("app_1", &format!("R-NO-{n}"))
                .await
                .unwrap()
                .is_none()
        );
    }
    // Another app's payment, and no payment at all, are the same: not found.
    let other_app = NewRefund {
        app_id: "app_2".into(),
        ..refund_of(&paid.id, "R-OTHER", 1)
    };
    assert_eq!(
        try_refund(&store, &other_app).await,
        CreateRefund::Refused(RefundRefusal::PaymentNotFound)
    );
    assert_eq!(
        try_refund(&store, &refund_of("pay_missing", "R-MISSING", 1)).await,
        CreateRefund::Refused(RefundRefusal::PaymentNotFound)
    );
    // By out_trade_no, the rest still fits exactly.
    let by_no = NewRefund {
        payment: PaymentRef::OutTradeNo("PAID".into()),
        ..refund_of("", "R-BY-NO", 600)
    };
    assert!(matches!(
        try_refund(&store, &by_no).await,
        CreateRefund::Created(_)
    ));
    assert_eq!(payment(&store, &paid.id).await.refund_reserved, 1_000);
}

/// Proves a second create with the same out_refund_no reports the first refund, whatever it
/// asks, and reserves nothing more.
async fn a_duplicate_out_refund_no_reports_the_first_refund(store: Store) {
    let p = paid_payment(&store, "DUP", 1_000).await;
    let first = refund(&store, &refund_of(&p.id, "R-DUP", 300)).await;
    let again = try_refund(&store, &refund_of(&p.id, "R-DUP", 500)).await;
    assert_eq!(again, CreateRefund::Duplicate(first.clone()));
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 300);
    // The same number for another payment of the app is the same refund too.
    let other = paid_payment(&store, "DUP-2", 1_000).await;
    assert_eq!(
        try_refund(&store, &refund_of(&other.id, "R-DUP", 100)).await,
        CreateRefund::Duplicate(first)
    );
    assert_eq!(payment(&store, &other.id).await.refund_reserved, 0);
}

/// Proves the idempotency key replays the first answer (a refusal too), refuses another body,
/// and that a spent nonce creates nothing.
async fn idempotency_keys_and_nonces_work_as_for_payments(store: Store) {
    let p = paid_payment(&store, "IDEM", 1_000).await;
    let key = IdempotencyRequest {
        app_id: "app_1".into(),
        key: "rk-1".into(),
        request_hash: "h1".into(),
    };
    let first = store
        .create_refund(
            &refund_of(&p.id, "R-IDEM", 400),
            None,
            Some(&key),
            &render_refund_response,
        )
        .await
        .unwrap();
    let Idempotent::Fresh(CreateRefund::Created(r)) = first else {
        panic!("{first:?}")
    };
    let replay = store
        .create_refund(
            &refund_of(&p.id, "R-IDEM", 400),
            None,
            Some(&key),
            &render_refund_response,
        )
        .await
        .unwrap();
    assert_eq!(
        replay,
        Idempotent::Replay {
            status: 201,
            body: format!(r#"{{"id":"{}"}}"#, r.id)
        }
    );
    let other_body = IdempotencyRequest {
        request_hash: "h2".into(),
        ..key.clone()
    };
    assert_eq!(
        store
            .create_refund(
                &refund_of(&p.id, "R-IDEM-2", 1),
                None,
                Some(&other_body),
                &render_refund_response
            )
            .await
            .unwrap(),
        Idempotent::KeyReused
    );
    // A refusal is an answer: replayed as it was, even once the refund would fit.
    let refused_key = IdempotencyRequest {
        key: "rk-2".into(),
        ..key.clone()
    };
    let too_much = refund_of(&p.id, "R-IDEM-3", 700);
    let refused = store
        .create_refund(&too_much, None, Some(&refused_key), &render_refund_response)
        .await
        .unwrap();
    assert!(matches!(
        refused,
        Idempotent::Fresh(CreateRefund::Refused(
            RefundRefusal::ExceedsRefundable { .. }
        ))
    ));
    let replayed = store
        .create_refund(&too_much, None, Some(&refused_key), &render_refund_response)
        .await
        .unwrap();
    assert!(matches!(replayed, Idempotent::Replay { status: 422, .. }));
    // The nonce is spent with the refund; its replay does nothing.
    let nonce = NonceUse {
        app_id: "app_1".into(),
        nonce: "refund-nonce-01".into(),
        expires_at_ms: NOW + 300_000,
    };
    let with_nonce = store
        .create_refund(
            &refund_of(&p.id, "R-NONCE", 100),
            Some(&nonce),
            None,
            &render_refund_response,
        )
        .await
        .unwrap();
    assert!(matches!(
        with_nonce,
        Idempotent::Fresh(CreateRefund::Created(_))
    ));
    let reused = store
        .create_refund(
            &refund_of(&p.id, "R-NONCE-2", 100),
            Some(&nonce),
            None,
            &render_refund_response,
        )
        .await
        .unwrap();
    assert_eq!(reused, Idempotent::NonceReused);
    assert!(
        store
            .get_refund_by_out_refund_no("app_1", "R-NONCE-2")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 500);
}

/// Proves many concurrent refunds for the same remaining amount: exactly those that fit win,
/// the others are refused, and the payment is never over-reserved.
async fn racing_refunds_never_refund_more_than_was_paid(store: Store) {
    let p = paid_payment(&store, "RACE", 1_000).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        let id = p.id.clone();
        tasks.push(tokio::spawn(async move {
            // 300 fen each: three fit in 1,000, the fourth would not.
            try_refund(&store, &refund_of(&id, &format!("R-RACE-{i}"), 300)).await
        }));
    }
    let (mut won, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            CreateRefund::Created(_) => won += 1,
            CreateRefund::Refused(RefundRefusal::ExceedsRefundable { requested: 300, .. }) => {
                refused += 1
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((won, refused), (3, 21));
    let after = payment(&store, &p.id).await;
    assert_eq!(after.refund_reserved, 900);
    // The winners succeed while the last 100 fen are raced for: one of those wins too.
    let refunds = store.list_refunds_for_payment(&p.id).await.unwrap();
    assert_eq!(refunds.len(), 3);
    let mut tasks = Vec::new();
    for r in &refunds {
        let store = store.clone();
        let id = r.id.clone();
        tasks.push(tokio::spawn(async move {
            succeed(&store, &id).await.status == RefundStatus::Succeeded
        }));
    }
    for i in 0..8 {
        let store = store.clone();
        let id = p.id.clone();
        tasks.push(tokio::spawn(async move {
            match try_refund(&store, &refund_of(&id, &format!("R-LAST-{i}"), 100)).await {
                CreateRefund::Created(r) => {
                    succeed(&store, &r.id).await.status == RefundStatus::Succeeded
                }
                CreateRefund::Refused(_) => false,
                other => panic!("unexpected {other:?}"),
            }
        }));
    }
    let mut succeeded = 0;
    for task in tasks {
        if task.await.unwrap() {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 4);
    let after = payment(&store, &p.id).await;
    assert_eq!((after.refunded_amount, after.refund_reserved), (1_000, 0));
    assert!(store.check_ledger().await.unwrap().holds());
}

/// Proves a refund whose answer is unknown stays pending and due for the janitor, and that a
/// later success (by query) completes it.
async fn an_unknown_answer_stays_pending_until_a_later_change(store: Store) {
    let p = paid_payment(&store, "UNKNOWN", 1_000).await;
    let r = refund(&store, &refund_of(&p.id, "R-UNKNOWN", 1_000)).await;
    assert_eq!(r.next_query_at, Some(NOW + 60_000));
    let pending = RefundChange {
        next_query_at: Some(NOW + 120_000),
        detail: "EUNKWN",
        ..refund_change(&r.id, RefundEvent::BankPending, NOW + 50)
    };
    let outcome = change_refund(&store, &pending).await;
    let RefundOutcome::Unchanged(still) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(still.status, RefundStatus::Pending);
    assert_eq!(
        (still.next_query_at, still.query_attempts),
        (Some(NOW + 120_000), 1)
    );
    assert!(
        store
            .claim_due_refund_queries(NOW + 119_999, 10, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store
        .claim_due_refund_queries(NOW + 120_000, 10, 30_000)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, r.id);
    // The lease keeps it from another worker.
    assert!(
        store
            .claim_due_refund_queries(NOW + 120_000, 10, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 1_000);
    assert!(store.entries_for(&r.id).await.unwrap().is_empty());
    let known = claimed[0].clone();
    let success = RefundChange {
        known: Some(&known),
        ..refund_change(&r.id, RefundEvent::BankSucceeded, NOW + 200)
    };
    let outcome = change_refund(&store, &success).await;
    let RefundOutcome::Changed { refund, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.next_query_at, None);
    assert_eq!(refund.channel_refund_no.as_deref(), Some("SIM-R-1"));
    assert_eq!(refund.accounting_date.as_deref(), Some(DAY));
    let stored = store.get_refund(&r.id).await.unwrap().unwrap();
    assert_eq!(stored, refund);
    assert!(
        store
            .claim_due_refund_queries(NOW + 999_999, 10, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    let timeline: Vec<String> = store
        .list_payment_events(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(timeline.ends_with(&[
        "refund.created".to_string(),
        "refund.bank_pending".to_string(),
        "refund.succeeded".to_string()
    ]));
}

/// Proves a failed refund releases its reservation (the amount is refundable again), posts
/// nothing and tells the business system; a later success report is not applied.
async fn a_failure_releases_the_reservation(store: Store) {
    let p = paid_payment(&store, "FAIL", 1_000).await;
    let r = refund(&store, &refund_of(&p.id, "R-FAIL", 800)).await;
    assert!(matches!(
        try_refund(&store, &refund_of(&p.id, "R-FAIL-2", 800)).await,
        CreateRefund::Refused(_)
    ));
    let failed = RefundChange {
        detail: "2305 insufficient balance",
        ..refund_change(&r.id, RefundEvent::BankFailed, NOW + 50)
    };
    let outcome = change_refund(&store, &failed).await;
    let RefundOutcome::Changed {
        refund: failed,
        event: Some(event),
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(failed.status, RefundStatus::Failed);
    assert_eq!(
        failed.failure_reason.as_deref(),
        Some("2305 insufficient balance")
    );
    assert_eq!(event.event_type, "refund.failed");
    let after = payment(&store, &p.id).await;
    assert_eq!((after.refunded_amount, after.refund_reserved), (0, 0));
    assert!(store.entries_for(&r.id).await.unwrap().is_empty());
    // The released money can be refunded again.
    let again = refund(&store, &refund_of(&p.id, "R-FAIL-3", 1_000)).await;
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 1_000);
    // The bank contradicting the failure is kept for an operator, not applied.
    let late = change_refund(
        &store,
        &refund_change(&r.id, RefundEvent::BankSucceeded, NOW + 60),
    )
    .await;
    assert!(matches!(late, RefundOutcome::Rejected(_)), "{late:?}");
    let anomalies = store.list_anomalies().await.unwrap();
    assert_eq!(anomalies.len(), 1);
    assert_eq!(anomalies[0].kind, "refund_late_success");
    assert_eq!(payment(&store, &p.id).await.refunded_amount, 0);
    succeed(&store, &again.id).await;
    assert_eq!(payment(&store, &p.id).await.refunded_amount, 1_000);
    assert!(store.check_ledger().await.unwrap().holds());
}

/// Proves a success posts exactly one `refund_succeeded` entry, however often it is reported:
/// the merchant bears the amount less the fee returned, the bank pays the amount.
async fn a_success_posts_one_refund_entry_and_the_books_hold(store: Store) {
    let p = paid_payment(&store, "BOOKS", 10_000).await;
    let r = refund(&store, &refund_of(&p.id, "R-BOOKS", 5_000)).await;
    assert_eq!(r.fee_returned, 30);
    for n in 0..3 {
        let outcome = change_refund(
            &store,
            &refund_change(&r.id, RefundEvent::BankSucceeded, NOW + 100 + n),
        )
        .await;
        assert_eq!(matches!(outcome, RefundOutcome::Changed { .. }), n == 0);
    }
    let entries = store.entries_for(&r.id).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].reason, EntryReason::RefundSucceeded);
    assert_eq!(entries[0].accounting_date, DAY);
    let posted: Vec<(String, i64)> = entries[0]
        .postings
        .iter()
        .map(|p| (p.account.id(), p.amount))
        .collect();
    assert_eq!(
        posted,
        vec![
            ("merchant_payable:mch_1".to_string(), 5_000 - 30),
            ("fee_income:platform".to_string(), 30),
            ("bank_clearing:cha_1".to_string(), -5_000),
        ]
    );
    let merchant = store
        .ledger_balances(Some("merchant_payable:mch_1"), None)
        .await
        .unwrap();
    assert_eq!(merchant[0].balance, -(10_000 - 60) + (5_000 - 30));
    let check = store.check_ledger().await.unwrap();
    assert!(check.holds(), "{check:?}");
}

/// Proves the business system hears of a refund's end once, however many reports and copies
/// of the same message arrive, through the payment's outbox.
async fn notifications_are_written_once(store: Store) {
    let p = paid_payment(&store, "NOTE", 1_000).await;
    let own_url = NewRefund {
        notify_url: Some("http://127.0.0.1:1/refunds".into()),
        ..refund_of(&p.id, "R-NOTE", 1_000)
    };
    let r = refund(&store, &own_url).await;
    let message = InboundMessage {
        channel_account_id: "cha_1",
        sha256: "refund-answer-1",
        payment_id: Some(&p.id),
        order_no: Some(&r.refund_no),
        source: "query",
        verdict: "accepted",
        reason: "",
        raw_masked: "<TrxResponse/>",
        now_ms: NOW + 100,
    };
    let mut written = Vec::new();
    for n in 0..4 {
        let change = RefundChange {
            message: Some(&message),
            delivery_lease_ms: 30_000,
            ..refund_change(&r.id, RefundEvent::BankSucceeded, NOW + 100 + n)
        };
        if let RefundOutcome::Changed {
            event: Some(event), ..
        } = change_refund(&store, &change).await
        {
            written.push(*event);
        }
    }
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].next_attempt_at, Some(NOW + 100 + 30_000));
    let events: Vec<_> = store
        .list_events_for_payment(&p.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type.starts_with("refund."))
        .collect();
    assert_eq!(events, written);
    assert_eq!(events[0].event_type, "refund.succeeded");
    assert_eq!(events[0].url, "http://127.0.0.1:1/refunds");
    assert!(events[0].body.contains(&r.id));
    // The same bytes again add no timeline entry either.
    let timeline = store.list_payment_events(&p.id).await.unwrap();
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e.kind.starts_with("refund."))
            .count(),
        2,
        "{timeline:?}"
    );
    assert_eq!(
        store.list_bank_messages(Some("accepted")).await.unwrap()[0].seen_count,
        4
    );
}

/// Inserts `count` succeeded payments of `amount` fen quickly (no entries: benchmark rows).
async fn bulk_paid(store: &Store, prefix: &str, count: usize, amount: i64) -> Vec<String> {
    let ids: Vec<String> = (0..count).map(|n| format!("pay_{prefix}{n:06}")).collect();
    let order_nos: Vec<String> = (0..count)
        .map(|_| unipay_core::ids::new_body(NOW))
        .collect();
    let payments: Vec<BenchPayment<'_>> = ids
        .iter()
        .zip(&order_nos)
        .map(|(id, order_no)| BenchPayment {
            id,
            order_no,
            amount,
            bank_fee: 0,
            status: "succeeded",
            accounting_date: Some(DAY),
        })
        .collect();
    store
        .insert_payments_for_benchmark(
            &BenchOwner {
                app_id: "app_1",
                merchant_id: "mch_1",
                channel_account_id: "cha_1",
                now_ms: NOW,
            },
            &payments,
        )
        .await
        .unwrap();
    ids
}

fn batch_of(out_batch_no: &str, lines: Vec<NewBatchLine>) -> NewRefundBatch {
    NewRefundBatch {
        app_id: "app_1".into(),
        out_batch_no: out_batch_no.into(),
        channel_account_id: None,
        lines,
        notify_url: Some(NOTIFY.into()),
        next_query_at: Some(NOW + 60_000),
        created_at: NOW + 10,
    }
}

fn line(payment: PaymentRef, out_refund_no: String, amount: i64) -> NewBatchLine {
    NewBatchLine {
        payment,
        out_refund_no,
        amount,
        reason: None,
    }
}

async fn create_batch(store: &Store, new: &NewRefundBatch) -> CreateRefundBatch {
    match store
        .create_refund_batch(new, None, None, &render_batch_response)
        .await
        .unwrap()
    {
        Idempotent::Fresh(outcome) => outcome,
        other => panic!("unexpected {other:?}"),
    }
}

/// Proves a batch of 1,000 lines with 30 bad ones is refused whole, naming exactly the bad
/// lines, and writes no batch, refund, reservation or timeline entry.
async fn a_batch_with_bad_lines_is_rejected_whole_and_writes_nothing(store: Store) {
    let ids = bulk_paid(&store, "bad", 1_000, 1_000).await;
    let other = create_payment(
        &store,
        &NewPayment {
            channel_account_id: "cha_2".into(),
            ..new_payment("OTHER-ACCOUNT", 1_000, CaptureMode::Immediate)
        },
    )
    .await;
    let mut lines: Vec<NewBatchLine> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            // Every other line names its payment by out_trade_no (the bulk rows use the id).
            let payment = if n % 2 == 0 {
                PaymentRef::Id(id.clone())
            } else {
                PaymentRef::OutTradeNo(id.clone())
            };
            line(payment, format!("B-{n}"), 500)
        })
        .collect();
    let mut expected = BTreeSet::new();
    for n in 0..6 {
        let index = n * 150 + 3;
        lines[index].amount = 0;
        expected.insert((index + 1) as i64);
        let index = n * 150 + 7;
        lines[index].payment = PaymentRef::Id(format!("pay_missing{n}"));
        expected.insert((index + 1) as i64);
        let index = n * 150 + 11;
        lines[index].out_refund_no = "B-0".into();
        expected.insert((index + 1) as i64);
        // A second line on the payment of the line before: 500 + 600 is over 1,000.
        let index = n * 150 + 21;
        lines[index].payment = lines[index - 1].payment.clone();
        lines[index].amount = 600;
        expected.insert((index + 1) as i64);
        let index = n * 150 + 31;
        lines[index].payment = PaymentRef::Id(other.id.clone());
        expected.insert((index + 1) as i64);
    }
    assert_eq!(expected.len(), 30, "3% of the lines are bad");
    let outcome = create_batch(&store, &batch_of("BATCH-BAD", lines)).await;
    let CreateRefundBatch::LinesRejected(errors) = outcome else {
        panic!("{outcome:?}")
    };
    let named: BTreeSet<i64> = errors.iter().map(|e| e.line).collect();
    assert_eq!(named, expected);
    assert!(
        errors
            .iter()
            .any(|e| e.problem == LineProblem::Refused(RefundRefusal::AmountNotPositive))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.problem == LineProblem::Refused(RefundRefusal::PaymentNotFound))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.problem == LineProblem::OutRefundNoRepeated { first_line: 1 })
    );
    assert!(errors.iter().any(|e| matches!(
        e.problem,
        LineProblem::Refused(RefundRefusal::ExceedsRefundable {
            requested: 600,
            remaining: 500
        })
    )));
    assert!(errors.iter().any(|e| e.problem
        == LineProblem::OtherChannelAccount {
            channel_account_id: "cha_2".into()
        }));
    assert!(
        store
            .get_refund_batch_by_out_batch_no("app_1", "BATCH-BAD")
            .await
            .unwrap()
            .is_none()
    );
    for id in ids.iter().step_by(97) {
        assert_eq!(payment(&store, id).await.refund_reserved, 0);
        assert!(store.list_refunds_for_payment(id).await.unwrap().is_empty());
        assert!(store.list_payment_events(id).await.unwrap().is_empty());
    }
    let page = store
        .list_transactions(&TransactionQuery {
            app_id: "app_1",
            from_ms: 0,
            to_ms: i64::MAX,
            status: None,
            kind: Some(TransactionKind::Refund),
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(page.rows.is_empty());
    // A batch with no lines, or too many, is refused as a whole.
    assert_eq!(
        create_batch(&store, &batch_of("BATCH-EMPTY", Vec::new())).await,
        CreateRefundBatch::Refused(BatchRefusal::NoLines)
    );
    let too_many = (0..10_001)
        .map(|n| line(PaymentRef::Id(ids[0].clone()), format!("T-{n}"), 1))
        .collect();
    assert_eq!(
        create_batch(&store, &batch_of("BATCH-BIG", too_many)).await,
        CreateRefundBatch::Refused(BatchRefusal::TooManyLines { lines: 10_001 })
    );
}

/// Proves 1,000 good lines make 1,000 pending refunds, their reservations and lines, in one
/// go; and that the same out_batch_no again reports the batch.
async fn a_valid_batch_makes_one_pending_refund_per_line(store: Store) {
    let ids = bulk_paid(&store, "ok", 1_000, 1_000).await;
    let lines = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            line(
                PaymentRef::Id(id.clone()),
                format!("OK-{n}"),
                400 + n as i64 % 7,
            )
        })
        .collect();
    let new = batch_of("BATCH-OK", lines);
    let started = Instant::now();
    let outcome = create_batch(&store, &new).await;
    eprintln!("1,000-line batch written in {:?}", started.elapsed());
    let CreateRefundBatch::Created(batch) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(batch.status, RefundBatchStatus::Created);
    assert_eq!(batch.line_count, 1_000);
    let expected_total: i64 = (0..1_000).map(|n| 400 + n % 7).sum();
    assert_eq!(batch.total_amount, expected_total);
    assert_eq!(batch.channel_account_id, "cha_1");
    assert_eq!(batch.batch_no.len(), 22);
    let (stored, lines) = store
        .get_refund_batch_with_lines(&batch.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, batch);
    assert_eq!(lines.len(), 1_000);
    assert!(lines.iter().all(|l| l.status == RefundStatus::Pending));
    assert_eq!(
        lines.iter().map(|l| l.seq_no).collect::<Vec<_>>(),
        (1..=1_000).collect::<Vec<i64>>()
    );
    for (n, l) in lines.iter().enumerate().step_by(111) {
        assert_eq!(l.payment_id, ids[n]);
        assert_eq!(l.out_refund_no, format!("OK-{n}"));
        let p = payment(&store, &ids[n]).await;
        assert_eq!(p.refund_reserved, 400 + n as i64 % 7);
        assert_eq!(l.order_no, p.order_no);
        let r = store.get_refund(&l.refund_id).await.unwrap().unwrap();
        assert_eq!(r.batch_id.as_deref(), Some(batch.id.as_str()));
        assert_eq!(
            r.next_query_at, None,
            "a batch's refunds are queried with it"
        );
        assert_eq!(r.notify_url.as_deref(), Some(NOTIFY));
    }
    assert!(
        store
            .claim_due_refund_queries(NOW + 1_000_000_000, 10, 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        create_batch(&store, &new).await,
        CreateRefundBatch::Duplicate(batch.clone())
    );
    // A line taking an out_refund_no of the batch is refused in the next batch.
    let again = batch_of(
        "BATCH-OK-2",
        vec![line(PaymentRef::Id(ids[0].clone()), "OK-0".into(), 1)],
    );
    let CreateRefundBatch::LinesRejected(errors) = create_batch(&store, &again).await else {
        panic!("a taken number must be refused")
    };
    assert!(matches!(
        errors[0].problem,
        LineProblem::OutRefundNoTaken { .. }
    ));
    // A line's refund changed on its own (a single query) moves the batch's tallies too.
    succeed(&store, &lines[0].refund_id).await;
    let batch = store.get_refund_batch(&batch.id).await.unwrap().unwrap();
    assert_eq!((batch.succeeded_count, batch.succeeded_amount), (1, 400));
    assert_eq!(batch.status, RefundBatchStatus::Created);
}

/// Proves the bank's acceptance, a due claim, and per-line results (succeeded, failed, still
/// pending, then the rest) give exact tallies, payment sums, entries and notifications.
async fn batch_results_give_exact_totals(store: Store) {
    let ids = bulk_paid(&store, "res", 1_000, 1_000).await;
    let lines = ids
        .iter()
        .enumerate()
        .map(|(n, id)| line(PaymentRef::Id(id.clone()), format!("RES-{n}"), 500))
        .collect();
    let CreateRefundBatch::Created(batch) =
        create_batch(&store, &batch_of("BATCH-RES", lines)).await
    else {
        panic!("not created")
    };
    let accepted = store
        .record_refund_batch_accepted(&BatchAcceptance {
            batch_id: &batch.id,
            serial_number: "SERIAL0001",
            batch_date: "2027-01-15",
            batch_time: "10:00:00",
            next_query_at: NOW + 5_000,
            message: None,
            now_ms: NOW + 20,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.status, RefundBatchStatus::Submitted);
    assert_eq!(accepted.serial_number.as_deref(), Some("SERIAL0001"));
    assert!(
        store
            .claim_due_refund_batches(NOW + 4_999, 10, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store
        .claim_due_refund_batches(NOW + 5_000, 10, 30_000)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .claim_due_refund_batches(NOW + 5_000, 10, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    let lines = store.refund_batch_lines(&batch.id).await.unwrap();
    let serials: Vec<String> = (0..1_000).map(|n| format!("SIM-B-{n}")).collect();
    let outcome = |n: usize, event| BatchLineOutcome {
        refund_no: &lines[n].refund_no,
        event,
        channel_refund_no: Some(&serials[n]),
        accounting_date: Some(DAY),
        detail: if event == RefundEvent::BankFailed {
            "2305"
        } else {
            ""
        },
    };
    // First answer: 900 succeeded, 50 failed, 50 not yet, and a line that is not ours.
    let mut first: Vec<BatchLineOutcome<'_>> = (0..1_000)
        .map(|n| {
            outcome(
                n,
                match n % 20 {
                    0 => RefundEvent::BankFailed,
                    1 => RefundEvent::BankPending,
                    _ => RefundEvent::BankSucceeded,
                },
            )
        })
        .collect();
    first.push(BatchLineOutcome {
        refund_no: "notalineofthisbatch000",
        ..outcome(2, RefundEvent::BankSucceeded)
    });
    let applied = store
        .apply_refund_batch_results(
            &results(&batch.id, &first, NOW + 6_000),
            &render_refund_event,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.changed, 950);
    assert_eq!(applied.events.len(), 950);
    assert_eq!(
        applied.unknown_lines,
        vec!["notalineofthisbatch000".to_string()]
    );
    assert_eq!(applied.batch.status, RefundBatchStatus::Submitted);
    assert_eq!(
        (applied.batch.succeeded_count, applied.batch.failed_count),
        (900, 50)
    );
    assert_eq!(applied.batch.next_query_at, Some(NOW + 66_000));
    // Second answer: everything again, the last 50 now succeeded. Only they move.
    let second: Vec<BatchLineOutcome<'_>> = (0..1_000)
        .map(|n| {
            outcome(
                n,
                if n % 20 == 0 {
                    RefundEvent::BankFailed
                } else {
                    RefundEvent::BankSucceeded
                },
            )
        })
        .collect();
    let applied = store
        .apply_refund_batch_results(
            &results(&batch.id, &second, NOW + 70_000),
            &render_refund_event,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.changed, 50);
    let batch = applied.batch;
    assert_eq!(batch.status, RefundBatchStatus::Finished);
    assert_eq!(
        (batch.succeeded_count, batch.succeeded_amount),
        (950, 950 * 500)
    );
    assert_eq!((batch.failed_count, batch.failed_amount), (50, 50 * 500));
    assert_eq!(batch.next_query_at, None);
    assert!(batch.finished_at.is_some());
    let (mut refunded, mut reserved) = (0, 0);
    for id in &ids {
        let p = payment(&store, id).await;
        refunded += p.refunded_amount;
        reserved += p.refund_reserved;
    }
    assert_eq!((refunded, reserved), (950 * 500, 0));
    let bank = store
        .ledger_balances(Some("bank_clearing:cha_1"), None)
        .await
        .unwrap();
    assert_eq!(bank[0].balance, -950 * 500);
    assert_eq!(bank[0].postings, 950);
    let check = store.check_ledger().await.unwrap();
    assert_eq!(check.total_debits, check.total_credits);
    assert!(check.unbalanced_entries.is_empty());
    let lines = store.refund_batch_lines(&batch.id).await.unwrap();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.status == RefundStatus::Succeeded)
            .count(),
        950
    );
    assert_eq!(lines[0].failure_reason.as_deref(), Some("2305"));
    assert_eq!(lines[2].channel_refund_no.as_deref(), Some("SIM-B-2"));
    let notified: usize = {
        let mut n = 0;
        for id in ids.iter().step_by(10) {
            n += store.list_events_for_payment(id).await.unwrap().len();
        }
        n
    };
    assert_eq!(notified, 100, "one notification per line");
}

fn results<'a>(
    batch_id: &'a str,
    lines: &'a [BatchLineOutcome<'a>],
    now_ms: i64,
) -> BatchResults<'a> {
    BatchResults {
        batch_id,
        lines,
        source: EventSource::Query,
        message: None,
        next_query_at: Some(now_ms + 60_000),
        delivery_lease_ms: 0,
        now_ms,
    }
}

/// Proves a batch the bank refuses as a whole fails every line and releases every
/// reservation, and that an accepted batch cannot be rejected.
async fn a_batch_the_bank_refuses_fails_every_line(store: Store) {
    let ids = bulk_paid(&store, "rej", 3, 1_000).await;
    let lines: Vec<NewBatchLine> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| line(PaymentRef::Id(id.clone()), format!("REJ-{n}"), 1_000))
        .collect();
    let CreateRefundBatch::Created(batch) =
        create_batch(&store, &batch_of("BATCH-REJ", lines.clone())).await
    else {
        panic!("not created")
    };
    let rejection = BatchRejection {
        batch_id: &batch.id,
        reason: "2320 totals do not match",
        source: EventSource::Api,
        message: None,
        delivery_lease_ms: 0,
        now_ms: NOW + 100,
    };
    let applied = store
        .reject_refund_batch(&rejection, &render_refund_event)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.changed, 3);
    assert_eq!(applied.batch.status, RefundBatchStatus::Rejected);
    assert_eq!(
        (applied.batch.failed_count, applied.batch.failed_amount),
        (3, 3_000)
    );
    assert_eq!(
        applied.batch.reason.as_deref(),
        Some("2320 totals do not match")
    );
    for id in &ids {
        assert_eq!(payment(&store, id).await.refund_reserved, 0);
    }
    // Rejecting again changes nothing.
    let again = store
        .reject_refund_batch(&rejection, &render_refund_event)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.changed, 0);
    // An accepted batch stays as it is.
    let relines = lines
        .into_iter()
        .map(|l| NewBatchLine {
            out_refund_no: format!("{}-2", l.out_refund_no),
            ..l
        })
        .collect();
    let CreateRefundBatch::Created(second) =
        create_batch(&store, &batch_of("BATCH-REJ-2", relines)).await
    else {
        panic!("the released money is refundable again")
    };
    store
        .record_refund_batch_accepted(&BatchAcceptance {
            batch_id: &second.id,
            serial_number: "SERIAL0002",
            batch_date: "2027-01-15",
            batch_time: "10:00:00",
            next_query_at: NOW + 5_000,
            message: None,
            now_ms: NOW + 200,
        })
        .await
        .unwrap();
    let refused = store
        .reject_refund_batch(
            &BatchRejection {
                batch_id: &second.id,
                ..rejection
            },
            &render_refund_event,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused.changed, 0);
    assert_eq!(refused.batch.status, RefundBatchStatus::Submitted);
    assert!(
        store
            .reject_refund_batch(
                &BatchRejection {
                    batch_id: "rfb_missing",
                    ..rejection
                },
                &render_refund_event
            )
            .await
            .unwrap()
            .is_none()
    );
}

/// Proves the largest batch the bank takes (10,000 lines) is checked and written quickly.
async fn ten_thousand_lines_are_written_quickly(store: Store) {
    let ids = bulk_paid(&store, "big", 10_000, 1_000).await;
    let lines = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            line(
                PaymentRef::OutTradeNo(id.clone()),
                format!("BIG-{n}"),
                1_000,
            )
        })
        .collect();
    let started = Instant::now();
    let outcome = create_batch(&store, &batch_of("BATCH-BIG", lines)).await;
    let elapsed = started.elapsed();
    eprintln!(
        "{:?}: 10,000-line batch written in {elapsed:?}",
        store.backend()
    );
    let CreateRefundBatch::Created(batch) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(batch.line_count, 10_000);
    assert_eq!(batch.total_amount, 10_000_000);
    // A guard against anything growing faster than the lines, with room for an unoptimised
    // build on a busy machine (a release build on 2 cores: about 0.55 s on SQLite, 2.5 s on
    // PostgreSQL; see the printed time).
    let budget_s = match (store.backend(), cfg!(debug_assertions)) {
        (unipay_store::Backend::Sqlite, false) => 1.0,
        (unipay_store::Backend::Sqlite, true) => 4.0,
        (unipay_store::Backend::Postgres, false) => 10.0,
        (unipay_store::Backend::Postgres, true) => 20.0,
    };
    assert!(elapsed.as_secs_f64() < budget_s, "{elapsed:?}");
    assert_eq!(payment(&store, &ids[9_999]).await.refund_reserved, 1_000);
}

/// A pre-authorization of 1,000 fen authorized by the bank's "paid".
async fn authorized(store: &Store, out_trade_no: &str) -> Payment {
    let p = create_payment(
        store,
        &new_payment(out_trade_no, 1_000, CaptureMode::Manual),
    )
    .await;
    assert_eq!(p.capture, CaptureMode::Manual);
    let bank = bank_paid(1_000, &format!("AUTH-{out_trade_no}"), "2027-01-14");
    let outcome = apply(
        store,
        &payment_change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW + 1),
    )
    .await;
    let ApplyOutcome::Changed {
        payment,
        event: Some(event),
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(event.event_type, "payment.authorized");
    payment
}

fn captured(amount: i64) -> PaymentEvent {
    PaymentEvent::Captured {
        amount: Amount::from_fen(amount).unwrap(),
    }
}

/// Proves authorization moves no money, and a capture of part of it succeeds the payment with
/// the captured amount, its share of the fees, one `capture` entry dated by the capture, and
/// repeats as unchanged.
async fn a_preauth_is_authorized_then_captured_in_part(store: Store) {
    let p = authorized(&store, "PRE-1").await;
    assert!(
        store.entries_for(&p.id).await.unwrap().is_empty(),
        "authorization moves no money"
    );
    // A repeated authorization changes nothing; an immediate payment refuses a capture.
    let bank = bank_paid(1_000, "AUTH-PRE-1", "2027-01-14");
    assert!(matches!(
        apply(
            &store,
            &payment_change(&p.id, PaymentEvent::BankAuthorized, Some(&bank), NOW + 2)
        )
        .await,
        ApplyOutcome::Unchanged(_)
    ));
    let plain = paid_payment(&store, "PLAIN", 1_000).await;
    assert!(matches!(
        apply(
            &store,
            &payment_change(&plain.id, captured(10), None, NOW + 2)
        )
        .await,
        ApplyOutcome::Rejected(_)
    ));
    // More than was authorized is refused.
    assert!(matches!(
        apply(
            &store,
            &payment_change(&p.id, captured(1_001), None, NOW + 3)
        )
        .await,
        ApplyOutcome::Rejected(_)
    ));
    let capture = bank_paid(600, "CAPTURE-1", DAY);
    let outcome = apply(
        &store,
        &payment_change(&p.id, captured(600), Some(&capture), NOW + 10),
    )
    .await;
    let ApplyOutcome::Changed {
        payment,
        event: Some(event),
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    assert_eq!(payment.amount, 1_000, "the authorized amount stays");
    assert_eq!(payment.captured_amount, Some(600));
    assert_eq!(payment.collected_amount(), 600);
    // 0.6% of 1,000 is 6, of which 3.6 → 4 on 600; the bank's 3 → 1.8 → 2.
    assert_eq!((payment.fee, payment.bank_fee), (4, 2));
    assert_eq!(payment.accounting_date.as_deref(), Some(DAY));
    assert_eq!(payment.channel_trade_no.as_deref(), Some("CAPTURE-1"));
    assert_eq!(event.event_type, "payment.succeeded");
    let entries = store.entries_for(&p.id).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].reason, EntryReason::Capture);
    assert_eq!(entries[0].accounting_date, DAY);
    let posted: Vec<(String, i64)> = entries[0]
        .postings
        .iter()
        .map(|p| (p.account.id(), p.amount))
        .collect();
    assert_eq!(
        posted,
        vec![
            ("bank_clearing:cha_1".to_string(), 600 - 2),
            ("bank_fees:cha_1".to_string(), 2),
            ("merchant_payable:mch_1".to_string(), -(600 - 4)),
            ("fee_income:platform".to_string(), -4),
        ]
    );
    // The same capture again is unchanged; another amount is refused; nothing posts twice.
    assert!(matches!(
        apply(
            &store,
            &payment_change(&p.id, captured(600), Some(&capture), NOW + 11)
        )
        .await,
        ApplyOutcome::Unchanged(_)
    ));
    assert!(matches!(
        apply(
            &store,
            &payment_change(&p.id, captured(700), None, NOW + 12)
        )
        .await,
        ApplyOutcome::Rejected(_)
    ));
    assert_eq!(store.entries_for(&p.id).await.unwrap().len(), 1);
    let check = store.check_ledger().await.unwrap();
    assert_eq!(check.total_debits, check.total_credits);
    assert!(check.unbalanced_entries.is_empty());
    let timeline: Vec<(String, Option<String>)> = store
        .list_payment_events(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.to_status))
        .collect();
    assert!(timeline.contains(&(
        "bank_authorized".to_string(),
        Some("authorized".to_string())
    )));
    assert!(timeline.contains(&("captured".to_string(), Some("succeeded".to_string()))));
    // An authorization for a closed payment is a late success for an operator, and posts
    // nothing: no money moved.
    let closed = create_payment(
        &store,
        &new_payment("PRE-CLOSED", 1_000, CaptureMode::Manual),
    )
    .await;
    apply(
        &store,
        &payment_change(
            &closed.id,
            PaymentEvent::ConfirmedUnpaidClose,
            None,
            NOW + 13,
        ),
    )
    .await;
    let late = apply(
        &store,
        &payment_change(
            &closed.id,
            PaymentEvent::BankSucceeded,
            Some(&bank),
            NOW + 14,
        ),
    )
    .await;
    assert!(matches!(late, ApplyOutcome::LateSuccess(_)), "{late:?}");
    assert!(store.entries_for(&closed.id).await.unwrap().is_empty());
    assert_eq!(
        store.list_anomalies().await.unwrap()[0].payment_id,
        closed.id
    );
    // A capture of the whole authorization passes the ledger's own check too.
    let whole = authorized(&store, "PRE-2").await;
    apply(
        &store,
        &payment_change(&whole.id, captured(1_000), None, NOW + 20),
    )
    .await;
    let check = store.check_ledger().await.unwrap();
    assert!(
        !check.payment_problems.iter().any(|(id, _)| *id == whole.id),
        "{check:?}"
    );
}

/// Proves a cancel after a capture is refused and changes nothing, however it races.
async fn a_captured_preauth_cannot_be_cancelled(store: Store) {
    let p = authorized(&store, "PRE-CAP").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let id = p.id.clone();
        let known = p.clone();
        tasks.push(tokio::spawn(async move {
            let event = if i % 2 == 0 {
                captured(1_000)
            } else {
                PaymentEvent::CancelConfirmed
            };
            let change = PaymentChange {
                known: Some(&known),
                ..payment_change(&id, event, None, NOW + 10 + i)
            };
            apply(&store, &change).await
        }));
    }
    let mut moved = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), ApplyOutcome::Changed { .. }) {
            moved += 1;
        }
    }
    assert_eq!(moved, 1, "capture and cancel race: exactly one wins");
    let after = payment(&store, &p.id).await;
    let cancel = apply(
        &store,
        &payment_change(&p.id, PaymentEvent::CancelConfirmed, None, NOW + 100),
    )
    .await;
    if after.status == PaymentStatus::Succeeded {
        assert!(matches!(cancel, ApplyOutcome::Rejected(_)), "{cancel:?}");
        assert_eq!(store.entries_for(&p.id).await.unwrap().len(), 1);
    } else {
        assert_eq!(after.status, PaymentStatus::Cancelled);
        assert!(matches!(cancel, ApplyOutcome::Unchanged(_)));
        assert!(store.entries_for(&p.id).await.unwrap().is_empty());
    }
    assert_eq!(payment(&store, &p.id).await.status, after.status);
    // Deterministically: capture, then cancel.
    let q = authorized(&store, "PRE-CAP-2").await;
    apply(
        &store,
        &payment_change(&q.id, captured(500), None, NOW + 10),
    )
    .await;
    let cancel = apply(
        &store,
        &payment_change(&q.id, PaymentEvent::CancelConfirmed, None, NOW + 11),
    )
    .await;
    assert!(matches!(cancel, ApplyOutcome::Rejected(_)));
    assert_eq!(
        payment(&store, &q.id).await.status,
        PaymentStatus::Succeeded
    );
    assert_eq!(
        store
            .list_events_for_payment(&q.id)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event_type == "payment.cancelled")
            .count(),
        0
    );
}

/// Proves an authorized pre-authorization is cancelled once (a repeat is unchanged), with its
/// notification and no entry, and that it can then be neither captured nor refunded.
async fn an_authorized_preauth_can_be_cancelled(store: Store) {
    let p = authorized(&store, "PRE-CANCEL").await;
    let outcome = apply(
        &store,
        &payment_change(&p.id, PaymentEvent::CancelConfirmed, None, NOW + 10),
    )
    .await;
    let ApplyOutcome::Changed {
        payment,
        event: Some(event),
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Cancelled);
    assert_eq!(event.event_type, "payment.cancelled");
    assert!(matches!(
        apply(
            &store,
            &payment_change(&p.id, PaymentEvent::CancelConfirmed, None, NOW + 11)
        )
        .await,
        ApplyOutcome::Unchanged(_)
    ));
    assert!(matches!(
        apply(
            &store,
            &payment_change(&p.id, captured(100), None, NOW + 12)
        )
        .await,
        ApplyOutcome::Rejected(_)
    ));
    assert!(store.entries_for(&p.id).await.unwrap().is_empty());
    assert_eq!(
        try_refund(&store, &refund_of(&p.id, "R-CANCELLED", 1)).await,
        CreateRefund::Refused(RefundRefusal::NotPaid {
            status: PaymentStatus::Cancelled
        })
    );
    assert_eq!(
        store
            .list_events_for_payment(&p.id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        vec!["payment.authorized", "payment.cancelled"]
    );
}

/// Proves a captured pre-authorization refunds up to the captured amount (not the authorized
/// one), returning its share of the captured fee.
async fn a_captured_preauth_refunds_up_to_the_captured_amount(store: Store) {
    let p = authorized(&store, "PRE-REFUND").await;
    assert_eq!(
        try_refund(&store, &refund_of(&p.id, "R-PRE-0", 1)).await,
        CreateRefund::Refused(RefundRefusal::NotCaptured)
    );
    apply(
        &store,
        &payment_change(&p.id, captured(600), None, NOW + 10),
    )
    .await;
    let first = refund(&store, &refund_of(&p.id, "R-PRE-1", 400)).await;
    assert_eq!(
        try_refund(&store, &refund_of(&p.id, "R-PRE-2", 201)).await,
        CreateRefund::Refused(RefundRefusal::ExceedsRefundable {
            requested: 201,
            remaining: 200
        })
    );
    let second = refund(&store, &refund_of(&p.id, "R-PRE-3", 200)).await;
    assert_eq!(
        first.fee_returned + second.fee_returned,
        4,
        "the captured fee"
    );
    succeed(&store, &first.id).await;
    succeed(&store, &second.id).await;
    let after = payment(&store, &p.id).await;
    assert_eq!((after.refunded_amount, after.refund_reserved), (600, 0));
    assert_eq!(after.status, PaymentStatus::Succeeded);
    let merchant = store
        .ledger_balances(Some("merchant_payable:mch_1"), None)
        .await
        .unwrap();
    assert_eq!(
        merchant[0].balance, 0,
        "all collected, all refunded, fee returned"
    );
}

/// Proves paging the transaction flow by cursor while rows are inserted concurrently skips
/// and repeats none of the rows that existed when the first page was read.
async fn transactions_page_without_skips_or_repeats_under_inserts(store: Store) {
    let mut existing = HashSet::new();
    for n in 0..25 {
        let p = paid_payment(&store, &format!("FLOW-{n}"), 1_000).await;
        existing.insert(p.id.clone());
        if n % 3 == 0 {
            let r = refund(&store, &refund_of(&p.id, &format!("R-FLOW-{n}"), 100)).await;
            existing.insert(r.id);
        }
    }
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut made = Vec::new();
            for n in 0..30 {
                let p = create_payment(
                    &store,
                    &new_payment(&format!("LATE-{n}"), 100, CaptureMode::Immediate),
                )
                .await;
                made.push(p.id);
                tokio::task::yield_now().await;
            }
            made
        })
    };
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store
            .list_transactions(&TransactionQuery {
                app_id: "app_1",
                from_ms: NOW,
                to_ms: NOW + 1_000,
                status: None,
                kind: None,
                cursor: cursor.as_ref(),
                limit: 7,
            })
            .await
            .unwrap();
        assert!(page.rows.len() <= 7);
        seen.extend(page.rows.iter().map(|r| r.id.clone()));
        match page.next_cursor {
            // Round-trips through its opaque form, as a client would send it back.
            Some(next) => cursor = Some(Cursor::parse(&next.encode()).unwrap()),
            None => break,
        }
        tokio::task::yield_now().await;
    }
    let late = writer.await.unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row repeated");
    for id in &existing {
        assert!(unique.contains(id), "{id} was skipped");
    }
    assert!(
        seen.iter()
            .all(|id| existing.contains(id) || late.contains(id))
    );
    // Filters: refunds only, by status, and a bad cursor is recognised.
    let refunds = store
        .list_transactions(&TransactionQuery {
            app_id: "app_1",
            from_ms: NOW,
            to_ms: NOW + 1_000,
            status: Some("pending"),
            kind: Some(TransactionKind::Refund),
            cursor: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(refunds.rows.len(), 9);
    assert!(refunds.next_cursor.is_none());
    let row = &refunds.rows[0];
    assert_eq!(row.kind, TransactionKind::Refund);
    assert_eq!(row.amount, 100);
    assert!(row.out_no.starts_with("R-FLOW-"));
    assert!(existing.contains(&row.payment_id));
    let payments = store
        .list_transactions(&TransactionQuery {
            app_id: "app_1",
            from_ms: NOW,
            to_ms: NOW + 1_000,
            status: Some("succeeded"),
            kind: Some(TransactionKind::Payment),
            cursor: None,
            limit: 1_000,
        })
        .await
        .unwrap();
    assert_eq!(payments.rows.len(), 25);
    assert!(payments.rows.iter().all(|r| r.payment_id == r.id));
    let other_app = store
        .list_transactions(&TransactionQuery {
            app_id: "app_2",
            from_ms: 0,
            to_ms: i64::MAX,
            status: None,
            kind: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(other_app.rows.is_empty());
    assert!(Cursor::parse("not a cursor").is_none());
    assert!(Cursor::parse(&hex_of("12:")).is_none());
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Proves a day's successful refunds reach the reconciliation table under their own bank
/// number (a captured pre-authorization as a payment of its captured amount), and settlement
/// takes them and the fee they returned off the merchant's net.
async fn refunds_reach_reconciliation_and_settlement(store: Store) {
    let p = paid_payment(&store, "RECON", 10_000).await;
    let r = refund(&store, &refund_of(&p.id, "R-RECON", 4_000)).await;
    succeed(&store, &r.id).await;
    let pending = refund(&store, &refund_of(&p.id, "R-RECON-2", 1_000)).await;
    let pre = authorized(&store, "RECON-PRE").await;
    let capture = bank_paid(600, "CAPTURE-R", DAY);
    apply(
        &store,
        &payment_change(&pre.id, captured(600), Some(&capture), NOW + 10),
    )
    .await;
    let mut table = unipay_core::recon::PlatformTable::new();
    let rows = store
        .load_platform_day("cha_1", DAY, &mut table)
        .await
        .unwrap();
    assert_eq!(
        rows, 3,
        "two payments and one refund; the pending refund is not in"
    );
    let totals = table.totals();
    assert_eq!(totals.payment.count, 2);
    assert_eq!(totals.payment.amount_fen, 10_000 + 600);
    assert_eq!(totals.refund.count, 1);
    assert_eq!(totals.refund.amount_fen, 4_000);
    assert_eq!(totals.refund.fee_fen, 0);
    let keys: Vec<String> = (0..3).map(|row| table.key_of(row).unwrap()).collect();
    assert!(keys.contains(&r.refund_no));
    assert!(!keys.contains(&pending.refund_no));
    assert_eq!(
        table.kind(keys.iter().position(|k| *k == r.refund_no).unwrap() as u32),
        Some(TxnKind::Refund)
    );
    let run = store
        .settle_day(DAY, "ops", "127.0.0.1", true, NOW + 1_000)
        .await
        .unwrap();
    assert_eq!(run.created.len(), 1);
    let batch = &run.created[0];
    assert_eq!((batch.refunds, batch.refunds_fen), (1, 4_000));
    // Fees: 60 on the payment and 4 on the capture, less the 24 the refund returned.
    assert_eq!(batch.fees_fen, 60 + 4 - 24);
}
