//! PostgreSQL: the day's rows as one `COPY … TO STDOUT` text stream, split as it arrives.

use super::{DayPart, DayQuery};
use crate::StoreError;
use futures_util::TryStreamExt;
use sqlx::Connection;

pub(super) async fn read_day(
    url: &str,
    query: &DayQuery<'_>,
    mut row: impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let mut conn = sqlx::postgres::PgConnection::connect(url).await?;
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
    let sql = copy_statement(&union(query.parts));
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
    drop(stream);
    conn.close().await?;
    Ok(count)
}

/// Every part's rows, one after the other.
fn union(parts: &[DayPart<'_>]) -> String {
    parts
        .iter()
        .map(|part| {
            format!(
                "SELECT '{}', {}, {}, {} FROM {} WHERE channel_account_id = $1 AND accounting_date = $2 AND {}",
                part.kind, part.number, part.amount, part.fee, part.table, part.filter
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
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
