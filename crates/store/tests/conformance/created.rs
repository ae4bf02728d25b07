//! Payments created without an idempotency key (one statement on PostgreSQL) against the same
//! creation in a transaction, and what a repeated or racing creation keeps.

use super::*;

fn nonce(text: &str) -> NonceUse {
    NonceUse {
        app_id: "app_1".into(),
        nonce: text.into(),
        expires_at_ms: NOW + 300_000,
    }
}

async fn create_with(
    store: &Store,
    new: &NewPayment,
    nonce: &NonceUse,
) -> Idempotent<CreatePayment> {
    store
        .create_payment(new, Some(nonce), None, &render_response)
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

/// Proves a payment created without an idempotency key (one statement on PostgreSQL) writes
/// what a creation under a key (a transaction) writes: the row, answered as stored, and its
/// first timeline entry; and that each spends its nonce.
pub(super) async fn a_payment_created_at_once_writes_what_a_transaction_writes(store: Store) {
    let key = IdempotencyRequest {
        app_id: "app_1".into(),
        key: "created-in-a-transaction".into(),
        request_hash: "h".into(),
    };
    let mut written_by = Vec::new();
    for (out, under_key) in [("MADE-KEY", true), ("MADE-ONCE", false)] {
        let spends = nonce(&format!("nonce-{out}"));
        let created = store
            .create_payment(
                &new_payment(out),
                Some(&spends),
                under_key.then_some(&key),
                &render_response,
            )
            .await
            .unwrap();
        let Idempotent::Fresh(CreatePayment::Created(payment)) = created else {
            panic!("{out}: {created:?}");
        };
        assert_eq!(
            store.get_payment(&payment.id).await.unwrap(),
            Some(payment.clone())
        );
        assert!(nonce_spent(&store, &spends).await, "{out}");
        written_by.push(moves::written(&store, &payment, &[]).await);
    }
    assert_eq!(written_by[0], written_by[1]);
}

/// Proves a second creation of an `out_trade_no` answers the first payment and writes nothing
/// but its spent nonce: a replay of that nonce is refused like any other.
pub(super) async fn a_repeated_create_answers_the_first_and_keeps_its_nonce(store: Store) {
    let first = match create_with(&store, &new_payment("AGAIN-1"), &nonce("again-1")).await {
        Idempotent::Fresh(CreatePayment::Created(payment)) => payment,
        other => panic!("{other:?}"),
    };
    let before = stored_but_nonces(&store).await;
    let second = nonce("again-2");
    let again = create_with(&store, &new_payment("AGAIN-1"), &second).await;
    assert_eq!(again, Idempotent::Fresh(CreatePayment::Duplicate(first)));
    assert_eq!(stored_but_nonces(&store).await, before);
    assert_eq!(
        create_with(&store, &new_payment("AGAIN-2"), &second).await,
        Idempotent::NonceReused
    );
    assert_eq!(stored_but_nonces(&store).await, before);
}

/// Proves creations of one `out_trade_no` racing each other make one payment with one timeline
/// entry, every other answering that payment, and every one of them spending its nonce.
pub(super) async fn racing_creates_of_one_order_make_one_payment(store: Store) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let new = new_payment("RACE-1");
            let spends = nonce(&format!("race-{i}"));
            let created = create_with(&store, &new, &spends).await;
            (new.id, spends, created)
        }));
    }
    let mut made = Vec::new();
    let mut answered = Vec::new();
    for task in tasks {
        let (id, spends, created) = task.await.unwrap();
        assert!(nonce_spent(&store, &spends).await, "{id}");
        match created {
            Idempotent::Fresh(CreatePayment::Created(payment)) => made.push(payment),
            Idempotent::Fresh(CreatePayment::Duplicate(payment)) => {
                assert!(store.get_payment(&id).await.unwrap().is_none(), "{id}");
                answered.push(payment);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(answered.iter().all(|payment| *payment == made[0]));
    assert_eq!(
        store.list_payment_events(&made[0].id).await.unwrap().len(),
        1
    );
}
