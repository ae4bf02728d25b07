//! Reads a whole day of one channel account's records (millions of rows) through the backend's
//! own driver instead of `Any`, which makes an object of every row and converts every value on
//! the way. Each row reaches the callback as (kind, number, amount, fee) without an allocation
//! of its own: PostgreSQL sends the rows as one `COPY` stream (`postgres.rs`); a SQLite file is
//! stepped row by row on a connection of SQLite's own, on a blocking thread (`sqlite_file.rs`);
//! an in-memory SQLite database, which no other connection can open, hands them over through
//! sqlx thousands at a time as a few long texts (`sqlite.rs`).

mod postgres;
mod sqlite;
mod sqlite_file;

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

/// What takes the day's rows. Owned, so that a blocking thread can fill it and hand it back.
pub(crate) trait DaySink: Send + 'static {
    fn row(&mut self, kind: &str, number: &str, amount: i64, fee: i64) -> Result<(), StoreError>;
}

/// Hands every row of the day to `sink`, and `sink` back with the number of rows.
pub(crate) async fn read_day<S: DaySink>(
    store: &Store,
    query: &DayQuery<'_>,
    mut sink: S,
) -> Result<(S, u64), StoreError> {
    match (store.backend, crate::db::sqlite_file(&store.url)) {
        (Backend::Sqlite, Some(path)) => sqlite_file::read_day(path, query, sink).await,
        (Backend::Sqlite, None) => {
            let count = sqlite::read_day(&store.url, query, &mut sink).await?;
            Ok((sink, count))
        }
        (Backend::Postgres, _) => {
            let count = postgres::read_day(&store.url, query, &mut sink).await?;
            Ok((sink, count))
        }
    }
}
