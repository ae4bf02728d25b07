//! The reconciliation file: downloaded, unpacked and parsed by the bank client, its lines
//! adding up to the summary's totals.

use super::back::back;
use super::common::*;
use super::front::paid_consume;
use unipay_channel_unionpay::messages::{FileDownloadOutcome, read_answer};
use unipay_channel_unionpay::recon::{
    DeclaredTotals, ReconciliationArchive, ZmLine, ZmSink, parse_zm,
};
use unipay_core::statement::UnreadableLine;

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

    let today = txn_time()[4..8].to_string();
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
