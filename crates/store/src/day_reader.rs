//! Reads a whole day of one channel account's records (millions of rows) through the backend's
//! own driver instead of `Any`, which converts every value on the way: SQLite rows are read as
//! borrowed text, PostgreSQL sends the rows as one `COPY` text stream. Each row reaches the
//! callback as (kind, number, amount, fee) without an allocation of its own.

use crate::{Backend, Store, StoreError};
use futures_util::TryStreamExt;
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;

/// Rows the query must yield, in this order: kind (`payment`|`refund`), number, amount, fee.
/// `$1` is the channel account and `$2` the accounting date.
pub(crate) struct DayQuery<'a> {
    pub sql: &'a str,
    pub channel_account_id: &'a str,
    pub accounting_date: &'a str,
}

pub(crate) async fn read_day(
    store: &Store,
    query: &DayQuery<'_>,
    mut row: impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    match store.backend {
        Backend::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&store.url)?.read_only(true);
            let mut conn = options.connect().await?;
            let mut rows = sqlx::query(query.sql)
                .bind(query.channel_account_id)
                .bind(query.accounting_date)
                .fetch(&mut conn);
            let mut count = 0;
            while let Some(r) = rows.try_next().await? {
                row(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)?;
                count += 1;
            }
            Ok(count)
        }
        Backend::Postgres => {
            let mut conn = sqlx::postgres::PgConnection::connect(&store.url).await?;
            // COPY takes no parameters, and no value is ever written into SQL text: the two
            // are bound to settings of this connection, which the statement reads instead.
            sqlx::query(
                "SELECT set_config('unipay.day_channel_account', $1, false), \
                        set_config('unipay.day_accounting_date', $2, false)",
            )
            .bind(query.channel_account_id)
            .bind(query.accounting_date)
            .execute(&mut conn)
            .await?;
            let sql = copy_statement(query.sql);
            let mut stream = conn.copy_out_raw(&sql).await?;
            let mut carry: Vec<u8> = Vec::new();
            let mut count = 0;
            while let Some(chunk) = stream.try_next().await? {
                carry.extend_from_slice(&chunk);
                let complete = carry.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                for line in carry[..complete].split(|b| *b == b'\n') {
                    if !line.is_empty() {
                        copy_line(line, &mut row)?;
                        count += 1;
                    }
                }
                carry.drain(..complete);
            }
            if !carry.is_empty() {
                copy_line(&carry, &mut row)?;
                count += 1;
            }
            Ok(count)
        }
    }
}

/// The `COPY` of `sql`, its `$1` and `$2` read from the connection's settings.
fn copy_statement(sql: &str) -> String {
    let sql = sql
        .replace("$1", "current_setting('unipay.day_channel_account')")
        .replace("$2", "current_setting('unipay.day_accounting_date')");
    format!("COPY ({sql}) TO STDOUT")
}

/// One line of `COPY ... TO STDOUT` text: four tab-separated fields.
fn copy_line(
    line: &[u8],
    row: &mut impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let bad = || {
        StoreError::Corrupt(format!(
            "unreadable COPY line {:?}",
            String::from_utf8_lossy(line)
        ))
    };
    let text = std::str::from_utf8(line).map_err(|_| bad())?;
    let mut fields = text.split('\t');
    let (Some(kind), Some(number), Some(amount), Some(fee), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(bad());
    };
    let amount = amount.parse().map_err(|_| bad())?;
    let fee = fee.parse().map_err(|_| bad())?;
    row(kind, number, amount, fee)
}

#[cfg(test)]
mod tests {
    use super::copy_statement;

    #[test]
    fn the_copy_statement_holds_no_value() {
        assert_eq!(
            copy_statement("SELECT a FROM t WHERE c = $1 AND d = $2"),
            "COPY (SELECT a FROM t WHERE c = current_setting('unipay.day_channel_account') \
             AND d = current_setting('unipay.day_accounting_date')) TO STDOUT"
        );
    }
}
