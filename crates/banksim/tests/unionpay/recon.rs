//! The reconciliation file: downloaded, unpacked and parsed by the bank client, its lines
//! adding up to the summary's totals.

use super::back::back;
use super::common::*;
use super::front::paid_consume;
use unipay_channel_unionpay::messages::{FileDownloadOutcome, read_answer};
use unipay_channel_unionpay::recon::{
    DeclaredTotals, ReconciliationArchive, ZmLine, ZmSink, declared_totals, parse_archive, parse_zm,
};
use unipay_core::statement::{CollectedStatement, TxnKind, UnreadableLine};

#[derive(Default)]
struct Lines {
    order_ids: Vec<String>,
    txn_types: Vec<String>,
    unreadable: usize,
}

impl ZmSink for Lines {
    fn line(&mut self, line: &ZmLine<'_>) {
        self.order_ids.push(line.order_id().trim().to_string());
        self.txn_types.push(line.txn_type().to_string());
    }
    fn unreadable(&mut self, _line: UnreadableLine) {
        self.unreadable += 1;
    }
}

/// The settlement date (`MMDD`) the gateway gave a transaction.
async fn settle_date(sim: &Sim, query_id: &str) -> String {
    let transaction = sim
        .get_json(&format!("/sim/unionpay/transactions/{query_id}"))
        .await;
    transaction["settle_date"]
        .as_str()
        .expect("a settled transaction")
        .to_string()
}

async fn download(sim: &Sim, settle_date: &str) -> FileDownloadOutcome {
    let (request, body) = signed_form(
        &[
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("txnType", "76"),
            ("txnSubType", "01"),
            ("bizType", "000000"),
            ("accessType", "0"),
            ("merId", MER_ID),
            ("settleDate", settle_date),
            ("txnTime", &txn_time()),
            ("fileType", "00"),
        ],
        &rsa_signer(),
    );
    let (status, answer) = sim.post_form("/", body).await;
    assert_eq!(status, 200);
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    FileDownloadOutcome::from_answer(&answer).unwrap()
}

#[tokio::test]
async fn the_day_file_unpacks_parses_and_adds_up() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let paid = paid_consume(&sim, &rsa_signer(), "1000", &receiver.url).await;
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid.query_id,
        "300",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("00"));
    receiver.wait_for(2).await;

    let today = settle_date(&sim, &paid.query_id).await;
    let FileDownloadOutcome::Delivered(file) = download(&sim, &today).await else {
        panic!("no file");
    };
    let mut archive = ReconciliationArchive::new(&file.zip).unwrap();
    let (_, name) = archive.zm_file().unwrap();
    assert_eq!(name.mer_id, MER_ID);
    let mut lines = Lines::default();
    let read = archive
        .read_zm(|input| parse_zm(input, &mut lines))
        .unwrap()
        .unwrap();
    assert_eq!(lines.unreadable, 0);
    assert_eq!(lines.order_ids[0], paid.order_id);
    assert_eq!(lines.txn_types, ["01", "04"]);
    assert_eq!(read.settlement_fen, 700);
    let declared = DeclaredTotals::from_report(&archive.summary_text().unwrap()).unwrap();
    declared.check(&read).unwrap();

    // Another day has no file; so has today under the file fault.
    let other = if today == "0101" { "0102" } else { "0101" };
    assert!(matches!(
        download(&sim, other).await,
        FileDownloadOutcome::NoFile { .. }
    ));
    sim.post_json(
        "/sim/unionpay/faults",
        serde_json::json!({ "file_missing": true }),
    )
    .await;
    assert!(matches!(
        download(&sim, &today).await,
        FileDownloadOutcome::NoFile { .. }
    ));
}

/// The simulator's file read by the bank client's statement mapping, with each statement
/// fault (as the ABC mode's) and a consume paid by other means: the lines, the kinds, the
/// fen, the unreadable line and the declared totals are what the faults say.
#[tokio::test]
async fn statement_faults_show_in_the_file_as_the_statement_port_reads_it() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let mut paid = Vec::new();
    for amount in ["1000", "2000", "3000", "4000", "5000", "6000"] {
        paid.push(paid_consume(&sim, &rsa_signer(), amount, &receiver.url).await);
    }
    let refunded = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid[0].query_id,
        "300",
        &receiver.url,
    )
    .await;
    let refund_answer = read_answer(&refunded.1, &refunded.0, &sim.verifier(), now()).unwrap();
    let refund_order = refund_answer.get("orderId").unwrap().to_string();
    receiver.wait_for(7).await;
    let counter = order_id();
    let (status, _) = sim
        .post_json(
            "/sim/unionpay/orders",
            serde_json::json!({"mer_id": MER_ID, "order_id": counter, "amount_fen": 8000}),
        )
        .await;
    assert_eq!(status, 201);
    for (index, fault) in [
        (
            1,
            serde_json::json!({"fault": "amount", "amount_fen": 2001}),
        ),
        (2, serde_json::json!({"fault": "fee", "fee_fen": 5})),
        (3, serde_json::json!({"fault": "omit"})),
        (4, serde_json::json!({"fault": "next_day"})),
        (5, serde_json::json!({"fault": "corrupt"})),
    ] {
        let path = format!("/sim/unionpay/orders/{}/statement", paid[index].order_id);
        let (status, _) = sim.post_json(&path, fault).await;
        assert_eq!(status, 200);
    }
    let (status, _) = sim
        .post_json(
            "/sim/unionpay/orders/NOSUCHORDER1/statement",
            serde_json::json!({"fault": "omit"}),
        )
        .await;
    assert_eq!(status, 404);

    let today = settle_date(&sim, &paid[0].query_id).await;
    let FileDownloadOutcome::Delivered(file) = download(&sim, &today).await else {
        panic!("no file");
    };
    let mut collected = CollectedStatement::default();
    let summary = parse_archive(&file.zip, &mut collected).unwrap();
    let lines: Vec<(TxnKind, String, String, i64, i64)> = collected
        .lines
        .iter()
        .map(|l| {
            (
                l.kind,
                l.order_no.clone(),
                l.original_order_no.clone(),
                l.amount.fen(),
                l.fee_fen,
            )
        })
        .collect();
    let order = |i: usize| paid[i].order_id.clone();
    assert_eq!(
        lines,
        [
            (TxnKind::Payment, order(0), String::new(), 1000, 0),
            (TxnKind::Payment, order(1), String::new(), 2001, 0),
            (TxnKind::Payment, order(2), String::new(), 3000, 5),
            (TxnKind::Refund, refund_order, order(0), 300, 0),
            (TxnKind::Payment, counter.clone(), String::new(), 8000, 0),
        ]
    );
    assert_eq!(collected.unreadable.len(), 1, "{:?}", collected.unreadable);
    assert!(collected.unreadable[0].text.contains(&order(5)));
    assert_eq!(summary.unreadable_lines, 1);
    // The summary leaves the damaged line out, and declares what the readable lines hold.
    assert_eq!(declared_totals(&file.zip).unwrap(), summary.read);

    // The line filed a day late is the next day's file's only line.
    let next_day = chrono::NaiveDate::parse_from_str(&format!("2024{today}"), "%Y%m%d")
        .map(|d| d.succ_opt().unwrap().format("%m%d").to_string())
        .unwrap();
    let FileDownloadOutcome::Delivered(next) = download(&sim, &next_day).await else {
        panic!("no file for the next day");
    };
    let mut collected = CollectedStatement::default();
    parse_archive(&next.zip, &mut collected).unwrap();
    let orders: Vec<&str> = collected
        .lines
        .iter()
        .map(|l| l.order_no.as_str())
        .collect();
    assert_eq!(orders, [order(4).as_str()]);
    assert_eq!(collected.lines[0].amount.fen(), 5000);
}
