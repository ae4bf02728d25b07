//! SQLite's writer connection for the hot state changes (a payment or a refund created, moved
//! on, its notification's delivery recorded): a connection of SQLite's own (rusqlite), on which a whole
//! state change runs as one synchronous call on the caller's thread. Through sqlx every
//! statement went to the connection's thread and back, two context switches each, a dozen or
//! more per payment.
//!
//! SQLite still has one writer at a time: this connection writes only while it holds sqlx's one
//! writer connection (the write token), so no transaction meets `SQLITE_BUSY` halfway.
//!
//! Changes that arrive while others run share one commit: each runs inside its own
//! `SAVEPOINT`, which a failing change rolls back alone, and the last in line commits them all
//! (at most [`GROUP_MOST`]); until then the others wait, so no caller hears "done" before its
//! change is committed. A failed commit fails them all, none of them written. The statements
//! are the store's one set (`$n` placeholders are SQLite's named parameters, bound here by
//! their number); durability is sqlx's: WAL, `synchronous = NORMAL`.

use crate::StoreError;
use crate::checkpointer::Checkpointer;
use crate::writer::{Arg, Column, Finish, RowGet, Writer};
use rusqlite::types::Value;
use rusqlite::{CachedStatement, Connection, OpenFlags};
use sqlx::any::Any;
use sqlx::{AnyPool, PoolConnection};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// Prepared statements kept per connection: the hot path uses about twenty.
const STATEMENT_CACHE: usize = 64;
/// The most changes one commit carries: a bound on how long the first of them waits.
const GROUP_MOST: usize = 64;

pub(crate) struct Lite {
    /// Changes in line for the connection, first come first served.
    turn: tokio::sync::Mutex<()>,
    /// Changes that have joined the line and not yet run (or given up). Outside `state`, whose
    /// lock is held while a change runs: joining the line never waits on a running change,
    /// which would hold a runtime thread still meanwhile.
    in_line: AtomicUsize,
    state: Mutex<State>,
    /// Checkpoints the log in this connection's stead; `None` once closed.
    checkpointer: Mutex<Option<Checkpointer>>,
}

struct State {
    /// `None` once the store is closed.
    connection: Option<Connection>,
    /// The transaction left open for those in line, if any.
    group: Option<Group>,
}

/// A transaction holding committed-to-be changes.
struct Group {
    /// sqlx's writer connection: held, no sqlx transaction writes meanwhile.
    _token: PoolConnection<Any>,
    changes: usize,
    /// Set to `true` once committed; dropped unset when the transaction is rolled back.
    committed: watch::Sender<bool>,
}

impl Lite {
    /// Opens the database file at `path` (already created, in WAL mode, by sqlx's pools).
    pub(crate) fn open(path: &str) -> Result<Lite, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // As sqlx's connections are set (`db.rs`): NORMAL is durable across application crashes
        // in WAL mode.
        connection.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
        // The checkpointer's thread moves the log; this connection's commits never do.
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let checkpointer = Checkpointer::start(path)?;
        Ok(Lite {
            turn: tokio::sync::Mutex::new(()),
            in_line: AtomicUsize::new(0),
            state: Mutex::new(State {
                connection: Some(connection),
                group: None,
            }),
            checkpointer: Mutex::new(Some(checkpointer)),
        })
    }

    /// Commits what is open and closes the connection; writes after this fail with `Closed`.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.finish_group();
        if let Some(connection) = state.connection.take()
            && let Err((_, error)) = connection.close()
        {
            tracing::warn!(%error, "closing SQLite's writer connection");
        }
        drop(state);
        let checkpointer = match self.checkpointer.lock() {
            Ok(mut checkpointer) => checkpointer.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(checkpointer) = checkpointer {
            checkpointer.stop();
        }
    }

    /// Runs `work` as one change: kept when it answers `Commit` and its commit succeeds,
    /// rolled back when it answers `Rollback` or fails. `write` is sqlx's writer pool, whose
    /// one connection is the write token.
    pub(crate) async fn transaction<T>(
        &self,
        write: &AnyPool,
        work: impl FnOnce(&mut LiteTx<'_>) -> Result<Finish<T>, StoreError>,
    ) -> Result<T, StoreError> {
        let place = Place::join(self);
        let turn = self.turn.lock().await;
        // A group left open stays open while this change is in line (see `Place::drop`).
        let open = self.lock().group.is_some();
        let token = if open {
            None
        } else {
            Some(write.acquire().await?)
        };
        let (answer, committed) = self.run(place, token, work)?;
        drop(turn);
        if let Some(mut committed) = committed {
            committed
                .wait_for(|done| *done)
                .await
                .map_err(|_| StoreError::NotCommitted)?;
        }
        Ok(answer)
    }

    /// Runs the change in the group's transaction (opening it with `token` when none is open)
    /// and commits the group when nobody else is in line; answers the change's answer and,
    /// when the commit is left to a later change, what to wait on.
    #[allow(clippy::type_complexity)]
    fn run<T>(
        &self,
        place: Place<'_>,
        token: Option<PoolConnection<Any>>,
        work: impl FnOnce(&mut LiteTx<'_>) -> Result<Finish<T>, StoreError>,
    ) -> Result<(T, Option<watch::Receiver<bool>>), StoreError> {
        let mut state = self.lock();
        place.leave();
        if state.group.is_none() {
            let connection = state.connection.as_ref().ok_or(StoreError::Closed)?;
            let token = token.ok_or(StoreError::NotCommitted)?;
            run_sql(connection, "BEGIN IMMEDIATE")?;
            state.group = Some(Group {
                _token: token,
                changes: 0,
                committed: watch::channel(false).0,
            });
        }
        let outcome = state.change(work);
        let in_line = self.in_line.load(Ordering::SeqCst);
        let Some(group) = state.group.as_mut() else {
            // The change's failure took the whole transaction with it.
            return outcome.map(|(answer, _)| (answer, None));
        };
        group.changes += 1;
        let (outcome, waits) = match outcome {
            Ok((answer, true)) => (Ok(answer), Some(group.committed.subscribe())),
            // Nothing of it is kept, whatever the others' commit comes to.
            Ok((answer, false)) => (Ok(answer), None),
            Err(error) => (Err(error), None),
        };
        if in_line == 0 || group.changes >= GROUP_MOST {
            state.finish_group();
            let committed = waits.is_none_or(|done| *done.borrow());
            return match outcome {
                Ok(answer) if committed => Ok((answer, None)),
                Ok(_) => Err(StoreError::NotCommitted),
                Err(error) => Err(error),
            };
        }
        outcome.map(|answer| (answer, waits))
    }

    /// The state, also after a panic in a change: the open group (with the panicking change
    /// half done) is rolled back, its changes reported as not committed.
    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => {
                let mut state = poisoned.into_inner();
                state.abandon_group();
                self.state.clear_poison();
                state
            }
        }
    }
}

impl State {
    /// Runs one change inside its savepoint; answers its answer and whether it is kept. A
    /// change answering `Rollback` or failing is rolled back to the savepoint; when SQLite has
    /// rolled back the whole transaction (a full disk, an I/O error), the group is abandoned.
    fn change<T>(
        &mut self,
        work: impl FnOnce(&mut LiteTx<'_>) -> Result<Finish<T>, StoreError>,
    ) -> Result<(T, bool), StoreError> {
        let Some(connection) = self.connection.as_ref() else {
            return Err(StoreError::Closed);
        };
        if let Err(error) = run_sql(connection, "SAVEPOINT change") {
            self.abandon_group();
            return Err(error);
        }
        let result = work(&mut LiteTx { connection });
        let (keep, outcome) = match result {
            Ok(Finish::Commit(answer)) => (true, Ok(answer)),
            Ok(Finish::Rollback(answer)) => (false, Ok(answer)),
            Err(error) => (false, Err(error)),
        };
        let ended = if connection.is_autocommit() {
            Err(StoreError::NotCommitted)
        } else if keep {
            run_sql(connection, "RELEASE change")
        } else {
            run_sql(connection, "ROLLBACK TO change")
                .and_then(|()| run_sql(connection, "RELEASE change"))
        };
        if let Err(error) = ended {
            self.abandon_group();
            return Err(outcome.err().unwrap_or(error));
        }
        outcome.map(|answer| (answer, keep))
    }

    /// Commits the open group, if any, and lets its waiting changes go.
    fn finish_group(&mut self) {
        let Some(group) = self.group.take() else {
            return;
        };
        let committed = match self.connection.as_ref() {
            Some(connection) => match run_sql(connection, "COMMIT") {
                Ok(()) => true,
                Err(error) => {
                    tracing::error!(%error, changes = group.changes, "committing grouped changes");
                    if !connection.is_autocommit() {
                        let _ = run_sql(connection, "ROLLBACK");
                    }
                    false
                }
            },
            None => false,
        };
        if committed {
            group.committed.send_replace(true);
        }
    }

    /// Rolls the open group back: its changes hear that they were not committed.
    fn abandon_group(&mut self) {
        if self.group.take().is_some()
            && let Some(connection) = self.connection.as_ref()
            && !connection.is_autocommit()
        {
            let _ = run_sql(connection, "ROLLBACK");
        }
    }
}

/// A change's place in line: counted from joining until it runs. A change given up before its
/// turn (its caller went away) leaves the line here, and the last to leave commits the group
/// that the changes before it left open for it.
struct Place<'a> {
    lite: Option<&'a Lite>,
}

impl<'a> Place<'a> {
    fn join(lite: &'a Lite) -> Place<'a> {
        lite.in_line.fetch_add(1, Ordering::SeqCst);
        Place { lite: Some(lite) }
    }

    /// Leaves the line to run, under the state's lock, before the change looks at who is in
    /// line after it.
    fn leave(mut self) {
        if let Some(lite) = self.lite.take() {
            lite.in_line.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        // Under the state's lock, so that a change joining meanwhile sees the group either
        // still open with itself counted, or already committed (it looks under the same lock).
        if let Some(lite) = self.lite.take() {
            let mut state = lite.lock();
            if lite.in_line.fetch_sub(1, Ordering::SeqCst) == 1 {
                state.finish_group();
            }
        }
    }
}

fn run_sql(connection: &Connection, sql: &str) -> Result<(), StoreError> {
    connection.prepare_cached(sql)?.raw_execute()?;
    Ok(())
}

/// A change's view of the open transaction on SQLite's writer connection.
pub(crate) struct LiteTx<'c> {
    connection: &'c Connection,
}

impl LiteTx<'_> {
    fn execute_now(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let changed = prepared(self.connection, sql, args)?.raw_execute()?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn fetch_optional_now(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<LiteRow>, StoreError> {
        fetch_row(self.connection, sql, args)
    }
}

/// `sql` prepared (or taken from the connection's cache) with `args` bound.
fn prepared<'c>(
    connection: &'c Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<CachedStatement<'c>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    for index in 1..=statement.parameter_count() {
        // `$n` is a named parameter to SQLite, numbered by first appearance: bind by name.
        let arg = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|number| number.parse::<usize>().ok())
            .and_then(|number| number.checked_sub(1))
            .and_then(|position| args.get(position))
            .ok_or_else(|| {
                StoreError::Corrupt(format!("parameter {index} of {sql:?} has no argument"))
            })?;
        match *arg {
            Arg::Int(value) => statement.raw_bind_parameter(index, value)?,
            Arg::Text(value) => statement.raw_bind_parameter(index, value)?,
        }
    }
    Ok(statement)
}

/// The first row `sql` answers on `connection`, if any.
pub(crate) fn fetch_row(
    connection: &Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<Option<LiteRow>, StoreError> {
    let mut statement = prepared(connection, sql, args)?;
    let names: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut rows = statement.raw_query();
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let values = (0..names.len())
        .map(|index| row.get::<_, Value>(index))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(LiteRow { names, values }))
}

impl Writer for LiteTx<'_> {
    type Row = LiteRow;

    fn execute(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        std::future::ready(self.execute_now(sql, args))
    }

    fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<Option<LiteRow>, StoreError>> + Send {
        std::future::ready(self.fetch_optional_now(sql, args))
    }
}

/// A row read on one of SQLite's own connections.
pub(crate) struct LiteRow {
    names: Vec<String>,
    values: Vec<Value>,
}

impl RowGet for LiteRow {
    fn try_get<T: Column>(&self, name: &str) -> Result<T, StoreError> {
        let value = self
            .names
            .iter()
            .position(|column| column == name)
            .and_then(|index| self.values.get(index))
            .ok_or_else(|| StoreError::Corrupt(format!("no column {name}")))?;
        T::from_sqlite(value).ok_or_else(|| {
            StoreError::Corrupt(format!("column {name}: unexpected {:?}", value.data_type()))
        })
    }
}

/// A SQLite store in a directory of its own, with the table `table_sql` makes: for the unit
/// tests of SQLite's own connections. The caller removes the directory.
#[cfg(test)]
pub(crate) async fn scratch_store(table_sql: &str) -> (std::path::PathBuf, crate::Store) {
    let dir = std::env::temp_dir().join(format!(
        "unipay-lite-{}",
        unipay_core::ids::random_token(12)
    ));
    std::fs::create_dir_all(&dir).ok();
    let url = format!("sqlite://{}", dir.join("db.sqlite").display());
    let Ok(store) = crate::Store::connect(&url).await else {
        panic!("the test database opens");
    };
    let made = sqlx::query(table_sql).execute(&store.write).await;
    assert!(made.is_ok(), "{made:?}");
    (dir, store)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path of the line that only a caller giving up takes: the change ahead of it leaves
    /// the group open for it, and its leaving must commit that group.
    #[tokio::test]
    async fn a_change_given_up_in_line_commits_the_group_left_open_for_it() {
        let (dir, store) = scratch_store("CREATE TABLE t (v INTEGER)").await;
        let Some(lite) = store.lite.as_deref() else {
            panic!("a SQLite store has its writer");
        };

        let waiting = Place::join(lite);
        let mut first = Box::pin(lite.transaction(&store.write, |tx| {
            tx.execute_now("INSERT INTO t VALUES (1)", &[])?;
            Ok(Finish::Commit(()))
        }));
        // It runs, finds a change in line after it, and leaves the commit to that one.
        let early = tokio::time::timeout(Duration::from_millis(300), &mut first).await;
        assert!(early.is_err(), "it did not wait for the one in line");
        drop(waiting);
        let done = tokio::time::timeout(Duration::from_secs(5), first).await;
        assert!(matches!(done, Ok(Ok(()))), "{done:?}");
        let rows = sqlx::query("SELECT count(*) AS n FROM t")
            .fetch_one(&store.read)
            .await
            .and_then(|row| sqlx::Row::try_get::<i64, _>(&row, "n"));
        assert_eq!(rows.ok(), Some(1));
        store.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }
}
