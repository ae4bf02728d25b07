//! The world a benchmark runs against: either its own (a temp dir, fresh keys, the bank
//! simulator and unipay as child processes, a fresh database) or a running one (`--target`).

use anyhow::{Context, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use unipay_core::ids::{new_id, random_token};
use unipay_store::merchants::{App, ChannelAccount, Merchant};
use unipay_store::{Store, scratch};

/// The simulated bank's MerchantID for the benchmark's merchant.
const BANK_MERCHANT_ID: &str = "103881234560010";
/// The benchmark's merchant's merId at the simulated UnionPay gateway.
const UNIONPAY_MER_ID: &str = "777290058110048";
/// How long a child may take to print its "listening on" line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How many of a child's stderr lines are kept to show after the run.
const KEPT_LOG_LINES: usize = 5;

/// What the benchmark needs to drive payments, wherever they come from.
pub struct Target {
    pub server_url: String,
    pub bank_url: String,
    pub app_id: String,
    pub secret: String,
    /// The unipay process whose peak RSS is reported, when known.
    pub server_pid: Option<u32>,
    /// The scraper's token for unipay's `/metrics`, when the benchmark set it.
    pub metrics_token: Option<String>,
}

/// The world without unipay: for a benchmark that runs its own unipay processes.
pub struct Prepared {
    pub bank_url: String,
    pub database_url: String,
    pub app_id: String,
    pub secret: String,
    pub channel_account_id: String,
}

/// The parts of the world the benchmark made, so that it can take them down again.
pub struct OwnWorld {
    dir: PathBuf,
    bank: Option<Child>,
    server: Option<Child>,
    database: Option<CreatedDatabase>,
    /// SQLite files made for this run outside its folder, removed at the end.
    scratch_files: Vec<PathBuf>,
    server_log: Arc<LogTail>,
}

/// A PostgreSQL database created for this run, dropped at the end.
struct CreatedDatabase {
    admin_url: String,
    name: String,
}

/// A child's stderr: the number of lines and the first few, for a summary after the run
/// (a server that logs a warning per request would otherwise drown the figures).
#[derive(Default)]
pub struct LogTail {
    inner: Mutex<(u64, Vec<String>)>,
}

impl LogTail {
    pub fn push(&self, line: String) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.0 += 1;
            if inner.1.len() < KEPT_LOG_LINES {
                inner.1.push(line);
            }
        }
    }

    pub fn summary(&self) -> (u64, Vec<String>) {
        self.inner
            .lock()
            .map(|inner| inner.clone())
            .unwrap_or_default()
    }
}

pub struct OwnSettings<'a> {
    pub database_url: Option<&'a str>,
    pub key_bits: usize,
    /// The business system's notification endpoint, the app's default notify_url.
    pub notify_url: &'a str,
    pub secret: &'a str,
    /// The bank the app's payments go through.
    pub bank: Bank,
}

/// The bank a benchmark's payments go through: ABC TrustPay or China UnionPay, each through
/// its simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bank {
    Abc,
    Unionpay,
}

impl OwnWorld {
    /// An empty world: its temp dir only, so far.
    pub fn new() -> anyhow::Result<OwnWorld> {
        let dir = std::env::temp_dir().join(format!("unipay-bench-{}", random_token(12)));
        super::super::owner_only::create_private_dir(&dir.join("bank"))?;
        // A throwaway world: a fresh key-encryption key is as good as any.
        super::super::owner_only::write_private(
            &dir.join(KEK_FILE_NAME),
            unipay_core::secrets::Kek::generate_hex().as_bytes(),
        )?;
        Ok(OwnWorld {
            dir,
            bank: None,
            server: None,
            database: None,
            scratch_files: Vec::new(),
            server_log: Arc::default(),
        })
    }

    /// The run's own temporary folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run's key-encryption key file, for the `unipay serve` it starts.
    pub fn kek_file(&self) -> PathBuf {
        self.dir.join(KEK_FILE_NAME)
    }

    /// The keyring of [`OwnWorld::kek_file`], for the database it prepares itself.
    pub fn keyring(&self) -> anyhow::Result<Arc<unipay_core::secrets::Keyring>> {
        let secrets = unipay_server::config::SecretsConfig {
            kek_file: self.kek_file().display().to_string(),
            previous_kek_files: Vec::new(),
        };
        Ok(secrets.require_keyring()?)
    }

    pub fn server_log(&self) -> Arc<LogTail> {
        self.server_log.clone()
    }

    /// Builds the whole world. Whatever part of it is up when this fails (or is cancelled)
    /// is taken down by [`OwnWorld::finish`].
    pub async fn start(&mut self, settings: &OwnSettings<'_>) -> anyhow::Result<Target> {
        let prepared = self.prepare(settings).await?;
        let metrics_token = random_token(32);
        let mut server_command = unipay_command()?;
        server_command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(["--database-url", &prepared.database_url])
            .args(["--log-format", "json"])
            // The business system listens on 127.0.0.1, beside the server.
            .env("UNIPAY_NOTIFY_ALLOW_PRIVATE_ADDRESSES", "true")
            // A throwaway world: a fresh personal-data key is as good as any.
            .env(
                "UNIPAY_PRIVACY_HMAC_KEY",
                unipay_core::pii::PiiKey::generate_hex(),
            )
            .env("UNIPAY_SECRETS_KEK_FILE", self.kek_file())
            // The simulated bank is one source sending every payment's notification: at the
            // rates measured here, the default limit per source (6,000 a minute, for a real
            // bank's retries) would refuse them and the payments would count as lost.
            .env(
                "UNIPAY_INBOUND_CALLBACKS_PER_SOURCE_PER_MINUTE",
                "100000000",
            )
            // The benchmark reads unipay's own view of the run from its metrics.
            .env("UNIPAY_HTTP_METRICS_TOKEN", &metrics_token);
        let (server, server_url) = spawn_listening(server_command, self.server_log.clone()).await?;
        let server_pid = server.id();
        self.server = Some(server);
        Ok(Target {
            server_url,
            bank_url: prepared.bank_url,
            app_id: prepared.app_id,
            secret: prepared.secret,
            server_pid,
            metrics_token: Some(metrics_token),
        })
    }

    /// Everything but unipay itself: keys, the simulator (with the merchant registered), a
    /// migrated database holding the merchant, its channel account and its app.
    pub async fn prepare(&mut self, settings: &OwnSettings<'_>) -> anyhow::Result<Prepared> {
        let bits = settings.key_bits;
        // Key generation is CPU work; keep it off the async workers.
        let (merchant_key, merchant_certificate, bank_key, bank_certificate) =
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let merchant_key = PrivateKey::generate(bits)?;
                let merchant_certificate =
                    merchant_key.self_signed_certificate("unipay bench merchant", 3650)?;
                let bank_key = PrivateKey::generate(bits)?;
                let bank_certificate =
                    bank_key.self_signed_certificate("MainServer.banksim", 3650)?;
                Ok((
                    merchant_key,
                    merchant_certificate,
                    bank_key,
                    bank_certificate,
                ))
            })
            .await??;
        println!("keys: RSA {bits} bits (merchant and simulated bank)");
        let key = merchant_key.clone();
        let certificate = merchant_certificate.clone();
        let (sign_us, verify_us) =
            tokio::task::spawn_blocking(move || rsa_cost(&key, &certificate)).await??;
        // Every payment costs three signatures (unipay's PayReq, the bank's answer, the bank's
        // notification) and three verifications: the floor under the CPU a payment needs.
        println!(
            "rsa cost on this machine: sign_ms={:.3} verify_ms={:.3} (3 of each per payment: \
             {:.2} ms of CPU per payment)",
            sign_us / 1000.0,
            verify_us / 1000.0,
            3.0 * (sign_us + verify_us) / 1000.0
        );
        write_bank_identity(&self.dir.join("bank"), &bank_key, &bank_certificate)?;

        let database_url = self.database(settings.database_url).await?;

        let store = Store::connect(&database_url)
            .await?
            .with_keyring(self.keyring()?);
        store.migrate().await?;
        let now = chrono::Utc::now().timestamp_millis();
        let merchant = Merchant {
            id: new_id("mch", now),
            name: "Bench merchant".into(),
            created_at: now,
        };
        store.insert_merchant(&merchant).await?;
        let (bank_url, account_id) = match settings.bank {
            Bank::Abc => {
                self.abc_account(&store, &merchant.id, &merchant_key, &merchant_certificate)
                    .await?
            }
            Bank::Unionpay => {
                self.unionpay_account(&store, &merchant.id, &merchant_key, &merchant_certificate)
                    .await?
            }
        };
        let app = App {
            id: new_id("app", now),
            merchant_id: merchant.id.clone(),
            name: "bench".into(),
            secret: settings.secret.to_string(),
            notify_url: Some(settings.notify_url.to_string()),
            channel_account_id: Some(account_id.clone()),
            status: "active".into(),
            created_at: now,
        };
        store.insert_app(&app).await?;
        store.close().await;
        Ok(Prepared {
            bank_url,
            database_url,
            app_id: app.id,
            secret: app.secret,
            channel_account_id: account_id,
        })
    }

    /// The ABC simulator, the merchant registered there and an ABC channel account for it:
    /// the simulator's address and the account's id.
    async fn abc_account(
        &mut self,
        store: &Store,
        merchant_id: &str,
        merchant_key: &PrivateKey,
        merchant_certificate: &Certificate,
    ) -> anyhow::Result<(String, String)> {
        let mut bank_command = unipay_command()?;
        bank_command
            .arg("banksim")
            .args(["--listen", "127.0.0.1:0"]);
        bank_command.arg("--key-dir").arg(self.dir.join("bank"));
        let bank_log = Arc::new(LogTail::default());
        let (bank, bank_url) = spawn_listening(bank_command, bank_log).await?;
        self.bank = Some(bank);

        let http = reqwest::Client::new();
        let registered = http
            .post(format!("{bank_url}/sim/merchants"))
            .json(&json!({"merchant_id": BANK_MERCHANT_ID,
                          "certificate_pem": merchant_certificate.to_pem()}))
            .send()
            .await?;
        if !registered.status().is_success() {
            bail!(
                "the simulator refused the merchant: {}",
                registered.status()
            );
        }
        let bank_certificate_pem = http
            .get(format!("{bank_url}/sim/certificate.pem"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let now = chrono::Utc::now().timestamp_millis();
        let account = ChannelAccount {
            id: new_id("cha", now),
            merchant_id: merchant_id.to_string(),
            channel: "abc".into(),
            bank_merchant_id: BANK_MERCHANT_ID.into(),
            private_key_pem: merchant_key.to_pkcs8_pem()?,
            bank_certificate_pem,
            signature_algorithm: "SHA1withRSA".into(),
            trx_url: format!("{bank_url}/ebus/trustpay/ReceiveMerchantTrxReqServlet"),
            payment_types: "A,1,3,6".into(),
            notify_type: "server".into(),
            cutover_hour: 23,
            bank_fee_bps: 0,
            created_at: now,
        };
        // Refuse an account the server could not use now rather than in every payment.
        unipay_server::channels::build_channel(&account)?;
        store.insert_channel_account(&account).await?;
        Ok((bank_url, account.id))
    }

    /// The simulator's UnionPay gateway (its own process), the merchant registered there with
    /// its certificate and a UnionPay (ACP 5.1.0, RSA-SHA256) channel account for it.
    async fn unionpay_account(
        &mut self,
        store: &Store,
        merchant_id: &str,
        merchant_key: &PrivateKey,
        merchant_certificate: &Certificate,
    ) -> anyhow::Result<(String, String)> {
        let mut bank_command = unipay_command()?;
        bank_command
            .arg("banksim")
            .args(["--listen", "127.0.0.1:0"])
            .args(["--unionpay-listen", "127.0.0.1:0"]);
        bank_command.arg("--key-dir").arg(self.dir.join("bank"));
        // The UnionPay listener announces itself first.
        let (bank, gateway_url) = spawn_listening(bank_command, Arc::default()).await?;
        self.bank = Some(bank);
        let http = reqwest::Client::new();
        let certs: serde_json::Value = http
            .get(format!("{gateway_url}/sim/unionpay/certs"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let pem = |name: &str| -> anyhow::Result<String> {
            certs[name]
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("the gateway's certificates lack {name}"))
        };
        let registered = http
            .post(format!("{gateway_url}/sim/unionpay/merchants"))
            .json(&json!({"mer_id": UNIONPAY_MER_ID,
                          "certificate_pem": merchant_certificate.to_pem()}))
            .send()
            .await?;
        if !registered.status().is_success() {
            bail!("the gateway refused the merchant: {}", registered.status());
        }
        let password = random_token(24);
        let pfx = merchant_key.to_pkcs12(merchant_certificate, &password)?;
        let chain = format!("{}\n{}\n", pem("root_pem")?, pem("middle_pem")?);
        let added = unipay_server::flows::admin::add_channel_account(
            store,
            unipay_server::flows::admin::NewChannelAccount {
                channel: "unionpay",
                merchant_id,
                bank_merchant_id: UNIONPAY_MER_ID,
                key: unipay_server::flows::admin::KeySource::Pkcs12 {
                    der: &pfx,
                    password: &password,
                },
                bank_certificate: chain.as_bytes(),
                trx_url: &gateway_url,
                // The simulator's signing certificate carries the test environment's CN.
                algorithm: "rsa-sha256 test-cn",
                payment_types: "07",
                notify_type: "server",
                cutover_hour: 23,
                bank_fee_bps: 0,
                id: None,
            },
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
        Ok((gateway_url, added.id))
    }

    /// The database URL to use: the given one, else a fresh SQLite file in the temp dir; for a
    /// PostgreSQL server, a fresh database on it.
    pub async fn database(&mut self, given: Option<&str>) -> anyhow::Result<String> {
        let Some(url) = given else {
            let url = format!("sqlite://{}", self.dir.join("unipay.db").display());
            println!(
                "database: SQLite, fresh file {}",
                self.dir.join("unipay.db").display()
            );
            return Ok(url);
        };
        if url.starts_with("sqlite:") {
            super::super::ensure_sqlite_dir(url)?;
            println!("database: SQLite {url}");
            return Ok(url.to_string());
        }
        if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            bail!("--database-url must be sqlite://… or postgres://…");
        }
        // Lower case: PostgreSQL folds unquoted names, and the URL must name the same database.
        let name = format!("unipay_bench_{}", random_token(12).to_ascii_lowercase());
        let database_url = scratch::create_database(url, &name)
            .await
            .with_context(|| format!("creating database {name} on {}", redact(url)))?;
        self.database = Some(CreatedDatabase {
            admin_url: url.to_string(),
            name: name.clone(),
        });
        println!(
            "database: PostgreSQL, fresh database {name} on {}",
            redact(url)
        );
        Ok(database_url)
    }

    /// Always a database made for this run and removed by [`OwnWorld::finish`], whatever is
    /// given: `sqlite://PATH` names only the folder for a fresh file (the file itself is never
    /// touched), `postgres://…` the server for a fresh database. For a benchmark that writes
    /// rows no real payment made (un-ledgered successes), which must never land in a database
    /// someone uses.
    pub async fn scratch_database(&mut self, given: Option<&str>) -> anyhow::Result<String> {
        let Some(path) = given.and_then(|url| url.strip_prefix("sqlite:")) else {
            return self.database(given).await;
        };
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        let folder = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        super::super::owner_only::create_private_dir(&folder)?;
        let file = folder.join(format!("unipay-bench-{}.db", random_token(12)));
        println!(
            "database: SQLite, scratch file {} (removed afterwards)",
            file.display()
        );
        let url = format!("sqlite://{}", file.display());
        self.scratch_files.push(file);
        Ok(url)
    }

    /// Kills the children and leaves the rest as it is.
    pub async fn stop_children(&mut self) {
        for child in [self.server.take(), self.bank.take()].into_iter().flatten() {
            stop(child).await;
        }
    }

    /// Kills the children, drops the database it created and removes the temp dir.
    pub async fn finish(mut self) {
        self.stop_children().await;
        if let Some(db) = self.database.take()
            && let Err(error) = scratch::drop_database(&db.admin_url, &db.name).await
        {
            eprintln!("could not drop database {}: {error:#}", db.name);
        }
        for file in self.scratch_files.drain(..) {
            // SQLite's companions of a file in WAL mode go with it.
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = file.clone().into_os_string();
                name.push(suffix);
                let _ = std::fs::remove_file(name);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn stop(mut child: Child) {
    let _ = child.kill().await;
}

/// Microseconds per signature and per verification with this key, over a few rounds.
fn rsa_cost(key: &PrivateKey, certificate: &Certificate) -> anyhow::Result<(f64, f64)> {
    const ROUNDS: u32 = 20;
    let algorithm = SignatureAlgorithm::Sha1WithRsa;
    let data = b"<Message><TrxRequest>calibration</TrxRequest></Message>";
    let started = Instant::now();
    let mut signature = Vec::new();
    for _ in 0..ROUNDS {
        signature = key.sign(algorithm, data);
    }
    let sign = started.elapsed();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        certificate.verify(algorithm, data, &signature)?;
    }
    let verify = started.elapsed();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(ROUNDS);
    Ok((per(sign), per(verify)))
}

/// The simulator finds its identity in `--key-dir` under these names (else it would generate
/// a 2048-bit key of its own).
fn write_bank_identity(
    dir: &Path,
    key: &PrivateKey,
    certificate: &Certificate,
) -> anyhow::Result<()> {
    use super::super::owner_only::write_private;
    use unipay_banksim::config::{CERTIFICATE_DER_NAME, CERTIFICATE_PEM_NAME, KEY_FILE_NAME};
    write_private(&dir.join(KEY_FILE_NAME), key.to_pkcs8_pem()?.as_bytes())?;
    write_private(&dir.join(CERTIFICATE_DER_NAME), certificate.to_der())?;
    write_private(
        &dir.join(CERTIFICATE_PEM_NAME),
        certificate.to_pem().as_bytes(),
    )?;
    Ok(())
}

/// The KEK file's name in the run's folder.
const KEK_FILE_NAME: &str = "secrets.kek";

/// This same binary, so that the children are exactly the code being measured.
pub fn unipay_command() -> anyhow::Result<Command> {
    let mut command = Command::new(std::env::current_exe().context("finding this binary")?);
    command
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .env("RUST_LOG", "warn");
    Ok(command)
}

/// Starts a child and waits for its "listening on http://ADDR" line on stdout; its stderr goes
/// to `log`.
pub async fn spawn_listening(
    mut command: Command,
    log: Arc<LogTail>,
) -> anyhow::Result<(Child, String)> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting a child process")?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        bail!("the child's output is not piped");
    };
    let mut errors = BufReader::new(stderr).lines();
    // Keep draining both pipes so that the child never blocks on a full one.
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            log.push(line);
        }
    });
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(url) = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .filter(|_| line.contains("listening on"))
            {
                return Ok(url.to_string());
            }
        }
        bail!("the child exited before it listened")
    })
    .await
    .context("the child did not start listening in time")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, url))
}

/// The URL without its password, for printing.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme_end], &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

/// Peak resident set size (`VmHWM`) of a process, in MiB; `None` where /proc has no answer.
pub fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
