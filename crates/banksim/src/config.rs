//! The simulator's settings: [`SimConfig`] in code, [`SimFileConfig`] as TOML on disk.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

/// The platform's retry schedule for server notifications (assumed): immediately, then after
/// 1 min, 5 min, 15 min and 1 h. Each entry is the wait before that attempt, counted from the
/// previous attempt.
pub const DEFAULT_NOTIFY_SCHEDULE_MS: [u64; 5] = [0, 60_000, 300_000, 900_000, 3_600_000];
pub const DEFAULT_CUTOVER_HOUR: u8 = 23;
pub const DEFAULT_MERCHANT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_MAX_ORDERS: usize = 1_000_000;
/// The bank's fee on each payment, in basis points: none unless configured.
pub const DEFAULT_FEE_BPS: u32 = 0;
/// How long an accepted batch refund waits before its lines are processed (until then they are
/// `X`): long enough that a merchant must poll, short enough for tests.
pub const DEFAULT_BATCH_REFUND_DELAY_MS: u64 = 200;
/// A day: a batch the bank sits on longer is as good as lost.
pub const MAX_BATCH_REFUND_DELAY_MS: u64 = 86_400_000;
/// 100 %: a fee above the payment itself makes no sense.
pub const MAX_FEE_BPS: u32 = 10_000;
/// Key size of a generated simulator key.
pub const GENERATED_KEY_BITS: usize = 2048;

/// File names used in `--key-dir`.
pub const KEY_FILE_NAME: &str = "banksim-key.pem";
pub const CERTIFICATE_DER_NAME: &str = "banksim.cer";
pub const CERTIFICATE_PEM_NAME: &str = "banksim.pem";

pub struct SimConfig {
    /// Base URL the browser and the merchant use to reach the simulator, e.g.
    /// `http://127.0.0.1:8443`; PaymentURLs are built on it.
    pub public_url: String,
    /// The platform's signing key.
    pub key: PrivateKey,
    /// The platform's certificate (what merchants configure as `TrustPay.cer`).
    pub certificate: Certificate,
    /// Algorithm of the answers and notifications the simulator signs.
    pub algorithm: SignatureAlgorithm,
    /// MerchantID → the certificate that verifies that merchant's requests.
    pub merchants: Vec<(String, Certificate)>,
    /// Waits before each server-notification attempt, each counted from the previous attempt.
    pub notify_schedule_ms: Vec<u64>,
    /// Hour (0–23, UTC+8) from which payments belong to the next accounting date.
    pub cutover_hour: u8,
    /// How long one notification to the merchant may take.
    pub merchant_timeout_ms: u64,
    /// Orders kept in memory; the oldest final ones go first beyond it.
    pub max_orders: usize,
    /// The fee (商户回佣手续费) the bank takes from each payment, in basis points of its amount,
    /// rounded half-up to the fen; statements show it and net it out of 商户动账金额.
    pub fee_bps: u32,
    /// How long an accepted BatchRefund waits before its lines are processed.
    pub batch_refund_delay_ms: u64,
    /// Where the simulator keeps its merchant registrations and its book across restarts
    /// (see [`crate::persist`]); `None`: in memory only.
    pub state_file: Option<PathBuf>,
}

impl SimConfig {
    /// A configuration with the documented defaults and no merchants.
    pub fn new(
        public_url: impl Into<String>,
        key: PrivateKey,
        certificate: Certificate,
    ) -> SimConfig {
        SimConfig {
            public_url: public_url.into(),
            key,
            certificate,
            algorithm: SignatureAlgorithm::Sha1WithRsa,
            merchants: Vec::new(),
            notify_schedule_ms: DEFAULT_NOTIFY_SCHEDULE_MS.to_vec(),
            cutover_hour: DEFAULT_CUTOVER_HOUR,
            merchant_timeout_ms: DEFAULT_MERCHANT_TIMEOUT_MS,
            max_orders: DEFAULT_MAX_ORDERS,
            fee_bps: DEFAULT_FEE_BPS,
            batch_refund_delay_ms: DEFAULT_BATCH_REFUND_DELAY_MS,
            state_file: None,
        }
    }

    /// A fresh key and a self-signed certificate (`CN=MainServer.banksim`), as the demo uses.
    pub fn generate(public_url: impl Into<String>, bits: usize) -> anyhow::Result<SimConfig> {
        let (key, certificate) = generate_identity(bits)?;
        Ok(SimConfig::new(public_url, key, certificate))
    }
}

fn generate_identity(bits: usize) -> anyhow::Result<(PrivateKey, Certificate)> {
    let key = PrivateKey::generate(bits).context("generating the simulator key")?;
    let certificate = key
        .self_signed_certificate("MainServer.banksim", 3650)
        .context("making the simulator certificate")?;
    Ok((key, certificate))
}

/// One `[[merchants]]` entry of the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantFileEntry {
    pub merchant_id: String,
    /// DER or PEM.
    pub certificate_file: PathBuf,
}

/// The TOML form of the configuration. Relative paths are relative to the file's directory.
///
/// ```toml
/// listen = "127.0.0.1:8443"
/// public_url = "http://127.0.0.1:8443"   # optional: defaults to http://<listen address>
/// key_file = "banksim-key.pem"           # optional with certificate_file: generated if absent
/// certificate_file = "banksim.cer"
/// algorithm = "SHA1withRSA"
/// notify_schedule_ms = [0, 60000, 300000, 900000, 3600000]
/// cutover_hour = 23
/// merchant_timeout_ms = 10000
/// max_orders = 1000000
/// fee_bps = 0                            # the bank's fee per payment, 60 = 0.6 %
/// batch_refund_delay_ms = 200            # a BatchRefund's lines stay X this long
/// state_file = "banksim-state.json"      # optional: registrations and book survive restarts
/// [[merchants]]
/// merchant_id = "103881234560010"
/// certificate_file = "merchant.cer"
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimFileConfig {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub key_file: Option<PathBuf>,
    pub certificate_file: Option<PathBuf>,
    pub algorithm: Option<String>,
    #[serde(default)]
    pub merchants: Vec<MerchantFileEntry>,
    pub notify_schedule_ms: Option<Vec<u64>>,
    pub cutover_hour: Option<u8>,
    pub merchant_timeout_ms: Option<u64>,
    pub max_orders: Option<usize>,
    pub fee_bps: Option<u32>,
    pub batch_refund_delay_ms: Option<u64>,
    pub state_file: Option<PathBuf>,
    /// Directory relative paths are resolved against (the file's own directory).
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

impl SimFileConfig {
    pub fn from_toml_str(text: &str) -> anyhow::Result<SimFileConfig> {
        toml::from_str(text).context("reading the simulator configuration")
    }

    pub fn load(path: &Path) -> anyhow::Result<SimFileConfig> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut config = SimFileConfig::from_toml_str(&text)
            .with_context(|| format!("in {}", path.display()))?;
        config.base_dir = path.parent().map(Path::to_path_buf);
        Ok(config)
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        match &self.base_dir {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// Builds the runtime configuration. `default_public_url` is used when the file names none
    /// (the CLI passes `http://<bound address>`). The key and certificate come from the file's
    /// paths; else from `key_dir` when it holds them; else they are generated, and written to
    /// `key_dir` when given, so that the next run keeps the same identity.
    pub fn into_sim_config(
        self,
        default_public_url: &str,
        key_dir: Option<&Path>,
    ) -> anyhow::Result<SimConfig> {
        let (key, certificate) = self.identity(key_dir)?;
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| default_public_url.to_string());
        let mut config = SimConfig::new(public_url.trim_end_matches('/'), key, certificate);
        if let Some(name) = &self.algorithm {
            config.algorithm = SignatureAlgorithm::parse(name)
                .with_context(|| format!("unknown signature algorithm {name:?}"))?;
        }
        for entry in &self.merchants {
            if !crate::ids::is_merchant_id(&entry.merchant_id) {
                bail!("invalid merchant_id {:?}", entry.merchant_id);
            }
            let path = self.resolve(&entry.certificate_file);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let certificate = Certificate::from_der_or_pem(&bytes)
                .with_context(|| format!("certificate {}", path.display()))?;
            config
                .merchants
                .push((entry.merchant_id.clone(), certificate));
        }
        if let Some(schedule) = &self.notify_schedule_ms {
            if schedule.is_empty() || schedule.len() > 100 {
                bail!("notify_schedule_ms needs 1 to 100 entries");
            }
            config.notify_schedule_ms = schedule.clone();
        }
        if let Some(hour) = self.cutover_hour {
            if hour > 23 {
                bail!("cutover_hour must be 0 to 23");
            }
            config.cutover_hour = hour;
        }
        if let Some(ms) = self.merchant_timeout_ms {
            config.merchant_timeout_ms = ms.max(1);
        }
        if let Some(max) = self.max_orders {
            config.max_orders = max.max(1);
        }
        if let Some(bps) = self.fee_bps {
            if bps > MAX_FEE_BPS {
                bail!("fee_bps must be 0 to {MAX_FEE_BPS}");
            }
            config.fee_bps = bps;
        }
        if let Some(ms) = self.batch_refund_delay_ms {
            if ms > MAX_BATCH_REFUND_DELAY_MS {
                bail!("batch_refund_delay_ms must be at most {MAX_BATCH_REFUND_DELAY_MS}");
            }
            config.batch_refund_delay_ms = ms;
        }
        config.state_file = self.state_file.as_deref().map(|path| self.resolve(path));
        Ok(config)
    }

    fn identity(&self, key_dir: Option<&Path>) -> anyhow::Result<(PrivateKey, Certificate)> {
        match (&self.key_file, &self.certificate_file) {
            (Some(key_file), Some(certificate_file)) => {
                return load_identity(&self.resolve(key_file), &self.resolve(certificate_file));
            }
            (None, None) => {}
            _ => bail!("key_file and certificate_file go together"),
        }
        let Some(dir) = key_dir else {
            return generate_identity(GENERATED_KEY_BITS);
        };
        let key_path = dir.join(KEY_FILE_NAME);
        let certificate_path = dir.join(CERTIFICATE_DER_NAME);
        if key_path.exists() && certificate_path.exists() {
            return load_identity(&key_path, &certificate_path);
        }
        let (key, certificate) = generate_identity(GENERATED_KEY_BITS)?;
        create_owner_only_dir(dir)?;
        let pem = key.to_pkcs8_pem().context("encoding the simulator key")?;
        write_file(&key_path, pem.as_bytes())?;
        write_file(&certificate_path, certificate.to_der())?;
        write_file(
            &dir.join(CERTIFICATE_PEM_NAME),
            certificate.to_pem().as_bytes(),
        )?;
        Ok((key, certificate))
    }
}

fn load_identity(
    key_path: &Path,
    certificate_path: &Path,
) -> anyhow::Result<(PrivateKey, Certificate)> {
    let pem = std::fs::read_to_string(key_path)
        .with_context(|| format!("reading {}", key_path.display()))?;
    let key = PrivateKey::from_pem(&pem).with_context(|| format!("key {}", key_path.display()))?;
    let bytes = std::fs::read(certificate_path)
        .with_context(|| format!("reading {}", certificate_path.display()))?;
    let certificate = Certificate::from_der_or_pem(&bytes)
        .with_context(|| format!("certificate {}", certificate_path.display()))?;
    Ok((key, certificate))
}

/// Creates the key folder (and missing parents) as 0700: it holds the simulator's private key.
pub fn create_owner_only_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Writes a file of the key folder as 0600 from its creation.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_the_documented_file() {
        let config = SimFileConfig::from_toml_str(
            r#"
            listen = "127.0.0.1:8443"
            notify_schedule_ms = [0, 10]
            cutover_hour = 22
            fee_bps = 60
            batch_refund_delay_ms = 50
            state_file = "state.json"
            [[merchants]]
            merchant_id = "103881234560010"
            certificate_file = "merchant.cer"
            "#,
        )
        .unwrap();
        assert_eq!(config.listen.as_deref(), Some("127.0.0.1:8443"));
        assert_eq!(config.merchants.len(), 1);
        assert_eq!(config.cutover_hour, Some(22));
        assert_eq!(config.fee_bps, Some(60));
        assert_eq!(config.batch_refund_delay_ms, Some(50));
        assert_eq!(config.state_file, Some(PathBuf::from("state.json")));
        assert!(SimFileConfig::from_toml_str("lisen = 1").is_err());
    }

    /// Proves a generated identity lands in a key folder only its owner can open, in files
    /// only its owner can read.
    #[cfg(unix)]
    #[test]
    fn a_generated_key_is_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let top = std::env::temp_dir().join(format!("banksim-keys-{}", std::process::id()));
        let dir = top.join("keys");
        SimFileConfig::default()
            .into_sim_config("http://127.0.0.1:1", Some(&dir))
            .unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&top), 0o700);
        assert_eq!(mode(&dir), 0o700);
        for name in [KEY_FILE_NAME, CERTIFICATE_DER_NAME, CERTIFICATE_PEM_NAME] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
        let _ = std::fs::remove_dir_all(top);
    }
}
