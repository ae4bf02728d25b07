//! Crashes: a server killed mid-run loses nothing.

use crate::harness::World;
use serde_json::json;

/// Proves that payments paid while the server is down are completed after it restarts: the
/// bank's retries and the janitor's queries pick them up, and each is notified once.
pub async fn killed_server_loses_nothing(world: &mut World) {
    let mut payments = Vec::new();
    for i in 0..6 {
        let payment = world.create(&format!("CRASH-{i}"), 600 + i).await;
        world.checkout(&payment).await;
        payments.push(payment);
    }
    world.kill_server().await;
    for (i, payment) in payments.iter().enumerate() {
        let mode = if i % 2 == 0 { "server" } else { "none" };
        let response = world
            .http
            .post(format!(
                "{}/sim/orders/{}/pay",
                world.bank_url, payment.channel_order_no
            ))
            .json(&json!({"outcome": "success", "notify": mode}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
    world.start_server().await;
    for payment in &payments {
        let paid = world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
        assert_eq!(
            paid.status, "succeeded",
            "{} completed after the restart",
            payment.out_trade_no
        );
        assert_eq!(world.wait_for_events(&payment.id, 1).await.len(), 1);
    }
}
