//! Payment search (newest first, keyset paged on `(created_at, id)`) and what a payment's
//! detail page shows besides its timeline: the bank messages it received, the delivery
//! attempts of its notifications.

use super::{PAGE_ROWS, Search, before, like_pattern};
use crate::payments::{PAYMENT_COLUMNS, Payment, payment_from_row};
use crate::refunds::transactions::Cursor;
use crate::{Store, StoreError};
use sqlx::Row;

/// A named set of payments: exactly the rows a dashboard tile counts, so that its link lists
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentSet {
    /// Reached the bank: what the success rate divides by.
    ReachedBank,
    /// Still asked about by the janitor.
    AwaitingResult,
    /// Paid after we closed them, waiting for an operator's decision.
    LateSuccess,
}

impl PaymentSet {
    pub const ALL: [PaymentSet; 3] = [
        PaymentSet::ReachedBank,
        PaymentSet::AwaitingResult,
        PaymentSet::LateSuccess,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentSet::ReachedBank => "reached_bank",
            PaymentSet::AwaitingResult => "awaiting_result",
            PaymentSet::LateSuccess => "late_success",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentSet> {
        PaymentSet::ALL.into_iter().find(|set| set.as_str() == text)
    }

    /// The SQL condition on `payments` (constant text: nothing from outside).
    fn condition(self) -> &'static str {
        match self {
            PaymentSet::ReachedBank => crate::dashboard::REACHED_BANK,
            PaymentSet::AwaitingResult => "next_query_at IS NOT NULL",
            PaymentSet::LateSuccess => crate::payments::late_success::OPEN_LATE_SUCCESS,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Where the next (older) page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}

/// Cuts the one extra row a query asked for into the next page's cursor.
pub(crate) fn into_page<T>(rows: Vec<T>, key: impl Fn(&T) -> Cursor) -> Page<T> {
    into_page_of(rows, PAGE_ROWS, key)
}

/// [`into_page`] for pages of `page_rows` rows (`page_rows + 1` were read).
pub(crate) fn into_page_of<T>(
    mut rows: Vec<T>,
    page_rows: i64,
    key: impl Fn(&T) -> Cursor,
) -> Page<T> {
    let more = rows.len() as i64 > page_rows;
    rows.truncate(page_rows.max(0) as usize);
    let next_cursor = if more { rows.last().map(key) } else { None };
    Page { rows, next_cursor }
}

/// A bank message kept for a payment (masked), with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMessage {
    pub sha256: String,
    pub source: String,
    pub verdict: String,
    pub reason: String,
    pub raw_masked: String,
    pub seen_count: i64,
    pub first_seen_at: i64,
}

/// One delivery attempt of one of a payment's notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub created_at: i64,
}

/// What a search finds over all its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub count: i64,
    pub amount_fen: i64,
}

/// The payment search's conditions, `$1`..`$8`; the page's bounds follow from `$9`.
const PAYMENT_FILTER: &str = "($1 = '' OR id = $1 OR order_no = $1 OR channel_trade_no = $1 \
     OR out_trade_no LIKE $2 ESCAPE '\\' OR subject LIKE $3 ESCAPE '\\') \
     AND ($4 = '' OR status = $4) AND ($5 = '' OR app_id = $5) \
     AND ($6 < 0 OR amount = $6) AND created_at >= $7 AND created_at < $8";

/// The values of [`PAYMENT_FILTER`], in order.
struct PaymentFilter<'a> {
    text: &'a str,
    prefix: String,
    contains: String,
    status: &'a str,
    app_id: &'a str,
    amount_fen: i64,
    from_ms: i64,
    to_ms: i64,
}

impl<'a> PaymentFilter<'a> {
    fn of(search: &Search<'a>) -> PaymentFilter<'a> {
        let text = search.text.unwrap_or("");
        PaymentFilter {
            text,
            prefix: like_pattern(text, true),
            contains: like_pattern(text, false),
            status: search.status.unwrap_or(""),
            app_id: search.app_id.unwrap_or(""),
            amount_fen: search.amount_fen.unwrap_or(-1),
            from_ms: search.from_ms.unwrap_or(i64::MIN),
            to_ms: search.to_ms.unwrap_or(i64::MAX),
        }
    }

    fn bind<'q>(
        self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>
    where
        'a: 'q,
    {
        query
            .bind(self.text)
            .bind(self.prefix)
            .bind(self.contains)
            .bind(self.status)
            .bind(self.app_id)
            .bind(self.amount_fen)
            .bind(self.from_ms)
            .bind(self.to_ms)
    }
}

impl Store {
    /// A page of payments, newest first. `text` is an id, the bank's order number or serial
    /// exactly, the start of an `out_trade_no`, or part of the subject.
    pub async fn search_payments(&self, search: &Search<'_>) -> Result<Page<Payment>, StoreError> {
        let (before_at, before_id) = before(search.cursor.as_ref());
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE {PAYMENT_FILTER} AND {set} \
             AND (created_at < $9 OR (created_at = $9 AND ($10 = '' OR id < $10))) \
             ORDER BY created_at DESC, id DESC LIMIT $11",
            set = search.set.map_or("1 = 1", PaymentSet::condition)
        );
        let filter = PaymentFilter::of(search);
        let rows = filter
            .bind(sqlx::query(&sql))
            .bind(before_at)
            .bind(before_id)
            .bind(PAGE_ROWS + 1)
            .fetch_all(&self.read)
            .await?;
        let payments = rows
            .iter()
            .map(payment_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(payments, |p| Cursor {
            created_at: p.created_at,
            id: p.id.clone(),
        }))
    }

    /// How many payments a search finds on all its pages, and their amount (fen).
    pub async fn payment_totals(&self, search: &Search<'_>) -> Result<Totals, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS fen \
             FROM payments WHERE {PAYMENT_FILTER} AND {set}",
            set = search.set.map_or("1 = 1", PaymentSet::condition)
        );
        let row = PaymentFilter::of(search)
            .bind(sqlx::query(&sql))
            .fetch_one(&self.read)
            .await?;
        Ok(Totals {
            count: row.try_get("n")?,
            amount_fen: row.try_get("fen")?,
        })
    }

    /// Every bank message kept for a payment, oldest first.
    pub async fn payment_messages(
        &self,
        payment_id: &str,
    ) -> Result<Vec<PaymentMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT sha256, source, verdict, reason, raw_masked, seen_count, first_seen_at \
             FROM bank_messages WHERE payment_id = $1 ORDER BY first_seen_at, id",
        )
        .bind(payment_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentMessage {
                    sha256: r.try_get("sha256")?,
                    source: r.try_get("source")?,
                    verdict: r.try_get("verdict")?,
                    reason: r.try_get("reason")?,
                    raw_masked: r.try_get("raw_masked")?,
                    seen_count: r.try_get("seen_count")?,
                    first_seen_at: r.try_get("first_seen_at")?,
                })
            })
            .collect()
    }

    /// Every delivery attempt of the notifications about a payment (its refunds' included),
    /// oldest first.
    pub async fn payment_delivery_attempts(
        &self,
        payment_id: &str,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.event_id, o.event_type, o.url, a.attempt, a.status_code, a.error, a.duration_ms, a.created_at \
             FROM notification_attempts a JOIN outbox o ON o.id = a.event_id \
             WHERE o.payment_id = $1 ORDER BY a.created_at, a.id",
        )
        .bind(payment_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryAttempt {
                    event_id: r.try_get("event_id")?,
                    event_type: r.try_get("event_type")?,
                    url: r.try_get("url")?,
                    attempt: r.try_get("attempt")?,
                    status_code: r.try_get("status_code")?,
                    error: r.try_get("error")?,
                    duration_ms: r.try_get("duration_ms")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
