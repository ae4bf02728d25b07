//! The counts `/metrics` reads are kept by the database as rows change; they must always equal
//! what counting the tables gives, on both backends, with many connections writing at once
//! and after those connections have gone.

use super::*;
use unipay_store::metrics::Backlogs;

mod on {
    #[tokio::test]
    async fn sqlite() {
        super::tallies_equal_the_tables(unipay_store::testing::TestBackend::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::tallies_equal_the_tables(unipay_store::testing::TestBackend::Postgres).await;
    }
}

/// The tallies keep statuses that have come down to none, at zero; counting shows none.
fn without_zeros(mut backlogs: Backlogs) -> Backlogs {
    backlogs.payments_by_status.retain(|(_, n)| *n != 0);
    backlogs
}

async fn assert_tallies_equal_the_tables(store: &Store, now_ms: i64) {
    let kept = without_zeros(store.backlogs(now_ms).await.unwrap());
    let counted = store.backlogs_counted_for_test(now_ms).await.unwrap();
    assert_eq!(kept, counted);
}

async fn tallies_equal_the_tables(backend: TestBackend) {
    let Some((db, store)) = TestDatabase::store(backend).await.unwrap() else {
        return;
    };
    seed(&store).await;
    assert_tallies_equal_the_tables(&store, NOW).await;

    // Creations on as many connections as the pool gives at once.
    let mut creations = tokio::task::JoinSet::new();
    for i in 0..24 {
        let store = store.clone();
        creations.spawn(async move { create(&store, &format!("TALLY-{i}")).await });
    }
    let mut payments = Vec::new();
    while let Some(payment) = creations.join_next().await {
        payments.push(payment.unwrap());
    }
    payments.sort_by(|a, b| a.id.cmp(&b.id));
    assert_tallies_equal_the_tables(&store, NOW).await;

    // Successes (each with a notification to send) concurrently, closes, and late successes
    // after a close (anomalies); then a query due for some and not for others.
    let bank = paid();
    let mut changes = tokio::task::JoinSet::new();
    for payment in payments.iter().take(8) {
        let (store, id, bank) = (store.clone(), payment.id.clone(), bank.clone());
        changes.spawn(async move {
            store
                .apply_payment_change(
                    &change(&id, PaymentEvent::BankSucceeded, Some(&bank), NOW + 1),
                    &render_event,
                )
                .await
                .unwrap();
        });
    }
    while let Some(done) = changes.join_next().await {
        done.unwrap();
    }
    for payment in payments.iter().skip(8).take(4) {
        store
            .apply_payment_change(
                &change(
                    &payment.id,
                    PaymentEvent::ConfirmedUnpaidClose,
                    None,
                    NOW + 2,
                ),
                &render_event,
            )
            .await
            .unwrap();
    }
    for payment in payments.iter().skip(8).take(2) {
        store
            .apply_payment_change(
                &change(
                    &payment.id,
                    PaymentEvent::BankSucceeded,
                    Some(&bank),
                    NOW + 3,
                ),
                &render_event,
            )
            .await
            .unwrap();
    }
    assert_tallies_equal_the_tables(&store, NOW).await;
    assert_tallies_equal_the_tables(&store, NOW + 10 * 60_000).await;
    let backlogs = store.backlogs(NOW).await.unwrap();
    assert_eq!(backlogs.anomalies, 2);
    assert!(
        backlogs
            .payments_by_status
            .contains(&("succeeded".to_string(), 8)),
        "{backlogs:?}"
    );

    // Once the connections that wrote are gone, their shards fold into one row per count
    // and the counts stay what they were. A closed connection leaves pg_stat_activity a
    // moment after it says goodbye; one the pool let go of without ending it (sqlx's close
    // can return before a connection on its way back is ended) is ended by the server here,
    // as an administrator or an idle timeout would: gone either way. The reopened store's own
    // connections write nothing here.
    let url = db.url.clone();
    store.close().await;
    let reopened = Store::connect(&url).await.unwrap();
    let mut shards = Vec::new();
    for attempt in 0..300 {
        assert_tallies_equal_the_tables(&reopened, NOW).await;
        shards = reopened.tally_shards_for_test().await.unwrap();
        if shards.is_empty() {
            break;
        }
        if attempt == 30 {
            let alive: Vec<i64> = shards
                .iter()
                .filter(|(_, _, _, alive)| *alive)
                .map(|(_, shard, _, _)| *shard)
                .collect();
            reopened.end_connections_for_test(&alive).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        shards.is_empty(),
        "shards kept after their connections ended (name, shard, n, connection alive): {shards:?}"
    );
    reopened.close().await;
    db.drop_database().await.unwrap();
}
