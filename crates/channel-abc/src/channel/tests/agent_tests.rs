//! AgentPay, AgentBatch, AgentBatchQuery and QueryAgentSign as ABC's own client sends them, and
//! their answers read with the names its demo reads.

use super::*;
use crate::messages::{
    AgentBatchLineResult, AgentBatchQueryRequest, AgentBatchQueryResponse, AgentBatchRequest,
    AgentBatchResponse, AgentPayResponse, QueryAgentSignResponse,
};
use unipay_core::channel::{BatchLineStatus, BatchRef};
use unipay_core::mandate_channel::{
    BankMandate, BankMandateState, DebitBatchLine, DebitBatchRequest, DebitRequest, MandateChannel,
};

fn debit() -> DebitRequest {
    DebitRequest {
        order_no: "AP1".to_string(),
        agent_sign_no: "AGS1".to_string(),
        amount: Amount::from_fen(1234).unwrap(),
        subject: "月费".to_string(),
        created_at_ms: CREATED_MS,
    }
}

/// A batch of `n` debits: line i debits i+1 fen under order `AB{i}`.
fn debits(n: u32) -> DebitBatchRequest {
    DebitBatchRequest {
        batch_no: "DB20261127001".to_string(),
        created_at_ms: CREATED_MS,
        lines: (0..n)
            .map(|i| DebitBatchLine {
                seq_no: i + 1,
                agent_sign_no: "AGS1".to_string(),
                order_no: format!("AB20261127{i:06}"),
                amount: Amount::from_fen(i64::from(i) + 1).unwrap(),
            })
            .collect(),
    }
}

/// Proves an AgentPay carries the amount as `Amount`, the subject as its one item, and that
/// its answer is read by `Amount` and checked against it.
#[test]
fn agent_pay_sends_and_reads_the_amount() {
    let account = account("http://127.0.0.1:9/");
    let trx = agent_debit::pay_request(&account, &debit()).unwrap();
    assert_eq!(trx.amount, "12.34");
    assert_eq!(
        (trx.order_date.as_str(), trx.order_time.as_str()),
        ("2026/11/27", "09:47:44")
    );
    assert_eq!(trx.order_items.len(), 1);
    assert_eq!(trx.order_items[0].product_name, "月费");
    let json = serde_json::to_string(&trx).unwrap();
    assert!(
        json.contains(r#""Amount":"12.34""#) && !json.contains("OrderAmount"),
        "{json}"
    );
    // No subject, no item (the client requires a ProductName in every one).
    let bare = agent_debit::pay_request(
        &account,
        &DebitRequest {
            subject: " ".to_string(),
            ..debit()
        },
    )
    .unwrap();
    assert!(bare.order_items.is_empty());
    assert!(!serde_json::to_string(&bare).unwrap().contains("OrderItems"));

    let answer = |amount: &str| {
        signed_by_bank(AgentPayResponse {
            return_code: "0000".to_string(),
            merchant_id: MID.to_string(),
            trx_type: "AgentPay".to_string(),
            order_no: "AP1".to_string(),
            agent_sign_no: "AGS1".to_string(),
            amount: amount.to_string(),
            i_rsp_ref: "R1".to_string(),
            host_date: "2026/11/27".to_string(),
            host_time: "09:48:00".to_string(),
            ..AgentPayResponse::default()
        })
    };
    assert!(agent_debit::read_pay_answer(&account, &trx, &answer("12.34"), 0).is_ok());
    assert!(matches!(
        agent_debit::read_pay_answer(&account, &trx, &answer("12.35"), 0),
        Err(ChannelError::BadAnswer(_))
    ));
}

/// Proves an AgentBatch nests its header, writes each line's `OrderAmount`, keeps its number
/// to 30 characters, and that no batch goes past 8,000 bytes: a large one is refused before
/// sending and planned in parts that each fit.
#[tokio::test]
async fn agent_batches_fit_the_bank_limit() {
    let account = account("http://127.0.0.1:9/");
    let trx = agent_debit::batch_request(&account, &debits(3)).unwrap();
    assert_eq!(trx.agent_batch.batch_no, "DB20261127001");
    assert_eq!(
        (
            trx.agent_batch.agent_count.as_str(),
            trx.agent_batch.agent_amount.as_str()
        ),
        ("3", "0.06")
    );
    assert_eq!(trx.details[2].order_amount, "0.03");
    assert_eq!(trx.details[2].seq_no, "3");
    let json = serde_json::to_string(&trx).unwrap();
    assert!(
        json.contains(r#""AgentBatch":{"BatchNo":"DB20261127001""#),
        "{json}"
    );
    assert!(agent_debit::batch_body(&account, &trx).is_ok());

    let unfit = |request: DebitBatchRequest| {
        matches!(
            agent_debit::batch_request(&account, &request),
            Err(ChannelError::Refused { code, .. }) if code == "1100"
        )
    };
    let mut long = debits(1);
    long.batch_no = "B".repeat(31);
    assert!(unfit(long));
    let mut longest = debits(1);
    longest.batch_no = "B".repeat(30);
    assert!(!unfit(longest));
    let mut zero = debits(1);
    zero.lines[0].seq_no = 0;
    assert!(unfit(zero));
    let mut twice = debits(2);
    twice.lines[1].seq_no = 1;
    assert!(unfit(twice));
    assert!(unfit(debits(0)));

    let channel = super::http_tests::channel("http://127.0.0.1:9/");
    let big = debits(200);
    let err = channel.debit_batch(&big).await.unwrap_err();
    assert!(
        matches!(err, ChannelError::Refused { ref code, .. } if code == "1100"),
        "{err:?}"
    );
    let plan = channel.plan_debit_batch(&big).unwrap();
    assert!(plan.len() > 1, "{plan:?}");
    assert_eq!(plan.iter().sum::<usize>(), 200);
    let mut at = 0;
    for &n in &plan {
        let part = DebitBatchRequest {
            lines: big.lines[at..at + n].to_vec(),
            ..debits(0)
        };
        let body = agent_debit::batch_body(
            &account,
            &agent_debit::batch_request(&account, &part).unwrap(),
        )
        .unwrap();
        assert!(body.len() - 1 <= crate::wire::MAX_MESSAGE_BYTES);
        at += n;
    }
    assert_eq!(channel.plan_debit_batch(&debits(3)).unwrap(), vec![3]);
}

/// Proves the AgentBatch answer, which has no serial number, names the batch by its own
/// number, and an answer for another batch is not believed.
#[test]
fn an_agent_batch_is_known_by_its_number() {
    let account = account("http://127.0.0.1:9/");
    let sent: AgentBatchRequest = agent_debit::batch_request(&account, &debits(2)).unwrap();
    let answer = |edit: fn(&mut AgentBatchResponse)| {
        let mut r = AgentBatchResponse {
            return_code: "0000".to_string(),
            merchant_id: MID.to_string(),
            trx_type: "AgentBatch".to_string(),
            merchant_no: MID.to_string(),
            send_time: "2026/11/27 09:47:45".to_string(),
            batch_no: "DB20261127001".to_string(),
            batch_date: "2026/11/27".to_string(),
            agent_count: "2".to_string(),
            agent_amount: "0.03".to_string(),
            ..AgentBatchResponse::default()
        };
        edit(&mut r);
        signed_by_bank(r)
    };
    let accepted = agent_debit::read_batch_answer(&account, &sent, &answer(|_| {})).unwrap();
    assert_eq!(accepted.serial_number, "DB20261127001");
    assert_eq!(
        (accepted.batch_date.as_str(), accepted.batch_time.as_str()),
        ("2026-11-27", "09:47:44")
    );
    // The bank may leave the echoes out.
    let bare = answer(|r| {
        r.batch_no = String::new();
        r.batch_date = String::new();
        r.agent_count = String::new();
        r.agent_amount = String::new();
    });
    assert!(agent_debit::read_batch_answer(&account, &sent, &bare).is_ok());
    for edit in [
        (|r: &mut AgentBatchResponse| r.batch_no = "DB2".to_string()) as fn(&mut _),
        |r| r.batch_date = "2026/11/28".to_string(),
        |r| r.agent_count = "3".to_string(),
        |r| r.agent_amount = "0.04".to_string(),
    ] {
        let err = agent_debit::read_batch_answer(&account, &sent, &answer(edit)).unwrap_err();
        assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
    }
}

fn batch_ref() -> BatchRef {
    BatchRef {
        batch_no: "DB20261127001".to_string(),
        batch_date: "2026-11-27".to_string(),
        batch_time: "09:47:44".to_string(),
        serial_number: "DB20261127001".to_string(),
    }
}

fn detail(seq_no: u32, status: &str, status_zh: &str) -> AgentBatchLineResult {
    AgentBatchLineResult {
        seq_no: seq_no.to_string(),
        order_no: format!("AB{seq_no}"),
        order_amount: "1.50".to_string(),
        agent_sign_no: "AGS1".to_string(),
        order_status: status.to_string(),
        order_status_zh: status_zh.to_string(),
        i_rsp_ref: if status == "0" { "R1" } else { "" }.to_string(),
        host_date: "2026/11/27".to_string(),
        host_time: "10:00:00".to_string(),
        ..AgentBatchLineResult::default()
    }
}

/// Proves the AgentBatchQuery names the batch by number and date only, and its answer's
/// `AgentBatchDetail` lines read by `OrderAmount` and `OrderStatus`, a failed line's reason
/// falling back to `OrderStatusZH` when the bank gives no code.
#[test]
fn agent_batch_query_reads_each_line() {
    let account = account("http://127.0.0.1:9/");
    let body = agent_debit::batch_query_body(&account, &batch_ref()).unwrap();
    assert_eq!(
        read_sent::<AgentBatchQueryRequest>(&body),
        AgentBatchQueryRequest {
            trx_type: "AgentBatchQuery".to_string(),
            batch_no: "DB20261127001".to_string(),
            batch_date: "2026/11/27".to_string(),
        }
    );
    let long = BatchRef {
        batch_no: "B".repeat(31),
        ..batch_ref()
    };
    assert!(agent_debit::batch_query_body(&account, &long).is_err());

    let mut failed_with_code = detail(3, "1", "失败");
    failed_with_code.reason_code = "2313".to_string();
    failed_with_code.reason = "余额不足".to_string();
    let lines = vec![
        detail(1, "X", "未处理"),
        detail(2, "0", "成功"),
        failed_with_code,
        detail(4, "1", "扣款失败"),
    ];
    let answer = |batch_no: &str, lines: Vec<AgentBatchLineResult>| {
        signed_by_bank(AgentBatchQueryResponse {
            return_code: "0000".to_string(),
            merchant_id: MID.to_string(),
            trx_type: "AgentBatchQuery".to_string(),
            batch_no: batch_no.to_string(),
            batch_status: "2".to_string(),
            batch_status_zh: "处理完成".to_string(),
            currency_code: "156".to_string(),
            agent_count: lines.len().to_string(),
            agent_amount: "6.00".to_string(),
            agent_batch_detail: lines,
            ..AgentBatchQueryResponse::default()
        })
    };
    let read =
        |body: Vec<u8>| agent_debit::read_batch_query_answer(&account, &batch_ref(), &body, 0);
    let result = read(answer("DB20261127001", lines.clone())).unwrap();
    let statuses: Vec<_> = result.lines.iter().map(|l| l.status).collect();
    assert_eq!(
        statuses,
        [
            BatchLineStatus::Pending,
            BatchLineStatus::Succeeded,
            BatchLineStatus::Failed,
            BatchLineStatus::Failed,
        ]
    );
    assert_eq!(result.lines[1].amount.fen(), 150);
    assert_eq!(
        result.lines[1].paid.as_ref().unwrap().channel_trade_no,
        "R1"
    );
    assert_eq!(result.lines[2].reason, "2313 余额不足");
    assert_eq!(result.lines[3].reason, "扣款失败");
    assert_eq!(result.lines[3].seq_no, 4);

    assert!(matches!(
        read(answer("DB2", lines.clone())),
        Err(ChannelError::BadAnswer(_))
    ));
    let mut bad_amount = detail(1, "0", "成功");
    bad_amount.order_amount = "1.5x".to_string();
    assert!(matches!(
        read(answer("DB20261127001", vec![bad_amount])),
        Err(ChannelError::BadAnswer(_))
    ));
}

fn sign_answer(status: &str) -> Vec<u8> {
    signed_by_bank(QueryAgentSignResponse {
        return_code: "0000".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "QueryAgentSign".to_string(),
        order_no: "S1".to_string(),
        agent_sign_no: "AGS1".to_string(),
        agent_sign_status: status.to_string(),
        last4_card_no: "0011".to_string(),
        sign_date: "2026/11/27 10:00:00".to_string(),
        invaid_date: "2027/11/27".to_string(),
        certificate_type: "I".to_string(),
        merchant_no: MID.to_string(),
        reason_code: if status == "2" { "2409" } else { "" }.to_string(),
        reason: if status == "2" {
            "客户拒绝签约"
        } else {
            ""
        }
        .to_string(),
        ..QueryAgentSignResponse::default()
    })
}

/// Proves a QueryAgentSign answer reads by `AgentSignStatus`: signed (the card shown by its
/// `Last4CardNo`, signed at its `SignDate`), refused, unsigned or pending.
#[tokio::test]
async fn a_signing_is_queried_by_its_status() {
    for (status, expected) in [
        (
            "1",
            BankMandateState::Signed(BankMandate {
                agent_sign_no: "AGS1".to_string(),
                card_masked: "****0011".to_string(),
                signed_at_ms: ms("2026/11/27", "10:00:00"),
            }),
        ),
        (
            "2",
            BankMandateState::Failed {
                code: "2409".to_string(),
                reason: "客户拒绝签约".to_string(),
            },
        ),
        ("3", BankMandateState::Cancelled),
        ("0", BankMandateState::Pending),
    ] {
        let (url, server) =
            super::http_tests::serve(super::http_tests::Script::Answer(Box::new(move |_| {
                sign_answer(status)
            })))
            .await;
        let answer = super::http_tests::channel(&url)
            .query_mandate("S1")
            .await
            .unwrap();
        assert_eq!(answer.state, expected, "{status}");
        let (_, body) = server.await.unwrap();
        let sent: crate::messages::QueryAgentSignRequest = read_sent(&body);
        assert_eq!(sent.order_no, "S1");
    }
}
