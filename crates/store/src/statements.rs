//! Bank statements: each file kept untouched with its SHA-256, what its parse found, and the
//! lines that could not be read. The same file fetched again is the same statement; a changed
//! file for the same date is a new version, and every version is kept.

use crate::{Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;
use unipay_core::channel::StatementFile;
use unipay_core::ids::new_id;
use unipay_core::statement::{StatementSummary, StatementTotals, UnreadableLine};

/// Unreadable lines kept per statement; the count is always exact, the texts stop here so that
/// a wholly broken file cannot flood the database.
pub const MAX_KEPT_UNREADABLE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct NewStatement<'a> {
    pub channel_account_id: &'a str,
    pub accounting_date: &'a str,
    pub file: &'a StatementFile,
    pub summary: &'a StatementSummary,
    pub unreadable: &'a [UnreadableLine],
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatement {
    pub id: String,
    pub channel_account_id: String,
    pub accounting_date: String,
    pub version: i64,
    pub sha256: String,
    pub gzip: bool,
    pub size_bytes: i64,
    pub columns: Vec<String>,
    pub declared: StatementTotals,
    pub read: StatementTotals,
    pub unreadable_lines: i64,
    pub answer_sha256: String,
    pub fetched_at: i64,
}

impl StoredStatement {
    /// Whether what was read adds up to what the bank declared.
    pub fn totals_agree(&self) -> bool {
        self.declared == self.read
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedStatement {
    /// A file not seen before for this date: a new version.
    New(StoredStatement),
    /// The very same file was kept before.
    Same(StoredStatement),
}

impl SavedStatement {
    pub fn statement(&self) -> &StoredStatement {
        match self {
            SavedStatement::New(statement) | SavedStatement::Same(statement) => statement,
        }
    }
}

const STATEMENT_COLUMNS: &str = "id, channel_account_id, accounting_date, version, sha256, gzip, size_bytes, columns, \
     declared_payments, declared_payments_fen, declared_refunds, declared_refunds_fen, read_payments, read_payments_fen, \
     read_refunds, read_refunds_fen, unreadable_lines, answer_sha256, fetched_at";

fn statement_from_row(r: &AnyRow) -> Result<StoredStatement, StoreError> {
    let columns: String = r.try_get("columns")?;
    let count = |name: &str| -> Result<u64, StoreError> {
        let value: i64 = r.try_get(name)?;
        Ok(u64::try_from(value).unwrap_or(0))
    };
    Ok(StoredStatement {
        id: r.try_get("id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        accounting_date: r.try_get("accounting_date")?,
        version: r.try_get("version")?,
        sha256: r.try_get("sha256")?,
        gzip: r.try_get::<i64, _>("gzip")? != 0,
        size_bytes: r.try_get("size_bytes")?,
        columns: columns.split('|').map(str::to_string).collect(),
        declared: StatementTotals {
            payments: count("declared_payments")?,
            payments_fen: r.try_get("declared_payments_fen")?,
            refunds: count("declared_refunds")?,
            refunds_fen: r.try_get("declared_refunds_fen")?,
        },
        read: StatementTotals {
            payments: count("read_payments")?,
            payments_fen: r.try_get("read_payments_fen")?,
            refunds: count("read_refunds")?,
            refunds_fen: r.try_get("read_refunds_fen")?,
        },
        unreadable_lines: r.try_get("unreadable_lines")?,
        answer_sha256: r.try_get("answer_sha256")?,
        fetched_at: r.try_get("fetched_at")?,
    })
}

fn signed(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl Store {
    /// Keeps a fetched statement: the file, its parse and its unreadable lines, in one
    /// transaction. Idempotent by the file's hash.
    pub async fn save_statement(
        &self,
        new: &NewStatement<'_>,
    ) -> Result<SavedStatement, StoreError> {
        let mut tx = self.write.begin().await?;
        let existing = sqlx::query(&format!(
            "SELECT {STATEMENT_COLUMNS} FROM statements WHERE channel_account_id = $1 AND accounting_date = $2 AND sha256 = $3"
        ))
        .bind(new.channel_account_id)
        .bind(new.accounting_date)
        .bind(&new.file.sha256)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return Ok(SavedStatement::Same(statement_from_row(&row)?));
        }
        let version: i64 = sqlx::query(
            "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) AS next FROM statements \
             WHERE channel_account_id = $1 AND accounting_date = $2",
        )
        .bind(new.channel_account_id)
        .bind(new.accounting_date)
        .fetch_one(&mut *tx)
        .await?
        .try_get("next")?;
        let id = new_id("stm", new.now_ms);
        let declared = new.file.declared;
        let read = new.summary.read;
        sqlx::query(
            "INSERT INTO statements (id, channel_account_id, accounting_date, version, sha256, gzip, size_bytes, columns, \
             declared_payments, declared_payments_fen, declared_refunds, declared_refunds_fen, read_payments, \
             read_payments_fen, read_refunds, read_refunds_fen, unreadable_lines, answer_sha256, fetched_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(&id)
        .bind(new.channel_account_id)
        .bind(new.accounting_date)
        .bind(version)
        .bind(&new.file.sha256)
        .bind(i64::from(new.file.gzip))
        .bind(signed(new.file.bytes.len() as u64))
        .bind(new.summary.columns.join("|"))
        .bind(signed(declared.payments))
        .bind(declared.payments_fen)
        .bind(signed(declared.refunds))
        .bind(declared.refunds_fen)
        .bind(signed(read.payments))
        .bind(read.payments_fen)
        .bind(signed(read.refunds))
        .bind(read.refunds_fen)
        .bind(signed(new.summary.unreadable_lines))
        .bind(&new.file.raw.sha256)
        .bind(new.now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO statement_files (statement_id, bytes) VALUES ($1, $2)")
            .bind(&id)
            .bind(new.file.bytes.as_slice())
            .execute(&mut *tx)
            .await?;
        for line in new.unreadable.iter().take(MAX_KEPT_UNREADABLE) {
            sqlx::query(
                "INSERT INTO statement_unreadable_lines (statement_id, line_no, text, reason) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(signed(line.line_no))
            .bind(&line.text)
            .bind(&line.reason)
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(&format!(
            "SELECT {STATEMENT_COLUMNS} FROM statements WHERE id = $1"
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        let stored = statement_from_row(&row)?;
        tx.commit().await?;
        Ok(SavedStatement::New(stored))
    }

    /// The newest version of a date's statement.
    pub async fn latest_statement(
        &self,
        channel_account_id: &str,
        accounting_date: &str,
    ) -> Result<Option<StoredStatement>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {STATEMENT_COLUMNS} FROM statements WHERE channel_account_id = $1 AND accounting_date = $2 \
             ORDER BY version DESC LIMIT 1"
        ))
        .bind(channel_account_id)
        .bind(accounting_date)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| statement_from_row(&r)).transpose()
    }

    pub async fn get_statement(&self, id: &str) -> Result<Option<StoredStatement>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {STATEMENT_COLUMNS} FROM statements WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| statement_from_row(&r)).transpose()
    }

    /// Every version of every statement, optionally of one date, newest date first.
    pub async fn list_statements(
        &self,
        accounting_date: Option<&str>,
    ) -> Result<Vec<StoredStatement>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {STATEMENT_COLUMNS} FROM statements WHERE ($1 = '' OR accounting_date = $1) \
             ORDER BY accounting_date DESC, channel_account_id, version"
        ))
        .bind(accounting_date.unwrap_or(""))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(statement_from_row).collect()
    }

    /// The file exactly as the bank delivered it.
    pub async fn statement_bytes(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT bytes FROM statement_files WHERE statement_id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.try_get("bytes")).transpose()?)
    }

    pub async fn statement_unreadable_lines(
        &self,
        id: &str,
    ) -> Result<Vec<UnreadableLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT line_no, text, reason FROM statement_unreadable_lines WHERE statement_id = $1 ORDER BY line_no",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let line_no: i64 = r.try_get("line_no")?;
                Ok(UnreadableLine {
                    line_no: u64::try_from(line_no).unwrap_or(0),
                    text: r.try_get("text")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }
}
