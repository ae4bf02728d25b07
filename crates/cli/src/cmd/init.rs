//! `unipay init`: a commented example configuration and a merchant key pair to start from.

use super::admin::KeyPaths;
use super::owner_only::{create_private_dir, write_private};
use anyhow::bail;
use clap::Args;
use std::path::PathBuf;
use unipay_channel_abc::crypto::PrivateKey;
use unipay_core::secrets::Kek;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to write unipay.toml and keys/ into.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Overwrite an existing unipay.toml.
    #[arg(long)]
    force: bool,
}

pub const EXAMPLE_CONFIG: &str = r#"# unipay configuration. Every setting has a default, and an environment variable overrides
# it: UNIPAY_<SECTION>_<KEY> in upper case (UNIPAY_NOTIFIER_LEASE_MS for [notifier] lease_ms),
# UNIPAY_<KEY> for the keys before the first section (UNIPAY_LISTEN). Numbers, true/false and
# lists are written as here (UNIPAY_NOTIFIER_SCHEDULE_MS="[0, 15000]").

# Where the HTTP server listens, and the URL browsers and the bank reach it at.
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"

# SQLite (embedded, the default) or PostgreSQL (production; several nodes may share it):
#   database_url = "postgres://unipay@127.0.0.1:5432/unipay"
# Keep a password out of this file with UNIPAY_DATABASE_URL_FILE=/run/secrets/database_url.
database_url = "sqlite://data/unipay.db"
database_max_connections = 16

# "text" for people, "json" for log collectors.
log_format = "text"

[http]
# A client must send a request's headers within this, its body within the next, and be
# answered within the last (408), or be cut off.
header_read_timeout_ms = 10000
body_timeout_ms = 30000
request_timeout_ms = 60000
# Connections open at once (more wait in the listen backlog) and requests handled at once.
max_connections = 4096
max_concurrent_requests = 512
# GET /metrics and the reasons /readyz gives need `Authorization: Bearer <this>`; empty, and
# /metrics is not served. Better from UNIPAY_HTTP_METRICS_TOKEN than written here.
metrics_token = ""

[api]
# A request's timestamp may be this far from the server's clock; nonces are kept as long.
signature_window_s = 300
max_body_bytes = 65536
default_expires_in_s = 1800
max_expires_in_s = 604800
# How long an Idempotency-Key replays its first answer.
idempotency_key_ttl_s = 86400
# Calls of GET /v1/channel-transactions an app may make a minute (0: no limit): each has the
# bank send a file.
channel_transactions_per_minute = 6

[janitor]
# Delays between bank queries of a payment without a result; the last one repeats.
query_schedule_ms = [60000, 120000, 300000, 600000, 1800000, 3600000]
poll_interval_ms = 1000
lease_ms = 60000
batch_size = 64
concurrency = 16

[notifier]
# Delays before each delivery attempt of a business notification; then it is dead-lettered.
schedule_ms = [0, 15000, 30000, 180000, 600000, 1800000, 3600000, 10800000, 21600000, 43200000, 86400000]
poll_interval_ms = 1000
lease_ms = 60000
batch_size = 128
concurrency = 64
timeout_ms = 10000

[notify]
# Whether merchants' notify_url and return_url may lead to loopback, private, link-local,
# shared (100.64/10) or cloud metadata addresses. Leave off unless unipay and the business
# systems share one machine or a private network.
allow_private_addresses = false
[console]
# Failed sign-ins in a row that lock an account, and for how long (each attempt is counted
# before its password is checked, so concurrent attempts cannot run past the limit).
max_failed_signins = 5
lockout_s = 900
# Sign-in attempts per minute from one address and from all together (0: no limit), and the
# password checks that may wait or run at once; past any of these the answer is 429.
signins_per_source_per_minute = 20
signins_per_minute = 300
password_check_queue = 8
# Who approves a settlement batch may not also mark it paid.
separate_settlement_duties = true

[kcode]
# Cards (bills) one payment may try, refused ones included; the last refusal fails it.
max_bills = 3
# Bills the cashier sends per minute for one address, over all payments (0: no limit).
cashier_bills_per_source_per_minute = 10

[inbound]
# Bank messages one address may post per minute (0: no limit); more are answered 429.
callbacks_per_source_per_minute = 6000
# Refused unauthenticated input written down per address per minute (the rest is counted in
# /metrics), and how long a refused bank message is kept.
refused_samples_per_minute = 10
refused_retention_s = 15552000

# Merchants, apps and channel accounts live in the database: see `unipay admin --help` and,
# step by step against the bank simulator, docs/CONNECT.md. Give every admin command
# --config unipay.toml (the database, and the key that seals the account's private key):
#   unipay admin add-channel-account --config unipay.toml --merchant <id> \
#     --bank-merchant-id <MerchantID> --key-pem keys/merchant-key.pem \
#     --bank-certificate TrustPay.cer \
#     --trx-url https://pay.abchina.com/ebus/trustpay/ReceiveMerchantTrxReqServlet
# The bank simulator (`unipay banksim --key-dir data/banksim`) listens on 127.0.0.1:7701: its
# certificate, the TrustPay.cer above, is GET http://127.0.0.1:7701/sim/certificate, its
# --trx-url is http://127.0.0.1:7701/ebus/trustpay/ReceiveMerchantTrxReqServlet, and it learns
# keys/merchant.pem through POST http://127.0.0.1:7701/sim/merchants. A business system on this
# machine needs [notify] allow_private_addresses (above) for its notify_url.
"#;

pub fn run(args: InitArgs) -> anyhow::Result<()> {
    let config_path = args.dir.join("unipay.toml");
    if config_path.exists() && !args.force {
        bail!(
            "{} exists (use --force to overwrite)",
            config_path.display()
        );
    }
    create_private_dir(&args.dir)?;
    let key_dir = args.dir.join("keys");
    create_private_dir(&key_dir)?;
    // The key-encryption key that seals the secrets the database keeps: a file beside the
    // configuration, never in it, so that the file and the database can be copied apart.
    let kek_path = key_dir.join(KEK_FILE_NAME);
    if !kek_path.exists() {
        write_private(&kek_path, Kek::generate_hex().as_bytes())?;
    }
    // The key that hashes personal data: made once here, kept for as long as the data is.
    let config = format!(
        "{EXAMPLE_CONFIG}\n[privacy]\n# Hashes personal data (card, ID and mobile numbers, names) so a repeat is\n\
         # recognised without keeping the value. Never change it once data is kept; better,\n\
         # move it to a file and name it with hmac_key_file.\nhmac_key = \"{}\"\n\n\
         [secrets]\n# The key-encryption key (KEK) that seals app secrets and channel private keys in\n\
         # the database; serve refuses to start without it. Keep it out of database backups.\n\
         # To rotate: list the old file under previous_kek_files, name the new one here, run\n\
         # `unipay admin rotate-kek`, then drop the old file (docs/SECURITY.md).\n\
         kek_file = {}\nprevious_kek_files = []\n",
        unipay_core::pii::PiiKey::generate_hex(),
        toml::Value::String(kek_path.display().to_string())
    );
    write_private(&config_path, config.as_bytes())?;
    let paths = KeyPaths::new(&key_dir, "merchant");
    let key = PrivateKey::generate(2048)?;
    let certificate = key.self_signed_certificate("unipay merchant", 3650)?;
    write_private(&paths.key_pem, key.to_pkcs8_pem()?.as_bytes())?;
    write_private(&paths.certificate_der, certificate.to_der())?;
    write_private(&paths.certificate_pem, certificate.to_pem().as_bytes())?;
    println!("wrote {}", config_path.display());
    println!(
        "wrote {}, {} and {}",
        kek_path.display(),
        paths.key_pem.display(),
        paths.certificate_der.display()
    );
    println!("next: connect a business system (docs/CONNECT.md)");
    Ok(())
}

/// The KEK's file name under `keys/`.
const KEK_FILE_NAME: &str = "secrets.kek";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_is_what_the_server_reads() {
        let mut config: unipay_server::ServerConfig = toml::from_str(EXAMPLE_CONFIG).unwrap();
        config.validate().unwrap();
        let defaults = unipay_server::ServerConfig::default();
        assert_eq!(config.notifier.schedule_ms, defaults.notifier.schedule_ms);
        assert_eq!(
            config.janitor.query_schedule_ms,
            defaults.janitor.query_schedule_ms
        );
    }

    #[test]
    fn the_example_config_points_at_the_simulator_as_it_starts() {
        let config: unipay_server::ServerConfig = toml::from_str(EXAMPLE_CONFIG).unwrap();
        let listen = super::super::banksim::DEFAULT_LISTEN;
        for needed in [
            format!("{listen}/sim/certificate"),
            format!("{listen}{}", unipay_banksim::TRANSACTION_PATH),
            format!("{listen}/sim/merchants"),
        ] {
            assert!(EXAMPLE_CONFIG.contains(&needed), "{needed}");
        }
        // Browsers and the bank reach the server where it listens.
        assert_eq!(config.public_url, format!("http://{}", config.listen));
    }

    /// A value of the same type as `value` and different from it.
    fn another(value: &toml::Value) -> toml::Value {
        match value {
            toml::Value::Integer(n) => toml::Value::Integer(n + 1),
            toml::Value::Boolean(b) => toml::Value::Boolean(!b),
            toml::Value::String(s) => toml::Value::String(format!("{s}x")),
            toml::Value::Array(items) => toml::Value::Array(items.iter().map(another).collect()),
            other => panic!("the example has no setting like {other}"),
        }
    }

    #[test]
    fn every_key_of_the_example_config_has_its_variable() {
        let example: toml::Table = toml::from_str(EXAMPLE_CONFIG).unwrap();
        let settings = unipay_server::ServerConfig::settings().unwrap();
        let mut keys = Vec::new();
        for (name, value) in &example {
            match value.as_table() {
                Some(section) => keys.extend(
                    section
                        .iter()
                        .map(|(key, value)| (format!("{name}.{key}"), value)),
                ),
                None => keys.push((name.clone(), value)),
            }
        }
        assert!(keys.len() > 20, "{keys:?}");
        for (path, value) in keys {
            let setting = settings
                .iter()
                .find(|s| s.path() == path)
                .unwrap_or_else(|| panic!("{path} has no variable"));
            let wanted = another(value);
            let raw = match &wanted {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mut config: unipay_server::ServerConfig = toml::from_str(EXAMPLE_CONFIG).unwrap();
            config
                .apply_env(|name| (name == setting.variable).then(|| raw.clone()))
                .unwrap();
            let tree = serde_json::to_value(&config).unwrap();
            let got = match path.split_once('.') {
                Some((section, key)) => &tree[section][key],
                None => &tree[path.as_str()],
            };
            assert_eq!(
                got,
                &serde_json::to_value(&wanted).unwrap(),
                "{}",
                setting.variable
            );
        }
    }

    #[test]
    fn a_variable_of_the_wrong_type_is_a_clear_error() {
        let mut config: unipay_server::ServerConfig = toml::from_str(EXAMPLE_CONFIG).unwrap();
        let error = config
            .apply_env(|name| (name == "UNIPAY_JANITOR_LEASE_MS").then(|| "a minute".to_string()))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "environment variable UNIPAY_JANITOR_LEASE_MS: not a valid janitor.lease_ms"
            ),
            "{error}"
        );
    }
}
