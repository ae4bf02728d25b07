//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database per test, so that
//! tests and test runs never see each other's rows.

use crate::{Store, StoreError, scratch};
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

pub struct TestDatabase {
    pub url: String,
    backend: TestBackend,
    admin_url: Option<String>,
    name: String,
    dir: Option<PathBuf>,
}

impl TestDatabase {
    /// A fresh, empty database, or `None` when PostgreSQL is unreachable and the `CI`
    /// variable is unset (outside CI the PostgreSQL tests are skipped, in CI they fail).
    pub async fn create(backend: TestBackend) -> Result<Option<TestDatabase>, StoreError> {
        let name = format!(
            "{TEST_DATABASE_PREFIX}{}",
            unipay_core::ids::random_token(16)
        );
        match backend {
            TestBackend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
                let admin_url = std::env::var(POSTGRES_URL_VAR)
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
                let admin = match scratch::connect(&admin_url).await {
                    Ok(conn) => conn,
                    Err(error) if std::env::var_os("CI").is_none() => {
                        eprintln!("skipping PostgreSQL test: {admin_url} unreachable ({error})");
                        return Ok(None);
                    }
                    Err(error) => return Err(error),
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
        let store = Store::connect(&db.url).await?;
        store.migrate().await?;
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
}
