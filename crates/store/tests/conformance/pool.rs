//! PostgreSQL's pool hands out connections without a ping while they are busy; one that sat
//! idle is pinged first, so a connection the server cut meanwhile is replaced, not used.

use super::*;

#[tokio::test]
async fn a_postgres_connection_cut_while_idle_is_replaced_before_use() {
    let Some((db, store)) = TestDatabase::store(TestBackend::Postgres).await.unwrap() else {
        return;
    };
    seed(&store).await;
    assert!(store.get_payment("pay_none").await.unwrap().is_none());

    // Another client cuts every connection of the store, as a restarted server would.
    let other = Store::connect_with(&db.url, 1).await.unwrap();
    let cut = other
        .execute_for_test(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await
        .unwrap();
    assert!(cut >= 1, "no connection of the store was cut");
    other.close().await;

    // Idle past the trusted moment: each is pinged, found dead, and replaced.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let p = create(&store, "CUT-1").await;
    assert_eq!(store.get_payment(&p.id).await.unwrap(), Some(p));
    store.close().await;
    db.drop_database().await.unwrap();
}
