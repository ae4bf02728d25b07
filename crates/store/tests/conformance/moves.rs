//! Payments moved from the caller's copy of the row (one statement on PostgreSQL) against the
//! same moves made from the row read in the change's transaction.

use super::*;

/// One step of a payment's life, made from the caller's copy of the row or without one.
struct Step<'a> {
    event: PaymentEvent,
    paid: Option<&'a BankPaid>,
    payment_type: Option<&'a str>,
    detail: &'a str,
    message: Option<&'a InboundMessage<'a>>,
    now_ms: i64,
}

/// Makes `step` from `copy` (or without a copy) and checks that the outcome is what was stored.
async fn take(store: &Store, copy: &Payment, from_copy: bool, step: &Step<'_>) -> Payment {
    let moving = PaymentChange {
        known: from_copy.then_some(copy),
        payment_type: step.payment_type,
        detail: step.detail,
        message: step.message,
        raw_sha256: step.message.map(|m| m.sha256),
        delivery_lease_ms: 5_000,
        ..change(&copy.id, step.event, step.paid, step.now_ms)
    };
    let outcome = store
        .apply_payment_change(&moving, &render_event)
        .await
        .unwrap();
    let ApplyOutcome::Changed { payment, event } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(store.get_payment(&copy.id).await.unwrap().unwrap(), payment);
    let stored = store.list_events_for_payment(&copy.id).await.unwrap();
    match event {
        Some(event) => assert_eq!(stored.last(), Some(&*event)),
        None => assert!(stored.iter().all(|e| e.created_at < step.now_ms)),
    }
    payment
}

/// Everything the moves wrote for `p`: the row, its timeline, the bank messages `shas`, the
/// ledger entries and the notifications, with the ids that differ from payment to payment
/// taken out.
pub(super) async fn written(store: &Store, p: &Payment, shas: &[String]) -> String {
    let row = Payment {
        id: String::new(),
        out_trade_no: String::new(),
        order_no: String::new(),
        ..store.get_payment(&p.id).await.unwrap().unwrap()
    };
    let timeline: Vec<_> = store
        .list_payment_events(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let at = e.created_at;
            (
                e.kind,
                e.source,
                e.from_status,
                e.to_status,
                e.detail,
                e.raw_sha256,
                at,
            )
        })
        .collect();
    let messages: Vec<_> = store
        .list_bank_messages(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| shas.contains(&m.sha256))
        .map(|m| {
            let what = (m.source, m.verdict, m.reason, m.raw_masked);
            let seen = (m.seen_count, m.first_seen_at);
            (m.sha256, m.payment_id, m.order_no, what, seen)
        })
        .collect();
    let entries: Vec<_> = store
        .entries_for(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let what = (e.reason, e.cause_id, e.accounting_date, e.memo);
            (what, e.created_at, e.postings)
        })
        .collect();
    let outbox: Vec<_> = store
        .list_events_for_payment(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let body = e.body.replace(&e.id, "{event}");
            let (due, at, delivered) = (e.next_attempt_at, e.created_at, e.delivered_at);
            let what = (e.event_type, e.url, body, e.app_id);
            (what, e.status, e.attempts, e.last_error, due, at, delivered)
        })
        .collect();
    let mut text = format!("{row:?}\n{timeline:?}\n{messages:?}\n{entries:?}\n{outbox:?}");
    for (n, sha) in shas.iter().enumerate() {
        text = text.replace(sha.as_str(), &format!("{{sha{n}}}"));
    }
    text.replace(&p.id, "{payment}")
        .replace(&p.out_trade_no, "{out}")
        .replace(&p.order_no, "{order}")
}

fn message<'a>(p: &'a Payment, sha: &'a str, now_ms: i64) -> InboundMessage<'a> {
    InboundMessage {
        channel_account_id: "cha_1",
        sha256: sha,
        payment_id: Some(&p.id),
        order_no: Some(&p.order_no),
        source: "server_notification",
        verdict: "accepted",
        reason: "",
        raw_masked: "<MSG/>",
        now_ms,
    }
}

/// Proves a move from the caller's current copy of the row (one statement on PostgreSQL)
/// writes what a move from the row read in its transaction writes: the row, the timeline, the
/// bank message (new, or seen before), the ledger entry and its postings, and the notification.
/// For `created → pending` (with the payment type), `pending → succeeded` (heard in a bank
/// message), and a pre-authorization's success (read as its authorization) and capture.
pub(super) async fn a_payment_moved_at_once_writes_what_a_transaction_writes(store: Store) {
    let bank = paid();
    for preauth in [false, true] {
        let mut written_by = Vec::new();
        for from_copy in [false, true] {
            let out = format!("ONCE-{preauth}-{from_copy}");
            let capture = if preauth {
                unipay_core::payment::CaptureMode::Manual
            } else {
                unipay_core::payment::CaptureMode::Immediate
            };
            let new = NewPayment {
                capture,
                ..new_payment(&out)
            };
            let p = match store
                .create_payment(&new, None, None, &render_response)
                .await
                .unwrap()
            {
                Idempotent::Fresh(CreatePayment::Created(p)) => p,
                other => panic!("unexpected {other:?}"),
            };
            let sha = format!("sha-{out}");
            let heard = message(&p, &sha, NOW + 2);
            let shas = [sha.clone()];
            if preauth {
                // The bank's message was kept before (a delivery whose change did not commit):
                // the move counts it as seen once more.
                assert_eq!(
                    store.record_bank_message(&heard).await.unwrap(),
                    Seen::First
                );
                let authorized = take(
                    &store,
                    &p,
                    from_copy,
                    &Step {
                        event: PaymentEvent::BankSucceeded,
                        paid: Some(&bank),
                        payment_type: None,
                        detail: "held",
                        message: Some(&heard),
                        now_ms: NOW + 2,
                    },
                )
                .await;
                assert_eq!(authorized.status, PaymentStatus::Authorized);
                let captured = take(
                    &store,
                    &authorized,
                    from_copy,
                    &Step {
                        event: PaymentEvent::Captured {
                            amount: Amount::from_fen(1000).unwrap(),
                        },
                        paid: None,
                        payment_type: None,
                        detail: "captured in part",
                        message: None,
                        now_ms: NOW + 3,
                    },
                )
                .await;
                assert_eq!(captured.status, PaymentStatus::Succeeded);
                assert_eq!(captured.captured_amount, Some(1000));
            } else {
                let pending = take(
                    &store,
                    &p,
                    from_copy,
                    &Step {
                        event: PaymentEvent::RequestSent,
                        paid: None,
                        payment_type: Some("B2C"),
                        detail: "sent",
                        message: None,
                        now_ms: NOW + 1,
                    },
                )
                .await;
                assert_eq!(pending.status, PaymentStatus::Pending);
                assert_eq!(pending.payment_type.as_deref(), Some("B2C"));
                assert_eq!(pending.next_query_at, Some(NOW + 1 + 60_000));
                let succeeded = take(
                    &store,
                    &pending,
                    from_copy,
                    &Step {
                        event: PaymentEvent::BankSucceeded,
                        paid: Some(&bank),
                        payment_type: None,
                        detail: "paid",
                        message: Some(&heard),
                        now_ms: NOW + 2,
                    },
                )
                .await;
                assert_eq!(succeeded.status, PaymentStatus::Succeeded);
                assert_eq!(succeeded.next_query_at, None);
            }
            written_by.push(written(&store, &p, &shas).await);
        }
        assert_eq!(written_by[0], written_by[1]);
    }
    assert!(store.check_ledger().await.unwrap().holds());
}

/// Proves racing changes that all start from the same copy of a payment move it once: one
/// success, one timeline entry, one entry with its postings, one notification, and the bank's
/// message kept once with every delivery counted.
pub(super) async fn racing_changes_from_one_copy_move_a_payment_once(store: Store) {
    let p = create(&store, "ONE-COPY").await;
    let pending = store
        .apply_payment_change(
            &PaymentChange {
                known: Some(&p),
                ..change(&p.id, PaymentEvent::RequestSent, None, NOW + 1)
            },
            &render_event,
        )
        .await
        .unwrap()
        .into_payment()
        .unwrap();
    let pending = Arc::new(pending);
    let bank = Arc::new(paid());
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let bank = bank.clone();
        let known = pending.clone();
        tasks.push(tokio::spawn(async move {
            let heard = message(&known, "sha-one-copy", NOW + 10 + i);
            let change = PaymentChange {
                known: Some(&known),
                message: Some(&heard),
                raw_sha256: Some("sha-one-copy"),
                ..change(
                    &known.id,
                    PaymentEvent::BankSucceeded,
                    Some(&bank),
                    NOW + 10 + i,
                )
            };
            store
                .apply_payment_change(&change, &render_event)
                .await
                .unwrap()
        }));
    }
    let mut changed = 0;
    for task in tasks {
        match task.await.unwrap() {
            ApplyOutcome::Changed { .. } => changed += 1,
            ApplyOutcome::Unchanged(payment) => {
                assert_eq!(payment.status, PaymentStatus::Succeeded)
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(changed, 1);
    let stored = store.get_payment(&p.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.version),
        (PaymentStatus::Succeeded, 3)
    );
    let kinds: Vec<String> = store
        .list_payment_events(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["created", "request_sent", "bank_succeeded"]);
    let entries = store.entries_for(&p.id).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].postings.len(), 4);
    assert_eq!(store.list_events_for_payment(&p.id).await.unwrap().len(), 1);
    let kept = store.list_bank_messages(Some("accepted")).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].seen_count, 8);
    assert!(store.check_ledger().await.unwrap().holds());
}
