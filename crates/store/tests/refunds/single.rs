//! Single refunds: amounts up to what was paid, refusals, duplicates, idempotency and races.

use super::*;

/// Proves a full refund, a partial one, and several partials exactly up to the paid amount,
/// with the payment staying `succeeded` and its refunded sum exact.
pub(super) async fn full_partial_and_several_partial_refunds_up_to_the_paid_amount(store: Store) {
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
pub(super) async fn every_refusal_changes_nothing(store: Store) {
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
pub(super) async fn a_duplicate_out_refund_no_reports_the_first_refund(store: Store) {
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

/// Proves racing creates under one out_refund_no make one refund and reserve its amount once:
/// the others report it (a reservation they made is taken back in their transaction), also
/// once the payment has nothing left to refund.
pub(super) async fn racing_duplicates_reserve_once(store: Store) {
    let p = paid_payment(&store, "TWIN", 1_000).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = store.clone();
        let id = p.id.clone();
        tasks.push(tokio::spawn(async move {
            let new = refund_of(&id, "R-TWIN", 300);
            // Half as the API asks (a nonce each), half without.
            if i % 2 == 0 {
                try_refund_with_nonce(&store, &new, &format!("twin-{i}")).await
            } else {
                try_refund(&store, &new).await
            }
        }));
    }
    let mut created = Vec::new();
    let mut duplicates = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            CreateRefund::Created(r) => created.push(r),
            CreateRefund::Duplicate(r) => duplicates.push(r),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((created.len(), duplicates.len()), (1, 11));
    assert!(duplicates.iter().all(|r| *r == created[0]));
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 300);
    refund(&store, &refund_of(&p.id, "R-REST", 700)).await;
    assert_eq!(
        try_refund(&store, &refund_of(&p.id, "R-TWIN", 300)).await,
        CreateRefund::Duplicate(created[0].clone())
    );
    let after = payment(&store, &p.id).await;
    assert_eq!(after.refund_reserved, 1_000);
    assert_eq!(
        store.list_refunds_for_payment(&p.id).await.unwrap().len(),
        2
    );
}

/// Proves the idempotency key replays the first answer (a refusal too), refuses another body,
/// and that a spent nonce creates nothing.
pub(super) async fn idempotency_keys_and_nonces_work_as_for_payments(store: Store) {
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

/// Proves a request's nonce is spent with every answer its transaction commits (a refusal, a
/// duplicate) and with none it rolls back (a replayed idempotency key), and that only a refund
/// made keeps a reservation.
pub(super) async fn a_nonce_is_spent_with_every_committed_answer(store: Store) {
    let p = paid_payment(&store, "NONCES", 1_000).await;
    let nonce = |n: &str| NonceUse {
        app_id: "app_1".into(),
        nonce: format!("refund-nonce-{n}"),
        expires_at_ms: NOW + 300_000,
    };
    let create = |new: NewRefund, nonce: NonceUse, key: Option<IdempotencyRequest>| {
        let store = store.clone();
        async move {
            store
                .create_refund(&new, Some(&nonce), key.as_ref(), &render_refund_response)
                .await
                .unwrap()
        }
    };
    let spent = |nonce: NonceUse| {
        let store = store.clone();
        async move {
            !store
                .remember_nonce(&nonce.app_id, &nonce.nonce, nonce.expires_at_ms)
                .await
                .unwrap()
        }
    };
    let refused = create(refund_of(&p.id, "R-N-1", 1_001), nonce("1"), None).await;
    assert!(matches!(
        refused,
        Idempotent::Fresh(CreateRefund::Refused(
            RefundRefusal::ExceedsRefundable { .. }
        ))
    ));
    assert!(spent(nonce("1")).await);
    let key = IdempotencyRequest {
        app_id: "app_1".into(),
        key: "rk-nonce".into(),
        request_hash: "h".into(),
    };
    let first = create(
        refund_of(&p.id, "R-N-2", 300),
        nonce("2"),
        Some(key.clone()),
    )
    .await;
    let Idempotent::Fresh(CreateRefund::Created(made)) = first else {
        panic!("{first:?}")
    };
    let replay = create(refund_of(&p.id, "R-N-2", 300), nonce("3"), Some(key)).await;
    assert!(matches!(replay, Idempotent::Replay { status: 201, .. }));
    assert!(!spent(nonce("3")).await);
    let duplicate = create(refund_of(&p.id, "R-N-2", 200), nonce("4"), None).await;
    assert_eq!(duplicate, Idempotent::Fresh(CreateRefund::Duplicate(made)));
    assert!(spent(nonce("4")).await);
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 300);
    assert_eq!(
        store.list_refunds_for_payment(&p.id).await.unwrap().len(),
        1
    );
}

/// Proves a created refund comes with its payment as the creation left it (its reservation
/// counted), on either path to the reservation, and a refusal or a duplicate with none.
pub(super) async fn a_created_refund_comes_with_its_payment(store: Store) {
    let p = paid_payment(&store, "WITH-PAYMENT", 1_000).await;
    let nonce = NonceUse {
        app_id: "app_1".into(),
        nonce: "with-payment-1".into(),
        expires_at_ms: NOW + 300_000,
    };
    for (new, nonce) in [
        (refund_of(&p.id, "R-WP-1", 300), Some(&nonce)),
        (refund_of(&p.id, "R-WP-2", 200), None),
    ] {
        let (outcome, payment) = store
            .create_refund_with_payment(&new, nonce, None, &render_refund_response)
            .await
            .unwrap();
        assert!(matches!(
            outcome,
            Idempotent::Fresh(CreateRefund::Created(_))
        ));
        assert_eq!(payment, Some(self::payment(&store, &p.id).await));
    }
    for new in [
        refund_of(&p.id, "R-WP-1", 100),
        refund_of(&p.id, "R-WP-3", 600),
    ] {
        let (outcome, payment) = store
            .create_refund_with_payment(&new, None, None, &render_refund_response)
            .await
            .unwrap();
        assert!(!matches!(
            outcome,
            Idempotent::Fresh(CreateRefund::Created(_))
        ));
        assert_eq!(payment, None);
    }
    assert_eq!(self::payment(&store, &p.id).await.refund_reserved, 500);
}

/// Proves many concurrent refunds for the same remaining amount: exactly those that fit win,
/// the others are refused, and the payment is never over-reserved.
pub(super) async fn racing_refunds_never_refund_more_than_was_paid(store: Store) {
    let p = paid_payment(&store, "RACE", 1_000).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        let id = p.id.clone();
        tasks.push(tokio::spawn(async move {
            // 300 fen each: three fit in 1,000, the fourth would not.
            let new = refund_of(&id, &format!("R-RACE-{i}"), 300);
            if i % 2 == 0 {
                try_refund_with_nonce(&store, &new, &format!("race-{i}")).await
            } else {
                try_refund(&store, &new).await
            }
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
