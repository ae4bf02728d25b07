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
    a_stale_copy_of_the_row_never_wins,
    the_ledger_is_append_only_and_balanced,
    a_day_loads_into_the_reconciliation_table,
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

/// Proves (app, out_trade_no) is unique and the second create reports the first payment.
async fn create_is_unique_per_app_and_out_trade_no(store: Store) {
    let first = create(&store, "T-1").await;
    assert_eq!(first.status, PaymentStatus::Created);
    assert_eq!(first.next_query_at, Some(first.expires_at));
    let again = store
        .create_payment(&new_payment("T-1"), None, None, &render_response)
        .await
        .unwrap();
    assert_eq!(
        again,
        Idempotent::Fresh(CreatePayment::Duplicate(first.clone()))
    );
    let found = store
        .get_payment_by_out_trade_no("app_1", "T-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, first);
    let by_order = store
        .get_payment_by_order_no("cha_1", &first.order_no)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_order.id, first.id);
    assert_eq!(store.list_payment_events(&first.id).await.unwrap().len(), 1);
}

/// Proves an idempotency key replays its first answer and refuses a different request.
async fn idempotency_replays_and_refuses_other_bodies(store: Store) {
    let key = IdempotencyRequest {
        app_id: "app_1".into(),
        key: "k-1".into(),
        request_hash: "h1".into(),
    };
    let first = store
        .create_payment(&new_payment("T-2"), None, Some(&key), &render_response)
        .await
        .unwrap();
    let Idempotent::Fresh(CreatePayment::Created(payment)) = first else {
        panic!("{first:?}")
    };
    let replay = store
        .create_payment(&new_payment("T-2"), None, Some(&key), &render_response)
        .await
        .unwrap();
    assert_eq!(
        replay,
        Idempotent::Replay {
            status: 201,
            body: format!("{{\"id\":\"{}\"}}", payment.id)
        }
    );
    assert_eq!(
        store.prune_idempotency_keys(NOW).await.unwrap(),
        0,
        "a fresh key is kept"
    );
    let other = IdempotencyRequest {
        request_hash: "h2".into(),
        ..key
    };
    let conflict = store
        .create_payment(&new_payment("T-3"), None, Some(&other), &render_response)
        .await
        .unwrap();
    assert_eq!(conflict, Idempotent::KeyReused);
    assert!(
        store
            .get_payment_by_out_trade_no("app_1", "T-3")
            .await
            .unwrap()
            .is_none()
    );
    // Once pruned, the key is free again: a retry that late is a new request.
    assert_eq!(store.prune_idempotency_keys(NOW + 1).await.unwrap(), 1);
    let after_prune = store
        .create_payment(&new_payment("T-3"), None, Some(&other), &render_response)
        .await
        .unwrap();
    assert!(matches!(
        after_prune,
        Idempotent::Fresh(CreatePayment::Created(_))
    ));
}

/// Proves a success moves the payment once, records the bank's facts, and writes exactly one
/// business notification however often it is reported.
async fn success_is_applied_once_with_one_notification(store: Store) {
    let p = create(&store, "T-4").await;
    let sent = store
        .apply_payment_change(
            &change(&p.id, PaymentEvent::RequestSent, None, NOW + 1),
            &render_event,
        )
        .await
        .unwrap();
    let ApplyOutcome::Changed {
        payment,
        event: None,
    } = sent
    else {
        panic!("{sent:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Pending);
    assert_eq!(payment.next_query_at, Some(NOW + 1 + 60_000));
    let bank = paid();
    let first = store
        .apply_payment_change(
            &change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW + 2),
            &render_event,
        )
        .await
        .unwrap();
    let ApplyOutcome::Changed {
        payment,
        event: Some(event),
    } = first
    else {
        panic!("{first:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    assert_eq!(payment.channel_trade_no.as_deref(), Some("SIM0001"));
    assert_eq!(payment.accounting_date.as_deref(), Some("2027-01-15"));
    assert_eq!(payment.next_query_at, None);
    for _ in 0..3 {
        let again = store
            .apply_payment_change(
                &change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW + 3),
                &render_event,
            )
            .await
            .unwrap();
        assert!(matches!(again, ApplyOutcome::Unchanged(_)));
    }
    let events = store.list_events_for_payment(&p.id).await.unwrap();
    assert_eq!(
        events,
        vec![*event.clone()],
        "the stored event is the one returned"
    );
    assert_eq!(events[0].event_type, "payment.succeeded");
    assert!(events[0].body.contains(&event.id));
    let stored = store.get_payment(&p.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 3);
    assert_eq!(store.list_payment_events(&p.id).await.unwrap().len(), 6);
    // One collection entry, posted with the change, however often the success is heard.
    let entries = store.entries_for(&p.id).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].reason, EntryReason::PaymentSucceeded);
    assert_eq!(entries[0].accounting_date, "2027-01-15");
    let posted: Vec<(String, i64)> = entries[0]
        .postings
        .iter()
        .map(|p| (p.account.id(), p.amount))
        .collect();
    assert_eq!(
        posted,
        vec![
            ("bank_clearing:cha_1".to_string(), 1234 - 3),
            ("bank_fees:cha_1".to_string(), 3),
            ("merchant_payable:mch_1".to_string(), -(1234 - 7)),
            ("fee_income:platform".to_string(), -7),
        ]
    );
    assert!(store.check_ledger().await.unwrap().holds());
}

/// Proves a success for a closed payment is kept as one anomaly and does not reopen it.
async fn late_success_after_close_is_an_anomaly(store: Store) {
    let p = create(&store, "T-5").await;
    let closed = store
        .apply_payment_change(
            &change(&p.id, PaymentEvent::ConfirmedUnpaidClose, None, NOW + 1),
            &render_event,
        )
        .await
        .unwrap();
    assert!(matches!(
        closed,
        ApplyOutcome::Changed { event: Some(_), .. }
    ));
    let bank = paid();
    for _ in 0..2 {
        let late = store
            .apply_payment_change(
                &change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW + 2),
                &render_event,
            )
            .await
            .unwrap();
        assert!(matches!(late, ApplyOutcome::LateSuccess(_)));
    }
    assert_eq!(
        store.get_payment(&p.id).await.unwrap().unwrap().status,
        PaymentStatus::Closed
    );
    let anomalies = store.list_anomalies().await.unwrap();
    assert_eq!(anomalies.len(), 1);
    // The money the bank took is in the books once, as not the merchant's.
    let entries = store.entries_for(&p.id).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].reason, EntryReason::LateSuccess);
    let balances = store
        .ledger_balances(Some("suspense:"), None)
        .await
        .unwrap();
    assert_eq!(balances.len(), 1);
    assert_eq!(balances[0].balance, -1234);
    assert_eq!(anomalies[0].payment_id, p.id);
    assert_eq!(anomalies[0].kind, "late_success");
    let missing = store
        .apply_payment_change(
            &change("pay_nope", PaymentEvent::BankSucceeded, Some(&bank), NOW),
            &render_event,
        )
        .await
        .unwrap();
    assert_eq!(missing, ApplyOutcome::NotFound);
}

/// Proves two workers claiming at once never get the same payment or event.
async fn claims_lease_work_to_one_worker(store: Store) {
    for i in 0..20 {
        create(&store, &format!("C-{i}")).await;
    }
    let due_at = NOW + 1_800_000;
    let (a, b) = tokio::join!(
        store.claim_due_queries(due_at, 15, 30_000),
        store.claim_due_queries(due_at, 15, 30_000)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 20);
    let mut ids: Vec<_> = a.iter().chain(b.iter()).map(|p| p.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert!(
        store
            .claim_due_queries(due_at, 50, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_due_queries(due_at + 30_000, 50, 30_000)
            .await
            .unwrap()
            .len(),
        20
    );
}

/// Proves that many concurrent reports of the same success produce one change and one event.
async fn concurrent_successes_write_one_event(store: Store) {
    let p = create(&store, "T-6").await;
    let bank = Arc::new(paid());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        let bank = bank.clone();
        let id = p.id.clone();
        tasks.push(tokio::spawn(async move {
            store
                .apply_payment_change(
                    &change(&id, PaymentEvent::BankSucceeded, Some(&bank), NOW + i),
                    &render_event,
                )
                .await
                .unwrap()
        }));
    }
    let mut changed = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), ApplyOutcome::Changed { .. }) {
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    assert_eq!(store.list_events_for_payment(&p.id).await.unwrap().len(), 1);
}

/// Proves the same bytes twice are one stored message with a count.
async fn bank_messages_are_deduplicated(store: Store) {
    let message = InboundMessage {
        channel_account_id: "cha_1",
        sha256: "abc123",
        payment_id: None,
        order_no: Some("O1"),
        source: "server_notification",
        verdict: "rejected",
        reason: "signature does not verify",
        raw_masked: "<MSG/>",
        now_ms: NOW,
    };
    assert_eq!(
        store.record_bank_message(&message).await.unwrap(),
        Seen::First
    );
    assert_eq!(
        store.record_bank_message(&message).await.unwrap(),
        Seen::Again
    );
    let stored = store.list_bank_messages(Some("rejected")).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].seen_count, 2);
    assert!(
        store
            .list_bank_messages(Some("accepted"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Proves a notification held for the node that delivers it at once is left alone by other
/// notifiers until the hold runs out.
async fn a_held_notification_waits_for_its_lease(store: Store) {
    let p = create(&store, "T-9").await;
    let bank = paid();
    let held = PaymentChange {
        delivery_lease_ms: 30_000,
        ..change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW)
    };
    let outcome = store
        .apply_payment_change(&held, &render_event)
        .await
        .unwrap();
    let ApplyOutcome::Changed {
        event: Some(event), ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(event.next_attempt_at, Some(NOW + 30_000));
    assert!(
        store
            .claim_due_events(NOW + 29_999, 10, 1_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_due_events(NOW + 30_000, 10, 1_000)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Proves attempts retry, dead-letter, and that a resend puts the same event back in line.
async fn notification_attempts_move_events_along(store: Store) {
    let p = create(&store, "T-7").await;
    let bank = paid();
    let outcome = store
        .apply_payment_change(
            &change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW),
            &render_event,
        )
        .await
        .unwrap();
    let ApplyOutcome::Changed {
        event: Some(event), ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    let event_id = event.id;
    let claimed = store.claim_due_events(NOW, 10, 10_000).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, event_id);
    assert!(
        store
            .claim_due_events(NOW, 10, 10_000)
            .await
            .unwrap()
            .is_empty()
    );
    let attempt = |n, next| AttemptResult {
        event_id: &event_id,
        attempt: n,
        status_code: Some(500),
        error: Some("HTTP 500"),
        duration_ms: 3,
        now_ms: NOW + n,
        next,
    };
    store
        .record_attempt(&attempt(1, NextStep::RetryAt(NOW + 15_000)))
        .await
        .unwrap();
    assert!(
        store
            .claim_due_events(NOW + 14_999, 10, 10_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_due_events(NOW + 15_000, 10, 10_000)
            .await
            .unwrap()
            .len(),
        1
    );
    store
        .record_attempt(&attempt(2, NextStep::DeadLetter))
        .await
        .unwrap();
    let dead = store.list_events_by_status("dead", 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 2);
    assert!(store.resend_event(&event_id, NOW + 20_000).await.unwrap());
    let again = store
        .claim_due_events(NOW + 20_000, 10, 10_000)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, event_id);
    assert!(!store.resend_event("evt_missing", NOW).await.unwrap());
}

/// Proves a caller's copy of the row is used only while it is current: racing changes that
/// all start from the same copy make exactly one move, and a stale copy changes nothing.
async fn a_stale_copy_of_the_row_never_wins(store: Store) {
    let p = create(&store, "T-10").await;
    let bank = Arc::new(paid());
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let bank = bank.clone();
        let known = p.clone();
        tasks.push(tokio::spawn(async move {
            let change = PaymentChange {
                known: Some(&known),
                ..change(&known.id, PaymentEvent::BankSucceeded, Some(&bank), NOW + i)
            };
            store
                .apply_payment_change(&change, &render_event)
                .await
                .unwrap()
        }));
    }
    let mut changed = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), ApplyOutcome::Changed { .. }) {
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    let stale_close = PaymentChange {
        known: Some(&p),
        ..change(&p.id, PaymentEvent::ConfirmedUnpaidClose, None, NOW + 100)
    };
    let outcome = store
        .apply_payment_change(&stale_close, &render_event)
        .await
        .unwrap();
    assert!(matches!(outcome, ApplyOutcome::Rejected(_)), "{outcome:?}");
    let stored = store.get_payment(&p.id).await.unwrap().unwrap();
    assert_eq!(stored.status, PaymentStatus::Succeeded);
    assert_eq!(store.list_events_for_payment(&p.id).await.unwrap().len(), 1);
}

/// Proves a create spends its nonce in its own transaction: a replay creates nothing.
async fn a_create_spends_its_nonce(store: Store) {
    let nonce = NonceUse {
        app_id: "app_1".into(),
        nonce: "create-nonce-0001".into(),
        expires_at_ms: NOW + 300_000,
    };
    let first = store
        .create_payment(&new_payment("N-1"), Some(&nonce), None, &render_response)
        .await
        .unwrap();
    assert!(matches!(
        first,
        Idempotent::Fresh(CreatePayment::Created(_))
    ));
    let replay = store
        .create_payment(&new_payment("N-2"), Some(&nonce), None, &render_response)
        .await
        .unwrap();
    assert_eq!(replay, Idempotent::NonceReused);
    assert!(
        store
            .get_payment_by_out_trade_no("app_1", "N-2")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .remember_nonce("app_1", "create-nonce-0001", NOW + 300_000)
            .await
            .unwrap()
    );
}

/// Proves a nonce is accepted once per app and forgotten after its window.
async fn nonces_are_single_use(store: Store) {
    assert!(
        store
            .remember_nonce("app_1", "n-0123456789abcdef", NOW + 300_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remember_nonce("app_1", "n-0123456789abcdef", NOW + 300_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .remember_nonce("app_2", "n-0123456789abcdef", NOW + 300_000)
            .await
            .unwrap()
    );
    assert_eq!(store.prune_nonces(NOW + 300_001).await.unwrap(), 2);
    assert!(
        store
            .remember_nonce("app_1", "n-0123456789abcdef", NOW + 600_000)
            .await
            .unwrap()
    );
}

/// Proves a bank message is kept in the state change's transaction, and that the same bytes
/// again change nothing and add no timeline entry.
async fn a_message_and_its_change_commit_together(store: Store) {
    let p = create(&store, "T-8").await;
    let bank = paid();
    let message = InboundMessage {
        channel_account_id: "cha_1",
        sha256: "feed01",
        payment_id: Some(&p.id),
        order_no: Some(&p.order_no),
        source: "server_notification",
        verdict: "accepted",
        reason: "",
        raw_masked: "<MSG/>",
        now_ms: NOW,
    };
    let with_message = |now_ms| PaymentChange {
        message: Some(&message),
        raw_sha256: Some("feed01"),
        ..change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), now_ms)
    };
    let first = store
        .apply_payment_change(&with_message(NOW + 1), &render_event)
        .await
        .unwrap();
    assert!(matches!(first, ApplyOutcome::Changed { .. }));
    let again = store
        .apply_payment_change(&with_message(NOW + 2), &render_event)
        .await
        .unwrap();
    assert!(matches!(again, ApplyOutcome::Unchanged(_)));
    let kept = store.list_bank_messages(Some("accepted")).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].seen_count, 2);
    let timeline = store.list_payment_events(&p.id).await.unwrap();
    assert_eq!(
        timeline.len(),
        2,
        "created and succeeded only: {timeline:?}"
    );
    assert_eq!(timeline[1].raw_sha256.as_deref(), Some("feed01"));
}

/// Proves entries post once per cause, balances read back by prefix and date, and the database
/// itself refuses to change or delete what the ledger wrote.
async fn the_ledger_is_append_only_and_balanced(store: Store) {
    let entry = recon_adjustment("itm_1", "cha_1", -2, 3, "2027-01-15", "bank wins").unwrap();
    let first = store.post_entry(&entry, NOW).await.unwrap();
    assert!(first.is_some());
    assert_eq!(store.post_entry(&entry, NOW + 1).await.unwrap(), None);
    let later = recon_adjustment("itm_2", "cha_1", 10, 0, "2027-01-16", "bank wins").unwrap();
    store.post_entry(&later, NOW + 2).await.unwrap();
    let bank = store
        .ledger_balances(Some("bank_clearing:"), Some("2027-01-15"))
        .await
        .unwrap();
    assert_eq!(bank.len(), 1);
    assert_eq!(bank[0].balance, -5);
    let all = store.ledger_balances(None, None).await.unwrap();
    assert_eq!(all.iter().map(|b| b.balance).sum::<i64>(), 0);
    let check = store.check_ledger().await.unwrap();
    assert!(check.holds(), "{check:?}");
    assert_eq!(check.entries, 2);
    for sql in [
        "UPDATE postings SET amount = amount + 1",
        "DELETE FROM postings",
        "UPDATE journal_entries SET memo = 'x'",
        "DELETE FROM journal_entries",
    ] {
        assert!(
            store.execute_for_test(sql).await.is_err(),
            "{sql} must be refused"
        );
    }
    assert!(store.check_ledger().await.unwrap().holds());
}

/// Proves our side of a day reaches the reconciliation table through the backend's own driver:
/// only successful payments of that channel account and date, with their amounts and bank fees.
async fn a_day_loads_into_the_reconciliation_table(store: Store) {
    let bank = paid();
    let mut order_nos = Vec::new();
    for n in 0..3 {
        let p = create(&store, &format!("DAY-{n}")).await;
        if n < 2 {
            store
                .apply_payment_change(
                    &change(&p.id, PaymentEvent::BankSucceeded, Some(&bank), NOW + 1),
                    &render_event,
                )
                .await
                .unwrap();
            order_nos.push(p.order_no.clone());
        }
    }
    let mut table = unipay_core::recon::PlatformTable::new();
    let rows = store
        .load_platform_day("cha_1", "2027-01-15", &mut table)
        .await
        .unwrap();
    assert_eq!(rows, 2);
    assert_eq!(table.len(), 2);
    let mut keys: Vec<String> = (0..2).map(|row| table.key_of(row).unwrap()).collect();
    keys.sort();
    order_nos.sort();
    assert_eq!(keys, order_nos);
    let totals = table.totals();
    assert_eq!(totals.payment.count, 2);
    assert_eq!(totals.payment.amount_fen, 2 * 1234);
    assert_eq!(totals.payment.fee_fen, 2 * 3);
    let mut other_day = unipay_core::recon::PlatformTable::new();
    assert_eq!(
        store
            .load_platform_day("cha_1", "2027-01-16", &mut other_day)
            .await
            .unwrap(),
        0
    );
}
