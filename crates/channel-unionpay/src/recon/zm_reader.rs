//! Streams a ZM file: lines are read into one reused buffer and handed on borrowed; a line
//! that is not a ZM line is reported with its text and why, never dropped.

use super::zm_layout::LINE_BYTES;
use super::zm_line::ZmLine;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use unipay_core::statement::{StatementError, UnreadableLine};

/// Reads this much at a time.
const CHUNK_BYTES: usize = 1 << 20;
/// A "line" longer than this is not one: the read stops there and reports it.
const MAX_LINE_BYTES: usize = 4 * LINE_BYTES;
/// More lines than this is not one merchant's day; the bound stops a runaway input.
const MAX_LINES: u64 = 1_000_000_000;

/// Receives a ZM file line by line.
pub trait ZmSink {
    fn line(&mut self, line: &ZmLine<'_>);
    fn unreadable(&mut self, line: UnreadableLine);
}

/// What a parse counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZmSummary {
    pub lines: u64,
    pub unreadable_lines: u64,
    /// Sum of 交易金额 over the readable lines, fen.
    pub amount_fen: u64,
    /// Sums of 商户手续费 and 结算金额, credit positive, debit negative.
    pub fee_fen: i64,
    pub settlement_fen: i64,
}

/// Reads a ZM file (plain GBK bytes, as the zip holds it) into `sink`.
pub fn parse_zm(input: &mut dyn Read, sink: &mut dyn ZmSink) -> Result<ZmSummary, StatementError> {
    let mut reader = BufReader::with_capacity(CHUNK_BYTES, input);
    let mut buffer = Vec::with_capacity(LINE_BYTES + 2);
    let mut summary = ZmSummary::default();
    let mut line_no = 0u64;
    // Empty lines are reported only once a line follows them: a file may end in blank lines.
    let mut pending_empty = 0u64;
    loop {
        buffer.clear();
        let read = read_line(&mut reader, &mut buffer)?;
        if read == 0 {
            return Ok(summary);
        }
        line_no += 1;
        if line_no > MAX_LINES {
            return Err(StatementError::Format(format!(
                "more than {MAX_LINES} lines"
            )));
        }
        let content = strip_line_end(&buffer);
        if content.is_empty() {
            pending_empty += 1;
            continue;
        }
        for empty_no in line_no - pending_empty..line_no {
            report(sink, &mut summary, empty_no, &[], "empty line".to_string());
        }
        pending_empty = 0;
        match ZmLine::check(line_no, content) {
            Ok(line) => {
                summary.lines += 1;
                summary.amount_fen = summary.amount_fen.saturating_add(line.amount_fen());
                summary.fee_fen = summary.fee_fen.saturating_add(line.fee().signed());
                summary.settlement_fen = summary
                    .settlement_fen
                    .saturating_add(line.settlement_amount().signed());
                sink.line(&line);
            }
            Err(reason) => report(sink, &mut summary, line_no, content, reason),
        }
    }
}

/// One line with its end into `buffer`; the number of bytes the line took. A line longer
/// than [`MAX_LINE_BYTES`] keeps only its start (enough to be reported): the rest is skipped.
fn read_line(reader: &mut dyn BufRead, buffer: &mut Vec<u8>) -> Result<usize, StatementError> {
    let mut total = read_bounded(reader, buffer)?;
    if buffer.len() > MAX_LINE_BYTES && !buffer.ends_with(b"\n") {
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let read = read_bounded(reader, &mut rest)?;
            total += read;
            if read == 0 || rest.ends_with(b"\n") {
                break;
            }
        }
    }
    Ok(total)
}

fn read_bounded(reader: &mut dyn BufRead, buffer: &mut Vec<u8>) -> Result<usize, StatementError> {
    let limit = u64::try_from(MAX_LINE_BYTES + 1).unwrap_or(u64::MAX);
    loop {
        match Read::take(&mut *reader, limit).read_until(b'\n', buffer) {
            Ok(read) => return Ok(read),
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(StatementError::Read(err.to_string())),
        }
    }
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn report(
    sink: &mut dyn ZmSink,
    summary: &mut ZmSummary,
    line_no: u64,
    text: &[u8],
    reason: String,
) {
    summary.unreadable_lines += 1;
    let (text, _) = encoding_rs::GBK.decode_without_bom_handling(text);
    sink.unreadable(UnreadableLine {
        line_no,
        text: text.into_owned(),
        reason,
    });
}
