//! Batch refunds end to end: a batch with bad lines is refused whole with every bad line; a
//! batch of 10,000 lines goes to the bank in parts within its 8,000 bytes, and with one part
//! refused and 3 % failing lines ends with exact per-line results and totals.

use crate::harness::World;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use unipay_client::Payment;
use unipay_store::bank_batch_parts::PartStatus;

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

async fn wait_batch_final(world: &World, id: &str, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
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

/// Proves a batch of 10,000 lines — refunds of 1,000 payments, ten each — goes to the bank as
/// bank batches within its 8,000 bytes, each with its own number; one bank batch refused does
/// not lose the others; with 300 failing lines (and some answered late) every line ends with its
/// exact result, the totals are exact, and each line is notified once.
pub async fn ten_thousand_line_batch_in_parts(world: &mut World) {
    const LINES: usize = 10_000;
    const REFUSED_SEQ: usize = 5_000;
    let paid = pay_many(world, "BATCH", 1000, 500).await;
    let of = |line: usize| &paid[line / 10];
    let amount = |line: usize| 10 + (line as i64 % 7);
    let failing: BTreeSet<String> = paid
        .iter()
        .step_by(33)
        .take(30)
        .map(|p| p.channel_order_no.to_string())
        .collect();
    let late: Vec<String> = paid
        .iter()
        .skip(1)
        .step_by(100)
        .map(|p| p.channel_order_no.to_string())
        .collect();
    let response = world
        .http
        .post(format!("{}/sim/batches/fault", world.bank_url))
        .json(&json!({
            "fail_order_nos": failing,
            "no_response_order_nos": late,
            "no_response_ms": 1500,
            "refuse_batch_seq_nos": [REFUSED_SEQ],
        }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let lines: Vec<Value> = (0..LINES)
        .map(|i| {
            let payment = of(i);
            if i % 2 == 0 {
                json!({"payment_id": payment.id, "out_refund_no": format!("BR-{i}"), "amount": amount(i)})
            } else {
                json!({"out_trade_no": payment.out_trade_no, "out_refund_no": format!("BR-{i}"), "amount": amount(i), "reason": "批量"})
            }
        })
        .collect();
    let total: i64 = (0..LINES).map(amount).sum();
    let answer = world
        .client
        .create_refund_batch(&json!({"out_batch_no": "B-10000", "lines": lines}))
        .await
        .unwrap();
    assert_eq!(
        answer.status,
        201,
        "{}",
        &answer.body[..answer.body.len().min(500)]
    );
    let created = answer.json();
    assert_eq!(created["line_count"], json!(LINES));
    assert_eq!(created["total_amount"], json!(total));
    let id = created["id"].as_str().unwrap().to_string();

    let batch = wait_batch_final(world, &id, Duration::from_secs(240)).await;
    assert_eq!(batch["status"], json!("finished"), "{}", batch["status"]);

    // The bank batches: consecutive, covering every line once, each its own number within the
    // bank's 20 characters, and only the one holding the refused line refused.
    let store = world.store().await;
    let parts = store.bank_batch_parts(&id).await.unwrap();
    store.close().await;
    assert!(parts.len() >= LINES / 60, "{} parts", parts.len());
    let mut next = 1;
    let mut numbers = BTreeSet::new();
    for part in &parts {
        assert_eq!(part.first_seq, next, "parts are consecutive");
        assert!(part.last_seq >= part.first_seq);
        next = part.last_seq + 1;
        assert!(part.bank_batch_no.len() <= 20, "{}", part.bank_batch_no);
        assert!(numbers.insert(part.bank_batch_no.clone()), "numbers differ");
    }
    assert_eq!(next, LINES as i64 + 1, "the parts cover every line");
    let refused: Vec<_> = parts
        .iter()
        .filter(|p| p.status == PartStatus::Rejected)
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].holds(REFUSED_SEQ as i64));
    assert!(
        parts
            .iter()
            .filter(|p| p.status != PartStatus::Rejected)
            .all(|p| p.status == PartStatus::Accepted)
    );

    let mut failed_amount = 0;
    let mut failed_count = 0;
    let mut refunded_of: Vec<i64> = vec![0; paid.len()];
    for (i, line) in batch["lines"].as_array().unwrap().iter().enumerate() {
        let payment = of(i);
        assert_eq!(line["seq_no"], json!(i + 1));
        assert_eq!(line["payment_id"], json!(payment.id));
        let reason = line["failure_reason"].as_str().unwrap_or("");
        if refused[0].holds(i as i64 + 1) {
            assert_eq!(line["status"], json!("failed"), "line {}", i + 1);
            assert!(reason.starts_with("2323"), "line {}: {reason}", i + 1);
        } else if failing.contains(payment.channel_order_no.as_ref()) {
            assert_eq!(line["status"], json!("failed"), "line {}", i + 1);
            assert!(reason.starts_with("2313"), "line {}: {reason}", i + 1);
        } else {
            assert_eq!(line["status"], json!("succeeded"), "line {}", i + 1);
            refunded_of[i / 10] += amount(i);
            continue;
        }
        failed_count += 1;
        failed_amount += amount(i);
    }
    assert_eq!(batch["failed_count"], json!(failed_count));
    assert_eq!(batch["succeeded_count"], json!(LINES - failed_count));
    assert_eq!(batch["failed_amount"], json!(failed_amount));
    assert_eq!(batch["succeeded_amount"], json!(total - failed_amount));
    // Each line is a refund of its own, with its payment's sums.
    for n in [0, 2, REFUSED_SEQ / 10] {
        let payment = world.client.get_payment(&paid[n].id, false).await.unwrap();
        assert_eq!(payment.refunded_amount, refunded_of[n], "payment {n}");
    }
    // One notification per line, once the system is quiet.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    while world.receiver.events().len() < 1000 + LINES && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    world.quiet().await;
    let refund_events: Vec<_> = world
        .receiver
        .events()
        .into_iter()
        .filter(|e| e.event_type.starts_with("refund."))
        .collect();
    let refunds: BTreeSet<String> = refund_events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(&e.body).ok())
        .filter_map(|body| body["data"]["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!((refund_events.len(), refunds.len()), (LINES, LINES));
}
