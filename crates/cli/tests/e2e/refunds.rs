//! Single refunds end to end: full, partial and several partial refunds; every refusal with
//! its code and nothing changed; duplicates and idempotency; a race for the remaining money;
//! unknown bank answers resolved by the janitor; a refund request lost on its way to the bank,
//! sent by the janitor; a refund the bank rejects.

use crate::harness::World;
use serde_json::{Value, json};
use std::time::Duration;
use unipay_client::{ClientError, CreateRefund, Payment, Refund};

fn ask(out_refund_no: &str, amount: i64) -> CreateRefund {
    CreateRefund {
        out_refund_no: out_refund_no.into(),
        amount,
        reason: Some("退货 returned".into()),
    }
}

async fn refund(world: &World, payment: &Payment, out_refund_no: &str, amount: i64) -> Refund {
    world
        .client
        .create_refund(&payment.id, &ask(out_refund_no, amount), None)
        .await
        .expect("refund accepted")
}

/// A payment paid and confirmed succeeded.
async fn paid(world: &World, out_trade_no: &str, amount: i64) -> Payment {
    let payment = world.pay(out_trade_no, amount, "server").await;
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    paid
}

/// Polls the refund until it is final or 15 s pass.
async fn wait_final(world: &World, id: &str) -> Refund {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let refund = world.client.get_refund(id).await.expect("gets the refund");
        if refund.status != "pending" || tokio::time::Instant::now() > deadline {
            return refund;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for the refund's notifications and checks there is exactly one, of `event_type`,
/// once the world is quiet (a second, wrong notification would have come by then).
async fn one_notification(world: &World, refund: &Refund, event_type: &str) {
    let events = world.assert_notified_once(&refund.id, &[event_type]).await;
    assert_eq!(events[0].status, refund.status);
    let body: Value = serde_json::from_str(&events[0].body).unwrap();
    assert_eq!(body["data"]["payment_id"], json!(refund.payment_id));
    assert_eq!(body["data"]["amount"], json!(refund.amount));
}

/// Proves a full refund, partial refunds and several partial refunds up to the paid amount
/// succeed, are notified once each, and show on the payment and in every lookup.
pub async fn full_and_partial_refunds(world: &mut World) {
    let whole = paid(world, "RFD-FULL", 1000).await;
    let full = refund(world, &whole, "R-FULL", 1000).await;
    assert_eq!(full.status, "succeeded", "{full:?}");
    assert!(full.channel_refund_no.is_some());
    assert!(full.finished_at.is_some());
    one_notification(world, &full, "refund.succeeded").await;
    let after = world.client.get_payment(&whole.id, false).await.unwrap();
    assert_eq!(
        (after.status.as_ref(), after.refunded_amount),
        ("succeeded", 1000)
    );
    assert_eq!(after.capture.as_deref(), Some("immediate"));

    let parts = paid(world, "RFD-PARTS", 1000).await;
    let mut made = Vec::new();
    for (i, amount) in [300, 200, 500].into_iter().enumerate() {
        let part = refund(world, &parts, &format!("R-PART-{i}"), amount).await;
        assert_eq!(part.status, "succeeded");
        one_notification(world, &part, "refund.succeeded").await;
        made.push(part);
    }
    let after = world.client.get_payment(&parts.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 1000);
    let listed = world.client.list_refunds(&parts.id).await.unwrap();
    assert_eq!(listed, made);
    assert_eq!(world.client.find_refund("R-PART-1").await.unwrap(), made[1]);
    assert_eq!(world.client.get_refund(&made[2].id).await.unwrap(), made[2]);
    // Nothing is left: one more fen is refused.
    let more = world
        .client
        .create_refund(&parts.id, &ask("R-PART-3", 1), None)
        .await;
    assert_api_error(more, 409, "refund_exceeds_refundable");
}

fn assert_api_error<T: std::fmt::Debug>(result: Result<T, ClientError>, status: u16, code: &str) {
    match result {
        Err(ClientError::Api(error)) => {
            assert_eq!(
                (error.status, error.code.as_str()),
                (status, code),
                "{error}"
            );
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

/// Proves each refusal gets its documented code and changes nothing; a duplicate out_refund_no
/// gets 409 with the existing refund; an Idempotency-Key replays the first answer.
pub async fn refusals_duplicates_and_idempotency(world: &mut World) {
    let openapi: Value = world
        .http
        .get(format!("{}/v1/openapi.json", world.server_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented = openapi["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
        ["code"]["enum"]
        .to_string();
    let client = &world.client;
    let expect = async |payment_id: &str, body: Value, status: u16, code: &str| {
        let raw = client
            .send(
                "POST",
                &format!("/v1/payments/{payment_id}/refunds"),
                body.to_string().as_bytes(),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(raw.status, status, "{code}: {}", raw.body);
        assert_eq!(raw.error_code().as_deref(), Some(code), "{}", raw.body);
        assert!(
            documented.contains(&format!("\"{code}\"")),
            "{code} documented"
        );
    };
    let unpaid = world.create("RFD-UNPAID", 500).await;
    let failed = world.create("RFD-FAILED", 500).await;
    world.checkout(&failed).await;
    world
        .bank_pays(&failed.channel_order_no, "decline", "server")
        .await;
    world
        .wait_for_payment(&failed.id, |p| p.status == "failed")
        .await;
    let closed = world.create("RFD-CLOSED", 500).await;
    world.client.close_payment(&closed.id).await.unwrap();
    let good = paid(world, "RFD-GOOD", 1000).await;
    // Every notification of these payments delivered and recorded: nothing else moves.
    world.quiet().await;
    let store = world.store().await;
    let mut rows = Vec::new();
    for payment in [&unpaid, &failed, &closed, &good] {
        rows.push(store.get_payment(&payment.id).await.unwrap().unwrap());
    }
    let before = world.row_counts().await;

    let body = |no: &str, amount: i64| json!({"out_refund_no": no, "amount": amount});
    expect("pay_nope", body("R-X1", 1), 404, "payment_not_found").await;
    for payment in [&unpaid, &failed, &closed] {
        expect(&payment.id, body("R-X2", 1), 409, "payment_not_paid").await;
    }
    expect(&good.id, body("R-X3", 0), 400, "invalid_amount").await;
    expect(&good.id, body("R-X4", -5), 400, "invalid_amount").await;
    expect(
        &good.id,
        body("R-X5", 1001),
        409,
        "refund_exceeds_refundable",
    )
    .await;
    expect(&good.id, json!({"amount": 1}), 400, "invalid_request").await;
    expect(
        &good.id,
        json!({"out_refund_no": "R-X6", "amount": "1"}),
        400,
        "invalid_amount",
    )
    .await;
    // The refusals the store judged (no such payment, not paid, an amount not above zero,
    // more than is left) spent their nonces with the judgment; those refused for the shape of
    // their body spent none. Nothing else is stored, and no payment moved (no reservation, no
    // refunded sum).
    world
        .assert_nothing_stored(&before, 7, "refused refunds")
        .await;
    for (payment, row) in [&unpaid, &failed, &closed, &good].iter().zip(&rows) {
        assert_eq!(&store.get_payment(&payment.id).await.unwrap().unwrap(), row);
    }
    store.close().await;
    assert_api_error(client.find_refund("R-X2").await, 404, "refund_not_found");

    // Duplicate out_refund_no: 409 naming the existing refund, which is unchanged.
    let first = refund(world, &good, "R-DUP", 100).await;
    world.quiet().await;
    let before = world.row_counts().await;
    let raw = client
        .send(
            "POST",
            &format!("/v1/payments/{}/refunds", good.id),
            body("R-DUP", 200).to_string().as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(raw.status, 409, "{}", raw.body);
    assert_eq!(raw.error_code().as_deref(), Some("duplicate_out_refund_no"));
    assert_eq!(raw.json()["error"]["refund_id"], json!(first.id));
    assert_eq!(raw.json()["refund"]["amount"], json!(100));
    world
        .assert_nothing_stored(&before, 1, "a duplicate out_refund_no")
        .await;

    // The same key and body: the first answer again, and one refund only.
    let key = [("idempotency-key", "refund-key-1".to_string())];
    let path = format!("/v1/payments/{}/refunds", good.id);
    let once = body("R-IDEM", 250).to_string();
    let a = client
        .send("POST", &path, once.as_bytes(), &key)
        .await
        .unwrap();
    let b = client
        .send("POST", &path, once.as_bytes(), &key)
        .await
        .unwrap();
    assert_eq!(a.status, 201, "{}", a.body);
    // The retry names the same refund, as it stands now.
    assert_eq!(b.status, 201, "{}", b.body);
    assert_eq!(b.json()["id"], a.json()["id"]);
    let now = client
        .get_refund(a.json()["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(b.json()["status"], json!(now.status));
    world.quiet().await;
    let before = world.row_counts().await;
    let other = body("R-IDEM-2", 250).to_string();
    let c = client
        .send("POST", &path, other.as_bytes(), &key)
        .await
        .unwrap();
    assert_eq!(c.error_code().as_deref(), Some("idempotency_key_reused"));
    // A refusal is kept under its key too.
    let key2 = [("idempotency-key", "refund-key-2".to_string())];
    let too_much = body("R-IDEM-3", 5000).to_string();
    let d = client
        .send("POST", &path, too_much.as_bytes(), &key2)
        .await
        .unwrap();
    let e = client
        .send("POST", &path, too_much.as_bytes(), &key2)
        .await
        .unwrap();
    assert_eq!(d.error_code().as_deref(), Some("refund_exceeds_refundable"));
    assert_eq!((e.status, e.body), (d.status, d.body));
    // Of the three only the refusal stores anything: its answer under its key, with its nonce.
    // The other two are answered from a key's record, in a transaction that is not committed.
    world
        .assert_stored(
            &before,
            &[("api_nonces", 1), ("idempotency_keys", 1)],
            "a key reused for another body, a refusal and its replay",
        )
        .await;
    let refunds = client.list_refunds(&good.id).await.unwrap();
    assert_eq!(refunds.len(), 2, "{refunds:?}");
    let after = client.get_payment(&good.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 350);
}

/// Proves that of refunds racing for the same remaining money exactly those that fit win.
pub async fn racing_refunds_never_over_refund(world: &mut World) {
    let payment = paid(world, "RFD-RACE", 1000).await;
    // Two for the same 700 of 1000: exactly one wins.
    let (ask_a, ask_b) = (ask("R-RACE-A", 700), ask("R-RACE-B", 700));
    let (a, b) = tokio::join!(
        world.client.create_refund(&payment.id, &ask_a, None),
        world.client.create_refund(&payment.id, &ask_b, None),
    );
    let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{a:?} {b:?}");
    for result in [a, b] {
        if result.is_err() {
            assert_api_error(result, 409, "refund_exceeds_refundable");
        }
    }
    // Ten for 100 each of the 300 left: exactly three win.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = world.client.clone();
        let id = payment.id.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create_refund(&id, &ask(&format!("R-RACE-{i}"), 100), None)
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            won += 1;
        }
    }
    assert_eq!(won, 3);
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 1000);
}

/// Proves a refund whose answer is lost (the connection cut, `EUNKWN`) stays pending and the
/// janitor resolves it by query, with exactly one `refund.succeeded`.
pub async fn unknown_refund_answers_resolved_by_the_janitor(world: &mut World) {
    let payment = paid(world, "RFD-UNKNOWN", 1000).await;
    for (fault, no) in [
        (
            json!({"refund": "timeout", "refund_timeout_ms": 500}),
            "R-TIMEOUT",
        ),
        (json!({"refund": "EUNKWN"}), "R-EUNKWN"),
    ] {
        world.set_faults(fault).await;
        let first = refund(world, &payment, no, 300).await;
        assert_eq!(first.status, "pending", "{first:?}");
        world.set_faults(json!({})).await;
        let done = wait_final(world, &first.id).await;
        assert_eq!(done.status, "succeeded", "{done:?}");
        one_notification(world, &done, "refund.succeeded").await;
    }
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 600);
    let store = world.store().await;
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    assert!(
        timeline.iter().any(|e| e.kind == "refund.bank_pending"),
        "the unknown answer is on the timeline: {timeline:?}"
    );
    store.close().await;
}

/// Proves a refund whose first Refund request never reaches the bank (nothing processed, the
/// connection held then cut) is not failed when the janitor's query hears `2308`, but sent
/// again with the same number and amount: it succeeds once at the bank and at unipay, and the
/// business system hears `refund.succeeded` exactly once.
pub async fn lost_refund_request_is_sent_by_the_janitor(world: &mut World) {
    let payment = paid(world, "RFD-LOST", 1000).await;
    world
        .set_faults(json!({"refund": "lost", "refund_first": 1, "refund_timeout_ms": 500}))
        .await;
    let first = refund(world, &payment, "R-LOST", 400).await;
    assert_eq!(first.status, "pending", "{first:?}");
    let done = wait_final(world, &first.id).await;
    assert_eq!(done.status, "succeeded", "{done:?}");
    // Quiet: anything still to come from the refund has come.
    world.quiet().await;

    // At unipay: one refund, succeeded, the payment's sums exact.
    let refunds = world.client.list_refunds(&payment.id).await.unwrap();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].status, "succeeded");
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 400);
    let store = world.store().await;
    let row = store.get_refund(&done.id).await.unwrap().unwrap();

    // At the bank: the first request never arrived, the second did, under the same number.
    let order = world.sim_order(&payment.channel_order_no).await;
    let at_bank = order["refunds"].as_array().unwrap();
    assert_eq!(at_bank.len(), 1, "{at_bank:?}");
    assert_eq!(at_bank[0]["new_order_no"], json!(row.refund_no));
    assert_eq!(at_bank[0]["state"], "succeeded");
    assert_eq!(at_bank[0]["amount_fen"], 400);
    assert_eq!(at_bank[0]["i_rsp_ref"], json!(done.channel_refund_no));
    assert_eq!(order["refunded_fen"], 400);
    let lost = order["lost_calls"].as_array().unwrap();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(
        (&lost[0]["trx_type"], &lost[0]["processed"]),
        (&json!("Refund"), &json!(false))
    );

    // Exactly one refund.succeeded: no event id acknowledged twice, no second event for it.
    let events = world
        .assert_notified_once(&done.id, &["refund.succeeded"])
        .await;
    assert_eq!(world.receiver.attempts(&events[0].id), 1);
    let body: Value = serde_json::from_str(&events[0].body).unwrap();
    assert_eq!(body["data"]["amount"], json!(400));
    world.assert_each_fact_heard_once();

    // The timeline keeps the query's answer that led to sending it.
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    let not_found = timeline
        .iter()
        .find(|e| {
            e.kind == "refund.bank_pending" && e.source == "query" && e.detail.contains("2308")
        })
        .unwrap_or_else(|| panic!("the 2308 answer is on the timeline: {timeline:?}"));
    assert!(
        not_found.raw_sha256.is_some(),
        "kept with the bank's answer"
    );
    assert!(timeline.iter().any(|e| e.kind == "refund.succeeded"));
    assert!(
        !timeline.iter().any(|e| e.kind.contains("failed")),
        "{timeline:?}"
    );
    store.close().await;
}

/// Proves a refund the bank rejects fails with a `refund.failed` notification and releases its
/// reservation for the next refund.
pub async fn rejected_refund_fails_and_releases_the_money(world: &mut World) {
    let payment = paid(world, "RFD-REJECT", 800).await;
    world.set_faults(json!({"refund": "reject"})).await;
    let rejected = refund(world, &payment, "R-REJECT", 800).await;
    assert_eq!(rejected.status, "failed", "{rejected:?}");
    assert!(rejected.failure_reason.is_some());
    one_notification(world, &rejected, "refund.failed").await;
    world.set_faults(json!({})).await;
    let again = refund(world, &payment, "R-AFTER-REJECT", 800).await;
    assert_eq!(again.status, "succeeded");
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 800);
}
