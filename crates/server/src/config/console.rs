//! The `[console]` section of the configuration.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Whether the console's cookies carry `Secure`. Unset: yes, unless `public_url` is plain
    /// `http://` on a loopback host (a developer's machine, the tests), where a browser could
    /// not send them back. Behind a TLS-terminating proxy with an `https://` public URL the
    /// default is right; set it to `true` to be explicit.
    pub secure_cookies: Option<bool>,
    /// A session unused this long ends.
    pub idle_timeout_s: i64,
    /// A session ends this long after sign-in, used or not.
    pub absolute_timeout_s: i64,
    /// Failed sign-ins in a row that lock an account...
    pub max_failed_signins: i64,
    /// ...for this long.
    pub lockout_s: i64,
    /// The answer to a failed sign-in waits this long, doubled for each failure in a row...
    pub failure_delay_ms: u64,
    /// ...up to this.
    pub max_failure_delay_ms: u64,
    /// Sign-in attempts one address may make per minute; more are answered 429 at once.
    /// 0: no limit.
    pub signins_per_source_per_minute: u32,
    /// Sign-in attempts the node takes per minute from all addresses together. 0: no limit.
    pub signins_per_minute: u32,
    /// Password checks (argon2) waiting or running at once; a sign-in that finds the queue
    /// full is answered 429 at once rather than waiting behind a flood.
    pub password_check_queue: u32,
    /// Who approves a settlement batch may not also mark it paid (the console and
    /// `unipay settle mark-paid`, which reads this from the environment).
    pub separate_settlement_duties: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            secure_cookies: None,
            idle_timeout_s: 30 * 60,
            absolute_timeout_s: 12 * 3600,
            max_failed_signins: 5,
            lockout_s: 15 * 60,
            failure_delay_ms: 500,
            max_failure_delay_ms: 8_000,
            signins_per_source_per_minute: 20,
            signins_per_minute: 300,
            password_check_queue: 8,
            separate_settlement_duties: true,
        }
    }
}

impl ConsoleConfig {
    /// Whether cookies are `Secure`, given the URL browsers reach the server at.
    pub fn cookies_secure(&self, public_url: &str) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| !is_plain_http_on_loopback(public_url))
    }

    /// How long to keep a failed sign-in waiting, for its `failures_in_a_row`-th failure.
    pub fn failure_delay(&self, failures_in_a_row: i64) -> std::time::Duration {
        let doublings = failures_in_a_row.clamp(1, 16) - 1;
        let delay = self
            .failure_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_failure_delay_ms);
        std::time::Duration::from_millis(delay)
    }
}

fn is_plain_http_on_loopback(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_except_plain_http_on_loopback() {
        let config = ConsoleConfig::default();
        assert!(!config.cookies_secure("http://127.0.0.1:8080"));
        assert!(!config.cookies_secure("http://localhost:8080/x"));
        assert!(!config.cookies_secure("http://[::1]:8080"));
        assert!(config.cookies_secure("http://10.0.0.5:8080"));
        assert!(config.cookies_secure("https://pay.example.edu"));
        let forced = ConsoleConfig {
            secure_cookies: Some(true),
            ..ConsoleConfig::default()
        };
        assert!(forced.cookies_secure("http://127.0.0.1:8080"));
    }

    #[test]
    fn the_delay_doubles_up_to_its_cap() {
        let config = ConsoleConfig::default();
        assert_eq!(config.failure_delay(1).as_millis(), 500);
        assert_eq!(config.failure_delay(3).as_millis(), 2_000);
        assert_eq!(config.failure_delay(40).as_millis(), 8_000);
    }
}
