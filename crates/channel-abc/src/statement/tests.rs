#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::fields::parse_yuan;
use super::*;
use unipay_core::money::parse_yuan_to_fen;
use unipay_core::statement::{
    CollectedStatement, OwnedStatementLine, StatementError, StatementTotals, TxnKind,
};

/// The published header of one variant (protocol page, "Statement records").
const PUBLISHED_HEADER: &str = "商户号|交易类型|订单编号|交易时间|交易金额|商户账号|商户动账金额|客户账号|账户类型|商户回佣手续费|商户分期手续费|会计日期|主机流水号|9014流水号|原订单号";

/// `text` in GBK; every character must exist in GBK.
fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "{text:?} is not all GBK");
    bytes.into_owned()
}

/// A line of the published layout.
fn published_line(kind: &str, order_no: &str, amount: &str, fee: &str, original: &str) -> String {
    format!(
        "103881234560010|{kind}|{order_no}|20261127094820|{amount}|6228480000000000001|{amount}|6228481234567890123|401|{fee}||20261127|SIM094820|9014000001|{original}"
    )
}

fn parse_chunked(bytes: &[u8], chunk: usize) -> (StatementSummary, CollectedStatement) {
    let mut sink = CollectedStatement::default();
    let summary = reader::parse(&mut &bytes[..], &mut sink, chunk).unwrap();
    (summary, sink)
}

fn parse(bytes: &[u8]) -> (StatementSummary, CollectedStatement) {
    parse_chunked(bytes, CHUNK_BYTES)
}

fn parse_err(bytes: &[u8]) -> StatementError {
    reader::parse(
        &mut &bytes[..],
        &mut CollectedStatement::default(),
        CHUNK_BYTES,
    )
    .unwrap_err()
}

fn statement(records: &[String]) -> Vec<u8> {
    gbk(&records.join("^^"))
}

fn owned(
    line_no: u64,
    kind: TxnKind,
    order_no: &str,
    fen: i64,
    fee_fen: i64,
    original: &str,
) -> OwnedStatementLine {
    OwnedStatementLine {
        line_no,
        kind,
        order_no: order_no.to_string(),
        original_order_no: original.to_string(),
        amount: unipay_core::Amount::from_fen(fen).unwrap(),
        fee_fen,
        accounting_date: "2026-11-27".to_string(),
        bank_serial: "SIM094820".to_string(),
        traded_at: "20261127094820".to_string(),
    }
}

/// Proves the published layout reads as lines: kind, numbers, amounts in fen, the accounting
/// date rewritten, serial and time passed on as written, totals summed.
#[test]
fn reads_the_published_layout() {
    let bytes = statement(&[
        PUBLISHED_HEADER.to_string(),
        published_line("支付", "ON20261127A001", "2.00", "0.01", ""),
        published_line("退款", "RF20261127A001", "-1.50", "-0.01", "ON20261127A001"),
    ]);
    let (summary, got) = parse(&bytes);
    assert_eq!(summary.columns.len(), 15);
    assert_eq!(summary.columns[1], "交易类型");
    assert_eq!(
        got.lines,
        vec![
            owned(2, TxnKind::Payment, "ON20261127A001", 200, 1, ""),
            owned(
                3,
                TxnKind::Refund,
                "RF20261127A001",
                150,
                1,
                "ON20261127A001"
            ),
        ]
    );
    assert!(got.unreadable.is_empty());
    assert_eq!(
        summary.read,
        StatementTotals {
            payments: 1,
            payments_fen: 200,
            refunds: 1,
            refunds_fen: 150
        }
    );
    assert_eq!(summary.unreadable_lines, 0);
}

/// Proves the 交易类型 names compared as GBK bytes are the GBK of the names meant.
#[test]
fn kind_names_are_their_gbk_bytes() {
    let names = |list: &[&[u8]]| -> Vec<String> {
        list.iter().map(|b| fields::lossy(b).into_owned()).collect()
    };
    assert_eq!(
        names(fields::PAYMENT_KINDS),
        ["支付", "消费", "PayReq", "ImmediatePay"]
    );
    assert_eq!(names(fields::REFUND_KINDS), ["退款", "退货", "Refund"]);
    for name in ["支付", "消费", "退款", "退货"] {
        let (gbk_bytes, _, _) = encoding_rs::GBK.encode(name);
        assert!(
            fields::PAYMENT_KINDS.contains(&gbk_bytes.as_ref())
                || fields::REFUND_KINDS.contains(&gbk_bytes.as_ref())
        );
    }
}

/// Proves columns are found by their names: reordered, with unknown extra columns, without
/// the optional ones; English kind names are understood too.
#[test]
fn columns_are_found_by_name_in_any_order() {
    let bytes = statement(&[
        "会计日期|备注|交易金额|订单编号|交易类型".to_string(),
        "20261127|随便|12.30|A1|ImmediatePay".to_string(),
        "2026-11-27|x|0.01|A2|消费".to_string(),
        "20261127||3|A3|Refund".to_string(),
        "20261127||4|A4|退货".to_string(),
        "20261127||5|A5|PayReq".to_string(),
    ]);
    let (summary, got) = parse(&bytes);
    assert!(got.unreadable.is_empty(), "{:?}", got.unreadable);
    assert_eq!(
        summary.columns,
        ["会计日期", "备注", "交易金额", "订单编号", "交易类型"]
    );
    let seen: Vec<(&str, TxnKind, i64)> = got
        .lines
        .iter()
        .map(|l| (l.order_no.as_str(), l.kind, l.amount.fen()))
        .collect();
    assert_eq!(
        seen,
        [
            ("A1", TxnKind::Payment, 1230),
            ("A2", TxnKind::Payment, 1),
            ("A3", TxnKind::Refund, 300),
            ("A4", TxnKind::Refund, 400),
            ("A5", TxnKind::Payment, 500),
        ]
    );
    let first = &got.lines[0];
    assert_eq!(
        (
            first.accounting_date.as_str(),
            first.fee_fen,
            first.bank_serial.as_str(),
            first.traded_at.as_str(),
            first.original_order_no.as_str()
        ),
        ("2026-11-27", 0, "", "", "")
    );
}

/// Proves a header without one of the four columns a line cannot do without is refused as a
/// whole, naming the column.
#[test]
fn a_missing_required_column_is_an_error() {
    for missing in [KIND, ORDER_NO, AMOUNT, ACCOUNTING_DATE] {
        let header: Vec<&str> = [KIND, ORDER_NO, AMOUNT, ACCOUNTING_DATE, TRADED_AT]
            .into_iter()
            .filter(|c| *c != missing)
            .collect();
        let bytes = statement(&[header.join("|"), "a|b|c|d".to_string()]);
        match parse_err(&bytes) {
            StatementError::Format(message) => assert!(message.contains(missing), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}

/// Proves delimiters are found per GBK character: 觸 ends in the byte 0x7C (`|`) and 觀 in
/// 0x5E (`^`), so splitting raw bytes would cut these lines in the wrong places.
#[test]
fn gbk_trail_bytes_equal_to_delimiters_do_not_split() {
    assert_eq!(gbk("觸")[1], b'|');
    assert_eq!(gbk("觀")[1], b'^');
    let bytes = statement(&[
        "交易类型|订单编号|交易金额|会计日期|备注觸觀".to_string(),
        // The remark ends in 觀 right before the separator: bytes `.. 0x5E 0x5E 0x5E ..`.
        "支付|東觸1|1.00|20261127|觸|觀".to_string(),
        "觀觸|B2|2.00|20261127|觸觸".to_string(),
        "退款|B3|3.00|20261127|^觀^".to_string(),
    ]);
    let naive_fields = bytes.split(|b| *b == b'|').count();
    assert_ne!(
        naive_fields,
        4 * 5 - 3,
        "the test must hold trail bytes equal to |"
    );
    let (summary, got) = parse(&bytes);
    assert_eq!(summary.columns[4], "备注觸觀");
    // Line 2 has six fields (its remark holds a real `|`): unreadable, shown as written.
    assert_eq!(got.unreadable.len(), 2, "{:?}", got.unreadable);
    assert_eq!(got.unreadable[0].line_no, 2);
    assert_eq!(got.unreadable[0].text, "支付|東觸1|1.00|20261127|觸|觀");
    assert_eq!(got.unreadable[0].reason, "6 fields where the header has 5");
    assert_eq!(got.unreadable[1].line_no, 3);
    assert_eq!(got.unreadable[1].text, "觀觸|B2|2.00|20261127|觸觸");
    assert!(
        got.unreadable[1].reason.contains("觀觸"),
        "{}",
        got.unreadable[1].reason
    );
    assert_eq!(got.lines.len(), 1);
    assert_eq!(
        (got.lines[0].line_no, got.lines[0].order_no.as_str()),
        (4, "B3")
    );

    // A non-ASCII order number is decoded, not borrowed as raw bytes.
    let bytes = statement(&[
        "交易类型|订单编号|交易金额|会计日期".to_string(),
        "支付|東觸1|1.00|20261127".to_string(),
        "支付|質觀|1.00|20261127".to_string(),
    ]);
    let (_, got) = parse(&bytes);
    let numbers: Vec<&str> = got.lines.iter().map(|l| l.order_no.as_str()).collect();
    assert_eq!(numbers, ["東觸1", "質觀"]);
}

/// Proves amounts are exact fen, from one fen to the largest amount, whatever the number of
/// decimals; a refund's minus sign and a fee's sign only say the direction.
#[test]
fn amounts_are_exact() {
    let line = |kind: &str, amount: &str, fee: &str| format!("{kind}|N|{amount}|20261127|{fee}");
    let bytes = statement(&[
        "交易类型|订单编号|交易金额|会计日期|商户回佣手续费".to_string(),
        line("支付", "0.01", ""),
        line("支付", "12.3", "0.1"),
        line("支付", "100000000.00", "-12.34"),
        line("支付", "7", "0"),
        line("退款", "-0.29", "-0.01"),
        line("退款", "1.10", ""),
    ]);
    let (summary, got) = parse(&bytes);
    assert!(got.unreadable.is_empty(), "{:?}", got.unreadable);
    let amounts: Vec<(i64, i64)> = got
        .lines
        .iter()
        .map(|l| (l.amount.fen(), l.fee_fen))
        .collect();
    assert_eq!(
        amounts,
        [
            (1, 0),
            (1230, 10),
            (10_000_000_000, 1234),
            (700, 0),
            (29, 1),
            (110, 0)
        ]
    );
    assert_eq!(summary.read.payments_fen, 1 + 1230 + 10_000_000_000 + 700);
    assert_eq!(summary.read.refunds_fen, 139);
}

/// Proves the byte-level amount reader accepts and rejects exactly what core's money does
/// (the one definition of exact yuan text).
#[test]
fn the_amount_reader_agrees_with_core_money() {
    let mut samples: Vec<String> = [
        "0",
        "0.0",
        "0.00",
        "1",
        "1.",
        ".5",
        "1.5",
        "1.05",
        "1.234",
        "-1",
        "-0.01",
        "--1",
        "+1",
        "1e2",
        "1,00",
        " 1",
        "1 ",
        "",
        "-",
        ".",
        "0x10",
        "1.-1",
        "12.3x",
        "999999999999999",
        "9999999999999999",
        "999999999999999.99",
        "00012.30",
        "1..2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let alphabet = b"0123456789.-x";
        let len = (seed % 9) as usize;
        let text: String = (0..len)
            .map(|i| alphabet[((seed >> (i * 4)) % alphabet.len() as u64) as usize] as char)
            .collect();
        samples.push(text);
    }
    for text in samples {
        let ours = parse_yuan(text.as_bytes()).map(|(neg, fen)| if neg { -fen } else { fen });
        let core = parse_yuan_to_fen(&text).ok();
        // Core keeps the sign in the number, so "-0" is 0 there and (true, 0) here: the same.
        assert_eq!(ours, core, "{text:?}");
    }
}

/// Proves every line that cannot be read is reported with its number, its text and why, and
/// that the lines after it are still read.
#[test]
fn unreadable_lines_are_reported_with_number_and_text() {
    let bytes = statement(&[
        "交易类型|订单编号|交易金额|会计日期".to_string(),
        "支付|A1|12.3x|20261127".to_string(),
        "支付|A2|1.00".to_string(),
        "冲正|A3|1.00|20261127".to_string(),
        "支付||1.00|20261127".to_string(),
        "支付|A5|1.00|20261332".to_string(),
        "支付|A6|-1.00|20261127".to_string(),
        "支付|A7|0.00|20261127".to_string(),
        "支付|A8|1.234|20261127".to_string(),
        "支付|A9|100000000.01|20261127".to_string(),
        "支付|A10|1.00|20261127".to_string(),
    ]);
    let (summary, got) = parse(&bytes);
    let report: Vec<(u64, &str)> = got
        .unreadable
        .iter()
        .map(|u| (u.line_no, u.text.as_str()))
        .collect();
    assert_eq!(
        report,
        [
            (2, "支付|A1|12.3x|20261127"),
            (3, "支付|A2|1.00"),
            (4, "冲正|A3|1.00|20261127"),
            (5, "支付||1.00|20261127"),
            (6, "支付|A5|1.00|20261332"),
            (7, "支付|A6|-1.00|20261127"),
            (8, "支付|A7|0.00|20261127"),
            (9, "支付|A8|1.234|20261127"),
            (10, "支付|A9|100000000.01|20261127"),
        ]
    );
    let reasons: Vec<&str> = got.unreadable.iter().map(|u| u.reason.as_str()).collect();
    assert!(reasons[0].contains("交易金额 \"12.3x\""), "{}", reasons[0]);
    assert_eq!(reasons[1], "3 fields where the header has 4");
    assert!(
        reasons[2].contains("unknown 交易类型 \"冲正\""),
        "{}",
        reasons[2]
    );
    assert_eq!(reasons[3], "empty 订单编号");
    assert!(reasons[4].contains("会计日期"), "{}", reasons[4]);
    assert!(
        reasons[5].contains("negative on a payment"),
        "{}",
        reasons[5]
    );
    assert!(reasons[6].contains("greater than zero"), "{}", reasons[6]);
    assert_eq!(summary.unreadable_lines, 9);
    assert_eq!(got.lines.len(), 1);
    assert_eq!(got.lines[0].line_no, 11);
    assert_eq!(summary.read.payments, 1);
}

/// A statement of `lines` lines of the published layout, with a few awkward ones among them.
fn sample_statement(lines: usize) -> Vec<u8> {
    let mut records = vec![PUBLISHED_HEADER.to_string()];
    for i in 0..lines {
        records.push(match i % 7 {
            3 => published_line("退款", &format!("RF{i:020}"), "-12.30", "-0.05", "ON1"),
            5 => published_line("觀觸", &format!("ON{i:020}"), "1.00", "", ""),
            6 => format!("{}|觸^觀", published_line("支付", "X", "1", "", "")),
            _ => published_line("支付", &format!("ON{i:020}"), "1234.56", "1.23", ""),
        });
    }
    let mut bytes = statement(&records);
    bytes.extend_from_slice(b"^^\r\n");
    bytes
}

/// Proves records and characters cut by a read boundary read the same as whole ones, for
/// every chunk size from one byte up.
#[test]
fn records_straddling_reads_read_the_same() {
    let bytes = sample_statement(40);
    let (expected_summary, expected) = parse(&bytes);
    assert_eq!(expected.lines.len() + expected.unreadable.len(), 40);
    assert!(!expected.unreadable.is_empty());
    for chunk in (1..=64).chain([127, 128, 129, 1000]) {
        let (summary, got) = parse_chunked(&bytes, chunk);
        assert_eq!(got, expected, "chunk {chunk}");
        assert_eq!(summary, expected_summary, "chunk {chunk}");
    }
}

/// A reader that hands out at most `step` bytes per call, as a socket or a decompressor does.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// Proves short reads from the input change nothing.
#[test]
fn short_reads_change_nothing() {
    let bytes = sample_statement(30);
    let expected = parse(&bytes).1;
    for step in [1, 2, 3, 7, 100] {
        let mut sink = CollectedStatement::default();
        reader::parse(
            &mut Trickle {
                bytes: &bytes,
                step,
            },
            &mut sink,
            16,
        )
        .unwrap();
        assert_eq!(sink, expected, "step {step}");
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Proves a gzip file reads as its plain text does (also as several gzip members), and that
/// damaged gzip is an error, not a short statement.
#[test]
fn gzip_input_reads_as_plain() {
    let bytes = sample_statement(50);
    let expected = parse(&bytes);
    let mut sink = CollectedStatement::default();
    let summary = parse_gzip_statement(&mut &gzip(&bytes)[..], &mut sink).unwrap();
    assert_eq!((summary, sink), expected);

    let (first, second) = bytes.split_at(bytes.len() / 2);
    let mut members = gzip(first);
    members.extend_from_slice(&gzip(second));
    let mut sink = CollectedStatement::default();
    let summary = parse_statement_file(&mut &members[..], true, &mut sink).unwrap();
    assert_eq!((summary, sink), expected);

    let zipped = gzip(&bytes);
    let truncated = &zipped[..zipped.len() / 2];
    let err =
        parse_gzip_statement(&mut &truncated[..], &mut CollectedStatement::default()).unwrap_err();
    assert!(matches!(err, StatementError::Read(_)), "{err:?}");
    let err =
        parse_gzip_statement(&mut &bytes[..], &mut CollectedStatement::default()).unwrap_err();
    assert!(matches!(err, StatementError::Read(_)), "{err:?}");
}

/// Proves a statement without lines (header only, however it ends, or nothing at all) reads
/// as no lines, and that a trailing separator or line break is not a line.
#[test]
fn an_empty_statement_has_no_lines() {
    for ending in ["", "^^", "^^\n", "\r\n", "^^\r\n^^"] {
        let bytes = gbk(&format!("{PUBLISHED_HEADER}{ending}"));
        let (summary, got) = parse(&bytes);
        assert_eq!(summary.columns.len(), 15, "{ending:?}");
        assert_eq!(got, CollectedStatement::default(), "{ending:?}");
        assert_eq!(summary.read, StatementTotals::default());
    }
    let (summary, got) = parse(b"");
    assert_eq!((summary, got), Default::default());
    let (_, got) = parse(&gbk(&format!(
        "{PUBLISHED_HEADER}^^{}^^",
        published_line("支付", "A", "1.00", "", "")
    )));
    assert_eq!(got.lines.len(), 1);
}

/// Proves an empty record between lines is reported (it is a line that says nothing), and
/// that records separated by `^^` and a line break read as if the break were not there.
#[test]
fn empty_records_between_lines_are_reported() {
    let line = |n: &str| published_line("支付", n, "1.00", "", "");
    let text = format!(
        "{PUBLISHED_HEADER}^^\r\n{}^^\r\n^^^^\r\n{}^^\r\n",
        line("A"),
        line("B")
    );
    let (summary, got) = parse(&gbk(&text));
    let lines: Vec<(u64, &str)> = got
        .lines
        .iter()
        .map(|l| (l.line_no, l.order_no.as_str()))
        .collect();
    assert_eq!(lines, [(2, "A"), (5, "B")]);
    let empty: Vec<(u64, &str)> = got
        .unreadable
        .iter()
        .map(|u| (u.line_no, u.reason.as_str()))
        .collect();
    assert_eq!(empty, [(3, "empty record"), (4, "empty record")]);
    assert_eq!(summary.unreadable_lines, 2);
}

/// Proves a record longer than any line could be stops the parse with an error instead of
/// growing the buffer without end.
#[test]
fn an_endless_record_is_an_error() {
    let mut bytes = gbk(&format!("{PUBLISHED_HEADER}^^"));
    bytes.resize(bytes.len() + reader::MAX_RECORD_BYTES + 10, b'7');
    let mut sink = CollectedStatement::default();
    let err = reader::parse(&mut &bytes[..], &mut sink, 4096).unwrap_err();
    assert!(
        matches!(err, StatementError::Format(ref m) if m.contains("longer")),
        "{err:?}"
    );
}

/// Proves the declared totals are compared with what was read, and the difference told.
#[test]
fn declared_totals_are_checked() {
    let bytes = statement(&[
        PUBLISHED_HEADER.to_string(),
        published_line("支付", "A", "2.00", "", ""),
        published_line("支付", "B", "bad", "", ""),
        published_line("退款", "C", "-0.50", "", "A"),
    ]);
    let (summary, _) = parse(&bytes);
    let read = StatementTotals {
        payments: 1,
        payments_fen: 200,
        refunds: 1,
        refunds_fen: 50,
    };
    assert_eq!(check_declared(&summary, &read), Ok(()));
    let declared = StatementTotals {
        payments: 2,
        payments_fen: 500,
        ..read
    };
    let mismatch = check_declared(&summary, &declared).unwrap_err();
    assert_eq!(
        mismatch,
        TotalsMismatch {
            declared,
            read,
            unreadable_lines: 1
        }
    );
    assert_eq!(
        mismatch.to_string(),
        "the statement declares 2 payments of 5.00 yuan and 1 refunds of 0.50 yuan but holds \
         1 payments of 2.00 yuan and 1 refunds of 0.50 yuan (1 line could not be read)"
    );
}

/// Counts lines without keeping them, as a reconciler's sink would.
#[derive(Default)]
struct Count {
    lines: u64,
    fen: i64,
}

impl StatementSink for Count {
    fn line(&mut self, line: &unipay_core::statement::StatementLine<'_>) {
        self.lines += 1;
        self.fen += line.amount.fen();
    }
    fn unreadable(&mut self, _: unipay_core::statement::UnreadableLine) {}
}

/// Throughput on plain text, for a release build:
/// `cargo test --release -p unipay-channel-abc throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let lines = 2_000_000;
    let mut records = vec![PUBLISHED_HEADER.to_string()];
    for i in 0..lines {
        records.push(published_line(
            "支付",
            &format!("ON{i:020}"),
            "1234.56",
            "1.23",
            "",
        ));
    }
    let bytes = statement(&records);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let mut sink = Count::default();
        let started = std::time::Instant::now();
        let summary = parse_statement(&mut &bytes[..], &mut sink).unwrap();
        best = best.min(started.elapsed().as_secs_f64());
        assert_eq!((sink.lines, summary.unreadable_lines), (lines, 0));
    }
    let zipped = gzip(&bytes);
    let started = std::time::Instant::now();
    parse_gzip_statement(&mut &zipped[..], &mut Count::default()).unwrap();
    let gzip_s = started.elapsed().as_secs_f64();
    println!(
        "{} lines, {} MB: plain {:.0} MB/s ({:.0} ns/line), gzip {:.0} MB/s of text",
        lines,
        bytes.len() / 1_000_000,
        bytes.len() as f64 / best / 1e6,
        best * 1e9 / lines as f64,
        bytes.len() as f64 / gzip_s / 1e6,
    );
}
