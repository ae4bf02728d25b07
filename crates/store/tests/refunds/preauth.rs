//! Pre-authorizations: authorization, capture, cancel, and refunds of what was captured.

use super::*;

/// A pre-authorization of 1,000 fen authorized by the bank's "paid".
pub(super) async fn authorized(store: &Store, out_trade_no: &str) -> Payment {
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

pub(super) fn captured(amount: i64) -> PaymentEvent {
    PaymentEvent::Captured {
        amount: Amount::from_fen(amount).unwrap(),
    }
}

/// Proves authorization moves no money, and a capture of part of it succeeds the payment with
/// the captured amount, its share of the fees, one `capture` entry dated by the capture, and
/// repeats as unchanged.
pub(super) async fn a_preauth_is_authorized_then_captured_in_part(store: Store) {
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
    // More than any bank lets a capture take (UnionPay's 115 % of the hold) is refused; each
    // channel's own limit (ABC's 100 %) is checked before the bank is asked.
    assert!(matches!(
        apply(
            &store,
            &payment_change(&p.id, captured(1_151), None, NOW + 3)
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
    assert_eq!(payment.amount.fen(), 1_000, "the authorized amount stays");
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
pub(super) async fn a_captured_preauth_cannot_be_cancelled(store: Store) {
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
pub(super) async fn an_authorized_preauth_can_be_cancelled(store: Store) {
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
pub(super) async fn a_captured_preauth_refunds_up_to_the_captured_amount(store: Store) {
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
