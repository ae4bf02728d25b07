//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database per test, so that
//! tests and test runs never see each other's rows.

use crate::{Store, StoreError, scratch};
use sqlx::Row;
use std::path::PathBuf;

/// Where the PostgreSQL tests connect to create their databases.
pub const POSTGRES_URL_VAR: &str = "UNIPAY_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Every test database's name starts with this, so leftovers can be swept.
pub const TEST_DATABASE_PREFIX: &str = "unipay_t_";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// What a test does when the PostgreSQL server it needs cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// Skip, and say so: nobody asked for PostgreSQL (a developer's machine without one).
    Skip,
    /// Fail: a database URL was given or CI runs the suite, and a suite that passes without
    /// its database has proved nothing.
    Fail,
}

/// The decision, from the values of [`POSTGRES_URL_VAR`] and `CI`. An empty value counts as
/// unset, and so does a `CI` of `false` or `0`.
pub fn when_postgres_unreachable(url_given: Option<&str>, ci: Option<&str>) -> Unreachable {
    let url_given = url_given.is_some_and(|url| !url.trim().is_empty());
    if url_given || ci_is_set(ci) {
        Unreachable::Fail
    } else {
        Unreachable::Skip
    }
}

/// Whether the value of `CI` says the tests run in CI (set, not empty, not `false` or `0`).
pub fn ci_is_set(ci: Option<&str>) -> bool {
    ci.map(str::trim)
        .is_some_and(|ci| !ci.is_empty() && ci != "0" && !ci.eq_ignore_ascii_case("false"))
}

/// Whether the `CI` variable of this process says the tests run in CI.
pub fn in_ci() -> bool {
    ci_is_set(std::env::var("CI").ok().as_deref())
}

/// Whether something listens at the host and port of a `postgres://` URL (port 5432 when it
/// names none): a quick probe for tests that hand the URL to another process.
pub fn postgres_listening(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let address = if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    };
    use std::net::ToSocketAddrs;
    address.to_socket_addrs().is_ok_and(|mut addresses| {
        addresses.any(|address| {
            std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_secs(2))
                .is_ok()
        })
    })
}

/// Reports a skipped test on the terminal. libtest captures what a passing test prints with
/// `print!`/`eprint!` and shows it only when the test fails, so a skip would pass unseen: this
/// writes to the process's standard error directly, naming the test (its thread's name).
pub fn report_skip(what: &str, reason: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED {test}: {what} not available: {reason}"
    );
}

/// The key-encryption key of test databases, as a KEK file holds it. Tests only: a real
/// deployment makes its own (`unipay init`).
pub const TEST_KEK_HEX: &str = "8d3f6a0c1e2b4d5f7a9c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";

/// The keyring of [`TEST_KEK_HEX`] alone.
pub fn test_keyring() -> std::sync::Arc<unipay_core::secrets::Keyring> {
    use unipay_core::secrets::{Kek, Keyring};
    match Kek::from_hex(TEST_KEK_HEX) {
        Ok(kek) => std::sync::Arc::new(Keyring::new(kek, Vec::new())),
        Err(error) => unreachable!("the test KEK is a key: {error}"),
    }
}

pub struct TestDatabase {
    pub url: String,
    backend: TestBackend,
    admin_url: Option<String>,
    name: String,
    dir: Option<PathBuf>,
}

impl TestDatabase {
    /// A fresh, empty database, or `None` when PostgreSQL is unreachable and nobody asked for
    /// it: see [`when_postgres_unreachable`]. A skip is reported on the terminal; with a URL
    /// given or in CI, an unreachable server is an error, so the run fails.
    pub async fn create(backend: TestBackend) -> Result<Option<TestDatabase>, StoreError> {
        let name = format!(
            "{TEST_DATABASE_PREFIX}{}",
            unipay_core::ids::random_token(16)
        );
        match backend {
            TestBackend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
                builder.create(&dir).map_err(|source| StoreError::File {
                    path: dir.display().to_string(),
                    source,
                })?;
                let url = format!("sqlite://{}", dir.join("unipay.db").display());
                Ok(Some(TestDatabase {
                    url,
                    backend,
                    admin_url: None,
                    name,
                    dir: Some(dir),
                }))
            }
            TestBackend::Postgres => {
                let given = std::env::var(POSTGRES_URL_VAR).ok();
                let admin_url = given
                    .clone()
                    .filter(|url| !url.trim().is_empty())
                    .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string());
                let admin = match scratch::connect(&admin_url).await {
                    Ok(conn) => conn,
                    Err(error) => {
                        let ci = std::env::var("CI").ok();
                        match when_postgres_unreachable(given.as_deref(), ci.as_deref()) {
                            Unreachable::Skip => {
                                report_skip(
                                    "PostgreSQL",
                                    &format!(
                                        "{admin_url} unreachable ({error}); set {POSTGRES_URL_VAR} \
                                         or CI to make this a failure"
                                    ),
                                );
                                return Ok(None);
                            }
                            Unreachable::Fail => return Err(error),
                        }
                    }
                };
                let url = scratch::create_on(admin, &admin_url, &name).await?;
                Ok(Some(TestDatabase {
                    url,
                    backend,
                    admin_url: Some(admin_url),
                    name,
                    dir: None,
                }))
            }
        }
    }

    /// A fresh database with the schema applied, connected.
    pub async fn store(backend: TestBackend) -> Result<Option<(TestDatabase, Store)>, StoreError> {
        let Some(db) = TestDatabase::create(backend).await? else {
            return Ok(None);
        };
        let store = Store::connect(&db.url).await?.with_keyring(test_keyring());
        store.migrate().await?;
        Ok(Some((db, store)))
    }

    /// A fresh database with the migrations numbered below `version` applied, connected
    /// with the test KEK: a database as an older release left it.
    pub async fn store_before_migration(
        backend: TestBackend,
        version: i64,
    ) -> Result<Option<(TestDatabase, Store)>, StoreError> {
        let Some(db) = TestDatabase::create(backend).await? else {
            return Ok(None);
        };
        let store = Store::connect(&db.url).await?.with_keyring(test_keyring());
        store.migrate_below(version).await?;
        Ok(Some((db, store)))
    }

    pub fn backend(&self) -> TestBackend {
        self.backend
    }

    /// Removes the database. Tests call it at the end; CI sweeps the leftovers of failed tests
    /// by their [`TEST_DATABASE_PREFIX`].
    pub async fn drop_database(self) -> Result<(), StoreError> {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(admin_url) = &self.admin_url {
            scratch::drop_database(admin_url, &self.name).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Runs one statement as the application would, bypassing the typed API: for tests that
    /// prove what the schema itself refuses.
    pub async fn execute_for_test(&self, sql: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sql).execute(&self.write).await?;
        Ok(done.rows_affected())
    }

    /// The number of rows of each of `tables`, in their order, read in one statement so that
    /// the counts are of one moment: for tests that prove a request stored nothing. The names
    /// come from the test's own list, never from input.
    pub async fn count_rows_for_test(&self, tables: &[&str]) -> Result<Vec<i64>, StoreError> {
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let counts: Vec<String> = tables
            .iter()
            .enumerate()
            .map(|(i, table)| format!("(SELECT COUNT(*) FROM \"{table}\") AS n{i}"))
            .collect();
        let row = sqlx::query(&format!("SELECT {}", counts.join(", ")))
            .fetch_one(&self.read)
            .await?;
        (0..tables.len())
            .map(|i| Ok(row.try_get::<i64, _>(i)?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves an unreachable PostgreSQL fails the run whenever a URL was given or CI runs
    /// it, and is skipped only when neither asked for it.
    #[test]
    fn unreachable_postgres_fails_when_asked_for() {
        let url = Some("postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(when_postgres_unreachable(None, None), Unreachable::Skip);
        assert_eq!(when_postgres_unreachable(url, None), Unreachable::Fail);
        assert_eq!(
            when_postgres_unreachable(None, Some("true")),
            Unreachable::Fail
        );
        assert_eq!(
            when_postgres_unreachable(None, Some("1")),
            Unreachable::Fail
        );
        assert_eq!(
            when_postgres_unreachable(url, Some("true")),
            Unreachable::Fail
        );
        for unset in ["", "  ", "false", "FALSE", "0"] {
            assert_eq!(
                when_postgres_unreachable(None, Some(unset)),
                Unreachable::Skip,
                "CI={unset:?}"
            );
        }
        assert_eq!(when_postgres_unreachable(Some(""), None), Unreachable::Skip);
        assert!(ci_is_set(Some("yes")));
        assert!(!ci_is_set(None));
    }

    /// Proves the probe reads the host and port of a URL: a port nobody listens on is
    /// unreachable, one a listener holds is reachable.
    #[test]
    fn the_probe_reads_host_and_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("an address").port();
        assert!(postgres_listening(&format!(
            "postgres://u:p@127.0.0.1:{port}/db?x=1"
        )));
        assert!(postgres_listening(&format!("postgres://127.0.0.1:{port}")));
        drop(listener);
        assert!(!postgres_listening(&format!(
            "postgres://u@127.0.0.1:{port}/db"
        )));
        assert!(!postgres_listening("postgres://u@no-such-host.invalid/db"));
    }
}
