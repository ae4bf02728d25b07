use crate::StoreError;
use crate::lite::Lite;
use crate::lite_reads::LiteReads;
use futures_util::future::BoxFuture;
use sqlx::any::AnyRow;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

// `SQLITE_MIGRATIONS` and `POSTGRES_MIGRATIONS`: (version, description, SQL), from build.rs.
include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The migrations compiled into the binary, handed to sqlx's migrator as they would be read
/// from `migrations/<backend>/` (same versions, descriptions and checksums).
#[derive(Debug)]
struct EmbeddedMigrations(&'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for EmbeddedMigrations {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                let no_tx = sql.starts_with("-- no-transaction");
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into(),
                    no_tx,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite's point-read connections: one per runtime thread that may read at once on a machine
/// of a few cores; a read finding all taken goes through the pool.
const POINT_READERS: usize = 4;

/// How long a PostgreSQL connection may sit idle in the pool and still be handed out without
/// a ping.
const TRUSTED_IDLE: Duration = Duration::from_secs(1);

/// The database. On SQLite all writes go through one connection (SQLite has one writer
/// anyway, and this way no transaction ever meets `SQLITE_BUSY` halfway), while reads use a
/// pool of their own; on PostgreSQL both are the same pool. The hot state changes on SQLite run
/// on a connection of SQLite's own (`lite`) while holding that one sqlx writer.
#[derive(Clone)]
pub struct Store {
    pub(crate) write: AnyPool,
    /// SQLite's writer for the hot state changes (`lite.rs`); `None` on PostgreSQL and for an
    /// in-memory SQLite database, which another connection could not open.
    pub(crate) lite: Option<std::sync::Arc<Lite>>,
    /// SQLite's point reads on the caller's thread (`lite_reads.rs`); `None` where `lite` is.
    pub(crate) lite_reads: Option<std::sync::Arc<LiteReads>>,
    pub(crate) read: AnyPool,
    pub(crate) backend: Backend,
    /// For the few bulk reads that go through the backend's own driver rather than `Any`.
    pub(crate) url: std::sync::Arc<str>,
    /// Seals and opens the stored secrets (`secrets.rs`); `None` until given.
    pub(crate) keyring: Option<std::sync::Arc<unipay_core::secrets::Keyring>>,
}

impl Store {
    /// Opens `sqlite://path` (created if missing) or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with(url, 16).await
    }

    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        install_default_drivers();
        if url.starts_with("sqlite:") {
            create_owner_only_file(url)?;
            let url = sqlite_url_with_create(url);
            let write = sqlite_pool(&url, 1).await?;
            // WAL lets readers go on while the writer writes; the mode persists in the file.
            write.execute("PRAGMA journal_mode = WAL").await?;
            // Each SQLite connection is a thread of its own; past a few readers, more only add
            // context switches (reads are short, and the one writer is the limit anyway).
            let read = sqlite_pool(&url, max_connections.clamp(2, 4)).await?;
            let (lite, lite_reads) = match sqlite_file(&url) {
                Some(path) => (
                    Some(std::sync::Arc::new(Lite::open(path)?)),
                    Some(std::sync::Arc::new(LiteReads::open(path, POINT_READERS)?)),
                ),
                None => (None, None),
            };
            Ok(Store {
                write,
                lite,
                lite_reads,
                read,
                backend: Backend::Sqlite,
                url: url.as_str().into(),
                keyring: None,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(30))
                // sqlx would ping every connection it hands out: a round trip to the server
                // before each statement. A connection back from work a moment ago is as good
                // as a ping would show; only one that sat idle (a restarted server, a cut
                // link) is pinged, and replaced when it does not answer.
                .test_before_acquire(false)
                .before_acquire(|connection, meta| {
                    Box::pin(async move {
                        if meta.idle_for < TRUSTED_IDLE {
                            return Ok(true);
                        }
                        Ok(sqlx::Connection::ping(connection).await.is_ok())
                    })
                })
                .connect(url)
                .await?;
            Ok(Store {
                write: pool.clone(),
                lite: None,
                lite_reads: None,
                read: pool,
                backend: Backend::Postgres,
                url: url.into(),
                keyring: None,
            })
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_below(i64::MAX).await
    }

    /// Applies the migrations numbered below `version`: `migrate` applies them all; tests
    /// stop earlier to make a database as an older release left it.
    pub(crate) async fn migrate_below(&self, version: i64) -> Result<(), StoreError> {
        let embedded = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let count = embedded.iter().take_while(|(v, _, _)| *v < version).count();
        let embedded = embedded.get(..count).unwrap_or(embedded);
        Migrator::new(EmbeddedMigrations(embedded))
            .await?
            .run(&self.write)
            .await?;
        Ok(())
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(lite) = &self.lite {
            lite.close();
        }
        if let Some(reads) = &self.lite_reads {
            reads.close();
        }
        self.write.close().await;
        self.read.close().await;
    }

    /// `FOR UPDATE` where the database has row locks; SQLite's single writer needs none.
    pub(crate) fn lock_row(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Claims due rows of a queue by moving their due time `$1` (now + lease) forward: rows due
    /// at `$2` (now), at most `$3`, oldest first. On PostgreSQL, `SKIP LOCKED` lets several nodes
    /// claim different rows at once; SQLite's single writer claims atomically anyway.
    /// Leases up to `limit` rows of `table` whose `due_column` has come, by moving it
    /// `lease_ms` out (no other worker takes them meanwhile; a worker that dies lets the lease
    /// run out), and reads them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn lease_due<T>(
        &self,
        table: &str,
        due_column: &str,
        columns: &str,
        from_row: impl Fn(&AnyRow) -> Result<T, StoreError>,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<T>, StoreError> {
        let skip_locked = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE {table} SET {due_column} = $1 WHERE id IN (SELECT id FROM {table} \
             WHERE {due_column} <= $2 ORDER BY {due_column} LIMIT $3{skip_locked}) RETURNING {columns}"
        );
        let rows = sqlx::query(&sql)
            .bind(now_ms + lease_ms)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&self.write)
            .await?;
        rows.iter().map(from_row).collect()
    }
}

/// The file of a SQLite URL, when it names one plainly (not in memory, no escapes, no options
/// but `mode=rwc`, which sqlx's pools have already acted on).
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    let plain = !path.is_empty()
        && !path.starts_with(':')
        && !path.contains('%')
        && (options.is_empty() || options == "mode=rwc");
    plain.then_some(path)
}

/// Creates the SQLite file readable by its owner only, before SQLite would create it with the
/// process's umask; SQLite gives the WAL and shared-memory files the database file's mode.
fn create_owner_only_file(url: &str) -> Result<(), StoreError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.starts_with(':') || url.contains("mode=memory") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::File {
            path: path.to_string(),
            source,
        }),
    }
}

fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

async fn sqlite_pool(url: &str, max_connections: u32) -> Result<AnyPool, StoreError> {
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        // A local file has no link to test; the test would be one more trip to the
        // connection's thread and back on every acquire.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // NORMAL is durable across application crashes in WAL mode; only a power loss
                // can lose the last commits, which the bank's retries and queries recover.
                conn.execute(
                    "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}

/// The SQL list (`'created', 'submitted'`) of a state machine's states, for the status
/// condition of an update: the words come from core's tables, never from input.
pub(crate) fn sql_states<S: Copy>(states: &[S], as_str: fn(S) -> &'static str) -> String {
    states
        .iter()
        .map(|state| format!("'{}'", as_str(*state)))
        .collect::<Vec<_>>()
        .join(", ")
}
