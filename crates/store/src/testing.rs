//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database per test, so that
//! tests and test runs never see each other's rows.

use crate::{Store, StoreError};
use sqlx::{AnyConnection, Connection, Executor};
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
                sqlx::any::install_default_drivers();
                let admin_url = std::env::var(POSTGRES_URL_VAR)
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
                let mut admin = match AnyConnection::connect(&admin_url).await {
                    Ok(conn) => conn,
                    Err(error) if std::env::var_os("CI").is_none() => {
                        eprintln!("skipping PostgreSQL test: {admin_url} unreachable ({error})");
                        return Ok(None);
                    }
                    Err(error) => return Err(error.into()),
                };
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await?;
                admin.close().await?;
                let url = replace_database(&admin_url, &name);
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
            let mut admin = AnyConnection::connect(admin_url).await?;
            admin
                .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                .await?;
            admin.close().await?;
        }
        Ok(())
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
