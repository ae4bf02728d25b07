#![allow(clippy::unwrap_used)]

use super::*;
use std::io::{Read, Write};
use unipay_core::statement::UnreadableLine;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/recon/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

const ZM_NAME: &str = "INN15090588ZM_802310048993424";

#[derive(Default)]
struct Collected {
    lines: Vec<(u64, String, String, u64, i64, i64, String)>,
    unreadable: Vec<UnreadableLine>,
}

impl ZmSink for Collected {
    fn line(&mut self, line: &ZmLine<'_>) {
        self.lines.push((
            line.line_no,
            line.order_id().to_string(),
            line.query_id().to_string(),
            line.amount_fen(),
            line.fee().signed(),
            line.settlement_amount().signed(),
            line.txn_type().to_string(),
        ));
    }

    fn unreadable(&mut self, line: UnreadableLine) {
        self.unreadable.push(line);
    }
}

/// Hands out a few bytes per read, as a decompressor may.
struct Trickle<'b>(&'b [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out.len().min(self.0.len()).min(7);
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn the_official_sample_is_read_exactly_and_adds_up_to_its_summary() {
    let file = sample(ZM_NAME);
    let mut collected = Collected::default();
    let summary = parse_zm(&mut file.as_slice(), &mut collected).unwrap();
    assert!(
        collected.unreadable.is_empty(),
        "{:?}",
        collected.unreadable
    );
    assert_eq!(summary.lines, 8);
    // The RD summary: 自助消费 8, 13227.00, fee 79.36 debit, settlement 13147.64 credit.
    assert_eq!(summary.amount_fen, 1_322_700);
    assert_eq!(summary.fee_fen, -7_936);
    assert_eq!(summary.settlement_fen, 1_314_764);
    let first = &collected.lines[0];
    assert_eq!(first.0, 1);
    assert_eq!(first.1, "10078087");
    assert_eq!(first.2, "201509061122031906248");
    assert_eq!(first.3, 476_800);
    assert_eq!(first.4, -2_861);
    assert_eq!(first.5, 473_939);
    assert_eq!(first.6, "01");
    let mut trickled = Collected::default();
    let again = parse_zm(&mut Trickle(&file), &mut trickled).unwrap();
    assert_eq!(again, summary);
    assert_eq!(trickled.lines, collected.lines);
}

#[test]
fn every_field_of_the_first_line_is_where_the_table_says() {
    let file = sample(ZM_NAME);
    let line = ZmLine::check(1, &file[..LINE_BYTES]).unwrap();
    let expect = [
        (ZmField::TransactionCode, "S56"),
        (ZmField::AgentInstitution, "88022900"),
        (ZmField::SendingInstitution, "00049993"),
        (ZmField::TraceNo, "190624"),
        (ZmField::TraceTime, "0906112203"),
        (ZmField::Account, "622609******0048"),
        (ZmField::Amount, "000000476800"),
        (ZmField::MerchantCategory, "4899"),
        (ZmField::TerminalType, "07"),
        (ZmField::OldPaymentMethod, "01"),
        (ZmField::CardType, "01"),
        (ZmField::OriginalTraceNo, ""),
        (ZmField::Fee, "D000000002861"),
        (ZmField::SettlementAmount, "C000000473939"),
        (ZmField::PaymentMethod, "0001"),
        (ZmField::TxnSubType, ""),
        (ZmField::BizType, "000201"),
        (ZmField::OriginalQueryId, ""),
        (ZmField::MerId, "802310048993424"),
        (ZmField::SubMerchant, "000000000000000"),
        (ZmField::SubMerchantAmount, "000000000000"),
        (ZmField::NetAmount, "C000000473939"),
        (ZmField::TerminalId, "01080209"),
        (ZmField::MerchantReserved, ""),
        (ZmField::InstalmentFee, "00000000000"),
        (ZmField::Medium, "7"),
        (ZmField::OriginalOrderId, ""),
        (ZmField::Reserved, ""),
    ];
    for (field, text) in expect {
        assert_eq!(line.text(field), text, "{field:?}");
    }
    assert_eq!(line.mer_id(), "802310048993424");
    assert_eq!(line.biz_type(), "000201");
    assert_eq!(line.trace_no(), "190624");
    assert_eq!(line.trace_time(), "0906112203");
    assert_eq!(line.transaction_code(), "S56");
    assert_eq!(line.original_query_id(), "");
    assert_eq!(
        line.net_amount(),
        SignedFen {
            direction: Direction::Credit,
            fen: 473_939
        }
    );
}

#[test]
fn lines_that_are_not_zm_lines_are_reported_with_their_reason() {
    let file = sample(ZM_NAME);
    let good = &file[..LINE_BYTES + 2];
    let mut broken_amount = good.to_vec();
    broken_amount[ZmField::Amount.offset()] = b'X';
    let mut broken_fee = good.to_vec();
    broken_fee[ZmField::Fee.offset()] = b'Q';
    let mut no_separator = good.to_vec();
    no_separator[3] = b'#';
    let mut long = vec![b'9'; 5000];
    long.extend_from_slice(b"\r\n");
    let mut input = Vec::new();
    for part in [
        good,
        b"short line\r\n".as_slice(),
        &broken_amount,
        b"\r\n".as_slice(),
        &broken_fee,
        &no_separator,
        &long,
        good,
        b"\r\n\r\n".as_slice(),
    ] {
        input.extend_from_slice(part);
    }
    let mut collected = Collected::default();
    let summary = parse_zm(&mut input.as_slice(), &mut collected).unwrap();
    assert_eq!(summary.lines, 2);
    assert_eq!(summary.unreadable_lines, 6);
    let reasons: Vec<(u64, &str)> = collected
        .unreadable
        .iter()
        .map(|u| (u.line_no, u.reason.as_str()))
        .collect();
    assert_eq!(reasons[0], (2, "10 bytes where a ZM line has 607"));
    assert_eq!(reasons[1], (3, "the amount is not 12 digits"));
    assert_eq!(reasons[2], (4, "empty line"));
    assert_eq!(reasons[3], (5, "field 16 is not a D/C amount"));
    assert_eq!(reasons[4], (6, "no separator after field 1"));
    assert_eq!(reasons[5].0, 7);
    assert_eq!(collected.lines.last().unwrap().0, 8);
}

#[test]
fn the_delivered_zip_holds_the_zm_file_and_the_summary() {
    let zip = sample("802310048993424_20150905.zip");
    let mut archive = ReconciliationArchive::new(&zip).unwrap();
    let (name, parsed) = archive.zm_file().unwrap();
    assert_eq!(name, ZM_NAME);
    assert_eq!(parsed.settle_date, "150905");
    assert_eq!(parsed.mer_id, "802310048993424");
    let mut collected = Collected::default();
    let summary = archive
        .read_zm(|input| parse_zm(input, &mut collected))
        .unwrap()
        .unwrap();
    assert_eq!(summary.lines, 8);
    let mut from_file = Collected::default();
    parse_zm(&mut sample(ZM_NAME).as_slice(), &mut from_file).unwrap();
    assert_eq!(collected.lines, from_file.lines);
    let report = archive.summary_text().unwrap();
    assert!(report.contains("中国银联全渠道商户交易汇总表"));
    let declared = DeclaredTotals::from_report(&report).unwrap();
    assert_eq!(
        declared,
        DeclaredTotals {
            count: 8,
            amount_debit_fen: 0,
            amount_credit_fen: 1_322_700,
            fee_debit_fen: 7_936,
            fee_credit_fen: 0,
            net_debit_fen: 0,
            net_credit_fen: 1_314_764,
        }
    );
    assert_eq!(declared.check(&summary), Ok(()));
    let one_short = ZmSummary {
        lines: 7,
        ..summary
    };
    assert!(matches!(
        declared.check(&one_short),
        Err(SummaryError::Mismatch { .. })
    ));
}

#[test]
fn summaries_without_a_readable_total_are_errors() {
    assert_eq!(
        DeclaredTotals::from_report("商户代码:1\r\n"),
        Err(SummaryError::NoTotal)
    );
    assert!(matches!(
        DeclaredTotals::from_report("总计  8  0.00  1.0  0.00  0.00  0.00  0.00"),
        Err(SummaryError::Unreadable(_))
    ));
    assert!(matches!(
        DeclaredTotals::from_report("总计  8  0.00  0.00"),
        Err(SummaryError::Unreadable(_))
    ));
}

#[test]
fn file_content_is_base64_of_zlib_of_the_zip() {
    let zip = sample("802310048993424_20150905.zip");
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&zip).unwrap();
    let content = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        encoder.finish().unwrap(),
    );
    assert_eq!(unpack_file_content(&content).unwrap(), zip);
    assert_eq!(unpack_file_content("***"), Err(ReconError::NotBase64));
    assert!(matches!(
        unpack_file_content("AAAA"),
        Err(ReconError::NotZlib(_))
    ));
    assert!(ReconciliationArchive::new(b"not a zip").is_err());
}

#[test]
fn zm_file_names_are_told_from_others() {
    assert!(ZmFileName::parse("INN15090588ZME_802310048993424").is_none());
    assert!(ZmFileName::parse("RD201015090501_802310048993424").is_none());
    assert_eq!(
        ZmFileName::parse("dir/INN15090588ZM_802310048993424")
            .unwrap()
            .settle_date,
        "150905"
    );
}
