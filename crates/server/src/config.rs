//! Server configuration: a TOML file, then `UNIPAY_*` environment variables on top.

use serde::{Deserialize, Serialize};
use std::path::Path;
use unipay_core::schedule::Schedule;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// The base URL consumers' browsers and the bank reach this server at (no trailing slash).
    /// Empty: `http://<the address the server bound>`.
    pub public_url: String,
    /// `sqlite://data/unipay.db` (the default) or `postgres://...`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// `text` or `json`.
    pub log_format: String,
    /// This node's name, sent with every business notification it delivers
    /// (`Unipay-Node`), so that a delivery can be traced to the node that made it. Empty: not
    /// sent.
    pub node_name: String,
    /// On SIGTERM the node first answers `/readyz` with 503 for this long while still serving,
    /// so that a load balancer stops sending it requests; then it stops accepting and finishes
    /// the requests in flight.
    pub shutdown_drain_ms: u64,
    pub api: ApiConfig,
    pub janitor: JanitorConfig,
    pub notifier: NotifierConfig,
    pub books: BooksConfig,
    /// K-code payment: wrong codes allowed, resend limits.
    pub kcode: crate::kcode::KcodeConfig,
    /// The operations console at `/console`.
    pub console: crate::http::console::ConsoleConfig,
    /// The key that hashes personal data.
    pub privacy: crate::privacy::PrivacyConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// How far a request's timestamp may be from the server's clock, and how long nonces are kept.
    pub signature_window_s: i64,
    pub max_body_bytes: usize,
    /// The body limit of `POST /v1/refund-batches`, whose 10,000 lines need far more room.
    pub max_batch_body_bytes: usize,
    /// Default life of a payment when the request names none.
    pub default_expires_in_s: i64,
    pub max_expires_in_s: i64,
    /// How long an `Idempotency-Key` replays its first answer.
    pub idempotency_key_ttl_s: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JanitorConfig {
    /// Delays between bank queries of a payment with no result; the last one repeats.
    pub query_schedule_ms: Schedule,
    pub poll_interval_ms: u64,
    /// How long a claimed payment is kept from other workers while it is queried.
    pub lease_ms: i64,
    pub batch_size: i64,
    pub concurrency: usize,
    /// Longer than any bank call. A new refund waits this long before the janitor may ask
    /// about it, so that a query never overtakes the refund it asks about; a refund or a
    /// single debit the bank says it never received is sent again (same number) only once it
    /// is this old, when no copy of the first request can still be on its way.
    pub resend_grace_ms: i64,
}

/// Statements, reconciliation and settlement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BooksConfig {
    /// Whether this node fetches yesterday's statements and reconciles them on its own.
    pub scheduled: bool,
    /// Hour of the day (UTC+8) after which yesterday's statement is fetched and reconciled.
    pub fetch_after_hour: u8,
    pub poll_interval_ms: u64,
    /// How many later days' statements a record missing from the bank's is looked for in
    /// (the cut-over moves records to the next accounting date) before it is a difference.
    pub hold_days: u32,
    /// Whether settlement of a date waits until its differences are all decided.
    pub block_settlement_on_open_differences: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifierConfig {
    /// Delays before each delivery attempt of a business notification; then it is dead-lettered.
    pub schedule_ms: Schedule,
    pub poll_interval_ms: u64,
    pub lease_ms: i64,
    pub batch_size: i64,
    pub concurrency: usize,
    pub timeout_ms: u64,
    /// Whether this process delivers the notifications its own changes write at once. The
    /// command line turns it off and leaves them to the servers' notifiers: a short-lived
    /// process must not hold a delivery it may not live to finish.
    pub deliver_at_once: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            database_url: "sqlite://data/unipay.db".into(),
            database_max_connections: 16,
            log_format: "text".into(),
            node_name: String::new(),
            shutdown_drain_ms: 1_000,
            api: ApiConfig::default(),
            janitor: JanitorConfig::default(),
            notifier: NotifierConfig::default(),
            books: BooksConfig::default(),
            kcode: crate::kcode::KcodeConfig::default(),
            console: crate::http::console::ConsoleConfig::default(),
            privacy: crate::privacy::PrivacyConfig::default(),
        }
    }
}

impl Default for BooksConfig {
    fn default() -> Self {
        BooksConfig {
            scheduled: true,
            fetch_after_hour: 10,
            poll_interval_ms: 60_000,
            hold_days: 3,
            block_settlement_on_open_differences: true,
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            signature_window_s: 300,
            max_body_bytes: 64 * 1024,
            max_batch_body_bytes: 4 * 1024 * 1024,
            default_expires_in_s: 1800,
            max_expires_in_s: 7 * 24 * 3600,
            idempotency_key_ttl_s: 24 * 3600,
        }
    }
}

impl Default for JanitorConfig {
    fn default() -> Self {
        JanitorConfig {
            query_schedule_ms: Schedule::janitor_queries(),
            poll_interval_ms: 1_000,
            lease_ms: 60_000,
            batch_size: 64,
            concurrency: 16,
            resend_grace_ms: 120_000,
        }
    }
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            schedule_ms: Schedule::business_notifications(),
            poll_interval_ms: 1_000,
            // Longer than one delivery may take (`timeout_ms`), and no longer: the lease is how
            // long an event a dead node was delivering waits before another node sends it.
            lease_ms: 15_000,
            batch_size: 128,
            concurrency: 64,
            timeout_ms: 10_000,
            deliver_at_once: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl ServerConfig {
    /// Reads the file (if given), then applies environment overrides.
    pub fn load(path: Option<&Path>) -> Result<ServerConfig, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Invalid(e.to_string()))?
            }
            None => ServerConfig::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// `UNIPAY_LISTEN`, `UNIPAY_PUBLIC_URL`, `UNIPAY_DATABASE_URL`, `UNIPAY_LOG_FORMAT`,
    /// `UNIPAY_NODE_NAME`,
    /// `UNIPAY_DATABASE_URL_FILE` (the URL read from a file, for a password kept out of the
    /// environment).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = var("UNIPAY_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = var("UNIPAY_PUBLIC_URL") {
            self.public_url = v;
        }
        if let Some(v) = var("UNIPAY_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(path) = var("UNIPAY_DATABASE_URL_FILE") {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| ConfigError::Read { path, source })?;
            self.database_url = text.trim().to_string();
        }
        if let Some(v) = var("UNIPAY_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = var("UNIPAY_NODE_NAME") {
            self.node_name = v;
        }
        self.privacy.apply_env(&var);
        Ok(())
    }

    pub fn validate(&mut self) -> Result<(), ConfigError> {
        self.public_url = self.public_url.trim_end_matches('/').to_string();
        let empty = self.public_url.is_empty();
        if !(empty
            || self.public_url.starts_with("http://")
            || self.public_url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(
                "public_url must start with http:// or https://".into(),
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError::Invalid(
                "log_format must be text or json".into(),
            ));
        }
        if self.books.fetch_after_hour > 23 {
            return Err(ConfigError::Invalid(
                "books.fetch_after_hour must be 0-23".into(),
            ));
        }
        if self.notifier.schedule_ms.is_empty() || self.janitor.query_schedule_ms.is_empty() {
            return Err(ConfigError::Invalid("schedules must not be empty".into()));
        }
        if self.notifier.lease_ms <= i64::try_from(self.notifier.timeout_ms).unwrap_or(i64::MAX) {
            return Err(ConfigError::Invalid(
                "notifier.lease_ms must be longer than notifier.timeout_ms (a delivery must end \
                 before another node may take it over)"
                    .into(),
            ));
        }
        if !self
            .node_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            || self.node_name.len() > 64
        {
            return Err(ConfigError::Invalid(
                "node_name must be at most 64 letters, digits, '-', '_' or '.'".into(),
            ));
        }
        if self.notifier.schedule_ms.len() > 100 || self.janitor.query_schedule_ms.len() > 100 {
            return Err(ConfigError::Invalid(
                "schedules are limited to 100 steps".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file() {
        let mut config: ServerConfig =
            toml::from_str("listen = \"0.0.0.0:9000\"\n[janitor]\npoll_interval_ms = 5\n").unwrap();
        config
            .apply_env(|name| {
                (name == "UNIPAY_DATABASE_URL").then(|| "postgres://db/unipay".to_string())
            })
            .unwrap();
        config.validate().unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.janitor.poll_interval_ms, 5);
        assert_eq!(config.database_url, "postgres://db/unipay");
        assert_eq!(config.notifier.schedule_ms.len(), 11);
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<ServerConfig>("lisen = \"x\"").is_err());
    }
}
