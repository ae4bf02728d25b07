//! Refunds created without an idempotency key on a payment whose fee stays with us (one
//! statement on PostgreSQL), against the same creation in a transaction; and what such a
//! creation leaves to the transaction when it cannot be made.

use super::*;

/// A paid payment on `cha_2`, whose merchant has no fee plan there: its refunds return no fee.
async fn kept_fee_payment(store: &Store, out_trade_no: &str, amount: i64) -> Payment {
    let new = NewPayment {
        channel_account_id: "cha_2".into(),
        ..new_payment(out_trade_no, amount, CaptureMode::Immediate)
    };
    paid(store, &new).await
}

fn nonce(text: &str) -> NonceUse {
    NonceUse {
        app_id: "app_1".into(),
        nonce: text.into(),
        expires_at_ms: NOW + 300_000,
    }
}

async fn create(
    store: &Store,
    new: &NewRefund,
    nonce: &NonceUse,
    key: Option<&IdempotencyRequest>,
) -> (Idempotent<CreateRefund>, Option<Payment>) {
    store
        .create_refund_with_payment(new, Some(nonce), key, &render_refund_response)
        .await
        .unwrap()
}

async fn nonce_spent(store: &Store, nonce: &NonceUse) -> bool {
    !store
        .remember_nonce(&nonce.app_id, &nonce.nonce, nonce.expires_at_ms)
        .await
        .unwrap()
}

/// Everything stored but the spent nonces.
async fn stored_but_nonces(store: &Store) -> Vec<(String, String)> {
    store.dump_text_but_for_test(&["api_nonces"]).await.unwrap()
}

/// Proves a refund created without an idempotency key (one statement on PostgreSQL) writes what
/// a creation under a key (a transaction) writes: the refund, answered as stored; the payment's
/// reservation, answered as stored; the timeline entry; and each spends its nonce.
pub(super) async fn a_refund_created_at_once_writes_what_a_transaction_writes(store: Store) {
    let key = IdempotencyRequest {
        app_id: "app_1".into(),
        key: "refund-in-a-transaction".into(),
        request_hash: "h".into(),
    };
    let mut written_by = Vec::new();
    for (out, under_key) in [("ONCE-KEY", true), ("ONCE", false)] {
        let p = kept_fee_payment(&store, out, 1_000).await;
        let spends = nonce(&format!("nonce-{out}"));
        let new = NewRefund {
            notify_url: under_key.then(|| "http://127.0.0.1:2/refunds".into()),
            ..refund_of(&p.id, &format!("R-{out}"), 400)
        };
        let (created, after) = create(&store, &new, &spends, under_key.then_some(&key)).await;
        let Idempotent::Fresh(CreateRefund::Created(r)) = created else {
            panic!("{out}: {created:?}");
        };
        assert_eq!(store.get_refund(&r.id).await.unwrap(), Some(r.clone()));
        let stored = payment(&store, &p.id).await;
        assert_eq!(after.as_ref(), Some(&stored));
        assert!(nonce_spent(&store, &spends).await, "{out}");
        let timeline: Vec<_> = store
            .list_payment_events(&p.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                let detail = e.detail.replace(&r.id, "{refund}");
                (
                    e.kind,
                    e.source,
                    e.from_status,
                    e.to_status,
                    detail,
                    e.created_at,
                )
            })
            .collect();
        let refund = Refund {
            id: String::new(),
            payment_id: String::new(),
            out_refund_no: String::new(),
            refund_no: String::new(),
            notify_url: None,
            ..r.clone()
        };
        let payment = Payment {
            id: String::new(),
            out_trade_no: String::new(),
            order_no: String::new(),
            channel_trade_no: None,
            ..stored
        };
        written_by.push(
            format!("{refund:?} {payment:?} {timeline:?}").replace(&r.out_refund_no, "{out}"),
        );
        // The refund is notified where it asked, else where its payment is.
        let notify = new.notify_url.clone().or(p.notify_url.clone());
        assert_eq!(r.notify_url, notify);
    }
    assert_eq!(written_by[0], written_by[1]);
}

/// Proves a refund that cannot be made at once writes nothing there and gets the transaction's
/// answer: a spent nonce (nothing stored at all), a duplicate and a refusal (only the nonce
/// spent); and that a payment whose plan returns a share of its fee gets that share.
pub(super) async fn a_refund_that_cannot_be_made_at_once_gets_the_transactions_answer(
    store: Store,
) {
    let p = kept_fee_payment(&store, "LEFT", 1_000).await;
    let first_nonce = nonce("left-1");
    let (first, _) = create(&store, &refund_of(&p.id, "R-LEFT", 300), &first_nonce, None).await;
    let Idempotent::Fresh(CreateRefund::Created(first)) = first else {
        panic!("{first:?}")
    };

    let everything = store.dump_text_for_test().await.unwrap();
    let (replayed, payment) = create(
        &store,
        &refund_of(&p.id, "R-LEFT-2", 100),
        &first_nonce,
        None,
    )
    .await;
    assert_eq!((replayed, payment), (Idempotent::NonceReused, None));
    assert_eq!(store.dump_text_for_test().await.unwrap(), everything);

    let before = stored_but_nonces(&store).await;
    let answers = [
        (refund_of(&p.id, "R-LEFT", 200), "dup"),
        (refund_of(&p.id, "R-LEFT-3", 701), "exceeds"),
        (refund_of("pay_none", "R-LEFT-4", 100), "none"),
    ];
    for (new, what) in answers {
        let spends = nonce(&format!("left-{what}"));
        let (answer, payment) = create(&store, &new, &spends, None).await;
        match (what, answer) {
            ("dup", Idempotent::Fresh(CreateRefund::Duplicate(r))) => assert_eq!(r, first),
            (
                "exceeds",
                Idempotent::Fresh(CreateRefund::Refused(RefundRefusal::ExceedsRefundable {
                    requested: 701,
                    ..
                })),
            ) => {}
            ("none", Idempotent::Fresh(CreateRefund::Refused(RefundRefusal::PaymentNotFound))) => {}
            (what, answer) => panic!("{what}: {answer:?}"),
        }
        assert_eq!(payment, None, "{what}");
        assert!(nonce_spent(&store, &spends).await, "{what}");
        assert_eq!(stored_but_nonces(&store).await, before, "{what}");
    }

    // cha_1's plan returns a proportional share of the fee: the transaction works it out.
    let shared = paid_payment(&store, "SHARED", 1_000).await;
    let (made, _) = create(
        &store,
        &refund_of(&shared.id, "R-SHARED", 500),
        &nonce("shared"),
        None,
    )
    .await;
    let Idempotent::Fresh(CreateRefund::Created(r)) = made else {
        panic!("{made:?}")
    };
    assert_eq!(r.fee_returned, shared.fee / 2);
    assert!(r.fee_returned > 0);
}

/// Proves racing creates at once reserve exactly once per refund made: creates of one
/// out_refund_no make one refund and the rest answer it, and creates of distinct refunds for
/// more than is left never reserve more than was paid. Every nonce is spent.
pub(super) async fn racing_refunds_at_once_reserve_what_fits_once(store: Store) {
    let p = kept_fee_payment(&store, "RACE-ONCE", 1_000).await;
    let race = |numbers: Vec<String>| {
        let tasks: Vec<_> = numbers
            .into_iter()
            .enumerate()
            .map(|(i, out)| {
                let store = store.clone();
                let new = refund_of(&p.id, &out, 300);
                tokio::spawn(async move {
                    let spends = nonce(&format!("{out}-{i}"));
                    let (answer, _) = create(&store, &new, &spends, None).await;
                    assert!(nonce_spent(&store, &spends).await, "{out}");
                    answer
                })
            })
            .collect();
        async move {
            let mut answers = Vec::new();
            for task in tasks {
                match task.await.unwrap() {
                    Idempotent::Fresh(answer) => answers.push(answer),
                    other => panic!("{other:?}"),
                }
            }
            answers
        }
    };

    let twins = race(vec!["R-TWIN-ONCE".to_string(); 12]).await;
    let made: Vec<_> = twins
        .iter()
        .filter_map(|a| match a {
            CreateRefund::Created(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(made.len(), 1, "{twins:?}");
    assert!(twins.iter().all(
        |a| matches!(a, CreateRefund::Created(r) | CreateRefund::Duplicate(r) if *r == made[0])
    ));
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 300);

    // 700 fen are left: two of 300 fit, the rest are refused.
    let distinct = race((0..16).map(|i| format!("R-MANY-{i}")).collect()).await;
    let won = distinct
        .iter()
        .filter(|a| matches!(a, CreateRefund::Created(_)))
        .count();
    let refused = distinct
        .iter()
        .filter(|a| {
            matches!(
                a,
                CreateRefund::Refused(RefundRefusal::ExceedsRefundable { .. })
            )
        })
        .count();
    assert_eq!((won, refused), (2, 14));
    assert_eq!(payment(&store, &p.id).await.refund_reserved, 900);
    assert_eq!(
        store.list_refunds_for_payment(&p.id).await.unwrap().len(),
        3
    );
    assert_eq!(store.list_payment_events(&p.id).await.unwrap().len(), 2 + 3);
}
