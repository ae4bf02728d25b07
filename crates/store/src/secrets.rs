//! The store's side of secrets at rest (see `unipay_core::secrets`): an app's secret and a
//! channel account's private key are sealed on the way in and opened on the way out, here and
//! nowhere else, so that every reader (the API's signature check, the notifier, the channel
//! registry) holds plaintext only in memory. Migration 0011 makes the database itself refuse a
//! plaintext value in either column.
//!
//! Re-sealing walks both columns a page at a time and replaces each value only if it is still
//! the one read: it can run while nodes serve (a secret rotated meanwhile is left as its
//! rotation wrote it), and stopped halfway it resumes where a value is not yet what it wants.

use crate::{Store, StoreError};
use sqlx::Row;
use std::sync::Arc;
use unipay_core::secrets::{self, Keyring};

/// `table.column` of an app's HMAC secret.
pub const APP_SECRET: &str = "apps.secret";
/// `table.column` of a channel account's private key.
pub const CHANNEL_PRIVATE_KEY: &str = "channel_accounts.private_key_pem";
/// Every sealed column, as `(table, column, its place name)`.
const SEALED_COLUMNS: [(&str, &str, &str); 2] = [
    ("apps", "secret", APP_SECRET),
    ("channel_accounts", "private_key_pem", CHANNEL_PRIVATE_KEY),
];
/// Rows read per page while re-sealing.
const RESEAL_PAGE: i64 = 200;

/// Which values a re-sealing pass replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// Only plaintext written before sealing (`unipay migrate`, `serve` at start).
    Plaintext,
    /// Plaintext and every value sealed under another KEK than the current one
    /// (`unipay admin rotate-kek`).
    ToCurrentKey,
}

/// What a re-sealing pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Plaintext values now sealed.
    pub sealed: u64,
    /// Values moved from an older KEK to the current one.
    pub resealed: u64,
    /// Values already as wanted.
    pub unchanged: u64,
    /// Values changed by someone else between the read and the write (left as they were).
    pub raced: u64,
}

impl Store {
    /// The store with the KEKs that seal and open its secrets. Without them, reading or
    /// writing a secret is refused; everything else works.
    pub fn with_keyring(mut self, keyring: Arc<Keyring>) -> Store {
        self.keyring = Some(keyring);
        self
    }

    fn keyring(&self) -> Result<&Keyring, StoreError> {
        self.keyring.as_deref().ok_or(StoreError::NoKeyring)
    }

    /// Seals a secret for its column and row.
    pub(crate) fn seal_secret(
        &self,
        table_column: &str,
        row_id: &str,
        plaintext: &str,
    ) -> Result<String, StoreError> {
        let place = secrets::place(table_column, row_id);
        Ok(self.keyring()?.seal(&place, plaintext)?)
    }

    /// Opens a secret read from its column and row: the one function through which every
    /// stored secret becomes plaintext. A plaintext value is refused: `migrate` and `serve`
    /// seal those before anything reads them.
    pub fn open_secret(
        &self,
        table_column: &str,
        row_id: &str,
        stored: &str,
    ) -> Result<String, StoreError> {
        let place = secrets::place(table_column, row_id);
        Ok(self.keyring()?.open(&place, stored)?)
    }

    /// How many stored secrets are still plaintext.
    pub async fn plaintext_secret_count(&self) -> Result<i64, StoreError> {
        let mut count = 0;
        for (table, column, _) in SEALED_COLUMNS {
            let row = sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE substr({column}, 1, 3) <> $1"
            ))
            .bind(secrets::SEALED_PREFIX)
            .fetch_one(&self.read)
            .await?;
            count += row.try_get::<i64, _>("n")?;
        }
        Ok(count)
    }

    /// Seals plaintext values, and with [`Reseal::ToCurrentKey`] moves values sealed under
    /// an older KEK to the current one. Every sealed value met is opened, so a value no
    /// configured KEK opens stops the pass with an error naming it.
    pub async fn reseal_secrets(&self, scope: Reseal) -> Result<ResealReport, StoreError> {
        let keyring = self.keyring()?;
        let mut report = ResealReport::default();
        for (table, column, table_column) in SEALED_COLUMNS {
            let mut after = String::new();
            loop {
                let rows = sqlx::query(&format!(
                    "SELECT id, {column} AS stored FROM {table} WHERE id > $1 ORDER BY id LIMIT $2"
                ))
                .bind(&after)
                .bind(RESEAL_PAGE)
                .fetch_all(&self.read)
                .await?;
                let Some(last) = rows.last() else { break };
                after = last.try_get("id")?;
                for row in &rows {
                    let id: String = row.try_get("id")?;
                    let stored: String = row.try_get("stored")?;
                    let place = secrets::place(table_column, &id);
                    let plaintext = if secrets::is_sealed(&stored) {
                        let plaintext = keyring.open(&place, &stored)?;
                        let current = secrets::sealed_under(&stored) == Some(keyring.current_id());
                        if current || scope == Reseal::Plaintext {
                            report.unchanged += 1;
                            continue;
                        }
                        report.resealed += 1;
                        plaintext
                    } else {
                        report.sealed += 1;
                        stored.clone()
                    };
                    let sealed = keyring.seal(&place, &plaintext)?;
                    let done = sqlx::query(&format!(
                        "UPDATE {table} SET {column} = $1 WHERE id = $2 AND {column} = $3"
                    ))
                    .bind(&sealed)
                    .bind(&id)
                    .bind(&stored)
                    .execute(&self.write)
                    .await?;
                    if done.rows_affected() != 1 {
                        report.raced += 1;
                    }
                }
            }
        }
        Ok(report)
    }
}
