//! Debit batches end to end: 500 debits over 25 signed mandates, two of whose cards have no
//! money: every line ends with its exact result, the totals add up, and each line's payment is
//! notified once.

use crate::harness::World;
use crate::mandates::{get, post, signed_mandate};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const MANDATES: usize = 25;
const LINES: usize = 500;

fn card(n: usize) -> String {
    format!("62284800000001{n:05}")
}

/// Proves a batch of 500 debits with insufficient-funds lines ends with exact per-line
/// results and totals, and one notification per line.
pub async fn five_hundred_debits_with_insufficient_funds(world: &mut World) {
    let mut mandates = Vec::with_capacity(MANDATES);
    for n in 0..MANDATES {
        let mandate = signed_mandate(world, &format!("BM-{n}"), &card(n)).await;
        mandates.push(mandate["id"].as_str().unwrap().to_string());
    }
    let poor: HashSet<usize> = [3, 17].into_iter().collect();
    let faults = world
        .http
        .post(format!("{}/sim/agent/faults", world.bank_url))
        .json(
            &json!({"insufficient_funds_cards": poor.iter().map(|n| card(*n)).collect::<Vec<_>>()}),
        )
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());

    let lines: Vec<Value> = (0..LINES)
        .map(|i| {
            json!({
                "mandate_id": mandates[i % MANDATES],
                "out_trade_no": format!("BD-{i}"),
                "amount": 100 + i as i64,
                "subject": "学费 Tuition",
            })
        })
        .collect();
    let started = std::time::Instant::now();
    let answer = post(
        world,
        "/v1/debit-batches",
        &json!({"out_batch_no": "DB-1", "lines": lines}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let id = answer.json()["id"].as_str().unwrap().to_string();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let batch = loop {
        let batch = get(world, &format!("/v1/debit-batches/{id}")).await;
        if batch["status"] == "finished" || tokio::time::Instant::now() > deadline {
            break batch;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(batch["status"], "finished", "{}", batch["status"]);
    let failing = |i: usize| poor.contains(&(i % MANDATES));
    let (mut ok_count, mut ok_amount, mut bad_count, mut bad_amount) = (0, 0i64, 0, 0i64);
    let mut expected: HashMap<String, &str> = HashMap::new();
    for (i, line) in batch["lines"].as_array().unwrap().iter().enumerate() {
        assert_eq!(line["seq_no"], i as i64 + 1);
        assert_eq!(line["out_trade_no"], format!("BD-{i}"));
        let amount = 100 + i as i64;
        if failing(i) {
            assert_eq!(line["status"], "failed", "{line}");
            assert!(
                line["failure_reason"].as_str().unwrap().starts_with("2404"),
                "{line}"
            );
            bad_count += 1;
            bad_amount += amount;
            expected.insert(
                line["payment_id"].as_str().unwrap().into(),
                "payment.failed",
            );
        } else {
            assert_eq!(line["status"], "succeeded", "{line}");
            assert!(line["channel_trade_no"].as_str().is_some());
            ok_count += 1;
            ok_amount += amount;
            expected.insert(
                line["payment_id"].as_str().unwrap().into(),
                "payment.succeeded",
            );
        }
    }
    assert_eq!(bad_count, 40);
    assert_eq!(batch["succeeded_count"], ok_count);
    assert_eq!(batch["succeeded_amount"], ok_amount);
    assert_eq!(batch["failed_count"], bad_count);
    assert_eq!(batch["failed_amount"], bad_amount);
    assert_eq!(batch["line_count"], LINES as i64);
    assert_eq!(batch["total_amount"], ok_amount + bad_amount);

    world
        .receiver
        .wait_until(Duration::from_secs(30), |events| {
            events
                .iter()
                .filter(|e| expected.contains_key(&e.payment_id))
                .count()
                >= LINES
        })
        .await;
    // Quiet: a second notification for a line would have come by now.
    world.quiet().await;
    world.assert_each_fact_heard_once();
    let events: Vec<_> = world
        .receiver
        .events()
        .into_iter()
        .filter(|e| expected.contains_key(&e.payment_id))
        .collect();
    assert_eq!(events.len(), LINES, "one notification per line");
    for event in &events {
        assert_eq!(expected[&event.payment_id], event.event_type);
    }
    eprintln!(
        "500-line debit batch settled and notified in {:?}",
        started.elapsed()
    );

    // Sending the same batch number again is refused as a duplicate; nothing changes.
    let again = post(world, "/v1/debit-batches", &json!({"out_batch_no": "DB-1", "lines": [{"mandate_id": mandates[0], "out_trade_no": "BD-X", "amount": 1, "subject": "x"}]})).await;
    assert_eq!(
        again.error_code().as_deref(),
        Some("duplicate_out_debit_batch_no")
    );
    // A batch with a bad line is refused whole.
    let bad = post(
        world,
        "/v1/debit-batches",
        &json!({"out_batch_no": "DB-2", "lines": [
            {"mandate_id": mandates[0], "out_trade_no": "BD-Y", "amount": 1, "subject": "x"},
            {"mandate_id": "mdt_none", "out_trade_no": "BD-Z", "amount": 1, "subject": "x"},
            {"mandate_id": mandates[1], "out_trade_no": "BD-0", "amount": 1, "subject": "x"},
        ]}),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let codes: Vec<(i64, String)> = bad.json()["error"]["lines"]
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
        codes,
        [
            (2, "mandate_not_found".to_string()),
            (3, "duplicate_out_trade_no".to_string())
        ]
    );
    assert!(world.client.find_payment("BD-Y").await.is_err());
}
