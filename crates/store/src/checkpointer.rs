//! Moves SQLite's write-ahead log into the database file on a thread of its own. Left to SQLite,
//! the commit that finds the log past its limit does it: it syncs the log, copies it and syncs
//! the file (each sync a few milliseconds on a slow disk) while every change in line waits on
//! that commit. Here the writer never checkpoints; this thread does, a few times a second, in
//! `PASSIVE` mode, which neither waits for nor blocks the writer or the readers.

use crate::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the log is moved: often enough that it stays a few megabytes at the highest write
/// rates, and the writer can start it over.
const EVERY: Duration = Duration::from_millis(200);

pub(crate) struct Checkpointer {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database file at `path` on a connection of its own.
    pub(crate) fn start(path: &str) -> Result<Checkpointer, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_secs(10))?;
        let (stop, stopped) = channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    if let Err(error) = checkpoint(&connection) {
                        tracing::warn!(%error, "checkpointing SQLite's write-ahead log");
                    }
                }
                // A last pass, so that a closed database is whole in its file.
                if let Err(error) = checkpoint(&connection) {
                    tracing::warn!(%error, "checkpointing SQLite's write-ahead log");
                }
            })
            .map_err(|source| StoreError::File {
                path: path.to_string(),
                source,
            })?;
        Ok(Checkpointer { stop, thread })
    }

    /// Stops the thread after its last pass.
    pub(crate) fn stop(self) {
        drop(self.stop);
        if self.thread.join().is_err() {
            tracing::warn!("SQLite's checkpoint thread panicked");
        }
    }
}

fn checkpoint(connection: &Connection) -> Result<(), StoreError> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_moved_into_the_file_without_the_writer() {
        let dir = std::env::temp_dir().join(format!(
            "unipay-checkpoint-{}",
            unipay_core::ids::random_token(12)
        ));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join("db.sqlite").display().to_string();
        let file_bytes = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let writer = Connection::open(&path).ok();
        let written = writer.as_ref().is_some_and(|writer| {
            writer
                .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .and_then(|()| writer.pragma_update(None, "wal_autocheckpoint", 0))
                .and_then(|()| {
                    writer.execute_batch(
                        "CREATE TABLE t (v TEXT); \
                         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
                         INSERT INTO t SELECT hex(randomblob(200)) FROM n;",
                    )
                })
                .is_ok()
        });
        assert!(written, "the test database is made");
        // Two megabytes written, all of it still in the log.
        assert!(file_bytes() < 100_000, "{} bytes", file_bytes());
        let checkpointer = Checkpointer::start(&path);
        assert!(checkpointer.is_ok());
        std::thread::sleep(EVERY * 3);
        assert!(file_bytes() > 2_000_000, "{} bytes", file_bytes());
        if let Ok(checkpointer) = checkpointer {
            checkpointer.stop();
        }
        drop(writer);
        std::fs::remove_dir_all(&dir).ok();
    }
}
