//! Batch refunds: BatchRefund accepted at once, lines final after `batch_refund_delay_ms`,
//! QueryBatchRefund per line (`Order[…]`, the SDK's names) and in total, the batch faults, and
//! the 8,000-byte limit that holds for batches too.

use crate::common::*;
use crate::refunds::detail;
use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use unipay_banksim::messages::batch::{
    BatchRefundLine, BatchRefundRequest, QueryBatchRefundRequest,
};
use unipay_core::money::format_yuan;

const BATCH_DATE: &str = "2026/11/27";
const BATCH_TIME: &str = "11:00:00";

fn line(seq_no: usize, order_no: &str, new_order_no: &str, amount_fen: i64) -> BatchRefundLine {
    BatchRefundLine {
        seq_no: seq_no.to_string(),
        order_no: order_no.into(),
        new_order_no: new_order_no.into(),
        currency_code: "156".into(),
        refund_amount: format_yuan(amount_fen),
        remark: "批量退款".into(),
    }
}

fn batch_request(batch_no: &str, lines: Vec<BatchRefundLine>) -> BatchRefundRequest {
    let total: i64 = lines
        .iter()
        .map(|line| unipay_core::money::parse_yuan_to_fen(&line.refund_amount).unwrap())
        .sum();
    BatchRefundRequest {
        trx_type: "BatchRefund".into(),
        batch_no: batch_no.into(),
        batch_date: BATCH_DATE.into(),
        batch_time: BATCH_TIME.into(),
        total_count: lines.len().to_string(),
        total_amount: format_yuan(total),
        order_data: lines,
        ..Default::default()
    }
}

fn query_message(serial_number: &str) -> String {
    request_message(QueryBatchRefundRequest {
        trx_type: "QueryBatchRefund".into(),
        batch_date: BATCH_DATE.into(),
        batch_time: BATCH_TIME.into(),
        serial_number: serial_number.into(),
        batch_no: String::new(),
    })
}

async fn send(sim: &Sim, request: BatchRefundRequest) -> Answer {
    sim.transact(&request_message(request)).await
}

async fn accept(sim: &Sim, request: BatchRefundRequest) -> String {
    let answer = send(sim, request).await;
    assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
    answer.field("SerialNumber").to_string()
}

/// A QueryBatchRefund answer as the merchant reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchResult {
    trx_type: String,
    batch_no: String,
    batch_status: String,
    refund_count: String,
    refund_amount: String,
    success_count: String,
    success_amount: String,
    failed_count: String,
    failed_amount: String,
    mer_refund_account_no: String,
    mer_refund_account_name: String,
    order: Vec<LineResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LineResult {
    original_order_no: String,
    refund_order_no: String,
    currency_code: String,
    refund_amount_cell: String,
    order_status: String,
    remark: String,
    reason_code: String,
    reason: String,
}

async fn query(sim: &Sim, serial_number: &str) -> BatchResult {
    let value = sim.transact_large(&query_message(serial_number)).await;
    assert_eq!(value["TrxResponse"]["ReturnCode"], "0000", "{value}");
    serde_json::from_value(value["TrxResponse"].clone()).unwrap()
}

/// Pays `count` orders `{prefix}{n}`, `n` from 0, the amount of each from `amount_fen(n)`.
async fn pay_many(sim: &Sim, prefix: &str, count: usize, amount_fen: impl Fn(usize) -> i64) {
    let numbers: Vec<usize> = (0..count).collect();
    for chunk in numbers.chunks(50) {
        join_all(chunk.iter().map(|n| {
            let amount = format_yuan(amount_fen(*n));
            async move { sim.paid(&format!("{prefix}{n}"), &amount).await }
        }))
        .await;
    }
}

fn statuses(response: &BatchResult, status: &str) -> usize {
    response
        .order
        .iter()
        .filter(|line| line.order_status == status)
        .count()
}

#[tokio::test]
async fn a_batch_of_40_with_2_failing_lines_is_final_after_the_delay() {
    let sim = start_sim_with(|config| config.batch_refund_delay_ms = 600).await;
    let paid_fen = |n: usize| 100 + i64::try_from(n).unwrap();
    pay_many(&sim, "BR", 40, paid_fen).await;
    // Odd orders are refunded in part, even ones in full.
    let refund_fen = |n: usize| {
        if n.is_multiple_of(2) {
            paid_fen(n)
        } else {
            paid_fen(n) / 2
        }
    };
    let failing: Vec<usize> = (0..40).filter(|n| n % 20 == 7).collect();
    assert_eq!(failing.len(), 2);
    let (status, faults) = sim
        .sim_post(
            "/sim/batches/fault",
            json!({ "fail_order_nos": failing.iter().map(|n| format!("BR{n}")).collect::<Vec<_>>() }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(faults["fail_order_nos"].as_array().unwrap().len(), 2);

    let lines: Vec<BatchRefundLine> = (0..40)
        .map(|n| line(n + 1, &format!("BR{n}"), &format!("BR{n}-R"), refund_fen(n)))
        .collect();
    let mut request = batch_request("B40", lines);
    request.mer_refund_account_no = "6228480000000000001".into();
    request.mer_refund_account_name = "商户退款户".into();
    let total = request.total_amount.clone();
    let accepted = send(&sim, request.clone()).await;
    assert_eq!(accepted.code(), "0000", "{}", accepted.signed.message);
    for (field, value) in [
        ("TrxType", "BatchRefund"),
        ("BatchNo", "B40"),
        ("BatchDate", BATCH_DATE),
        ("BatchTime", BATCH_TIME),
        ("TotalCount", "40"),
        ("TotalAmount", total.as_str()),
    ] {
        assert_eq!(accepted.field(field), value, "{field}");
    }
    let serial = accepted.field("SerialNumber").to_string();
    assert!(!serial.is_empty() && !accepted.field("HostTime").is_empty());

    // Before the delay every line is X, and nothing is refunded yet.
    let early = query(&sim, &serial).await;
    assert_eq!(early.batch_status, "X");
    assert_eq!(statuses(&early, "X"), 40);
    assert_eq!(
        (early.success_count.as_str(), early.success_amount.as_str()),
        ("0", "0.00")
    );
    assert_eq!(sim.order("BR0").await["refunded_fen"], 0);
    // Sending the same batch again is answered as the first time.
    let again = send(&sim, request).await;
    assert_eq!(again.signed.message, accepted.signed.message);

    tokio::time::sleep(Duration::from_millis(700)).await;
    let done = query(&sim, &serial).await;
    assert_eq!(done.trx_type, "QueryBatchRefund");
    assert_eq!(done.batch_no, "B40");
    assert_eq!(done.mer_refund_account_no, "6228480000000000001");
    assert_eq!(done.mer_refund_account_name, "商户退款户");
    assert_eq!(done.batch_status, "0");
    assert_eq!(done.order.len(), 40);
    assert_eq!((statuses(&done, "0"), statuses(&done, "1")), (38, 2));
    let failed_fen: i64 = failing.iter().map(|n| refund_fen(*n)).sum();
    let all_fen: i64 = (0..40).map(refund_fen).sum();
    assert_eq!(done.refund_count, "40");
    assert_eq!(done.refund_amount, total);
    assert_eq!(done.success_count, "38");
    assert_eq!(done.success_amount, format_yuan(all_fen - failed_fen));
    assert_eq!(done.failed_count, "2");
    assert_eq!(done.failed_amount, format_yuan(failed_fen));
    for result in &done.order {
        let n: usize = result
            .original_order_no
            .trim_start_matches("BR")
            .parse()
            .unwrap();
        assert_eq!(result.refund_order_no, format!("BR{n}-R"));
        assert_eq!(result.currency_code, "156");
        assert_eq!(result.refund_amount_cell, format_yuan(refund_fen(n)));
        assert_eq!(result.remark, "批量退款");
        if failing.contains(&n) {
            assert_eq!(result.order_status, "1");
            assert_eq!(
                (result.reason_code.as_str(), result.reason.as_str()),
                ("2313", "商户账户余额不足")
            );
        } else {
            assert_eq!(result.order_status, "0");
            assert_eq!(result.reason_code, "");
        }
    }

    // Each line is a refund of its own, readable by Query.
    assert_eq!(detail(&sim.query("BR0-R").await)["Status"], "04");
    assert_eq!(sim.query("BR0").await.order_detail().status, "05");
    assert_eq!(sim.query("BR1").await.order_detail().status, "04");
    let failed = format!("BR{}", failing[0]);
    assert_eq!(
        detail(&sim.query(&format!("{failed}-R")).await)["Status"],
        "99"
    );
    assert_eq!(sim.order(&failed).await["refunded_fen"], 0);
    // A failed line's number answers the same refusal again.
    let repeat = sim
        .refund(
            &failed,
            &format!("{failed}-R"),
            &format_yuan(refund_fen(failing[0])),
        )
        .await;
    assert_eq!(repeat.code(), "2313");
}

#[tokio::test]
async fn a_no_response_line_reads_2_until_its_time_then_0() {
    let sim = start_sim_with(|config| config.batch_refund_delay_ms = 50).await;
    sim.paid("NR1", "3.00").await;
    sim.paid("NR2", "3.00").await;
    sim.sim_post(
        "/sim/batches/fault",
        json!({ "no_response_order_nos": ["NR2-R"], "no_response_ms": 700 }),
    )
    .await;
    let serial = accept(
        &sim,
        batch_request(
            "BNR",
            vec![line(1, "NR1", "NR1-R", 300), line(2, "NR2", "NR2-R", 100)],
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pending = query(&sim, &serial).await;
    assert_eq!(pending.batch_status, "2");
    assert_eq!(
        (
            pending.order[0].order_status.as_str(),
            pending.order[1].order_status.as_str()
        ),
        ("0", "2")
    );
    assert_eq!(
        (
            pending.success_count.as_str(),
            pending.success_amount.as_str()
        ),
        ("1", "3.00")
    );
    // Done at the bank, not reported yet: Query says 02, a repeat says EUNKWN, and the amount
    // is no longer refundable.
    assert_eq!(detail(&sim.query("NR2-R").await)["Status"], "02");
    assert_eq!(sim.refund("NR2", "NR2-R", "1.00").await.code(), "EUNKWN");
    assert_eq!(sim.refund("NR2", "NR2-X", "2.01").await.code(), "2311");

    tokio::time::sleep(Duration::from_millis(700)).await;
    let done = query(&sim, &serial).await;
    assert_eq!(done.batch_status, "0");
    assert_eq!(done.order[1].order_status, "0");
    assert_eq!(
        (done.success_count.as_str(), done.success_amount.as_str()),
        ("2", "4.00")
    );
    assert_eq!(detail(&sim.query("NR2-R").await)["Status"], "04");
    assert_eq!(sim.refund("NR2", "NR2-R", "1.00").await.code(), "0000");
}

#[tokio::test]
async fn a_batch_whose_totals_are_not_its_lines_is_refused() {
    let sim = start_sim(vec![0]).await;
    sim.paid("BH1", "5.00").await;
    let good = || {
        batch_request(
            "BH",
            vec![line(1, "BH1", "BH1-R", 100), line(2, "BH1", "BH1-S", 100)],
        )
    };

    let mut count = good();
    count.total_count = "3".into();
    let mut amount = good();
    amount.total_amount = "2.01".into();
    for request in [count, amount] {
        let refused = send(&sim, request).await;
        assert_eq!(refused.code(), "2320");
        assert_eq!(refused.field("ErrorMessage"), "批次汇总不符");
    }
    let mut too_many = good();
    too_many.total_count = "10001".into();
    let mut bad_amount = good();
    bad_amount.order_data[1].refund_amount = "1.001".into();
    let mut bad_seq = good();
    bad_seq.order_data[1].seq_no = "1".into();
    let mut bad_currency = good();
    bad_currency.order_data[0].currency_code = String::new();
    let mut empty = good();
    empty.order_data.clear();
    for (request, field) in [
        (too_many, "TotalCount"),
        (bad_amount, "RefundAmount"),
        (bad_seq, "SeqNo"),
        (bad_currency, "CurrencyCode"),
        (empty, "OrderData"),
    ] {
        let refused = send(&sim, request).await;
        assert_eq!(refused.code(), "2101", "{field}");
        assert_eq!(refused.field("ErrorMessage"), format!("字段错误({field})"));
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(sim.order("BH1").await["refunded_fen"], 0);

    // The good one goes through; its number with other content does not.
    let serial = accept(&sim, good()).await;
    let mut other = good();
    other.order_data.pop();
    other.total_count = "1".into();
    other.total_amount = "1.00".into();
    assert_eq!(send(&sim, other).await.code(), "2322");
    // A query must name the batch exactly.
    let wrong_time = query_message(&serial).replace(BATCH_TIME, "11:00:01");
    assert_eq!(sim.transact(&wrong_time).await.code(), "2321");
    assert_eq!(sim.transact(&query_message("NOSUCH")).await.code(), "2321");
    let wrong_no = request_message(QueryBatchRefundRequest {
        trx_type: "QueryBatchRefund".into(),
        batch_date: BATCH_DATE.into(),
        batch_time: BATCH_TIME.into(),
        serial_number: serial.clone(),
        batch_no: "OTHER".into(),
    });
    assert_eq!(sim.transact(&wrong_no).await.code(), "2321");
}

#[tokio::test]
async fn batch_lines_follow_the_refund_rules_one_by_one() {
    let sim = start_sim_with(|config| config.batch_refund_delay_ms = 0).await;
    sim.paid("BL1", "5.00").await;
    sim.paid("BL2", "5.00").await;
    sim.pay_req("BL3", "5.00", "1", "http://h/n").await;
    assert_eq!(sim.refund("BL2", "BL2-R", "1.00").await.code(), "0000");
    let serial = accept(
        &sim,
        batch_request(
            "BL",
            vec![
                line(1, "BL1", "BL1-R", 300),
                line(2, "BL1", "BL1-R", 100), // the batch repeats a number
                line(3, "BL1", "BL1-S", 201), // more than is left
                line(4, "BL2", "BL2-R", 100), // repeats an earlier single refund
                line(5, "BL3", "BL3-R", 100), // unpaid
                line(6, "NOPE", "NOPE-R", 100),
            ],
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let done = query(&sim, &serial).await;
    let results: Vec<(&str, &str)> = done
        .order
        .iter()
        .map(|line| (line.order_status.as_str(), line.reason_code.as_str()))
        .collect();
    assert_eq!(
        results,
        [
            ("0", ""),
            ("1", "2301"),
            ("1", "2311"),
            ("0", ""),
            ("1", "2310"),
            ("1", "2308")
        ]
    );
    assert_eq!(sim.order("BL1").await["refunded_fen"], 300);
    assert_eq!(sim.order("BL2").await["refunded_fen"], 100);
    assert_eq!(detail(&sim.query("BL1-S").await)["Status"], "99");
}

/// Proves the 8,000-byte limit holds for a batch too: the most lines that fit are accepted, one
/// line more is refused `1303` and nothing of it is kept.
#[tokio::test]
async fn a_batch_over_8000_bytes_is_refused_like_any_request() {
    let sim = start_sim_with(|config| config.batch_refund_delay_ms = 100).await;
    let batch = |count: usize, prefix: &str| {
        let lines: Vec<BatchRefundLine> = (0..count)
            .map(|n| line(n + 1, &format!("BIG{n}"), &format!("{prefix}{n}-R"), 1_234))
            .collect();
        request_message(batch_request(prefix, lines))
    };
    let body_len = |message: &str| crate::wire::build_request(message, &sim.merchant_key).len() - 1;
    let fits = (1..200)
        .take_while(|count| body_len(&batch(*count, "BF")) <= 8_000)
        .last()
        .unwrap();
    assert!(fits > 10, "{fits} lines fit");
    let accepted = sim.transact(&batch(fits, "BF")).await;
    assert_eq!(accepted.code(), "0000", "{}", accepted.signed.message);
    assert_eq!(accepted.field("TotalCount"), fits.to_string());
    let over = batch(fits + 1, "BO");
    assert!(body_len(&over) > 8_000);
    let refused = sim.transact(&over).await;
    assert_eq!(refused.code(), "1303");
    assert_eq!(refused.field("ErrorMessage"), "报文超长");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let done = query(&sim, accepted.field("SerialNumber")).await;
    assert_eq!(done.order.len(), fits);
    // Nothing of the refused one was kept: its number takes other content.
    let small = request_message(batch_request("BO", vec![line(1, "BIG0", "BO-R", 1)]));
    assert_eq!(sim.transact(&small).await.code(), "0000");
}

#[tokio::test]
async fn an_oversize_query_is_refused() {
    let sim = start_sim(vec![0]).await;
    let query = query_message("S1").replace(
        BATCH_TIME,
        &format!("{BATCH_TIME}\",\"Pad\":\"{}", "x".repeat(9_000)),
    );
    assert!(query.len() > 8_000);
    assert_eq!(sim.transact(&query).await.code(), "1303");
}

#[tokio::test]
async fn the_batch_fault_api_sets_shows_and_clears() {
    let sim = start_sim(vec![0]).await;
    let url = sim.url("/sim/batches/fault");
    let shown: serde_json::Value = sim
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        shown,
        json!({ "fail_order_nos": [], "no_response_order_nos": [], "no_response_ms": null, "refuse_batch_seq_nos": [] })
    );
    // Lists longer than the sim API's ordinary 64 KiB body limit.
    let many: Vec<String> = (0..10_000)
        .map(|n| format!("ORDER-NUMBER-{n:08}"))
        .collect();
    let (status, body) = sim
        .sim_post(
            "/sim/batches/fault",
            json!({ "fail_order_nos": many, "no_response_ms": 5 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fail_order_nos"].as_array().unwrap().len(), 10_000);
    assert_eq!(body["no_response_ms"], 5);
    for bad in [
        json!({ "fail": ["x"] }),
        json!({ "no_response_ms": 3_600_001 }),
    ] {
        let (status, body) = sim.sim_post("/sim/batches/fault", bad).await;
        assert_eq!(status, 400, "{body}");
    }
    let cleared = sim.http.delete(&url).send().await.unwrap();
    assert_eq!(cleared.status(), 200);
    let shown: serde_json::Value = sim
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["fail_order_nos"], json!([]));
}
