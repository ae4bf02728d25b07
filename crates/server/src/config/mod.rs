//! Server configuration: a TOML file, then `UNIPAY_*` environment variables on top. Every
//! section of the file is one module here; the features read their settings from this tree,
//! and it depends on none of them.

mod api;
mod books;
mod console;
mod env;
mod http;
mod inbound;
mod janitor;
mod kcode;
mod notifier;
mod notify;
mod privacy;
mod secrets;
mod validate;

pub use api::ApiConfig;
pub use books::BooksConfig;
pub use console::ConsoleConfig;
pub use env::{DATABASE_URL_FILE, Setting};
pub use http::HttpConfig;
pub use inbound::InboundConfig;
pub use janitor::JanitorConfig;
pub use kcode::KcodeConfig;
pub use notifier::NotifierConfig;
pub use notify::NotifyConfig;
pub use privacy::PrivacyConfig;
pub use secrets::SecretsConfig;

use serde::{Deserialize, Serialize};
use std::path::Path;

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
    /// Timeouts and limits of the HTTP server, and access to `/metrics`.
    pub http: HttpConfig,
    pub api: ApiConfig,
    pub janitor: JanitorConfig,
    pub notifier: NotifierConfig,
    /// Where merchants' URLs may lead.
    pub notify: NotifyConfig,
    pub books: BooksConfig,
    /// K-code payment: wrong codes allowed, resend limits.
    pub kcode: KcodeConfig,
    /// The operations console at `/console`.
    pub console: ConsoleConfig,
    /// The key that hashes personal data.
    pub privacy: PrivacyConfig,
    /// Rate limits and sampling for unauthenticated input.
    pub inbound: InboundConfig,
    /// The key-encryption keys that seal the secrets the database keeps.
    pub secrets: SecretsConfig,
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
            http: HttpConfig::default(),
            api: ApiConfig::default(),
            janitor: JanitorConfig::default(),
            notifier: NotifierConfig::default(),
            notify: NotifyConfig::default(),
            books: BooksConfig::default(),
            kcode: KcodeConfig::default(),
            console: ConsoleConfig::default(),
            privacy: PrivacyConfig::default(),
            inbound: InboundConfig::default(),
            secrets: SecretsConfig::default(),
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
    #[error("environment variable {name}: {problem}")]
    Variable { name: String, problem: String },
}

impl ServerConfig {
    /// Reads the file (if given), then applies environment overrides (see `env.rs`).
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
