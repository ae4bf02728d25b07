//! Reads a whole day of one channel account's records (millions of rows) through the backend's
//! own driver instead of `Any`, which makes an object of every row and converts every value on
//! the way. Each row reaches the callback as (kind, number, amount, fee) without an allocation
//! of its own: PostgreSQL sends the rows as one `COPY` stream (`postgres.rs`), SQLite hands
//! them over thousands at a time as a few long texts (`sqlite.rs`).

mod postgres;
mod sqlite;

use crate::{Backend, Store, StoreError};

/// One table's share of a day: its rows of the channel account (`$1`) and accounting date
/// (`$2`) that match `filter`, as (`kind`, `number`, `amount`, `fee`) — the last three SQL
/// expressions over the table's columns.
pub(crate) struct DayPart<'a> {
    pub kind: &'a str,
    pub table: &'a str,
    pub number: &'a str,
    pub amount: &'a str,
    pub fee: &'a str,
    pub filter: &'a str,
}

pub(crate) struct DayQuery<'a> {
    pub parts: &'a [DayPart<'a>],
    pub channel_account_id: &'a str,
    pub accounting_date: &'a str,
}

pub(crate) async fn read_day(
    store: &Store,
    query: &DayQuery<'_>,
    row: impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    match store.backend {
        Backend::Sqlite => sqlite::read_day(&store.url, query, row).await,
        Backend::Postgres => postgres::read_day(&store.url, query, row).await,
    }
}
