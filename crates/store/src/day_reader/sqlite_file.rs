//! A SQLite file: the day's rows stepped one by one on a read-only connection of SQLite's own,
//! on a blocking thread, each row's values read in place. Through sqlx each row (or each page
//! of rows) would be copied into an object and handed from the connection's thread to ours.

use super::{DayPart, DayQuery, DaySink};
use crate::StoreError;
use rusqlite::{Connection, OpenFlags};

pub(super) async fn read_day<S: DaySink>(
    path: &str,
    query: &DayQuery<'_>,
    mut sink: S,
) -> Result<(S, u64), StoreError> {
    let path = path.to_owned();
    let parts: Vec<(String, String)> = query
        .parts
        .iter()
        .map(|part| (part.kind.to_owned(), part_statement(part)))
        .collect();
    let channel_account_id = query.channel_account_id.to_owned();
    let accounting_date = query.accounting_date.to_owned();
    tokio::task::spawn_blocking(move || {
        let connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut count = 0;
        for (kind, sql) in &parts {
            let mut statement = connection.prepare(sql)?;
            let mut rows = statement.query((&channel_account_id, &accounting_date))?;
            while let Some(found) = rows.next()? {
                let number = found
                    .get_ref(0)?
                    .as_str()
                    .map_err(|error| StoreError::Corrupt(format!("{kind} number: {error}")))?;
                sink.row(kind, number, found.get(1)?, found.get(2)?)?;
                count += 1;
            }
        }
        Ok((sink, count))
    })
    .await
    .map_err(|error| StoreError::Stopped(error.to_string()))?
}

/// One part's rows in the order of the day's index (its two columns, then rowid).
fn part_statement(part: &DayPart<'_>) -> String {
    let DayPart {
        table,
        number,
        amount,
        fee,
        filter,
        ..
    } = part;
    format!(
        "SELECT {number}, {amount}, {fee} FROM {table} \
         WHERE channel_account_id = ?1 AND accounting_date = ?2 AND {filter}"
    )
}
