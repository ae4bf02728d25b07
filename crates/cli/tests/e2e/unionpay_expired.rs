//! The gateway signing under a certificate out of date: its `signPubKeyCert` chains to the
//! configured root and middle but its validity has ended, so its notification is not believed;
//! once it signs under its current certificate again, the payment is found and heard once.

use crate::harness::World;
use crate::unionpay::{
    assert_back_notices_rejected, pay_at_gateway, set_gateway_faults, start_gateway,
};
use serde_json::json;

/// Proves a back notification signed under an expired `signPubKeyCert` is rejected (400) and
/// recorded with the certificate's expiry as its reason, the payment unchanged and nothing
/// else stored; and that with the fault cleared the janitor's query finds the payment paid and
/// the business system hears of it once.
pub async fn unionpay_notification_under_an_expired_certificate_is_rejected(world: &mut World) {
    let gateway = start_gateway(world).await;
    // The gateway's own attempts are dropped: the one looked at is the one posted below.
    set_gateway_faults(
        world,
        &gateway,
        json!({"notify": "drop", "sign_cert": "expired"}),
    )
    .await;
    let (payment, _, notice) = pay_at_gateway(world, "UP-EXPIRED-1").await;
    world.postpone_janitor("payments", &payment.id).await;

    let rejected = assert_back_notices_rejected(world, &gateway, &payment.id, &[&notice]).await;
    assert!(
        rejected
            .iter()
            .any(|r| r.contains("certificate is out of date: expired")),
        "{rejected:?}"
    );
    let store = world.store().await;
    let row = store.get_payment(&payment.id).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "pending", "{row:?}");

    // Signed under the current certificate again: the janitor's next query believes the
    // answer, and the payment is paid and heard of once.
    set_gateway_faults(world, &gateway, json!({})).await;
    let now = chrono::Utc::now().timestamp_millis();
    store
        .execute_for_test(&format!(
            "UPDATE payments SET next_query_at = {now} WHERE id = '{}'",
            payment.id
        ))
        .await
        .unwrap();
    store.close().await;
    let found = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(found.status, "succeeded", "found by the janitor's query");
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    world.check_invariants().await;
}
