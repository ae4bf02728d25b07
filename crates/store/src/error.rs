#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A write on SQLite's writer connection awaited something other than its own statements.
    #[error("a database write did not complete at once")]
    Pending,
    #[error("the database is closed")]
    Closed,
    /// The change ran, but the commit it shared with others failed: none of it is written.
    #[error("the change was not committed")]
    NotCommitted,
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("unsupported database url {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("the row changed under us; retry")]
    Conflict,
    #[error("cannot create {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("stored secret: {0}")]
    Secret(#[from] unipay_core::secrets::SecretError),
    #[error(
        "no key-encryption key to seal or open stored secrets: set [secrets] kek_file \
         (UNIPAY_SECRETS_KEK_FILE)"
    )]
    NoKeyring,
}
