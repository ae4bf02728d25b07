//! Batch refunds end to end: a batch with bad lines is refused whole with every bad line; a
//! batch of 1,000 lines with 3 % failing lines ends with exact per-line results and totals.

use crate::harness::World;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use unipay_client::Payment;

/// `count` payments paid by server notification, `amount` fen each, 32 at a time.
async fn pay_many(world: &World, prefix: &str, count: usize, amount: i64) -> Vec<Payment> {
    let mut paid = Vec::with_capacity(count);
    let numbers: Vec<usize> = (0..count).collect();
    for chunk in numbers.chunks(32) {
        let mut tasks = Vec::new();
        for i in chunk {
            let client = world.client.clone();
            let http = world.http.clone();
            let server_url = world.server_url.clone();
            let bank_url = world.bank_url.clone();
            let out_trade_no = format!("{prefix}-{i}");
            tasks.push(tokio::spawn(async move {
                let payment = client
                    .create_payment(&unipay_client::CreatePayment {
                        out_trade_no,
                        amount,
                        currency: "CNY".into(),
                        subject: "batch".into(),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                let response = http
                    .post(format!("{server_url}/pay/{}", payment.id))
                    .form(&[("payment_type", "A")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 303);
                let sim = http
                    .post(format!(
                        "{bank_url}/sim/orders/{}/pay",
                        payment.channel_order_no
                    ))
                    .json(&json!({"outcome": "success", "notify": "server"}))
                    .send()
                    .await
                    .unwrap();
                assert!(sim.status().is_success());
                payment
            }));
        }
        for task in tasks {
            paid.push(task.await.unwrap());
        }
    }
    for payment in &paid {
        let done = world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
        assert_eq!(done.status, "succeeded");
    }
    paid
}

async fn wait_batch_final(world: &World, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let batch = world.client.get_refund_batch(id).await.unwrap();
        let status = batch["status"].as_str().unwrap_or("").to_string();
        if status == "finished" || status == "rejected" || tokio::time::Instant::now() > deadline {
            return batch;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Proves a batch with bad lines is refused whole, naming every bad line, and changes nothing.
pub async fn batch_with_bad_lines_is_refused_whole(world: &mut World) {
    let paid = pay_many(world, "BAD", 2, 100).await;
    let unpaid = world.create("BAD-UNPAID", 100).await;
    // Every notification of these payments delivered and recorded: nothing else moves.
    world.quiet().await;
    let store = world.store().await;
    let mut rows = Vec::new();
    for payment in paid.iter().chain([&unpaid]) {
        rows.push(store.get_payment(&payment.id).await.unwrap().unwrap());
    }
    let before = world.row_counts().await;
    let answer = world
        .client
        .create_refund_batch(&json!({
            "out_batch_no": "B-BAD",
            "lines": [
                {"payment_id": paid[0].id, "out_refund_no": "BL-1", "amount": 100},
                {"out_trade_no": "BAD-1", "out_refund_no": "BL-2", "amount": 101},
                {"payment_id": "pay_none", "out_refund_no": "BL-3", "amount": 1},
                {"payment_id": unpaid.id, "out_refund_no": "BL-4", "amount": 1},
                {"payment_id": paid[1].id, "out_refund_no": "BL-1", "amount": 1},
            ]
        }))
        .await
        .unwrap();
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(
        answer.error_code().as_deref(),
        Some("refund_batch_lines_invalid")
    );
    let lines: Vec<(i64, String)> = answer.json()["error"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line"].as_i64().unwrap(),
                l["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (2, "refund_exceeds_refundable".to_string()),
            (3, "payment_not_found".to_string()),
            (4, "payment_not_paid".to_string()),
            (5, "duplicate_out_refund_no".to_string()),
        ]
    );
    // Refused whole in the transaction that spent the nonce: that is all it stores, and no
    // line reserved anything on its payment.
    world
        .assert_nothing_stored(&before, 1, "a batch with bad lines")
        .await;
    for (payment, row) in paid.iter().chain([&unpaid]).zip(&rows) {
        assert_eq!(&store.get_payment(&payment.id).await.unwrap().unwrap(), row);
    }
    store.close().await;
}

/// Proves a batch of 1,000 lines with 30 failing lines (and some answered late) ends with each
/// line's exact result, exact totals, and one notification per line.
pub async fn thousand_line_batch_with_failures(world: &mut World) {
    let paid = pay_many(world, "BATCH", 1000, 500).await;
    let failing: BTreeSet<String> = paid
        .iter()
        .step_by(33)
        .take(30)
        .map(|p| p.channel_order_no.clone())
        .collect();
    let late: Vec<String> = paid
        .iter()
        .skip(1)
        .step_by(100)
        .map(|p| p.channel_order_no.clone())
        .collect();
    let response = world
        .http
        .post(format!("{}/sim/batches/fault", world.bank_url))
        .json(&json!({"fail_order_nos": failing, "no_response_order_nos": late, "no_response_ms": 1500}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let lines: Vec<Value> = paid
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let amount = 100 + (i as i64 % 300);
            if i % 2 == 0 {
                json!({"payment_id": p.id, "out_refund_no": format!("BR-{i}"), "amount": amount})
            } else {
                json!({"out_trade_no": p.out_trade_no, "out_refund_no": format!("BR-{i}"), "amount": amount, "reason": "批量"})
            }
        })
        .collect();
    let total: i64 = (0..1000).map(|i| 100 + (i as i64 % 300)).sum();
    let answer = world
        .client
        .create_refund_batch(&json!({"out_batch_no": "B-1000", "lines": lines}))
        .await
        .unwrap();
    assert_eq!(
        answer.status,
        201,
        "{}",
        &answer.body[..answer.body.len().min(500)]
    );
    let created = answer.json();
    assert_eq!(created["line_count"], json!(1000));
    assert_eq!(created["total_amount"], json!(total));
    let id = created["id"].as_str().unwrap().to_string();

    let batch = wait_batch_final(world, &id).await;
    assert_eq!(batch["status"], json!("finished"), "{}", batch["status"]);
    let mut failed_amount = 0;
    for (i, line) in batch["lines"].as_array().unwrap().iter().enumerate() {
        let payment = &paid[i];
        assert_eq!(line["seq_no"], json!(i + 1));
        assert_eq!(line["payment_id"], json!(payment.id));
        let expected = if failing.contains(&payment.channel_order_no) {
            failed_amount += line["amount"].as_i64().unwrap();
            "failed"
        } else {
            "succeeded"
        };
        assert_eq!(line["status"], json!(expected), "line {}", i + 1);
    }
    assert_eq!(batch["failed_count"], json!(30));
    assert_eq!(batch["succeeded_count"], json!(970));
    assert_eq!(batch["failed_amount"], json!(failed_amount));
    assert_eq!(batch["succeeded_amount"], json!(total - failed_amount));
    // Each line is a refund of its own, with its payment's sums.
    let first = world.client.get_payment(&paid[0].id, false).await.unwrap();
    assert_eq!(first.refunded_amount, 0, "line 1 failed");
    let second = world.client.get_payment(&paid[2].id, false).await.unwrap();
    assert_eq!(second.refunded_amount, 102);
    // One notification per line.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let refund_events: Vec<_> = world
            .receiver
            .events()
            .into_iter()
            .filter(|e| e.event_type.starts_with("refund."))
            .collect();
        if refund_events.len() >= 1000 || tokio::time::Instant::now() > deadline {
            let refunds: BTreeSet<&str> = refund_events
                .iter()
                .map(|e| e.payment_id.as_str())
                .collect();
            assert_eq!((refund_events.len(), refunds.len()), (1000, 1000));
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
