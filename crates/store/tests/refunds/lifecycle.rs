//! A refund after its creation: unknown answers, failures, successes and their notifications.

use super::*;

/// Proves a refund whose answer is unknown stays pending and due for the janitor, and that a
/// later success (by query) completes it.
pub(super) async fn an_unknown_answer_stays_pending_until_a_later_change(store: Store) {
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
pub(super) async fn a_failure_releases_the_reservation(store: Store) {
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
pub(super) async fn a_success_posts_one_refund_entry_and_the_books_hold(store: Store) {
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
pub(super) async fn notifications_are_written_once(store: Store) {
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

/// Proves a move from the caller's current copy of the row (one statement on PostgreSQL)
/// writes what a move from the row read in its transaction writes: the refund, the payment's
/// sums, the bank message, the timeline entry, the ledger entry and the notification.
pub(super) async fn a_refund_moved_at_once_writes_what_a_transaction_writes(store: Store) {
    for (n, event) in [RefundEvent::BankSucceeded, RefundEvent::BankFailed]
        .into_iter()
        .enumerate()
    {
        let mut written = Vec::new();
        for from_copy in [false, true] {
            let out = format!("ONCE-{n}-{from_copy}");
            let p = paid_payment(&store, &out, 1_000).await;
            let r = refund(&store, &refund_of(&p.id, &format!("R-{out}"), 400)).await;
            let sha = format!("sha-{out}");
            let message = InboundMessage {
                channel_account_id: "cha_1",
                sha256: &sha,
                payment_id: Some(&p.id),
                order_no: Some(&r.refund_no),
                source: "refund",
                verdict: "accepted",
                reason: "",
                raw_masked: "<MSG/>",
                now_ms: NOW + 100,
            };
            let change = RefundChange {
                known: from_copy.then_some(&r),
                message: Some(&message),
                detail: "bank said so",
                delivery_lease_ms: 5_000,
                ..refund_change(&r.id, event, NOW + 100)
            };
            let outcome = change_refund(&store, &change).await;
            let RefundOutcome::Changed {
                refund: after,
                event: Some(notification),
            } = outcome
            else {
                panic!("{outcome:?}")
            };
            assert_eq!(store.get_refund(&r.id).await.unwrap().unwrap(), after);
            let mut outbox = store.list_events_for_payment(&p.id).await.unwrap();
            outbox.retain(|e| e.event_type.starts_with("refund."));
            assert_eq!(outbox, vec![*notification]);
            // Ids differ from one refund to the other; everything else must not.
            let plain = |text: &str| {
                text.replace(&r.id, "{refund}")
                    .replace(&r.out_refund_no, "{out}")
                    .replace(&p.id, "{payment}")
                    .replace(&outbox[0].id, "{event}")
                    .replace(&sha, "{sha}")
            };
            let paid = payment(&store, &p.id).await;
            let last = store
                .list_payment_events(&p.id)
                .await
                .unwrap()
                .pop()
                .unwrap();
            let entries = store.entries_for(&r.id).await.unwrap();
            let kept = store
                .list_bank_messages(Some("accepted"))
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.sha256 == sha)
                .map(|m| (m.seen_count, m.source, m.payment_id.is_some()))
                .collect::<Vec<_>>();
            written.push(plain(&format!(
                "{:?}",
                (
                    (after.status, after.version, &after.channel_refund_no),
                    (&after.accounting_date, &after.failure_reason),
                    (after.next_query_at, after.finished_at, after.updated_at),
                    (paid.refunded_amount, paid.refund_reserved, paid.version),
                    (&last.kind, &last.source, &last.detail, &last.raw_sha256),
                    (
                        &outbox[0].event_type,
                        &outbox[0].body,
                        outbox[0].next_attempt_at
                    ),
                    entries
                        .iter()
                        .map(|e| (e.reason, &e.accounting_date, &e.memo, &e.postings))
                        .collect::<Vec<_>>(),
                    kept,
                )
            )));
        }
        assert_eq!(written[0], written[1]);
    }
}

/// Proves racing changes that all start from the same copy of a refund move it once: one
/// success, one release of its reservation into refunded money, one entry, one notification.
pub(super) async fn racing_changes_from_one_copy_move_a_refund_once(store: Store) {
    let p = paid_payment(&store, "ONE-COPY", 1_000).await;
    let r = refund(&store, &refund_of(&p.id, "R-ONE-COPY", 600)).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let known = r.clone();
        tasks.push(tokio::spawn(async move {
            let change = RefundChange {
                known: Some(&known),
                ..refund_change(&known.id, RefundEvent::BankSucceeded, NOW + 100 + i)
            };
            change_refund(&store, &change).await
        }));
    }
    let mut changed = 0;
    for task in tasks {
        match task.await.unwrap() {
            RefundOutcome::Changed { .. } => changed += 1,
            RefundOutcome::Unchanged(refund) => assert_eq!(refund.status, RefundStatus::Succeeded),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(changed, 1);
    let after = payment(&store, &p.id).await;
    assert_eq!((after.refunded_amount, after.refund_reserved), (600, 0));
    assert_eq!(store.entries_for(&r.id).await.unwrap().len(), 1);
    let notifications = store.list_events_for_payment(&p.id).await.unwrap();
    assert_eq!(
        notifications
            .iter()
            .filter(|e| e.event_type.starts_with("refund."))
            .count(),
        1
    );
    assert!(store.check_ledger().await.unwrap().holds());
}
