//! BatchRefund and QueryBatchRefund: canned signed answers, read directly and over HTTP,
//! including a full 10,000-line batch each way.

use super::http_tests::{Script, channel, serve};
use super::*;
use crate::messages::{
    BatchRefundLineResult, BatchRefundRequest as AbcBatch, BatchRefundResponse,
    QueryBatchRefundRequest, QueryBatchRefundResponse,
};
use unipay_core::channel::{BatchLineStatus, BatchRef, BatchRefundLine, BatchRefundRequest};

/// A batch of `n` refunds: line i refunds i+1 fen of order `ON{i}` under `RF{i}`.
fn batch(n: u32) -> BatchRefundRequest {
    BatchRefundRequest {
        batch_no: "B20261127001".to_string(),
        created_at_ms: CREATED_MS,
        lines: (0..n)
            .map(|i| BatchRefundLine {
                seq_no: i + 1,
                order_no: format!("ON20261127000000{i:06}"),
                refund_no: format!("RF20261127000000{i:06}"),
                amount: Amount::from_fen(i64::from(i) + 1).unwrap(),
                remark: "批量退款".to_string(),
            })
            .collect(),
    }
}

/// The BatchRefund we sent, whatever its size: cut by position and verified as the platform
/// does (the ordinary cutter stops at 8,000 bytes).
fn read_batch_sent(body: &[u8]) -> AbcBatch {
    let body = body.strip_suffix(b"\n").unwrap();
    let rest = body.strip_prefix(b"{\"Message\":").unwrap();
    let marker = b",\"Signature-Algorithm\":\"";
    let at = rest
        .windows(marker.len())
        .rposition(|w| w == marker)
        .unwrap();
    let (message, after) = rest.split_at(at);
    let after = &after[marker.len()..];
    let (algorithm, signature) = std::str::from_utf8(after)
        .unwrap()
        .strip_suffix("\"}")
        .unwrap()
        .split_once("\",\"Signature\":\"")
        .unwrap();
    let signature =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, signature).unwrap();
    merchant_cert()
        .verify(
            SignatureAlgorithm::parse(algorithm).unwrap(),
            message,
            &signature,
        )
        .unwrap();
    serde_json::from_slice::<crate::messages::RequestMessage<AbcBatch>>(message)
        .unwrap()
        .trx_request
}

/// The bank's acceptance of the batch in `request_body`.
fn accept(request_body: &[u8]) -> Vec<u8> {
    let sent = read_batch_sent(request_body);
    signed_by_bank(BatchRefundResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "BatchRefund".to_string(),
        batch_no: sent.batch_no,
        batch_date: sent.batch_date,
        batch_time: sent.batch_time,
        total_count: sent.total_count,
        total_amount: sent.total_amount,
        serial_number: "SN0001".to_string(),
        host_date: "2026/11/27".to_string(),
        host_time: "09:47:45".to_string(),
    })
}

#[tokio::test]
async fn batch_refund_sends_the_batch_and_is_accepted() {
    let (url, server) = serve(Script::Answer(Box::new(accept))).await;
    let accepted = channel(&url).batch_refund(&batch(3)).await.unwrap();
    assert_eq!(accepted.serial_number, "SN0001");
    assert_eq!(
        (accepted.batch_date.as_str(), accepted.batch_time.as_str()),
        ("2026-11-27", "09:47:44")
    );
    assert!(accepted.raw.masked.contains("SN0001"));
    let (_, body) = server.await.unwrap();
    let sent = read_batch_sent(&body);
    assert_eq!(sent.trx_type, "BatchRefund");
    assert_eq!(sent.batch_no, "B20261127001");
    assert_eq!(
        (sent.batch_date.as_str(), sent.batch_time.as_str()),
        ("2026/11/27", "09:47:44")
    );
    assert_eq!(
        (sent.total_count.as_str(), sent.total_amount.as_str()),
        ("3", "0.06")
    );
    let line = &sent.order_data[2];
    assert_eq!(
        (
            line.seq_no.as_str(),
            line.order_no.as_str(),
            line.new_order_no.as_str()
        ),
        ("3", "ON20261127000000000002", "RF20261127000000000002")
    );
    assert_eq!(
        (
            line.currency_code.as_str(),
            line.refund_amount.as_str(),
            line.remark.as_str()
        ),
        ("156", "0.03", "批量退款")
    );
}

/// Proves no batch goes past the 8,000 bytes the bank takes: a full batch is refused before
/// sending, and the plan cuts it, in order, into bank batches that each fit and are nearly
/// full; one line more than the protocol's limit is refused.
#[tokio::test]
async fn a_ten_thousand_line_batch_is_planned_in_parts_that_fit() {
    let account = account("http://127.0.0.1:9/");
    // Never sent: nothing listens there, and the refusal is ours (1100), not a lost request.
    let err = channel("http://127.0.0.1:9/")
        .batch_refund(&batch(10_000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChannelError::Refused { ref code, .. } if code == "1100"),
        "{err:?}"
    );
    let full = batch(10_000);
    let plan = channel("http://127.0.0.1:9/")
        .plan_refund_batch(&full)
        .unwrap();
    assert!(plan.len() > 1 && plan.iter().all(|&n| n > 0), "{plan:?}");
    assert_eq!(plan.iter().sum::<usize>(), 10_000);
    let body_of = |lines: &[BatchRefundLine]| {
        let part = BatchRefundRequest {
            lines: lines.to_vec(),
            ..batch(0)
        };
        batch_refund::request_body(&account, &batch_refund::batch_request(&part).unwrap())
    };
    let mut at = 0;
    for &n in &plan {
        let body = body_of(&full.lines[at..at + n]).unwrap();
        let counted = body.len() - 1;
        assert!(counted <= crate::wire::MAX_MESSAGE_BYTES, "{counted} bytes");
        // Nearly full: the plan keeps room only for the count and sum at their largest (the
        // whole batch's), less than a line.
        if at + n + 2 <= full.lines.len() {
            assert!(
                body_of(&full.lines[at..at + n + 2]).is_err(),
                "part at {at} not full"
            );
        }
        at += n;
    }
    // A small batch is one part.
    assert_eq!(
        channel("http://127.0.0.1:9/")
            .plan_refund_batch(&batch(3))
            .unwrap(),
        vec![3]
    );
    let err = batch_refund::batch_request(&batch(10_001)).unwrap_err();
    assert!(
        matches!(err, ChannelError::Refused { ref code, .. } if code == "1100"),
        "{err:?}"
    );
}

#[test]
fn unfit_batches_are_never_sent() {
    let unfit = |request: BatchRefundRequest| {
        matches!(
            batch_refund::batch_request(&request),
            Err(ChannelError::Refused { code, .. }) if code == "1100"
        )
    };
    assert!(unfit(batch(0)));
    let mut twice = batch(2);
    twice.lines[1].seq_no = 1;
    assert!(unfit(twice), "SeqNo twice");
    let mut twice = batch(2);
    twice.lines[1].refund_no = twice.lines[0].refund_no.clone();
    assert!(unfit(twice), "refund number twice");
    let mut own = batch(1);
    own.lines[0].refund_no = own.lines[0].order_no.clone();
    assert!(unfit(own), "the order's own number");
    let mut bad = batch(1);
    bad.batch_no = "B 1".to_string();
    assert!(unfit(bad));
    let mut long = batch(1);
    long.lines[0].remark = "长".repeat(150);
    let trx = batch_refund::batch_request(&long).unwrap();
    assert_eq!(trx.order_data[0].remark.chars().count(), 100);
}

#[tokio::test]
async fn a_refused_batch_is_a_refusal() {
    for (code, message) in [("2320", "批次汇总不符"), ("2322", "批次号重复")] {
        let (url, _s) = serve(Script::Answer(Box::new(move |_| {
            error_answer(code, message)
        })))
        .await;
        let err = channel(&url).batch_refund(&batch(2)).await.unwrap_err();
        assert_eq!(
            err,
            ChannelError::Refused {
                code: code.to_string(),
                message: message.to_string()
            }
        );
    }
    let (url, _s) = serve(Script::Answer(Box::new(|_| error_answer("EUNKWN", "未知")))).await;
    let err = channel(&url).batch_refund(&batch(2)).await.unwrap_err();
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
}

#[test]
fn an_acceptance_of_another_batch_is_not_believed() {
    let account = account("http://127.0.0.1:9/");
    let sent = batch_refund::batch_request(&batch(4)).unwrap();
    let answer = |edit: fn(&mut BatchRefundResponse)| {
        let mut r = BatchRefundResponse {
            return_code: "0000".to_string(),
            merchant_id: MID.to_string(),
            trx_type: "BatchRefund".to_string(),
            batch_no: sent.batch_no.clone(),
            total_count: "4".to_string(),
            total_amount: "0.10".to_string(),
            serial_number: "SN0001".to_string(),
            ..BatchRefundResponse::default()
        };
        edit(&mut r);
        signed_by_bank(r)
    };
    assert!(batch_refund::read_answer(&account, &sent, &answer(|_| {})).is_ok());
    // The amount may be written differently, not be different.
    let same = answer(|r| r.total_amount = "0.1".to_string());
    assert!(batch_refund::read_answer(&account, &sent, &same).is_ok());
    for edit in [
        (|r: &mut BatchRefundResponse| r.batch_no = "B2".to_string()) as fn(&mut _),
        |r| r.total_count = "3".to_string(),
        |r| r.total_amount = "0.11".to_string(),
        |r| r.total_amount = "0.100".to_string(),
        |r| r.serial_number = String::new(),
        |r| r.serial_number = "S N".to_string(),
        |r| r.trx_type = "Refund".to_string(),
    ] {
        let err = batch_refund::read_answer(&account, &sent, &answer(edit)).unwrap_err();
        assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    }
}

fn batch_ref() -> BatchRef {
    BatchRef {
        batch_no: "B20261127001".to_string(),
        batch_date: "2026-11-27".to_string(),
        batch_time: "09:47:44".to_string(),
        serial_number: "SN0001".to_string(),
    }
}

fn result_line(seq_no: u32, status: &str) -> BatchRefundLineResult {
    let failed = status == "1";
    BatchRefundLineResult {
        original_order_no: format!("ON{seq_no}"),
        refund_order_no: format!("RF{seq_no}"),
        currency_code: "156".to_string(),
        refund_amount_cell: "1.50".to_string(),
        order_status: status.to_string(),
        remark: String::new(),
        reason_code: if failed { "2313" } else { "" }.to_string(),
        reason: if failed {
            "商户账户余额不足"
        } else {
            ""
        }
        .to_string(),
    }
}

fn query_answer_with(lines: Vec<BatchRefundLineResult>) -> Vec<u8> {
    signed_by_bank(QueryBatchRefundResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "QueryBatchRefund".to_string(),
        batch_no: "B20261127001".to_string(),
        batch_date: "2026/11/27".to_string(),
        batch_time: "09:47:44".to_string(),
        serial_number: "SN0001".to_string(),
        batch_status: "X".to_string(),
        refund_count: lines.len().to_string(),
        mer_refund_account_no: "103881234560010001".to_string(),
        mer_refund_account_name: "测试商户".to_string(),
        lines,
        ..QueryBatchRefundResponse::default()
    })
}

#[tokio::test]
async fn query_batch_refund_reads_each_line() {
    let lines = vec![
        result_line(1, "X"),
        result_line(2, "0"),
        result_line(3, "1"),
        result_line(4, "2"),
        result_line(5, "7"),
    ];
    let (url, server) = serve(Script::Answer(Box::new(move |_| query_answer_with(lines)))).await;
    let result = channel(&url)
        .query_batch_refund(&batch_ref())
        .await
        .unwrap();
    let statuses: Vec<_> = result.lines.iter().map(|l| l.status).collect();
    assert_eq!(
        statuses,
        [
            BatchLineStatus::Pending,
            BatchLineStatus::Succeeded,
            BatchLineStatus::Failed,
            BatchLineStatus::NoResponse,
            BatchLineStatus::NoResponse,
        ]
    );
    // Lines are named by the refund's own number, not by their place in the batch.
    let failed = &result.lines[2];
    assert_eq!(
        (failed.refund_no.as_str(), failed.amount.fen()),
        ("RF3", 150)
    );
    assert_eq!(failed.reason, "2313 商户账户余额不足");
    assert_eq!(result.lines[1].reason, "");
    assert!(result.lines[4].reason.contains("\"7\""));
    assert!(result.raw.masked.contains("QueryBatchRefund"));
    let (_, body) = server.await.unwrap();
    let sent: QueryBatchRefundRequest = read_sent(&body);
    assert_eq!(
        sent,
        QueryBatchRefundRequest {
            trx_type: "QueryBatchRefund".to_string(),
            batch_date: "2026/11/27".to_string(),
            batch_time: "09:47:44".to_string(),
            serial_number: "SN0001".to_string(),
        }
    );
}

/// Proves a 10,000-line answer (megabytes, past the ordinary 8,000 bytes) is read whole.
#[tokio::test]
async fn a_ten_thousand_line_batch_result_is_read() {
    let lines: Vec<_> = (1..=10_000)
        .map(|i| result_line(i, if i % 3 == 0 { "1" } else { "0" }))
        .collect();
    let answer = query_answer_with(lines);
    assert!(answer.len() > 1_000_000, "{} bytes", answer.len());
    let (url, _s) = serve(Script::Answer(Box::new(move |_| answer))).await;
    let result = channel(&url)
        .query_batch_refund(&batch_ref())
        .await
        .unwrap();
    assert_eq!(result.lines.len(), 10_000);
    let failed = result
        .lines
        .iter()
        .filter(|l| l.status == BatchLineStatus::Failed)
        .count();
    assert_eq!(failed, 3_333);
    assert_eq!(result.lines[9_999].refund_no, "RF10000");
}

#[test]
fn batch_results_that_do_not_add_up_are_not_believed() {
    let account = account("http://127.0.0.1:9/");
    let read = |body: Vec<u8>| batch_query::read_answer(&account, &batch_ref(), &body);
    assert!(read(query_answer_with(vec![result_line(1, "0")])).is_ok());
    let err = read(error_answer("2321", "批次不存在")).unwrap_err();
    assert!(
        matches!(err, ChannelError::Refused { ref code, .. } if code == "2321"),
        "{err:?}"
    );
    assert!(matches!(
        read(error_answer("EUNKWN", "未知")).unwrap_err(),
        ChannelError::Unknown(_)
    ));
    let mut bad_amount = result_line(1, "0");
    bad_amount.refund_amount_cell = "1.5x".to_string();
    let mut no_amount = result_line(1, "0");
    no_amount.refund_amount_cell = String::new();
    let mut no_number = result_line(1, "0");
    no_number.refund_order_no = " ".to_string();
    for lines in [vec![bad_amount], vec![no_amount], vec![no_number]] {
        let err = read(query_answer_with(lines)).unwrap_err();
        assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    }
    // Another batch's answer, or one that lost lines on the way.
    let mut other = batch_ref();
    other.serial_number = "SN0002".to_string();
    let err = batch_query::read_answer(
        &account,
        &other,
        &query_answer_with(vec![result_line(1, "0")]),
    )
    .unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    let short = signed_by_bank(QueryBatchRefundResponse {
        return_code: "0000".to_string(),
        merchant_id: MID.to_string(),
        refund_count: "2".to_string(),
        lines: vec![result_line(1, "0")],
        ..QueryBatchRefundResponse::default()
    });
    assert!(matches!(
        read(short).unwrap_err(),
        ChannelError::BadAnswer(_)
    ));
}

#[test]
fn a_batch_reference_must_be_fit() {
    let account = account("http://127.0.0.1:9/");
    let unfit = |batch: BatchRef| {
        matches!(
            batch_query::request_body(&account, &batch),
            Err(ChannelError::Refused { code, .. }) if code == "1100"
        )
    };
    assert!(!unfit(batch_ref()));
    assert!(unfit(BatchRef {
        batch_date: "2026/11/27".to_string(),
        ..batch_ref()
    }));
    assert!(unfit(BatchRef {
        batch_time: "9:47:44".to_string(),
        ..batch_ref()
    }));
    assert!(unfit(BatchRef {
        serial_number: String::new(),
        ..batch_ref()
    }));
}

/// Proves a succeeded line carries the accounting date its batch was taken in on (by the
/// account's cut-over), which the bank's statement lists it under; a failed line has none.
#[test]
fn a_succeeded_line_is_booked_on_its_batchs_accounting_date() {
    let mut account = account("http://127.0.0.1:9/");
    account.cutover_hour = 23;
    let read = |batch: &BatchRef| {
        batch_query::read_answer(
            &account,
            batch,
            &query_answer_with(vec![result_line(1, "0"), result_line(2, "1")]),
        )
        .unwrap()
        .lines
    };
    let lines = read(&batch_ref());
    assert_eq!(lines[0].accounting_date.as_deref(), Some("2026-11-27"));
    assert_eq!(lines[1].accounting_date, None);
    let mut after_cutover = batch_ref();
    after_cutover.batch_time = "23:10:00".to_string();
    assert_eq!(
        read(&after_cutover)[0].accounting_date.as_deref(),
        Some("2026-11-28")
    );
}
