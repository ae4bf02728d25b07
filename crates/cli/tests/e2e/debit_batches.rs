//! Debit batches end to end: 2,000 debits over 25 signed mandates, two of whose cards have no
//! money, sent to the bank as bank batches within its 8,000 bytes, one of which the bank
//! refuses: every line ends with its exact result, the totals add up, and each line's payment
//! is notified once.

use crate::harness::World;
use crate::mandates::{get, post, signed_mandate};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use unipay_store::bank_batch_parts::PartStatus;

const MANDATES: usize = 25;
const LINES: usize = 2_000;
/// The line whose bank batch the bank refuses.
const REFUSED_SEQ: usize = 1_000;

fn card(n: usize) -> String {
    format!("62284800000001{n:05}")
}

/// Proves a batch of 2,000 debits goes to the bank in parts, each its own bank batch within
/// 8,000 bytes; with one part refused and insufficient-funds lines it ends with exact per-line
/// results and totals, and one notification per line.
pub async fn two_thousand_debits_in_parts(world: &mut World) {
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
    let refusal = world
        .http
        .post(format!("{}/sim/batches/fault", world.bank_url))
        .json(&json!({"refuse_batch_seq_nos": [REFUSED_SEQ]}))
        .send()
        .await
        .unwrap();
    assert!(refusal.status().is_success());

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

    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let batch = loop {
        let batch = get(world, &format!("/v1/debit-batches/{id}")).await;
        if batch["status"] == "finished" || tokio::time::Instant::now() > deadline {
            break batch;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(batch["status"], "finished", "{}", batch["status"]);
    let store = world.store().await;
    let parts = store.bank_batch_parts(&id).await.unwrap();
    store.close().await;
    assert!(parts.len() >= LINES / 20, "{} parts", parts.len());
    let mut next = 1;
    let mut numbers = HashSet::new();
    for part in &parts {
        assert_eq!(part.first_seq, next, "parts are consecutive");
        next = part.last_seq + 1;
        assert!(part.bank_batch_no.len() <= 30, "{}", part.bank_batch_no);
        assert!(numbers.insert(part.bank_batch_no.clone()), "numbers differ");
    }
    assert_eq!(next, LINES as i64 + 1, "the parts cover every line");
    let refused: Vec<_> = parts
        .iter()
        .filter(|p| p.status == PartStatus::Rejected)
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].holds(REFUSED_SEQ as i64));
    let in_refused = |i: usize| refused[0].holds(i as i64 + 1);
    let failing = |i: usize| poor.contains(&(i % MANDATES));
    let (mut ok_count, mut ok_amount, mut bad_count, mut bad_amount) = (0, 0i64, 0, 0i64);
    let mut expected: HashMap<String, &str> = HashMap::new();
    for (i, line) in batch["lines"].as_array().unwrap().iter().enumerate() {
        assert_eq!(line["seq_no"], i as i64 + 1);
        assert_eq!(line["out_trade_no"], format!("BD-{i}"));
        let amount = 100 + i as i64;
        if in_refused(i) {
            assert_eq!(line["status"], "failed", "{line}");
            assert!(
                line["failure_reason"].as_str().unwrap().starts_with("2323"),
                "{line}"
            );
            bad_count += 1;
            bad_amount += amount;
            expected.insert(
                line["payment_id"].as_str().unwrap().into(),
                "payment.failed",
            );
        } else if failing(i) {
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
    let expected_bad = (0..LINES).filter(|&i| in_refused(i) || failing(i)).count();
    assert_eq!(bad_count, expected_bad);
    assert_eq!(batch["succeeded_count"], ok_count);
    assert_eq!(batch["succeeded_amount"], ok_amount);
    assert_eq!(batch["failed_count"], bad_count);
    assert_eq!(batch["failed_amount"], bad_amount);
    assert_eq!(batch["line_count"], LINES as i64);
    assert_eq!(batch["total_amount"], ok_amount + bad_amount);

    world
        .receiver
        .wait_until(Duration::from_secs(120), |events| {
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
        "2,000-line debit batch settled and notified in {:?}",
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
