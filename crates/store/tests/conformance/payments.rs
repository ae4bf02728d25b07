//! Payments: creation, idempotency, the one state change, anomalies, claims and bank messages.

use super::*;

/// Proves (app, out_trade_no) is unique and the second create reports the first payment.
pub(super) async fn create_is_unique_per_app_and_out_trade_no(store: Store) {
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
pub(super) async fn idempotency_replays_and_refuses_other_bodies(store: Store) {
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
pub(super) async fn success_is_applied_once_with_one_notification(store: Store) {
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
pub(super) async fn late_success_after_close_is_an_anomaly(store: Store) {
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
pub(super) async fn claims_lease_work_to_one_worker(store: Store) {
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
pub(super) async fn concurrent_successes_write_one_event(store: Store) {
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
pub(super) async fn bank_messages_are_deduplicated(store: Store) {
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
