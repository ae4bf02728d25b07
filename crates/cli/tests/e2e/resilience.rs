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
        world
            .assert_notified_once(&payment.id, &["payment.succeeded"])
            .await;
    }
}

/// Proves the server's JSON logs carry a request id for each request and never a secret: no
/// app secret, no private key, no signature header.
pub async fn logs_carry_request_ids_and_keep_secrets_out(world: &mut World) {
    let payment = world.pay("LOGS-1", 100, "server").await;
    world.wait_for_events(&payment.id, 1).await;
    let unknown = world.client.get_payment("pay_missing", false).await;
    assert!(unknown.is_err());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = std::fs::read_to_string(world.log_path()).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(!lines.is_empty());
    let with_request_id = lines
        .iter()
        .filter(|l| {
            l["span"]["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        })
        .count();
    assert!(with_request_id > 0, "request ids in the log:\n{log}");
    let key_pem = std::fs::read_to_string(world.dir().join("merchant-key.pem")).unwrap();
    let key_body = key_pem.lines().nth(1).unwrap();
    for secret in [
        world.secret.as_str(),
        "PRIVATE KEY",
        key_body,
        "UNIPAY-HMAC-SHA256 app_id",
    ] {
        assert!(!log.contains(secret), "the log must not contain {secret:?}");
    }
}
