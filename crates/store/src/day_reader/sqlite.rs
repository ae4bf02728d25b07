//! SQLite: every row of a query crosses from the connection's thread to ours as an object of its
//! own (its values copied), which costs several times what SQLite spends finding it. So SQLite
//! concatenates a page of rows into one text per column (`group_concat`) and only the page
//! crosses; the pages follow each other by rowid, which the day's index holds in order after
//! its two columns, so every page starts with a seek, not a scan.

use super::{DayPart, DayQuery};
use crate::StoreError;
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;

/// Rows a page: large enough that the trip between threads is paid once for many rows, small
/// enough that a page's texts (about 30 bytes a row) stay in the cache.
const PAGE_ROWS: i64 = 16_384;
/// Between a page's numbers: a control character that no bank number holds. A number that did
/// hold it would split the page's count, which is checked.
const NUMBER_SEPARATOR: char = '\u{1f}';

pub(super) async fn read_day(
    url: &str,
    query: &DayQuery<'_>,
    mut row: impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.read_only(true);
    let mut conn = options.connect().await?;
    let mut count = 0;
    for part in query.parts {
        let sql = page_statement(part);
        let mut after = i64::MIN;
        loop {
            let page = sqlx::query(&sql)
                .bind(query.channel_account_id)
                .bind(query.accounting_date)
                .bind(after)
                .bind(PAGE_ROWS)
                .fetch_one(&mut conn)
                .await?;
            let rows: i64 = page.try_get(1)?;
            if rows == 0 {
                break;
            }
            after = page.try_get(0)?;
            let numbers: &str = page.try_get(2)?;
            let amounts: &str = page.try_get(3)?;
            let fees: &str = page.try_get(4)?;
            count += split_page(part.kind, rows, numbers, amounts, fees, &mut row)?;
            if rows < PAGE_ROWS {
                break;
            }
        }
    }
    conn.close().await?;
    Ok(count)
}

/// The page after rowid `$3`, at most `$4` rows: (last rowid, rows, numbers, amounts, fees).
fn page_statement(part: &DayPart<'_>) -> String {
    let DayPart {
        table,
        number,
        amount,
        fee,
        filter,
        ..
    } = part;
    format!(
        "SELECT max(r), count(*), group_concat(n, char(31)), group_concat(a, ','), group_concat(f, ',') \
         FROM (SELECT rowid AS r, {number} AS n, {amount} AS a, {fee} AS f FROM {table} \
         WHERE channel_account_id = $1 AND accounting_date = $2 AND {filter} AND rowid > $3 \
         ORDER BY rowid LIMIT $4)"
    )
}

/// Hands each of a page's `rows` rows to `row`; returns how many there were.
fn split_page(
    kind: &str,
    rows: i64,
    numbers: &str,
    amounts: &str,
    fees: &str,
    row: &mut impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let bad = || StoreError::Corrupt(format!("a page of {kind} rows does not split into {rows}"));
    let mut numbers = numbers.split(NUMBER_SEPARATOR);
    let mut amounts = amounts.split(',');
    let mut fees = fees.split(',');
    let mut count = 0;
    for _ in 0..rows {
        let (Some(number), Some(amount), Some(fee)) = (numbers.next(), amounts.next(), fees.next())
        else {
            return Err(bad());
        };
        let amount = amount.parse().map_err(|_| bad())?;
        let fee = fee.parse().map_err(|_| bad())?;
        row(kind, number, amount, fee)?;
        count += 1;
    }
    if numbers.next().is_some() || amounts.next().is_some() || fees.next().is_some() {
        return Err(bad());
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_splits_into_its_rows_or_is_refused() {
        let mut seen = Vec::new();
        let mut keep = |kind: &str, number: &str, amount: i64, fee: i64| {
            seen.push(format!("{kind} {number} {amount} {fee}"));
            Ok(())
        };
        let numbers = "a1\u{1f}b2";
        assert_eq!(
            split_page("payment", 2, numbers, "5,7", "0,1", &mut keep).ok(),
            Some(2)
        );
        // A number holding the separator splits the page into more parts than rows.
        let split = "a\u{1f}1\u{1f}b2";
        assert!(split_page("payment", 2, split, "5,7", "0,1", &mut keep).is_err());
        assert!(split_page("payment", 3, numbers, "5,7", "0,1", &mut keep).is_err());
        assert_eq!(seen[..2], ["payment a1 5 0", "payment b2 7 1"]);
    }
}
