//! The streaming loop: fill a buffer, hand every whole record in it on, keep the record that
//! runs past its end for the next round.

use super::columns::Columns;
use super::fields::{Record, Scratch, lossy, read_line};
use super::scan::{Found, MAX_FIELDS, Scanner};
use std::io::{ErrorKind, Read};
use std::ops::Range;
use unipay_core::statement::{StatementError, StatementSink, StatementSummary, UnreadableLine};

/// A record longer than this (or than the chunk, if larger) is not a statement line: a line
/// is about 150 bytes, a header a few hundred.
pub(super) const MAX_RECORD_BYTES: usize = 1 << 20;
/// More lines than this is not a day's statement of one merchant (ten million is the largest
/// we expect); the bound keeps a runaway input from running forever.
pub(super) const MAX_LINES: u64 = 1_000_000_000;

/// Reads `input` through a buffer of `chunk_bytes` (grown only for a record longer than that).
pub(super) fn parse(
    input: &mut dyn Read,
    sink: &mut dyn StatementSink,
    chunk_bytes: usize,
) -> Result<StatementSummary, StatementError> {
    let mut buffer = Buffer::new(chunk_bytes.max(1));
    let mut parser = Parser::new(sink);
    // Where the fields of the current record end.
    let mut ends = Box::new([0; MAX_FIELDS]);
    loop {
        let at_eof = buffer.fill(input)?;
        buffer.refresh_ascii();
        let used = parser.records(buffer.data(), buffer.ascii(), at_eof, &mut ends)?;
        if at_eof {
            return Ok(parser.finish());
        }
        buffer.consume(used)?;
    }
}

/// The bytes read and not yet handed on.
struct Buffer {
    bytes: Vec<u8>,
    filled: usize,
    max_bytes: usize,
    /// The data with every byte from 0x80 up replaced by `?`, as checked text: ASCII fields
    /// are borrowed from it (see `Record::ascii`). Checking it once per chunk costs a fraction
    /// of checking each field.
    ascii: String,
    ascii_valid: bool,
}

impl Buffer {
    fn new(chunk_bytes: usize) -> Buffer {
        Buffer {
            bytes: vec![0; chunk_bytes],
            filled: 0,
            max_bytes: chunk_bytes.max(MAX_RECORD_BYTES),
            ascii: String::new(),
            ascii_valid: false,
        }
    }

    fn data(&self) -> &[u8] {
        self.bytes.get(..self.filled).unwrap_or_default()
    }

    fn ascii(&self) -> Option<&str> {
        self.ascii_valid.then_some(self.ascii.as_str())
    }

    fn refresh_ascii(&mut self) {
        let mut view = std::mem::take(&mut self.ascii).into_bytes();
        view.clear();
        view.extend(self.data().iter().map(|&b| if b < 0x80 { b } else { b'?' }));
        (self.ascii, self.ascii_valid) = match String::from_utf8(view) {
            Ok(text) => (text, true),
            Err(_) => (String::new(), false),
        };
    }

    /// Reads until the buffer is full or the input ends; `true` at the end of the input.
    /// Filling it whole (rather than scanning after every short read, as a decompressor gives
    /// them) keeps the records that straddle two reads rare.
    fn fill(&mut self, input: &mut dyn Read) -> Result<bool, StatementError> {
        while let Some(room) = self.bytes.get_mut(self.filled..).filter(|r| !r.is_empty()) {
            match input.read(room) {
                Ok(0) => return Ok(true),
                Ok(n) => self.filled += n,
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => return Err(StatementError::Read(err.to_string())),
            }
        }
        Ok(false)
    }

    /// Drops the first `used` bytes. When nothing could be used, one record fills the whole
    /// buffer: it grows, up to its bound.
    fn consume(&mut self, used: usize) -> Result<(), StatementError> {
        if used == 0 && self.filled == self.bytes.len() {
            if self.bytes.len() >= self.max_bytes {
                return Err(StatementError::Format(format!(
                    "a record is longer than {} bytes",
                    self.max_bytes
                )));
            }
            let grown = (self.bytes.len() * 2).min(self.max_bytes);
            self.bytes.resize(grown, 0);
            return Ok(());
        }
        self.bytes.copy_within(used..self.filled, 0);
        self.filled -= used;
        Ok(())
    }
}

/// Where lines go, and what is counted on the way.
struct Out<'s> {
    sink: &'s mut dyn StatementSink,
    summary: StatementSummary,
}

impl Out<'_> {
    fn unreadable(&mut self, line_no: u64, text: &[u8], reason: String) {
        self.summary.unreadable_lines += 1;
        self.sink.unreadable(UnreadableLine {
            line_no,
            text: lossy(text).into_owned(),
            reason,
        });
    }
}

struct Parser<'s> {
    out: Out<'s>,
    /// `None` until the header is read.
    columns: Option<Columns>,
    /// The number of the last record seen (the header is 1).
    line_no: u64,
    /// Empty records not yet reported: they are reported once a line follows them, and
    /// dropped at the end (a trailing `^^` or line break is not a line).
    pending_empty: u64,
    scratch: Scratch,
}

impl<'s> Parser<'s> {
    fn new(sink: &'s mut dyn StatementSink) -> Parser<'s> {
        Parser {
            out: Out {
                sink,
                summary: StatementSummary::default(),
            },
            columns: None,
            line_no: 0,
            pending_empty: 0,
            scratch: Scratch::default(),
        }
    }

    /// Hands on every whole record in `data`; returns how many bytes they took.
    fn records(
        &mut self,
        data: &[u8],
        ascii: Option<&str>,
        at_eof: bool,
        ends: &mut [usize; MAX_FIELDS],
    ) -> Result<usize, StatementError> {
        let mut scanner = Scanner::new(data);
        let mut start = 0;
        while start < data.len() {
            let Found::Record {
                end,
                next,
                fields,
                non_ascii,
            } = scanner.find_record(data, start, at_eof, ends)
            else {
                break;
            };
            let record = Record {
                bytes: data,
                ascii,
                start,
                ends: ends.get(..fields).unwrap_or(ends),
                non_ascii,
                // Numbered once it is known to be a line.
                line_no: 0,
            };
            self.record(record, start..end, fields)?;
            start = next;
        }
        Ok(start)
    }

    /// Takes one record: the header, an empty record, a line or a line it cannot read.
    fn record(
        &mut self,
        mut record: Record<'_>,
        range: Range<usize>,
        fields: usize,
    ) -> Result<(), StatementError> {
        let data = record.bytes;
        let text = data.get(range).unwrap_or_default().trim_ascii();
        let Some(columns) = &self.columns else {
            // Blank records before the header are not lines: the header is line 1.
            if !text.is_empty() {
                self.line_no = 1;
                let columns = Columns::from_header(text)?;
                self.out.summary.columns = columns.names.clone();
                self.columns = Some(columns);
            }
            return Ok(());
        };
        self.line_no += 1;
        if self.line_no > MAX_LINES {
            return Err(StatementError::Format(format!(
                "more than {MAX_LINES} lines"
            )));
        }
        if text.is_empty() {
            self.pending_empty += 1;
            return Ok(());
        }
        // Empty records followed by a line are lines that say nothing: reported, not dropped.
        for line_no in self.line_no - self.pending_empty..self.line_no {
            self.out
                .unreadable(line_no, &[], "empty record".to_string());
        }
        self.pending_empty = 0;
        if fields != columns.count() {
            let reason = format!("{fields} fields where the header has {}", columns.count());
            self.out.unreadable(self.line_no, text, reason);
            return Ok(());
        }
        record.line_no = self.line_no;
        match read_line(columns, &record, &mut self.scratch) {
            Ok(line) => {
                self.out.summary.read.add(line.kind, line.amount.fen());
                self.out.sink.line(&line);
            }
            Err(reason) => self.out.unreadable(self.line_no, text, reason),
        }
        Ok(())
    }

    fn finish(self) -> StatementSummary {
        self.out.summary
    }
}
