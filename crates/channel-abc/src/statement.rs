//! ABC statement files (Settle / QueryTrnxRecords): GBK text, records separated by `^^`, fields
//! by `|`, the first record a header naming the columns (see the protocol page's "Statement
//! records"). Columns are found by name; a line that cannot be read is reported with its text,
//! never dropped.
//!
//! A statement can hold ten million lines, so it is streamed: read in chunks, split in place,
//! each line handed to the sink borrowed from the buffer (text that is not ASCII is decoded
//! into reused strings). Nothing is allocated per line, except for a line that cannot be read:
//! its text and the reason are kept.

mod columns;
mod fields;
mod reader;
mod scan;
mod totals;

pub use columns::{
    ACCOUNTING_DATE, AMOUNT, BANK_SERIAL, FEE, KIND, ORDER_NO, ORIGINAL_ORDER_NO, TRADED_AT,
};
pub use totals::{TotalsMismatch, check_declared};

use std::io::Read;
use unipay_core::statement::{StatementError, StatementSink, StatementSummary};

/// How much is read at a time: large enough that records straddling two reads are rare and
/// the read calls cost nothing, small enough to sit in the cache hierarchy.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Reads a plain (GBK text) statement from `input` into `sink`.
pub fn parse_statement(
    input: &mut dyn Read,
    sink: &mut dyn StatementSink,
) -> Result<StatementSummary, StatementError> {
    parse_chunked(input, false, sink, CHUNK_BYTES)
}

/// Reads a gzip-compressed statement (ABC's `ZIPDetailRecords` once base64-decoded),
/// decompressing as it goes.
pub fn parse_gzip_statement(
    input: &mut dyn Read,
    sink: &mut dyn StatementSink,
) -> Result<StatementSummary, StatementError> {
    parse_chunked(input, true, sink, CHUNK_BYTES)
}

/// Either form through a buffer of `chunk_bytes`. The fuzz target passes small buffers, so
/// that records straddling two reads (rare in a real file) are common.
pub(crate) fn parse_chunked(
    input: &mut dyn Read,
    gzip: bool,
    sink: &mut dyn StatementSink,
    chunk_bytes: usize,
) -> Result<StatementSummary, StatementError> {
    if gzip {
        // Several gzip members one after another are one file (as `gzip` itself reads them).
        let mut plain = flate2::read::MultiGzDecoder::new(input);
        reader::parse(&mut plain, sink, chunk_bytes)
    } else {
        reader::parse(input, sink, chunk_bytes)
    }
}

/// [`parse_statement`] or [`parse_gzip_statement`], as `gzip` says.
pub fn parse_statement_file(
    input: &mut dyn Read,
    gzip: bool,
    sink: &mut dyn StatementSink,
) -> Result<StatementSummary, StatementError> {
    if gzip {
        parse_gzip_statement(input, sink)
    } else {
        parse_statement(input, sink)
    }
}

#[cfg(test)]
mod tests;
