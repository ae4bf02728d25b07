//! Notifications, stale rows, nonces, messages with their changes, the ledger and the day's load.

use super::*;

/// Proves a notification held for the node that delivers it at once is left alone by other
/// notifiers until the hold runs out.
pub(super) async fn a_held_notification_waits_for_its_lease(store: Store) {
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
pub(super) async fn notification_attempts_move_events_along(store: Store) {
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
pub(super) async fn a_stale_copy_of_the_row_never_wins(store: Store) {
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
pub(super) async fn a_create_spends_its_nonce(store: Store) {
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
pub(super) async fn nonces_are_single_use(store: Store) {
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
pub(super) async fn a_message_and_its_change_commit_together(store: Store) {
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
pub(super) async fn the_ledger_is_append_only_and_balanced(store: Store) {
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
pub(super) async fn a_day_loads_into_the_reconciliation_table(store: Store) {
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

/// Proves that changes whose callers give up while they wait in line leave nothing hanging:
/// every change that answered is committed and readable, and every change that was given up
/// is either wholly written or not at all. Where each caller gives up depends on timing; the
/// SQLite writer's own unit test pins the case of one giving up in line behind an open group.
pub(super) async fn changes_given_up_in_line_leave_nothing_hanging(store: Store) {
    let mut tasks = Vec::new();
    for i in 0..64u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let new = new_payment(&format!("G-{i}"));
            // Every other caller gives up after a few microseconds, mostly while in line.
            let patience = if i % 2 == 0 {
                std::time::Duration::from_micros(20 + i * 7)
            } else {
                std::time::Duration::from_secs(30)
            };
            let created = tokio::time::timeout(
                patience,
                store.create_payment(&new, None, None, &render_response),
            )
            .await;
            (i, new.out_trade_no, created)
        }));
    }
    for task in tasks {
        let (i, out_trade_no, created) = task.await.unwrap();
        let found = store
            .get_payment_by_out_trade_no("app_1", &out_trade_no)
            .await
            .unwrap();
        match created {
            Ok(created) => {
                let Ok(Idempotent::Fresh(CreatePayment::Created(payment))) = created else {
                    panic!("{out_trade_no}: {created:?}");
                };
                assert_eq!(
                    found,
                    Some(payment),
                    "{out_trade_no} answered, not readable"
                );
            }
            Err(_) => {
                assert_eq!(i % 2, 0, "{out_trade_no}: a patient caller timed out");
                if let Some(payment) = found {
                    let events = store.list_payment_events(&payment.id).await.unwrap();
                    assert_eq!(events.len(), 1, "{out_trade_no} half written");
                }
            }
        }
    }
    // The line is empty and nothing is left open: the next change commits on its own.
    let after = store
        .create_payment(&new_payment("G-after"), None, None, &render_response)
        .await
        .unwrap();
    assert!(matches!(
        after,
        Idempotent::Fresh(CreatePayment::Created(_))
    ));
    assert!(
        store
            .get_payment_by_out_trade_no("app_1", "G-after")
            .await
            .unwrap()
            .is_some()
    );
}

/// Proves that changes written at the same moment each stand alone: the ones that fail (a
/// payment whose id collides) leave nothing behind, not even their spent nonce, and every
/// other one is committed and readable when its call returns (on SQLite they share commits).
pub(super) async fn concurrent_changes_commit_or_fail_alone(store: Store) {
    let taken = create(&store, "C-0").await;
    let mut tasks = Vec::new();
    for i in 0..48 {
        let store = store.clone();
        let taken_id = taken.id.clone();
        tasks.push(tokio::spawn(async move {
            let fails = i % 6 == 5;
            let mut new = new_payment(&format!("C-{}", i + 1));
            if fails {
                new.id = taken_id;
            }
            let nonce = NonceUse {
                app_id: "app_1".into(),
                nonce: format!("concurrent-nonce-{i:04}"),
                expires_at_ms: NOW + 300_000,
            };
            let created = store
                .create_payment(&new, Some(&nonce), None, &render_response)
                .await;
            (fails, nonce, new.out_trade_no, created)
        }));
    }
    for task in tasks {
        let (fails, nonce, out_trade_no, created) = task.await.unwrap();
        let found = store
            .get_payment_by_out_trade_no("app_1", &out_trade_no)
            .await
            .unwrap();
        let nonce_free = store
            .remember_nonce(&nonce.app_id, &nonce.nonce, nonce.expires_at_ms)
            .await
            .unwrap();
        if fails {
            assert!(created.is_err(), "{out_trade_no}: {created:?}");
            assert!(found.is_none(), "{out_trade_no} was written");
            assert!(nonce_free, "{out_trade_no}: its nonce was spent");
        } else {
            let Ok(Idempotent::Fresh(CreatePayment::Created(payment))) = created else {
                panic!("{out_trade_no}: {created:?}");
            };
            assert_eq!(found, Some(payment));
            assert!(!nonce_free, "{out_trade_no}: its nonce was not spent");
        }
    }
    assert_eq!(
        store
            .get_payment(&taken.id)
            .await
            .unwrap()
            .unwrap()
            .out_trade_no,
        "C-0"
    );
}
