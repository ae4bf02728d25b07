//! Mandates (授权支付) end to end: the customer signs (or refuses) on the simulator's page, the
//! signing result reaches unipay as a signed AgentSignResult (or is lost and found by
//! QueryAgentSign), and debits are made without the customer, or refused with their codes.

use crate::harness::World;
use serde_json::{Value, json};
use std::time::Duration;

pub const CERTIFICATE_NO: &str = "110105194912310021";

pub async fn post(world: &World, path: &str, body: &Value) -> unipay_client::RawResponse {
    world
        .client
        .send("POST", path, body.to_string().as_bytes(), &[])
        .await
        .unwrap()
}

pub async fn get(world: &World, path: &str) -> Value {
    let answer = world.client.send("GET", path, b"", &[]).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// A mandate as created (pending, with its signing page).
pub async fn create_mandate(world: &World, out_mandate_no: &str, limit: Option<i64>) -> Value {
    let mut body = json!({
        "out_mandate_no": out_mandate_no,
        "customer_ref": "student-1",
        "card_type": "1",
        "certificate_type": "I",
        "certificate_no": CERTIFICATE_NO,
        "expires_on": "2099-12-31",
        "return_url": "https://shop.example/mandates",
    });
    if let Some(limit) = limit {
        body["max_amount_per_debit"] = json!(limit);
    }
    let answer = post(world, "/v1/mandates", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let mandate = answer.json();
    assert_eq!(mandate["status"], "pending");
    assert_eq!(mandate["certificate_no_masked"], "110***********0021");
    assert!(
        mandate["sign_url"]
            .as_str()
            .unwrap()
            .starts_with(&world.bank_url)
    );
    mandate
}

/// The customer on the bank's signing page: it shows the signing, then they agree with their
/// card or refuse.
pub async fn customer_signs(world: &World, mandate: &Value, card_no: Option<&str>) {
    let sign_url = mandate["sign_url"].as_str().unwrap();
    let page = world.http.get(sign_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("110***********0021"), "{html}");
    assert!(!html.contains(CERTIFICATE_NO));
    let token = sign_url.split("TOKEN=").nth(1).unwrap();
    let form: Vec<(&str, &str)> = match card_no {
        Some(card) => vec![("TOKEN", token), ("action", "agree"), ("card_no", card)],
        None => vec![("TOKEN", token), ("action", "refuse")],
    };
    let done = world
        .http
        .post(format!("{}/sim/agent/consumer", world.bank_url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
}

pub async fn wait_mandate(world: &World, id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let mandate = get(world, &format!("/v1/mandates/{id}")).await;
        if mandate["status"] == status || tokio::time::Instant::now() > deadline {
            assert_eq!(mandate["status"], status, "{mandate}");
            return mandate;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A signed mandate with `card_no`.
pub async fn signed_mandate(world: &World, out_mandate_no: &str, card_no: &str) -> Value {
    let mandate = create_mandate(world, out_mandate_no, None).await;
    customer_signs(world, &mandate, Some(card_no)).await;
    wait_mandate(world, mandate["id"].as_str().unwrap(), "active").await
}

/// The notification types the business system received for `id`, once the world is quiet
/// (past the notifier's and the janitor's next retries: any duplicate has come by then).
async fn settled_event_types(world: &World, id: &str, count: usize) -> Vec<String> {
    world.wait_for_events(id, count).await;
    world.quiet().await;
    world
        .receiver
        .events_for(id)
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

async fn debit(
    world: &World,
    mandate_id: &str,
    out_trade_no: &str,
    amount: i64,
) -> unipay_client::RawResponse {
    post(
        world,
        &format!("/v1/mandates/{mandate_id}/debits"),
        &json!({"out_trade_no": out_trade_no, "amount": amount, "subject": "学费 Tuition"}),
    )
    .await
}

/// Proves the customer's agreement makes the mandate active (notified once, by the verified
/// server message), a debit succeeds as an ordinary payment (notified, in the bank's book,
/// in the ledger), and a debit over the mandate's limit is refused and creates nothing.
pub async fn sign_then_debit_and_limit(world: &mut World) {
    let mandate = create_mandate(world, "MDT-OK", Some(50_000)).await;
    let id = mandate["id"].as_str().unwrap().to_string();
    customer_signs(world, &mandate, Some("6228480000000000011")).await;
    let active = wait_mandate(world, &id, "active").await;
    assert_eq!(active["card_masked"], "****0011");
    assert!(active["agent_sign_no"].as_str().unwrap().starts_with("AS"));
    assert_eq!(settled_event_types(world, &id, 1).await, ["mandate.active"]);

    let answer = debit(world, &id, "DEBIT-1", 12_345).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let payment = answer.json();
    assert_eq!(payment["status"], "succeeded", "{payment}");
    assert_eq!(payment["amount"], 12_345);
    assert!(payment["channel_trade_no"].as_str().is_some());
    let payment_id = payment["id"].as_str().unwrap();
    assert_eq!(
        settled_event_types(world, payment_id, 1).await,
        ["payment.succeeded"]
    );
    let bank = world
        .sim_order(payment["channel_order_no"].as_str().unwrap())
        .await;
    assert_eq!(bank["amount_fen"], 12_345, "{bank}");
    let store = world.store().await;
    let ledger = store.check_ledger().await.unwrap();
    assert!(ledger.holds(), "{ledger:?}");
    store.close().await;

    let before = world.row_counts().await;
    let over = debit(world, &id, "DEBIT-2", 50_001).await;
    assert_eq!(over.status, 422, "{}", over.body);
    assert_eq!(
        over.error_code().as_deref(),
        Some("debit_exceeds_mandate_limit")
    );
    // Judged in the transaction that spends the nonce: that is all it stores.
    world
        .assert_nothing_stored(&before, 1, "a debit over the limit")
        .await;
    // The same out_trade_no again is the payment already made.
    let again = debit(world, &id, "DEBIT-1", 12_345).await;
    assert_eq!(
        again.error_code().as_deref(),
        Some("duplicate_out_trade_no")
    );
    // The certificate number went to the bank and nowhere else.
    let log = std::fs::read_to_string(world.log_path()).unwrap_or_default();
    assert!(!log.is_empty() && !log.contains(CERTIFICATE_NO));
}

/// Proves a refusal on the bank's page fails the mandate (notified once) and that a failed
/// mandate cannot be debited.
pub async fn refused_signing_fails_the_mandate(world: &mut World) {
    let mandate = create_mandate(world, "MDT-NO", None).await;
    let id = mandate["id"].as_str().unwrap().to_string();
    customer_signs(world, &mandate, None).await;
    let failed = wait_mandate(world, &id, "failed").await;
    assert!(
        failed["failure_reason"].as_str().unwrap().contains("2409"),
        "{failed}"
    );
    assert_eq!(settled_event_types(world, &id, 1).await, ["mandate.failed"]);
    let before = world.row_counts().await;
    let refused = debit(world, &id, "DEBIT-NO", 100).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error_code().as_deref(), Some("mandate_not_active"));
    world
        .assert_nothing_stored(&before, 1, "a debit on a failed mandate")
        .await;
}

/// Proves a signing result that never arrives is found by asking the bank: on demand
/// (`?sync=true`) and by the janitor, each notified once.
pub async fn lost_signing_result_found_by_query(world: &mut World) {
    let faults = world
        .http
        .post(format!("{}/sim/agent/faults", world.bank_url))
        .json(&json!({"lose_sign_results": true}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    let on_demand = create_mandate(world, "MDT-LOST-1", None).await;
    let by_janitor = create_mandate(world, "MDT-LOST-2", None).await;
    customer_signs(world, &on_demand, Some("6228480000000000022")).await;
    customer_signs(world, &by_janitor, Some("6228480000000000033")).await;

    let id = on_demand["id"].as_str().unwrap();
    let synced = get(world, &format!("/v1/mandates/{id}?sync=true")).await;
    assert_eq!(synced["status"], "active", "{synced}");
    assert_eq!(synced["card_masked"], "****0022");
    let sim: Value = world
        .http
        .get(format!(
            "{}/sim/agent/signings/{}",
            world.bank_url,
            on_demand["channel_sign_no"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        sim["notify_attempts"], 0,
        "the result was never delivered: {sim}"
    );

    let other = by_janitor["id"].as_str().unwrap();
    wait_mandate(world, other, "active").await;
    assert_eq!(settled_event_types(world, id, 1).await, ["mandate.active"]);
    assert_eq!(
        settled_event_types(world, other, 1).await,
        ["mandate.active"]
    );
    world
        .http
        .delete(format!("{}/sim/agent/faults", world.bank_url))
        .send()
        .await
        .unwrap();
}

/// Proves a cancelled mandate (AgentUnSign, notified) and an expired one refuse debits with
/// their codes and change nothing; the expired one is marked expired and notified.
pub async fn cancelled_and_expired_mandates_refuse_debits(world: &mut World) {
    let cancelled = signed_mandate(world, "MDT-CANCEL", "6228480000000000044").await;
    let id = cancelled["id"].as_str().unwrap();
    let answer = post(world, &format!("/v1/mandates/{id}/cancel"), &json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["status"], "cancelled");
    let again = post(world, &format!("/v1/mandates/{id}/cancel"), &json!({})).await;
    assert_eq!(again.status, 200, "a repeat answers the same");
    // The cancellation's notification delivered and recorded first: nothing else moves.
    world.quiet().await;
    let before = world.row_counts().await;
    let refused = debit(world, id, "DEBIT-CANCELLED", 100).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error_code().as_deref(), Some("mandate_cancelled"));
    world
        .assert_nothing_stored(&before, 1, "a debit on a cancelled mandate")
        .await;
    assert_eq!(
        settled_event_types(world, id, 2).await,
        ["mandate.active", "mandate.cancelled"]
    );

    let expired = signed_mandate(world, "MDT-EXPIRED", "6228480000000000055").await;
    let id = expired["id"].as_str().unwrap();
    // Its last day passed (the clock cannot be moved in another process; the row can).
    let store = world.store().await;
    store
        .execute_for_test(&format!(
            "UPDATE mandates SET expires_on = '2020-01-01' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    store.close().await;
    world.quiet().await;
    let before = world.row_counts().await;
    let refused = debit(world, id, "DEBIT-EXPIRED", 100).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error_code().as_deref(), Some("mandate_expired"));
    // No payment: only the mandate's own change to expired, with its notification (delivered
    // and recorded once the world is quiet).
    world.wait_for_events(id, 2).await;
    world.quiet().await;
    world
        .assert_stored(
            &before,
            &[
                ("api_nonces", 1),
                ("mandate_events", 1),
                ("outbox", 1),
                ("notification_attempts", 1),
            ],
            "a debit on a mandate past its last day",
        )
        .await;
    let now = get(world, &format!("/v1/mandates/{id}")).await;
    assert_eq!(now["status"], "expired");
    let before = world.row_counts().await;
    let refused = debit(world, id, "DEBIT-EXPIRED-2", 100).await;
    assert_eq!(refused.error_code().as_deref(), Some("mandate_expired"));
    world
        .assert_nothing_stored(&before, 1, "a debit on an expired mandate")
        .await;
    assert_eq!(
        settled_event_types(world, id, 2).await,
        ["mandate.active", "mandate.expired"]
    );
}

/// Proves a debit whose answer is unknown (`EUNKWN`) stays pending and is settled by the
/// janitor's query, notified once, as any payment is.
pub async fn unknown_debit_answer_settled_by_the_janitor(world: &mut World) {
    let mandate = signed_mandate(world, "MDT-UNKNOWN", "6228480000000000066").await;
    let id = mandate["id"].as_str().unwrap();
    let faults = world
        .http
        .post(format!("{}/sim/agent/faults", world.bank_url))
        .json(&json!({"unknown_pay_answers": true}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    let answer = debit(world, id, "DEBIT-UNKNOWN", 777).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let payment = answer.json();
    assert_eq!(payment["status"], "pending", "{payment}");
    let payment_id = payment["id"].as_str().unwrap();
    let settled = world
        .wait_for_payment(payment_id, |p| p.status == "succeeded")
        .await;
    assert_eq!(settled.status, "succeeded");
    assert_eq!(
        settled_event_types(world, payment_id, 1).await,
        ["payment.succeeded"]
    );
    world
        .http
        .delete(format!("{}/sim/agent/faults", world.bank_url))
        .send()
        .await
        .unwrap();
}

/// Proves a debit whose AgentPay never reached the bank is not left pending (nor closed when
/// it expires): the janitor's query finds no such order at the bank and sends the debit
/// again under the same order number; it is paid once, and the business system hears one
/// `payment.succeeded` after the system is quiet. (Found by `bench chaos`.)
pub async fn lost_debit_request_is_sent_again_by_the_janitor(world: &mut World) {
    let mandate = signed_mandate(world, "MDT-LOST-PAY", "6228480000000000077").await;
    let id = mandate["id"].as_str().unwrap();
    world
        .set_faults(json!({"call_timeout_pct": 100, "call_timeout_processed_pct": 0, "call_timeout_ms": 300}))
        .await;
    let answer = debit(world, id, "DEBIT-LOST", 555).await;
    world.set_faults(json!({})).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let payment = answer.json();
    assert_eq!(payment["status"], "pending", "{payment}");
    let order_no = payment["channel_order_no"].as_str().unwrap();
    let payment_id = payment["id"].as_str().unwrap();
    let settled = world
        .wait_for_payment(payment_id, |p| p.status == "succeeded")
        .await;
    assert_eq!(settled.amount, 555);
    let order = world.sim_order(order_no).await;
    assert_eq!(order["state"], "paid", "{order}");
    assert_eq!(order["amount_fen"], 555);
    let lost = order["lost_calls"].as_array().cloned().unwrap_or_default();
    assert!(
        lost.is_empty(),
        "the first request never reached the bank, so no order held a note of it: {lost:?}"
    );
    // Quiet: past the notifier's retries and the janitor's next look, then exactly one fact.
    world
        .assert_notified_once(payment_id, &["payment.succeeded"])
        .await;
    world.assert_each_fact_heard_once();
}
