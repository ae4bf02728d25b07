//! Read models for the operations console: searches with keyset paging, a payment's whole
//! story (bank messages, delivery attempts), failing notification endpoints, and the
//! administration lists. Every change an operator asks for goes through the same store
//! functions the API and the command line use; the few changes only administration makes
//! (an app's secret, its status) live in `browse/admin.rs` with their audit entry.

pub mod admin;
pub mod identity;
pub mod mandates;
pub mod notifications;
pub mod payments;
pub mod refunds;
pub mod settlement;

use crate::refunds::transactions::Cursor;

/// The most rows one console page shows.
pub const PAGE_ROWS: i64 = 50;

/// What a console search asks for; every field narrows. `text` matches the ids and numbers
/// each search names (a payment's id, out_trade_no and bank numbers, say).
#[derive(Debug, Clone, Default)]
pub struct Search<'a> {
    pub text: Option<&'a str>,
    pub status: Option<&'a str>,
    pub app_id: Option<&'a str>,
    /// Exactly this amount (fen); for the searches over money.
    pub amount_fen: Option<i64>,
    /// Created at or after (Unix ms).
    pub from_ms: Option<i64>,
    /// Created before (Unix ms).
    pub to_ms: Option<i64>,
    /// Strictly older than this row (the previous page's `next_cursor`).
    pub cursor: Option<Cursor>,
    /// Payments only: one of the named sets the dashboard's tiles count.
    pub set: Option<payments::PaymentSet>,
}

/// A `LIKE` pattern that matches `text` literally at the start (`prefix`) or anywhere; `\`
/// escapes the wildcards, so a `%` typed in a search box is a percent sign.
pub(crate) fn like_pattern(text: &str, prefix: bool) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    if !prefix {
        escaped.push('%');
    }
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// The keyset bound of a page, newest first: strictly older than the cursor's row.
pub(crate) fn before(cursor: Option<&Cursor>) -> (i64, &str) {
    match cursor {
        Some(cursor) => (cursor.created_at, cursor.id.as_str()),
        None => (i64::MAX, ""),
    }
}
