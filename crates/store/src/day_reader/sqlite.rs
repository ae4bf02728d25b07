//! SQLite: every row of a query crosses from the connection's thread to ours as an object of its
//! own (its values copied), which costs several times what SQLite spends finding it. So SQLite
//! concatenates a page of rows into one text per column (`group_concat`) and only the page
//! crosses; the pages follow each other by rowid, which the day's index holds in order after
//! its two columns, so every page starts with a seek, not a scan.

use super::{DayPart, DayQuery};
use crate::StoreError;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;

/// Rows a page: large enough that the trip between threads is paid once for many rows, small
/// enough that a page's texts (about 30 bytes a row) stay in the cache.
const PAGE_ROWS: i64 = 16_384;
/// Between a page's numbers: a control character that no bank number holds. A number that did
/// hold it would split the page's count, which is checked.
const NUMBER_SEPARATOR: char = '\u{1f}';

/// SQLite's own finding and joining of the rows is most of a load, and one connection does it on
/// one thread. So each table's day is read as two halves of its rowids on two connections at
/// once; the first half's pages are split as they come, the second's are kept and split after
/// it, so that the rows arrive in rowid order as from one reader.
pub(super) async fn read_day(
    url: &str,
    query: &DayQuery<'_>,
    mut row: impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.read_only(true);
    let mut first = options.connect().await?;
    let mut second = options.connect().await?;
    let mut count = 0;
    for part in query.parts {
        let Some(middle) = middle_rowid(&mut first, part, query).await? else {
            continue;
        };
        let sql = page_statement(part);
        let mut later = Vec::new();
        let first_half = read_pages(&mut first, &sql, query, (i64::MIN, middle), |page| {
            count += split_page_row(part.kind, &page, &mut row)?;
            Ok(())
        });
        let second_half = read_pages(&mut second, &sql, query, (middle, i64::MAX), |page| {
            later.push(page);
            Ok(())
        });
        futures_util::future::try_join(first_half, second_half).await?;
        for page in &later {
            count += split_page_row(part.kind, page, &mut row)?;
        }
    }
    first.close().await?;
    second.close().await?;
    Ok(count)
}

/// The rowid halfway between the first and the last of the table's rows of the day (whatever
/// their status): two seeks in the day's index. `None` when the day has no rows.
async fn middle_rowid(
    conn: &mut SqliteConnection,
    part: &DayPart<'_>,
    query: &DayQuery<'_>,
) -> Result<Option<i64>, StoreError> {
    // One aggregate a subquery: SQLite answers a lone min() or max() with a seek, both at once
    // with a scan.
    let table = part.table;
    let day = "channel_account_id = $1 AND accounting_date = $2";
    let ends = sqlx::query(&format!(
        "SELECT (SELECT min(rowid) FROM {table} WHERE {day}), (SELECT max(rowid) FROM {table} WHERE {day})"
    ))
    .bind(query.channel_account_id)
    .bind(query.accounting_date)
    .fetch_one(&mut *conn)
    .await?;
    let (Some(low), Some(high)) = (
        ends.try_get::<Option<i64>, _>(0)?,
        ends.try_get::<Option<i64>, _>(1)?,
    ) else {
        return Ok(None);
    };
    let middle = (i128::from(low) + i128::from(high)) / 2;
    Ok(Some(i64::try_from(middle).unwrap_or(low)))
}

/// Hands `page` each page of the rows with rowids in `(after, through]`, in rowid order.
async fn read_pages(
    conn: &mut SqliteConnection,
    sql: &str,
    query: &DayQuery<'_>,
    (mut after, through): (i64, i64),
    mut page: impl FnMut(SqliteRow) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    loop {
        let found = sqlx::query(sql)
            .bind(query.channel_account_id)
            .bind(query.accounting_date)
            .bind(after)
            .bind(through)
            .bind(PAGE_ROWS)
            .fetch_one(&mut *conn)
            .await?;
        let rows: i64 = found.try_get(1)?;
        if rows == 0 {
            return Ok(());
        }
        after = found.try_get(0)?;
        page(found)?;
        if rows < PAGE_ROWS {
            return Ok(());
        }
    }
}

/// Splits one page as the page statement returned it.
fn split_page_row(
    kind: &str,
    page: &SqliteRow,
    row: &mut impl FnMut(&str, &str, i64, i64) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let rows: i64 = page.try_get(1)?;
    let numbers: &str = page.try_get(2)?;
    let amounts: &str = page.try_get(3)?;
    let fees: &str = page.try_get(4)?;
    split_page(kind, rows, numbers, amounts, fees, row)
}

/// The page after rowid `$3` up to rowid `$4`, at most `$5` rows: (last rowid, rows, numbers,
/// amounts, fees).
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
         WHERE channel_account_id = $1 AND accounting_date = $2 AND {filter} AND rowid > $3 AND rowid <= $4 \
         ORDER BY rowid LIMIT $5)"
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

    const PART: DayPart<'static> = DayPart {
        kind: "payment",
        table: "payments",
        number: "order_no",
        amount: "amount",
        fee: "fee",
        filter: "status = 'succeeded'",
    };

    /// A day of `rows` rows (every seventh not succeeded) among rows of other days and
    /// accounts, in a fresh file; its url.
    fn day_file(dir: &std::path::Path, rows: u32) -> Option<String> {
        std::fs::create_dir_all(dir).ok()?;
        let path = dir.join("day.sqlite");
        let conn = rusqlite::Connection::open(&path).ok()?;
        conn.execute_batch(&format!(
            "CREATE TABLE payments (order_no TEXT, channel_account_id TEXT, accounting_date TEXT, \
             status TEXT, amount INTEGER, fee INTEGER); \
             CREATE INDEX day ON payments (channel_account_id, accounting_date); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows} * 2) \
             INSERT INTO payments SELECT printf('N%07d', i), \
             CASE WHEN i % 5 = 0 THEN 'other' ELSE 'cha' END, \
             CASE WHEN i % 3 = 0 THEN '2026-01-02' ELSE '2026-01-01' END, \
             CASE WHEN i % 7 = 0 THEN 'pending' ELSE 'succeeded' END, i, i % 10 FROM n;"
        ))
        .ok()?;
        Some(format!("sqlite://{}", path.display()))
    }

    #[tokio::test]
    async fn a_day_read_in_two_halves_arrives_whole_and_in_order() {
        let dir = std::env::temp_dir().join(format!(
            "unipay-day-reader-{}",
            unipay_core::ids::random_token(12)
        ));
        // Several pages in each half.
        let url = day_file(&dir, 3 * PAGE_ROWS as u32);
        assert!(url.is_some(), "the test database is made");
        let url = url.unwrap_or_default();
        let query = DayQuery {
            parts: &[PART],
            channel_account_id: "cha",
            accounting_date: "2026-01-01",
        };
        let mut seen = Vec::new();
        let count = read_day(&url, &query, |kind, number, amount, fee| {
            assert_eq!(kind, "payment");
            seen.push((number.to_string(), amount, fee));
            Ok(())
        })
        .await;
        let expected: Vec<(String, i64, i64)> = (1..=6 * PAGE_ROWS)
            .filter(|i| i % 5 != 0 && i % 3 != 0 && i % 7 != 0)
            .map(|i| (format!("N{i:07}"), i, i % 10))
            .collect();
        assert_eq!(count.ok(), Some(expected.len() as u64));
        assert!(seen == expected, "rows missing, repeated or out of order");

        let empty = DayQuery {
            accounting_date: "2026-01-03",
            ..query
        };
        let none = read_day(&url, &empty, |_, _, _, _| Ok(())).await;
        assert_eq!(none.ok(), Some(0));
        std::fs::remove_dir_all(&dir).ok();
    }

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
