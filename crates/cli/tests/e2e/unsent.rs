//! Requests committed before the bank was asked, whose node died before asking (found by
//! `bench chaos`): none may stay pending for ever. A mandate's signing request and an identity
//! verification need personal data that is never kept, so they cannot be sent again: the
//! janitor fails them with their reason once no call can still be under way, and the business
//! system hears it once.

use crate::harness::World;
use serde_json::{Value, json};
use std::time::Duration;

async fn arm(world: &World, point: &str) {
    let armed = world
        .http
        .post(format!("{}/chaos/crash-points/{point}", world.server_url))
        .send()
        .await
        .expect("server answers");
    assert!(armed.status().is_success(), "arms {point}");
}

/// Sends a create request whose node dies on it, and brings the node back.
async fn create_on_a_dying_node(
    world: &mut World,
    point: &str,
    path: &str,
    body: &Value,
    key: &str,
) {
    arm(world, point).await;
    let headers = [("idempotency-key", key.to_string())];
    let answer = world
        .client
        .send("POST", path, body.to_string().as_bytes(), &headers)
        .await;
    assert!(
        answer.is_err(),
        "the node died before answering: {answer:?}"
    );
    world.wait_for_server_exit(Duration::from_secs(10)).await;
    world.start_server().await;
}

async fn get(world: &World, path: &str) -> Value {
    let answer = world.client.send("GET", path, b"", &[]).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

async fn wait_status(world: &World, path: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let object = get(world, path).await;
        if object["status"] == status || tokio::time::Instant::now() > deadline {
            assert_eq!(object["status"], status, "{object}");
            return object;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Proves a mandate whose signing request never left is failed by the janitor (its query
/// finds no signing at the bank) and `mandate.failed` is heard once.
pub async fn unsent_mandate_signing_is_failed(world: &mut World) {
    let body = json!({
        "out_mandate_no": "MDT-UNSENT",
        "customer_ref": "student-9",
        "card_type": "1",
        "certificate_type": "I",
        "certificate_no": "110105194912310021",
        "expires_on": "2099-12-31",
    });
    create_on_a_dying_node(
        world,
        "mandate.after_commit_before_bank_call",
        "/v1/mandates",
        &body,
        "mdt-unsent",
    )
    .await;
    // The business system asks again with its key: the mandate exists, pending, without a page.
    let again = world
        .client
        .send(
            "POST",
            "/v1/mandates",
            body.to_string().as_bytes(),
            &[("idempotency-key", "mdt-unsent".to_string())],
        )
        .await
        .unwrap();
    assert_eq!(again.status, 201, "{}", again.body);
    let id = again.json()["id"].as_str().unwrap().to_string();
    let failed = wait_status(world, &format!("/v1/mandates/{id}"), "failed").await;
    assert!(
        failed["failure_reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("not_sent"),
        "{failed}"
    );
    world.assert_notified_once(&id, &["mandate.failed"]).await;
}

/// Proves an identity verification whose bank call never happened is failed with `not_sent`
/// by the janitor, and `identity.verified` is heard once.
pub async fn unsent_identity_verification_is_failed(world: &mut World) {
    let body = json!({
        "out_verify_no": "IDV-UNSENT",
        "mode": "direct",
        "customer_type": "person",
        "name": "欧阳明月",
        "certificate_type": "I",
        "certificate_no": "440304198506123711",
        "card_no": "6228480418273645192",
        "mobile": "13912873465",
    });
    create_on_a_dying_node(
        world,
        "identity.after_commit_before_bank_call",
        "/v1/identity-verifications",
        &body,
        "idv-unsent",
    )
    .await;
    let again = world
        .client
        .send(
            "POST",
            "/v1/identity-verifications",
            body.to_string().as_bytes(),
            &[("idempotency-key", "idv-unsent".to_string())],
        )
        .await
        .unwrap();
    assert_eq!(again.status, 201, "{}", again.body);
    let id = again.json()["id"].as_str().unwrap().to_string();
    let failed = wait_status(world, &format!("/v1/identity-verifications/{id}"), "failed").await;
    assert_eq!(failed["reason_code"], "not_sent", "{failed}");
    world
        .assert_notified_once(&id, &["identity.verified"])
        .await;
}

/// Proves a debit committed but never sent (its node died first) is sent by the janitor, under
/// its order number, although the business system's retry was answered from the saved answer:
/// it is paid once, and `payment.succeeded` is heard once.
pub async fn unsent_debit_is_sent_by_the_janitor(world: &mut World) {
    let mandate =
        crate::mandates::signed_mandate(world, "MDT-UNSENT-DEBIT", "6228480000000000088").await;
    let path = format!("/v1/mandates/{}/debits", mandate["id"].as_str().unwrap());
    let body = json!({"out_trade_no": "DEBIT-UNSENT", "amount": 321, "subject": "学费 Tuition"});
    create_on_a_dying_node(
        world,
        "debit.after_commit_before_bank_call",
        &path,
        &body,
        "debit-unsent",
    )
    .await;
    let again = world
        .client
        .send(
            "POST",
            &path,
            body.to_string().as_bytes(),
            &[("idempotency-key", "debit-unsent".to_string())],
        )
        .await
        .unwrap();
    assert_eq!(again.status, 201, "{}", again.body);
    let id = again.json()["id"].as_str().unwrap().to_string();
    let paid = wait_status(world, &format!("/v1/payments/{id}"), "succeeded").await;
    assert_eq!(paid["amount"], 321);
    let order = world
        .sim_order(paid["channel_order_no"].as_str().unwrap())
        .await;
    assert_eq!(order["state"], "paid", "{order}");
    world
        .assert_notified_once(&id, &["payment.succeeded"])
        .await;
}
