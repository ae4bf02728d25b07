//! Point reads on SQLite (a row found by its key: an app, a payment) on connections of
//! SQLite's own, run on the caller's thread. Through sqlx each read went to its connection's
//! thread and back, two context switches for a read that costs SQLite a few microseconds; a
//! payment makes four of them.
//!
//! Only reads that touch a page or two come here: the caller's thread is a runtime thread, which
//! a long read would hold still. A read finding every connection taken (other threads reading)
//! or SQLite busy is not waited for: the caller reads through sqlx's pool instead, which also
//! gives the authoritative error when the read fails here.

use crate::lite::{LiteRow, fetch_row};
use crate::writer::{Arg, Column, RowGet, bound};
use crate::{Store, StoreError};
use rusqlite::{Connection, OpenFlags};
use sqlx::any::AnyRow;
use std::sync::Mutex;

/// Prepared statements kept per connection: the point reads are a handful.
const STATEMENT_CACHE: usize = 16;

pub(crate) struct LiteReads {
    /// `None` once closed.
    connections: Box<[Mutex<Option<Connection>>]>,
}

impl LiteReads {
    /// Opens `count` read-only connections to the database file at `path` (already created, in
    /// WAL mode, by sqlx's pools).
    pub(crate) fn open(path: &str, count: usize) -> Result<LiteReads, StoreError> {
        let connections = (0..count.max(1))
            .map(|_| {
                let connection = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                // Busy means "read through the pool instead", never "hold this thread".
                connection.busy_timeout(std::time::Duration::ZERO)?;
                connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Ok(Mutex::new(Some(connection)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(LiteReads {
            connections: connections.into_boxed_slice(),
        })
    }

    /// The row `sql` finds, read on a free connection on this thread; `None` when none is free,
    /// the reads are closed, or the read failed, for the caller to read through the pool.
    pub(crate) fn fetch_optional(&self, sql: &str, args: &[Arg<'_>]) -> Option<Option<LiteRow>> {
        let slot = self
            .connections
            .iter()
            .find_map(|slot| slot.try_lock().ok())?;
        let connection = slot.as_ref()?;
        match fetch_row(connection, sql, args) {
            Ok(row) => Some(row),
            Err(error) => {
                tracing::debug!(%error, "point read on SQLite's own connection; reading through the pool");
                None
            }
        }
    }

    /// Closes the connections; reads after this go through the pool.
    pub(crate) fn close(&self) {
        for slot in &self.connections {
            let connection = match slot.lock() {
                Ok(mut slot) => slot.take(),
                Err(poisoned) => poisoned.into_inner().take(),
            };
            if let Some(connection) = connection
                && let Err((_, error)) = connection.close()
            {
                tracing::warn!(%error, "closing a SQLite read connection");
            }
        }
    }
}

impl Store {
    /// The row `sql` finds by a key: on SQLite read on this thread when a connection of its own
    /// is free, else (and on PostgreSQL) through the read pool.
    pub(crate) async fn fetch_point(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<PointRow>, StoreError> {
        if let Some(reads) = self.lite_reads.as_deref()
            && let Some(row) = reads.fetch_optional(sql, args)
        {
            return Ok(row.map(PointRow::Lite));
        }
        let row = bound(sql, args).fetch_optional(&self.read).await?;
        Ok(row.map(PointRow::Any))
    }
}

/// A row found by a point read: on SQLite's own connection, or through sqlx.
pub(crate) enum PointRow {
    Lite(LiteRow),
    Any(AnyRow),
}

impl RowGet for PointRow {
    fn try_get<T: Column>(&self, name: &str) -> Result<T, StoreError> {
        match self {
            PointRow::Lite(row) => row.try_get(name),
            PointRow::Any(row) => row.try_get(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::args;

    async fn scratch_store() -> (std::path::PathBuf, Store) {
        let (dir, store) =
            crate::lite::scratch_store("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, note TEXT)")
                .await;
        let filled = sqlx::query("INSERT INTO t VALUES ('a', 7, NULL), ('b', 8, 'eight')")
            .execute(&store.write)
            .await;
        assert!(filled.is_ok(), "{filled:?}");
        (dir, store)
    }

    fn read(row: &PointRow) -> (String, i64, Option<String>) {
        let read =
            (|| Ok::<_, StoreError>((row.try_get("k")?, row.try_get("n")?, row.try_get("note")?)))(
            );
        match read {
            Ok(values) => values,
            Err(error) => panic!("{error}"),
        }
    }

    /// A point read answers the same row on SQLite's own connection as through the pool, which
    /// it falls back to when every connection is taken and once the connections are closed.
    #[tokio::test]
    async fn a_point_read_finds_the_row_on_its_own_connection_or_through_the_pool() {
        let (dir, store) = scratch_store().await;
        let Some(reads) = store.lite_reads.clone() else {
            panic!("a SQLite store has its point readers");
        };
        let sql = "SELECT k, n, note FROM t WHERE k = $1";
        for (key, expected) in [
            ("a", ("a".to_string(), 7, None)),
            ("b", ("b".to_string(), 8, Some("eight".to_string()))),
        ] {
            let own = store.fetch_point(sql, args![key]).await;
            let Ok(Some(own @ PointRow::Lite(_))) = own else {
                panic!("read on its own connection: {:?}", own.map(|r| r.is_some()));
            };
            assert_eq!(read(&own), expected);

            let taken: Vec<_> = reads
                .connections
                .iter()
                .filter_map(|c| c.try_lock().ok())
                .collect();
            assert_eq!(taken.len(), reads.connections.len());
            let pooled = store.fetch_point(sql, args![key]).await;
            drop(taken);
            let Ok(Some(pooled @ PointRow::Any(_))) = pooled else {
                panic!("read through the pool: {:?}", pooled.map(|r| r.is_some()));
            };
            assert_eq!(read(&pooled), expected);
        }
        let missing = store.fetch_point(sql, args!["z"]).await;
        assert!(matches!(missing, Ok(None)));

        reads.close();
        let after = store.fetch_point(sql, args!["a"]).await;
        assert!(matches!(after, Ok(Some(PointRow::Any(_)))));
        store.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }
}
