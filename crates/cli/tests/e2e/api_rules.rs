//! The merchant API's rules: every bad request gets its documented code and stores nothing.

use crate::harness::World;
use serde_json::{Value, json};
use unipay_client::RawResponse;

async fn post(world: &World, body: &str) -> RawResponse {
    world
        .client
        .send("POST", "/v1/payments", body.as_bytes(), &[])
        .await
        .unwrap()
}

fn codes_listed_in(openapi: &Value) -> Vec<String> {
    openapi["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Proves each malformed, unauthenticated or invalid request gets its documented code and
/// that none of them stores anything.
pub async fn each_bad_request_has_its_code_and_stores_nothing(world: &mut World) {
    let openapi: Value = world
        .http
        .get(format!("{}/v1/openapi.json", world.server_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented = codes_listed_in(&openapi);
    let before = world.row_counts().await;
    let good = r#"{"out_trade_no":"API-1","amount":100,"currency":"CNY","subject":"s"}"#;
    let now = chrono::Utc::now().timestamp();
    let client = &world.client;
    let mut seen = Vec::new();
    let mut expect = |response: RawResponse, status: u16, code: &str| {
        assert_eq!(response.status, status, "{code}: {}", response.body);
        assert_eq!(
            response.error_code().as_deref(),
            Some(code),
            "{}",
            response.body
        );
        assert!(response.json()["error"]["message"].is_string());
        assert!(documented.iter().any(|c| c == code), "{code} is documented");
        seen.push(code.to_string());
    };
    let body = good.as_bytes();
    expect(
        client
            .send_signed_as(
                "POST",
                "/v1/payments",
                body,
                &[],
                now,
                "nonce-bad-signature-1",
                "wrong-secret",
            )
            .await
            .unwrap(),
        401,
        "invalid_signature",
    );
    expect(
        client
            .send_signed_as(
                "POST",
                "/v1/payments",
                body,
                &[],
                // Well outside the 300 s window: the server reads its clock later than this
                // test did, by as much as a loaded machine makes it.
                chrono::Utc::now().timestamp() - 360,
                "nonce-stale-timestamp",
                &world.secret,
            )
            .await
            .unwrap(),
        401,
        "signature_expired",
    );
    expect(
        client
            .send_signed_as(
                "POST",
                "/v1/payments",
                body,
                &[],
                chrono::Utc::now().timestamp() + 360,
                "nonce-future-timestamp",
                &world.secret,
            )
            .await
            .unwrap(),
        401,
        "signature_expired",
    );
    let reused = client
        .send_signed_as(
            "GET",
            "/v1/payments?out_trade_no=none",
            b"",
            &[],
            now,
            "nonce-reused-00001",
            &world.secret,
        )
        .await
        .unwrap();
    assert_eq!(reused.error_code().as_deref(), Some("payment_not_found"));
    expect(
        client
            .send_signed_as(
                "GET",
                "/v1/payments?out_trade_no=none",
                b"",
                &[],
                now,
                "nonce-reused-00001",
                &world.secret,
            )
            .await
            .unwrap(),
        401,
        "nonce_reused",
    );
    expect(
        client
            .send_signed_as(
                "POST",
                "/v1/payments",
                body,
                &[],
                now,
                "short",
                &world.secret,
            )
            .await
            .unwrap(),
        401,
        "malformed_authorization",
    );
    let unsigned = world
        .http
        .post(format!("{}/v1/payments", world.server_url))
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let unsigned: Value = unsigned.json().await.unwrap();
    assert_eq!(unsigned["error"]["code"], json!("missing_authorization"));
    // A request signed for another body.
    let signed_for_other = unipay_client::sign_request(
        &world.app_id,
        &world.secret,
        "POST",
        "/v1/payments",
        now,
        "nonce-other-body-01",
        b"{}",
    );
    let swapped = world
        .http
        .post(format!("{}/v1/payments", world.server_url))
        .header("authorization", signed_for_other)
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status().as_u16(), 401);

    expect(post(world, "{not json").await, 400, "invalid_json");
    expect(post(world, "[1,2]").await, 400, "invalid_json");
    for amount in ["0", "-100", "10000000001", "1.5", "\"100\""] {
        let body = format!(
            r#"{{"out_trade_no":"API-2","amount":{amount},"currency":"CNY","subject":"s"}}"#
        );
        expect(post(world, &body).await, 400, "invalid_amount");
    }
    for body in [
        r#"{"amount":100,"currency":"CNY","subject":"s"}"#,
        r#"{"out_trade_no":"API-3","currency":"CNY","subject":"s"}"#,
        r#"{"out_trade_no":"API-3","amount":100,"currency":"CNY"}"#,
        r#"{"out_trade_no":"API-3","amount":100,"subject":"s"}"#,
    ] {
        expect(post(world, body).await, 400, "invalid_request");
    }
    expect(
        post(
            world,
            r#"{"out_trade_no":"API-4","amount":100,"currency":"USD","subject":"s"}"#,
        )
        .await,
        400,
        "invalid_currency",
    );
    expect(
        client
            .send("GET", "/v1/payments/pay_nope", b"", &[])
            .await
            .unwrap(),
        404,
        "payment_not_found",
    );
    expect(
        client
            .send("GET", "/v1/nothing-here", b"", &[])
            .await
            .unwrap(),
        404,
        "not_found",
    );
    assert!(seen.len() >= 15);
    // Only the two requests that passed the signature check and reached a handler spent their
    // nonces (the first lookup under nonce-reused-00001, and that of pay_nope); a create
    // refused for its body spends none, and nothing else was stored anywhere.
    world
        .assert_nothing_stored(&before, 2, "bad requests")
        .await;
}

/// Proves the health endpoints answer, and that a page or API route that does not exist says so.
pub async fn health_and_readiness(world: &mut World) {
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = world
            .http
            .get(format!("{}{path}", world.server_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
        assert_eq!(response.text().await.unwrap(), body);
    }
    let page = world
        .http
        .get(format!("{}/pay/pay_missing", world.server_url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404);
    let headers = page.headers();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["x-frame-options"], "DENY");
}

/// Proves duplicates answer 409 with the existing payment, and idempotency keys replay the
/// first answer or refuse another body.
pub async fn idempotency_and_duplicates(world: &mut World) {
    let first = world.create("IDEM-1", 100).await;
    let before = world.row_counts().await;
    let again = post(
        world,
        r#"{"out_trade_no":"IDEM-1","amount":100,"currency":"CNY","subject":"s"}"#,
    )
    .await;
    assert_eq!(again.status, 409);
    assert_eq!(
        again.error_code().as_deref(),
        Some("duplicate_out_trade_no")
    );
    assert_eq!(again.json()["error"]["payment_id"], json!(first.id));
    world
        .assert_nothing_stored(&before, 1, "a duplicate out_trade_no")
        .await;

    // A create replayed with the same nonce is refused and creates nothing more.
    let now = chrono::Utc::now().timestamp();
    let body = br#"{"out_trade_no":"REPLAY-1","amount":100,"currency":"CNY","subject":"s"}"#;
    let send = || {
        world.client.send_signed_as(
            "POST",
            "/v1/payments",
            body,
            &[],
            now,
            "replayed-create-01",
            &world.secret,
        )
    };
    assert_eq!(send().await.unwrap().status, 201);
    let before = world.row_counts().await;
    let replay = send().await.unwrap();
    assert_eq!(replay.status, 401);
    assert_eq!(replay.error_code().as_deref(), Some("nonce_reused"));
    world
        .assert_nothing_stored(&before, 0, "a create replayed with its nonce")
        .await;

    let key = [("idempotency-key", "key-0001".to_string())];
    let body = br#"{"out_trade_no":"IDEM-2","amount":300,"currency":"CNY","subject":"s"}"#;
    let created = world
        .client
        .send("POST", "/v1/payments", body, &key)
        .await
        .unwrap();
    assert_eq!(created.status, 201);
    let before = world.row_counts().await;
    let replayed = world
        .client
        .send("POST", "/v1/payments", body, &key)
        .await
        .unwrap();
    assert_eq!(replayed.status, 201);
    assert_eq!(
        replayed.body, created.body,
        "the first answer, byte for byte"
    );
    let other = br#"{"out_trade_no":"IDEM-3","amount":300,"currency":"CNY","subject":"s"}"#;
    let conflict = world
        .client
        .send("POST", "/v1/payments", other, &key)
        .await
        .unwrap();
    assert_eq!(conflict.status, 422);
    assert_eq!(
        conflict.error_code().as_deref(),
        Some("idempotency_key_reused")
    );
    // Both answered from the key's record, in a transaction that is not committed: not even
    // their nonces are spent (a replay of either gets the same answer again).
    world
        .assert_nothing_stored(&before, 0, "a replay and a key reused for another body")
        .await;
    let missing = world
        .client
        .find_payment("IDEM-3")
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("payment_not_found"), "{missing}");
    let found = world.client.find_payment("IDEM-2").await.unwrap();
    assert_eq!(found.id, created.json()["id"].as_str().unwrap());
    assert_eq!(
        found.cashier_url,
        format!("{}/pay/{}", world.server_url, found.id)
    );
}

/// Proves close needs the bank's word that the payment is unpaid, and `?sync=true` asks the
/// bank before answering.
pub async fn close_and_sync_query(world: &mut World) {
    let unpaid = world.create("CLOSE-1", 100).await;
    world.checkout(&unpaid).await;
    let closed = world.client.close_payment(&unpaid.id).await.unwrap();
    assert_eq!(closed.status, "closed");
    let closed_again = world.client.close_payment(&unpaid.id).await.unwrap();
    assert_eq!(closed_again.status, "closed");

    let paid = world.pay("CLOSE-2", 100, "none").await;
    let error = world
        .client
        .close_payment(&paid.id)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("payment_not_closable"), "{error}");
    assert_eq!(
        world
            .client
            .get_payment(&paid.id, false)
            .await
            .unwrap()
            .status,
        "succeeded"
    );

    world.set_faults(json!({"query": "EUNKWN"})).await;
    let unknown = world.create("CLOSE-3", 100).await;
    world.checkout(&unknown).await;
    let error = world
        .client
        .close_payment(&unknown.id)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("bank_result_unknown"), "{error}");
    world.set_faults(json!({})).await;

    let synced = world.pay("SYNC-1", 100, "none").await;
    let fresh = world.client.get_payment(&synced.id, true).await.unwrap();
    assert_eq!(fresh.status, "succeeded", "sync asked the bank");
}
