#![allow(clippy::unwrap_used)]

use super::*;
use std::io::Write;
use unipay_core::statement::CollectedStatement;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/recon/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

const ZM_NAME: &str = "INN15090588ZM_802310048993424";
const RD_NAME: &str = "RD201015090501_802310048993424";

/// A zip of `zm` and `summary` under the sample's names.
fn zip_of(zm: &[u8], summary: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file(ZM_NAME, options).unwrap();
    zip.write_all(zm).unwrap();
    zip.start_file(RD_NAME, options).unwrap();
    zip.write_all(summary).unwrap();
    zip.finish().unwrap().into_inner()
}

/// The sample's lines, each as bytes without its CR LF.
fn sample_lines() -> Vec<Vec<u8>> {
    sample(ZM_NAME)
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
        .filter(|line| !line.is_empty())
        .collect()
}

fn set(line: &mut [u8], field: ZmField, value: &str) {
    let start = field.offset();
    let slot = &mut line[start..start + field.width()];
    slot.fill(b' ');
    slot[..value.len()].copy_from_slice(value.as_bytes());
}

fn joined(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

fn parse(zip: &[u8]) -> (StatementSummary, CollectedStatement) {
    let mut collected = CollectedStatement::default();
    let summary = parse_archive(zip, &mut collected).unwrap();
    (summary, collected)
}

#[test]
fn the_official_sample_reads_as_eight_payments_to_the_fen() {
    let zip = sample("802310048993424_20150905.zip");
    let (summary, collected) = parse(&zip);
    assert_eq!(summary.unreadable_lines, 0, "{:?}", collected.unreadable);
    assert_eq!(
        summary.read,
        StatementTotals {
            payments: 8,
            payments_fen: 1_322_700,
            refunds: 0,
            refunds_fen: 0,
        }
    );
    assert_eq!(summary.columns.len(), 42);
    assert_eq!(summary.columns[11], "商户订单号");
    let first = &collected.lines[0];
    assert_eq!(first.line_no, 1);
    assert_eq!(first.kind, TxnKind::Payment);
    assert_eq!(first.order_no, "10078087");
    assert_eq!(first.original_order_no, "");
    assert_eq!(first.amount.fen(), 476_800);
    assert_eq!(first.fee_fen, 2_861, "D000000002861: a fee taken");
    assert_eq!(first.accounting_date, "2015-09-05");
    assert_eq!(first.bank_serial, "201509061122031906248");
    assert_eq!(first.traded_at, "0906112203");
    let fees: i64 = collected.lines.iter().map(|l| l.fee_fen).sum();
    assert_eq!(fees, 7_936, "the summary's 79.36");
    // Its declared totals are the summary's, and agree with what was read.
    assert_eq!(declared_totals(&zip).unwrap(), summary.read);
    // read_zip hands the bytes on unchanged.
    assert_eq!(read_zip(&mut zip.as_slice()).unwrap(), zip);
}

#[test]
fn refunds_voids_and_completions_map_onto_the_port() {
    let mut lines = sample_lines();
    lines.truncate(5);
    // A refund of the first line's order under its own number, a void, a completion of a
    // pre-authorisation (known by the pre-authorisation's number), a pre-authorisation (no
    // money) and a type nobody knows.
    for (index, txn_type, order_id, original) in [
        (0, "04", "REFUND0001", "10078087"),
        (1, "31", "VOID00001", "10078088"),
        (2, "03", "COMPLETE01", "PREAUTH001"),
        (3, "02", "PREAUTH002", ""),
        (4, "99", "ODD000001", ""),
    ] {
        let line = &mut lines[index];
        set(line, ZmField::TxnType, txn_type);
        set(line, ZmField::OrderId, order_id);
        set(line, ZmField::OriginalOrderId, original);
    }
    set(&mut lines[0], ZmField::Fee, "C000000000000");
    let amounts: Vec<u64> = sample_lines()
        .iter()
        .take(5)
        .map(|l| ZmLine::check(1, l).unwrap().amount_fen())
        .collect();
    let zip = zip_of(
        &joined(&lines),
        &gbk(&format!(
            "总计 5 {}.{:02} {}.{:02} 0.00 0.00 0.00 0.00\r\n",
            (amounts[0] + amounts[1]) / 100,
            (amounts[0] + amounts[1]) % 100,
            (amounts[2] + amounts[3] + amounts[4]) / 100,
            (amounts[2] + amounts[3] + amounts[4]) % 100,
        )),
    );
    let (summary, collected) = parse(&zip);
    let read: Vec<(TxnKind, &str, &str, i64)> = collected
        .lines
        .iter()
        .map(|l| {
            (
                l.kind,
                l.order_no.as_str(),
                l.original_order_no.as_str(),
                l.amount.fen(),
            )
        })
        .collect();
    let fen = |i: usize| i64::try_from(amounts[i]).unwrap();
    assert_eq!(
        read,
        [
            (TxnKind::Refund, "REFUND0001", "10078087", fen(0)),
            (TxnKind::Refund, "VOID00001", "10078088", fen(1)),
            (TxnKind::Payment, "PREAUTH001", "", fen(2)),
        ]
    );
    assert_eq!(collected.lines[0].fee_fen, 0);
    assert_eq!(collected.unreadable.len(), 1, "{:?}", collected.unreadable);
    assert_eq!(collected.unreadable[0].line_no, 5);
    assert!(collected.unreadable[0].reason.contains("\"99\""));
    assert!(collected.unreadable[0].text.starts_with("S56"));
    assert_eq!(summary.unreadable_lines, 1);
    assert_eq!(
        summary.read,
        StatementTotals {
            payments: 1,
            payments_fen: fen(2),
            refunds: 2,
            refunds_fen: fen(0) + fen(1),
        }
    );
    // The summary's one count is split by the lines' kinds: the pre-authorisation is neither.
    let declared = declared_totals(&zip).unwrap();
    assert_eq!((declared.payments, declared.refunds), (2, 2));
}

#[test]
fn a_file_that_does_not_add_up_to_its_summary_says_so() {
    let mut lines = sample_lines();
    lines.pop();
    let zip = zip_of(&joined(&lines), &sample(RD_NAME));
    let (summary, collected) = parse(&zip);
    assert_eq!(collected.lines.len(), 7);
    assert_eq!(summary.unreadable_lines, 1);
    let reported = &collected.unreadable[0];
    assert_eq!(reported.line_no, 0);
    assert!(reported.text.starts_with("总计"), "{reported:?}");
    assert!(reported.reason.contains("declares"), "{reported:?}");
    // The declared totals stay the summary's: eight payments, against seven read.
    let declared = declared_totals(&zip).unwrap();
    assert_eq!((declared.payments, declared.payments_fen), (8, 1_322_700));
    assert_ne!(declared, summary.read);
}

#[test]
fn unreadable_lines_are_reported_as_the_reader_found_them() {
    let mut lines = sample_lines();
    lines[2].truncate(100);
    set(&mut lines[3], ZmField::Amount, "000000000000");
    let zip = zip_of(&joined(&lines), &sample(RD_NAME));
    let (summary, collected) = parse(&zip);
    assert_eq!(collected.lines.len(), 6);
    let reasons: Vec<(u64, &str)> = collected
        .unreadable
        .iter()
        .map(|u| (u.line_no, u.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0], (3, "100 bytes where a ZM line has 607"));
    assert_eq!(reasons[1].0, 4);
    assert!(reasons[1].1.contains("not an amount"), "{reasons:?}");
    assert_eq!(summary.unreadable_lines, 2);
}

#[test]
fn what_is_not_a_reconciliation_zip_is_a_format_error() {
    let mut collected = CollectedStatement::default();
    assert!(matches!(
        parse_archive(b"not a zip", &mut collected),
        Err(StatementError::Format(_))
    ));
    let no_summary = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file(ZM_NAME, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&sample(ZM_NAME)).unwrap();
        zip.finish().unwrap().into_inner()
    };
    assert!(matches!(
        parse_archive(&no_summary, &mut collected),
        Err(StatementError::Format(_))
    ));
    assert!(declared_totals(&no_summary).is_err());
}
