//! Every stored value as text, table by table: for tests that prove what the database holds
//! (or never holds), whatever table a feature added.

use crate::{Backend, Store, StoreError};
use sqlx::Row;

impl Store {
    /// `(table, value)` for every non-NULL value of every column of every table (PostgreSQL:
    /// each row as JSON). Slow and unbounded: for tests only.
    pub async fn dump_text_for_test(&self) -> Result<Vec<(String, String)>, StoreError> {
        match self.backend() {
            Backend::Sqlite => self.dump_sqlite().await,
            Backend::Postgres => self.dump_postgres().await,
        }
    }

    /// [`Store::dump_text_for_test`] without the tables `skipped`, sorted so that it does not
    /// depend on the backend's order: what a test compares when only those may change.
    pub async fn dump_text_but_for_test(
        &self,
        skipped: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut dump = self.dump_text_for_test().await?;
        dump.retain(|(table, _)| !skipped.contains(&table.as_str()));
        dump.sort();
        Ok(dump)
    }

    async fn dump_sqlite(&self) -> Result<Vec<(String, String)>, StoreError> {
        let tables: Vec<String> =
            sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| r.try_get("name"))
                .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for table in tables {
            let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| r.try_get("name"))
                .collect::<Result<_, _>>()?;
            for column in columns {
                let text = sqlx::query(&format!(
                    "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" \
                     WHERE \"{column}\" IS NOT NULL AND typeof(\"{column}\") <> 'blob'"
                ))
                .fetch_all(&self.read)
                .await?;
                for row in text {
                    out.push((table.clone(), row.try_get::<String, _>("v")?));
                }
                // Blobs need not be UTF-8: read as bytes, shown as far as they are text.
                let blobs = sqlx::query(&format!(
                    "SELECT \"{column}\" AS v FROM \"{table}\" WHERE typeof(\"{column}\") = 'blob'"
                ))
                .fetch_all(&self.read)
                .await?;
                for row in blobs {
                    let bytes: Vec<u8> = row.try_get("v")?;
                    out.push((table.clone(), String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        Ok(out)
    }

    async fn dump_postgres(&self) -> Result<Vec<(String, String)>, StoreError> {
        let tables: Vec<String> = sqlx::query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| r.try_get("name"))
        .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for table in tables {
            let rows = sqlx::query(&format!(
                "SELECT row_to_json(t)::text AS v FROM \"{table}\" t"
            ))
            .fetch_all(&self.read)
            .await?;
            for row in rows {
                out.push((table.clone(), row.try_get::<String, _>("v")?));
            }
        }
        Ok(out)
    }
}
