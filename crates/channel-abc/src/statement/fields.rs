//! Reading the fields of one line straight from the GBK bytes, without allocating: most values
//! are ASCII and are borrowed as they stand; the rare other text is decoded into reusable
//! strings.

use super::columns::Columns;
use std::ops::Range;
use unipay_core::Amount;
use unipay_core::statement::{StatementLine, TxnKind};

/// 交易类型 values that mean a payment, as they stand in GBK: 支付, 消费 and ABC's own names.
pub(super) const PAYMENT_KINDS: &[&[u8]] = &[
    b"\xd6\xa7\xb8\xb6",
    b"\xcf\xfb\xb7\xd1",
    b"PayReq",
    b"ImmediatePay",
];
/// 交易类型 values that mean a refund: 退款, 退货, and ABC's own name.
pub(super) const REFUND_KINDS: &[&[u8]] = &[b"\xcd\xcb\xbf\xee", b"\xcd\xcb\xbb\xf5", b"Refund"];

/// What 交易类型 says: compared as GBK bytes, so the field is never decoded.
fn classify(value: &[u8]) -> Option<TxnKind> {
    if PAYMENT_KINDS.contains(&value) {
        Some(TxnKind::Payment)
    } else if REFUND_KINDS.contains(&value) {
        Some(TxnKind::Refund)
    } else {
        None
    }
}

/// Reusable room for values that cannot be borrowed from the buffer as they stand.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    order_no: String,
    original_order_no: String,
    bank_serial: String,
    traded_at: String,
    /// `YYYY-MM-DD`, rewritten from the statement's 会计日期 ...
    date: String,
    /// ... as it was written: a statement holds one or two dates, so most lines reuse it.
    date_field: Vec<u8>,
}

/// One record's fields, borrowed from the buffer.
pub(super) struct Record<'a> {
    /// The buffer.
    pub bytes: &'a [u8],
    /// The buffer with every byte from 0x80 up replaced by `?`, checked as UTF-8 once as a
    /// whole: a field that is ASCII in `bytes` is borrowed from here as `&str` without being
    /// checked again. `None` if that check failed (it cannot): then each field is checked.
    pub ascii: Option<&'a str>,
    /// Where the record starts in `bytes` ...
    pub start: usize,
    /// ... and where each of its fields ends (each starts just after the one before).
    pub ends: &'a [usize],
    /// Bit `i` set when field `i` may hold a byte from 0x80 up (bit 63: any field from 63 on).
    pub non_ascii: u64,
    pub line_no: u64,
}

impl<'a> Record<'a> {
    /// Where field `index` stands, without surrounding ASCII whitespace (a GBK trail byte is
    /// never whitespace, so this never cuts a character). Empty when there is no such field.
    fn range(&self, index: Option<usize>) -> Range<usize> {
        let Some((i, &end)) = index.and_then(|i| Some((i, self.ends.get(i)?))) else {
            return 0..0;
        };
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(end, |e| e + 1),
            None => self.start,
        };
        let range = start..end.max(start);
        let field = self.bytes.get(range.clone()).unwrap_or_default();
        let start = range.start + (field.len() - field.trim_ascii_start().len());
        let end = range.end - (field.len() - field.trim_ascii_end().len());
        start..end.max(start)
    }

    fn field(&self, index: Option<usize>) -> &'a [u8] {
        self.bytes.get(self.range(index)).unwrap_or_default()
    }

    /// Field `index` as text: borrowed when it is ASCII (the scan says so, or the bytes are
    /// checked; never guessed from UTF-8 validity, which GBK text can pass), else decoded from
    /// GBK into `scratch`.
    fn text(&self, index: Option<usize>, scratch: &'a mut String) -> &'a str {
        let range = self.range(index);
        let field = self.bytes.get(range.clone()).unwrap_or_default();
        let flagged = index.is_none_or(|i| self.non_ascii >> i.min(63) & 1 == 1);
        if !flagged || field.is_ascii() {
            let borrowed = match self.ascii {
                Some(ascii) => ascii.get(range),
                None => std::str::from_utf8(field).ok(),
            };
            if let Some(text) = borrowed {
                return text;
            }
        }
        decode_into(field, scratch);
        scratch
    }
}

/// Reads a line whose field count matches the header. The error is the reason it cannot be
/// read, for the unreadable-line report.
pub(super) fn read_line<'a>(
    columns: &Columns,
    record: &Record<'a>,
    scratch: &'a mut Scratch,
) -> Result<StatementLine<'a>, String> {
    let Scratch {
        order_no: order_no_text,
        original_order_no: original_text,
        bank_serial: serial_text,
        traded_at: traded_at_text,
        date,
        date_field,
    } = scratch;
    let kind_field = record.field(Some(columns.kind));
    let kind = classify(kind_field)
        .ok_or_else(|| format!("unknown {} {:?}", super::columns::KIND, lossy(kind_field)))?;
    if record.range(Some(columns.order_no)).is_empty() {
        return Err(format!("empty {}", super::columns::ORDER_NO));
    }
    let amount = read_amount(kind, record.field(Some(columns.amount)))?;
    let fee_fen = read_fee(record.field(columns.fee))?;
    let accounting_date = read_date(
        record.field(Some(columns.accounting_date)),
        date_field,
        date,
    )?;
    Ok(StatementLine {
        line_no: record.line_no,
        kind,
        order_no: record.text(Some(columns.order_no), order_no_text),
        original_order_no: record.text(columns.original_order_no, original_text),
        amount,
        fee_fen,
        accounting_date,
        bank_serial: record.text(columns.bank_serial, serial_text),
        traded_at: record.text(columns.traded_at, traded_at_text),
    })
}

/// 交易金额: positive; a refund may be written negative (money going out), a payment may not.
fn read_amount(kind: TxnKind, field: &[u8]) -> Result<Amount, String> {
    let name = super::columns::AMOUNT;
    let (negative, fen) = parse_yuan(field).ok_or_else(|| {
        format!(
            "{name} {:?} is not yuan with at most two decimals",
            lossy(field)
        )
    })?;
    if negative && kind == TxnKind::Payment {
        return Err(format!(
            "{name} {:?} is negative on a payment",
            lossy(field)
        ));
    }
    Amount::from_fen(fen).map_err(|e| format!("{name} {:?}: {e}", lossy(field)))
}

/// 商户回佣手续费: empty is no fee; the sign only says which way it went.
fn read_fee(field: &[u8]) -> Result<i64, String> {
    if field.is_empty() {
        return Ok(0);
    }
    parse_yuan(field).map(|(_, fen)| fen).ok_or_else(|| {
        format!(
            "{} {:?} is not yuan with at most two decimals",
            super::columns::FEE,
            lossy(field)
        )
    })
}

/// The largest whole-yuan part accepted: far above any real amount, far below an overflow.
const MAX_WHOLE_DIGITS: usize = 15;

/// Exact decimal yuan (`12`, `12.3`, `12.34`, optionally `-`) to fen, with its sign apart.
/// The same text core's `money::parse_yuan_to_fen` accepts, read from bytes without
/// allocating; never rounded, never through a float.
pub(super) fn parse_yuan(field: &[u8]) -> Option<(bool, i64)> {
    let (negative, digits) = match field.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, field),
    };
    let (whole, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (digits.get(..dot)?, digits.get(dot + 1..)?),
        None => (digits, &[][..]),
    };
    let dotted = whole.len() < digits.len();
    if whole.is_empty() || whole.len() > MAX_WHOLE_DIGITS || frac.len() > 2 {
        return None;
    }
    if dotted && frac.is_empty() {
        return None;
    }
    let mut fen: i64 = 0;
    for &b in whole {
        fen = fen * 10 + i64::from(digit(b)?);
    }
    let mut places = 0;
    for &b in frac {
        fen = fen * 10 + i64::from(digit(b)?);
        places += 1;
    }
    for _ in places..2 {
        fen *= 10;
    }
    Some((negative, fen))
}

fn digit(b: u8) -> Option<u8> {
    b.is_ascii_digit().then(|| b - b'0')
}

/// 会计日期 `yyyyMMdd` (also `yyyy-MM-dd` and `yyyy/MM/dd`) as `YYYY-MM-DD`, written into
/// `out`; `last` is the field `out` was made from.
fn read_date<'a>(field: &[u8], last: &mut Vec<u8>, out: &'a mut String) -> Result<&'a str, String> {
    if field == last.as_slice() && !out.is_empty() {
        return Ok(out);
    }
    let bad = || {
        format!(
            "{} {:?} is not a date yyyyMMdd",
            super::columns::ACCOUNTING_DATE,
            lossy(field)
        )
    };
    let (year, month, day) = match field {
        [y0, y1, y2, y3, m0, m1, d0, d1] => ([*y0, *y1, *y2, *y3], [*m0, *m1], [*d0, *d1]),
        [y0, y1, y2, y3, s0, m0, m1, s1, d0, d1] if s0 == s1 && matches!(s0, b'-' | b'/') => {
            ([*y0, *y1, *y2, *y3], [*m0, *m1], [*d0, *d1])
        }
        _ => return Err(bad()),
    };
    let number = |digits: &[u8]| {
        digits
            .iter()
            .try_fold(0u32, |n, &b| Some(n * 10 + u32::from(digit(b)?)))
    };
    let (Some(y), Some(m), Some(d)) = (number(&year), number(&month), number(&day)) else {
        return Err(bad());
    };
    let valid = i32::try_from(y)
        .ok()
        .and_then(|y| chrono::NaiveDate::from_ymd_opt(y, m, d));
    if valid.is_none() {
        return Err(bad());
    }
    out.clear();
    for part in [&year[..], b"-", &month, b"-", &day] {
        out.extend(part.iter().map(|&b| char::from(b)));
    }
    last.clear();
    last.extend_from_slice(field);
    Ok(out)
}

/// Decodes GBK into `out` (cleared), replacing what is not GBK, reusing `out`'s memory.
fn decode_into(bytes: &[u8], out: &mut String) {
    out.clear();
    let mut decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
    match decoder.max_utf8_buffer_length(bytes.len()) {
        Some(room) => {
            out.reserve(room);
            let _ = decoder.decode_to_string(bytes, out, true);
        }
        None => out.push_str(&lossy(bytes)),
    }
}

/// GBK bytes as text, for messages.
pub(super) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    encoding_rs::GBK.decode_without_bom_handling(bytes).0
}
