//! Filling a database fast with a day of payments, for benchmarks. The rows bypass the state
//! machine (no events, no ledger entries, no notifications), so this is only ever used on a
//! scratch database made for the run.
//!
//! The whole day goes in as one transaction on one connection of the backend's own driver: on
//! PostgreSQL as `COPY … FROM STDIN` text, a chunk at a time; on SQLite as prepared multi-row
//! inserts (the same statement text, so sqlx prepares it once) with the file's syncs off, which
//! a scratch file can afford.

use crate::{Backend, Store, StoreError};
use sqlx::{ConnectOptions, Connection, Executor};
use std::str::FromStr;

/// One payment as a benchmark wants it to stand.
#[derive(Debug, Clone, Copy)]
pub struct BenchPayment<'a> {
    pub id: &'a str,
    pub order_no: &'a str,
    pub amount: i64,
    pub bank_fee: i64,
    /// `succeeded` (with an accounting date) or `pending` (without).
    pub status: &'a str,
    pub accounting_date: Option<&'a str>,
}

/// Who the payments belong to.
#[derive(Debug, Clone, Copy)]
pub struct BenchOwner<'a> {
    pub app_id: &'a str,
    pub merchant_id: &'a str,
    pub channel_account_id: &'a str,
    pub now_ms: i64,
}

/// Rows per SQLite statement: far below SQLite's parameter limit, large enough that the trip to
/// the connection's thread is paid once for many rows.
const ROWS_PER_STATEMENT: usize = 200;

const COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
     amount, currency, subject, status, accounting_date, paid_at, expires_at, created_at, updated_at, \
     version, query_attempts, fee, bank_fee";

/// A day being loaded: one open transaction, committed by [`BenchLoader::finish`]. Dropped
/// unfinished, nothing it loaded is kept.
pub struct BenchLoader {
    link: Link,
    app_id: String,
    merchant_id: String,
    channel_account_id: String,
    now_ms: i64,
    /// The full-size SQLite statement, built once.
    statement: String,
    /// The COPY text of one chunk, reused.
    buffer: Vec<u8>,
}

/// The loader's own connection, of the backend's own driver.
enum Link {
    Sqlite(sqlx::sqlite::SqliteConnection),
    Postgres(sqlx::postgres::PgConnection),
}

/// Indexes of `payments` that reconciliation never reads (it reads the day's index, the primary
/// key and the order number's). Each costs a bulk load as much again; a scratch database made
/// for a reconciliation benchmark goes without them.
const UNREAD_BY_RECONCILIATION: [&str; 5] = [
    "payments_due_queries",
    "payments_status",
    "payments_merchant_day",
    "payments_app_created",
    "payments_created_at",
];

impl Store {
    /// Drops the indexes of `payments` that reconciliation never reads. Only ever for a scratch
    /// database that is thrown away after a benchmark: the API and the workers need them.
    pub async fn drop_indexes_unread_by_reconciliation(&self) -> Result<(), StoreError> {
        for index in UNREAD_BY_RECONCILIATION {
            sqlx::query(&format!("DROP INDEX IF EXISTS {index}"))
                .execute(&self.write)
                .await?;
        }
        if self.backend == Backend::Postgres {
            // SQLite keeps a UNIQUE of the table's definition for good; PostgreSQL can drop it.
            sqlx::query(
                "ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_app_id_out_trade_no_key",
            )
            .execute(&self.write)
            .await?;
        }
        Ok(())
    }

    /// A loader of benchmark payments owned by `owner`, in one transaction of its own.
    pub async fn bench_loader(&self, owner: &BenchOwner<'_>) -> Result<BenchLoader, StoreError> {
        let connection = match self.backend {
            Backend::Sqlite => {
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(&self.url)?
                    // A scratch file: a crash mid-load loses nothing anyone needs.
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
                    // Every row names the one app the benchmark made: checking it per row
                    // would only cost time.
                    .foreign_keys(false);
                let mut conn = options.connect().await?;
                conn.execute("BEGIN").await?;
                Link::Sqlite(conn)
            }
            Backend::Postgres => {
                let mut conn = sqlx::postgres::PgConnection::connect(&self.url).await?;
                // As on SQLite, no foreign key checked per row (a trigger each). Only a
                // superuser may; anyone else loads with the checks.
                let _ = conn.execute("SET session_replication_role = replica").await;
                conn.execute("BEGIN").await?;
                Link::Postgres(conn)
            }
        };
        Ok(BenchLoader {
            link: connection,
            app_id: owner.app_id.to_string(),
            merchant_id: owner.merchant_id.to_string(),
            channel_account_id: owner.channel_account_id.to_string(),
            now_ms: owner.now_ms,
            statement: insert_statement(ROWS_PER_STATEMENT),
            buffer: Vec::new(),
        })
    }
}

impl Store {
    /// [`Store::bench_loader`], `payments` pushed and committed: a small set in one call.
    pub async fn insert_payments_for_benchmark(
        &self,
        owner: &BenchOwner<'_>,
        payments: &[BenchPayment<'_>],
    ) -> Result<(), StoreError> {
        let mut loader = self.bench_loader(owner).await?;
        loader.push(payments).await?;
        loader.finish().await
    }
}

impl BenchLoader {
    /// Adds `payments` to the day.
    pub async fn push(&mut self, payments: &[BenchPayment<'_>]) -> Result<(), StoreError> {
        match &mut self.link {
            Link::Sqlite(conn) => {
                for chunk in payments.chunks(ROWS_PER_STATEMENT) {
                    let partial;
                    let sql = if chunk.len() == ROWS_PER_STATEMENT {
                        self.statement.as_str()
                    } else {
                        partial = insert_statement(chunk.len());
                        partial.as_str()
                    };
                    let mut query = sqlx::query(sql);
                    for payment in chunk {
                        query = query
                            .bind(payment.id)
                            .bind(self.app_id.as_str())
                            .bind(self.merchant_id.as_str())
                            .bind(self.channel_account_id.as_str())
                            .bind(payment.id)
                            .bind(payment.order_no)
                            .bind(payment.amount)
                            .bind(payment.status)
                            .bind(payment.accounting_date)
                            .bind(self.now_ms)
                            .bind(self.now_ms)
                            .bind(self.now_ms)
                            .bind(self.now_ms)
                            .bind(payment.bank_fee);
                    }
                    query.execute(&mut *conn).await?;
                }
            }
            Link::Postgres(conn) => {
                self.buffer.clear();
                let now = self.now_ms.to_string();
                for payment in payments {
                    copy_row(
                        &mut self.buffer,
                        &[
                            Some(payment.id),
                            Some(&self.app_id),
                            Some(&self.merchant_id),
                            Some(&self.channel_account_id),
                            Some("abc"),
                            Some(payment.id),
                            Some(payment.order_no),
                            Some(&payment.amount.to_string()),
                            Some("CNY"),
                            Some("bench"),
                            Some(payment.status),
                            payment.accounting_date,
                            Some(&now),
                            Some(&now),
                            Some(&now),
                            Some(&now),
                            Some("1"),
                            Some("0"),
                            Some("0"),
                            Some(&payment.bank_fee.to_string()),
                        ],
                    );
                }
                let mut copy = conn
                    .copy_in_raw(&format!("COPY payments ({COLUMNS}) FROM STDIN"))
                    .await?;
                copy.send(self.buffer.as_slice()).await?;
                copy.finish().await?;
            }
        }
        Ok(())
    }

    /// Commits the day.
    pub async fn finish(self) -> Result<(), StoreError> {
        match self.link {
            Link::Sqlite(mut conn) => {
                conn.execute("COMMIT").await?;
                conn.close().await?;
            }
            Link::Postgres(mut conn) => {
                conn.execute("COMMIT").await?;
                // Without statistics the planner takes a table loaded at once for empty, and
                // scans it whole for each lookup by order number; a table grown by the API has
                // them from autovacuum.
                conn.execute("ANALYZE payments").await?;
                conn.close().await?;
            }
        }
        Ok(())
    }
}

/// `INSERT` of `rows` payments with anonymous `?` parameters, eleven a row. Not `$N`: SQLite
/// finds a named parameter's name by walking a list of them all, and sqlx asks for every
/// parameter's name, so a statement of many named parameters costs the square of their number.
fn insert_statement(rows: usize) -> String {
    const ROW: &str = "(?, ?, ?, ?, 'abc', ?, ?, ?, 'CNY', 'bench', ?, ?, ?, ?, ?, ?, 1, 0, 0, ?)";
    let mut sql = String::with_capacity(300 + rows * (ROW.len() + 1));
    sql.push_str(&format!("INSERT INTO payments ({COLUMNS}) VALUES "));
    for index in 0..rows {
        if index > 0 {
            sql.push(',');
        }
        sql.push_str(ROW);
    }
    sql
}

/// One line of `COPY` text: fields separated by tabs, `\N` for NULL, and the few bytes the
/// format gives a meaning escaped.
fn copy_row(out: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (at, field) in fields.iter().enumerate() {
        if at > 0 {
            out.push(b'\t');
        }
        match field {
            None => out.extend_from_slice(b"\\N"),
            Some(text) => {
                for byte in text.bytes() {
                    match byte {
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        b'\t' => out.extend_from_slice(b"\\t"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        other => out.push(other),
                    }
                }
            }
        }
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::copy_row;

    #[test]
    fn copy_text_escapes_what_the_format_gives_a_meaning() {
        let mut out = Vec::new();
        copy_row(&mut out, &[Some("a\tb\\c\nd"), None, Some("x")]);
        assert_eq!(out, b"a\\tb\\\\c\\nd\t\\N\tx\n");
    }
}
