//! One set of write statements for two ways of running them: through sqlx (PostgreSQL, and the
//! rarer writes on SQLite), or on SQLite's own writer connection (`lite.rs`), where a whole
//! state change runs as one synchronous call. sqlx hands every statement of a transaction to
//! its connection's thread and waits for the answer; on SQLite those hand-offs, not SQLite,
//! were what a payment's writes cost.
//!
//! The functions of a hot state change take any [`Writer`]. On SQLite's writer nothing they
//! await is ever pending, so the whole transaction is polled once ([`run_now`]).

use crate::StoreError;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Query, Transaction};
use std::future::Future;

/// A value for a `$n` placeholder: typed even when NULL, as PostgreSQL needs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Int(Some(value))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(value: Option<i64>) -> Self {
        Arg::Int(value)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Arg::Text(value)
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(value: &'a Option<String>) -> Self {
        Arg::Text(value.as_deref())
    }
}

/// The arguments of a statement, in placeholder order: `args![a, b]` is `$1 = a, $2 = b`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::writer::Arg::from($value)),*]
    };
}
pub(crate) use args;

/// Where a state change's statements go: a sqlx connection or transaction, or SQLite's writer.
pub(crate) trait Writer {
    type Row: RowGet;

    /// Runs a statement; answers the number of rows it changed.
    fn execute(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Runs a statement; answers its first row, if any.
    fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<Option<Self::Row>, StoreError>> + Send;

    /// Whether the statements go to PostgreSQL, which takes several writes as the parts of
    /// one `WITH` statement: where each statement is a round trip, one statement can do the
    /// work of two (on SQLite's writer a statement costs no trip).
    fn postgres(&self) -> bool {
        false
    }
}

pub(crate) fn bound<'q>(sql: &'q str, args: &[Arg<'q>]) -> Query<'q, Any, AnyArguments<'q>> {
    args.iter().fold(sqlx::query(sql), |query, arg| match *arg {
        Arg::Int(value) => query.bind(value),
        Arg::Text(value) => query.bind(value),
    })
}

impl Writer for AnyConnection {
    type Row = AnyRow;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        Ok(bound(sql, args).execute(self).await?.rows_affected())
    }

    async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<AnyRow>, StoreError> {
        Ok(bound(sql, args).fetch_optional(self).await?)
    }

    fn postgres(&self) -> bool {
        self.backend_name() == "PostgreSQL"
    }
}

impl Writer for Transaction<'_, Any> {
    type Row = AnyRow;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        Writer::execute(&mut **self, sql, args).await
    }

    async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<AnyRow>, StoreError> {
        Writer::fetch_optional(&mut **self, sql, args).await
    }

    fn postgres(&self) -> bool {
        Writer::postgres(&**self)
    }
}

/// A row read by a [`Writer`], by column name.
pub(crate) trait RowGet {
    fn try_get<T: Column>(&self, name: &str) -> Result<T, StoreError>;
}

impl RowGet for AnyRow {
    fn try_get<T: Column>(&self, name: &str) -> Result<T, StoreError> {
        Ok(sqlx::Row::try_get(self, name)?)
    }
}

/// A column type both drivers read: through sqlx's decoding, or from SQLite's own value.
pub(crate) trait Column: Sized + for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> {
    fn from_sqlite(value: &rusqlite::types::Value) -> Option<Self>;
}

impl Column for i64 {
    fn from_sqlite(value: &rusqlite::types::Value) -> Option<Self> {
        match value {
            rusqlite::types::Value::Integer(value) => Some(*value),
            _ => None,
        }
    }
}

impl Column for String {
    fn from_sqlite(value: &rusqlite::types::Value) -> Option<Self> {
        match value {
            rusqlite::types::Value::Text(value) => Some(value.clone()),
            _ => None,
        }
    }
}

impl<T: Column> Column for Option<T> {
    fn from_sqlite(value: &rusqlite::types::Value) -> Option<Self> {
        match value {
            rusqlite::types::Value::Null => Some(None),
            value => T::from_sqlite(value).map(Some),
        }
    }
}

/// Where a transaction's work ends: committed, or rolled back (a replayed request, a row that
/// is not there) with the answer it still gives.
pub(crate) enum Finish<T> {
    Commit(T),
    Rollback(T),
}

/// Runs a transaction's work on SQLite's writer, where no statement waits for anything: it
/// completes at its first poll.
pub(crate) fn run_now<T>(
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    futures_util::FutureExt::now_or_never(work).unwrap_or(Err(StoreError::Pending))
}

/// Runs one transaction on the store's writer: on SQLite's own writer connection as one call
/// when the store has it, else through sqlx. `$work` is an expression over `$tx` (a
/// `&mut impl Writer`) answering `Result<Finish<T>, StoreError>`.
macro_rules! write_transaction {
    ($store:expr, |$tx:ident| $work:expr) => {{
        let store: &$crate::Store = $store;
        match store.lite.as_deref() {
            Some(lite) => {
                lite.transaction(&store.write, |$tx| $crate::writer::run_now($work))
                    .await
            }
            None => {
                let mut transaction = store.write.begin().await?;
                let $tx = &mut transaction;
                match $work.await? {
                    $crate::writer::Finish::Commit(answer) => {
                        transaction.commit().await?;
                        Ok(answer)
                    }
                    // Dropped, it rolls back.
                    $crate::writer::Finish::Rollback(answer) => Ok(answer),
                }
            }
        }
    }};
}
pub(crate) use write_transaction;

/// Runs statements that need no transaction around them (one statement, or a second that only
/// follows up on the first) on the store's writer: on SQLite's writer connection as one call
/// when the store has it, sharing a commit with the changes beside it; else each statement
/// commits on its own, with no `BEGIN` and `COMMIT` round trips. `$work` is an expression over
/// `$tx` answering `Result<T, StoreError>`.
macro_rules! write_statements {
    ($store:expr, |$tx:ident| $work:expr) => {{
        let store: &$crate::Store = $store;
        match store.lite.as_deref() {
            Some(lite) => {
                lite.transaction(&store.write, |$tx| {
                    $crate::writer::run_now($work).map($crate::writer::Finish::Commit)
                })
                .await
            }
            None => {
                let mut connection = store.write.acquire().await?;
                let $tx = &mut *connection;
                $work.await
            }
        }
    }};
}
pub(crate) use write_statements;

/// The arguments of a statement written piece by piece: [`Params::push`] adds one and answers
/// its placeholder, so a long statement (PostgreSQL's `WITH` chains) numbers itself.
#[derive(Default)]
pub(crate) struct Params<'a> {
    pub(crate) args: Vec<Arg<'a>>,
}

impl<'a> Params<'a> {
    pub(crate) fn push(&mut self, arg: impl Into<Arg<'a>>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }
}
