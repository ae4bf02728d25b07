//! The checks a configuration must pass, wherever its values came from.

use super::{ConfigError, ServerConfig};

impl ServerConfig {
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
