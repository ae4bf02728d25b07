//! The world of an end-to-end test: a fresh database, the bank simulator and unipay as real
//! processes on ephemeral ports, and a business system played by the client crate.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use unipay_client::receiver::Receiver;
use unipay_client::{Client, CreatePayment, Payment};
use unipay_store::Store;
use unipay_store::testing::{TestBackend, TestDatabase};

pub const BANK_MERCHANT_ID: &str = "103881234560010";

/// Fast schedules so that retries and queries happen within a test's patience.
const TEST_CONFIG: &str = r#"
[janitor]
query_schedule_ms = [400, 400, 400, 800]
poll_interval_ms = 100
lease_ms = 3000
resend_grace_ms = 1500
[notifier]
schedule_ms = [0, 300, 300, 300]
poll_interval_ms = 100
lease_ms = 3000
timeout_ms = 2000
[books]
fetch_after_hour = 0
poll_interval_ms = 1000
[notify]
# The business system (the receiver) listens on 127.0.0.1.
allow_private_addresses = true
[http]
metrics_token = "e2e-metrics-token"
"#;

/// The `[privacy] hmac_key` the tests' config ends with, for tests that recompute a keyed
/// fingerprint.
pub const PRIVACY_KEY_HEX: &str =
    "5f0c3e9a1b7d2468ace0f13579bdf02468ace13579bdf02468ace13579bdf024";

/// The bank's server-notification retry schedule in the tests (`--notify-schedule-ms`).
const BANK_NOTIFY_SCHEDULE_MS: &str = "0,300,300,300,300";

/// The hour (UTC+8) twelve hours from now: the accounting day's cut-over is then at least 11 h
/// away whenever a scenario starts, where the bank's 23:00 would split the dates of a scenario
/// run at 22:59 (and make reconciliation and settlement see half of it).
pub fn cutover_hour_far_from_now() -> u8 {
    let beijing = chrono::Utc::now() + chrono::Duration::hours(8);
    let hour = chrono::Timelike::hour(&beijing);
    u8::try_from((hour + 12) % 24).expect("an hour fits in u8")
}

pub struct World {
    pub db: Option<TestDatabase>,
    pub dir: PathBuf,
    pub bank_url: String,
    pub server_url: String,
    pub server_listen: String,
    pub client: Client,
    pub receiver: Receiver,
    pub secret: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub http: reqwest::Client,
    /// Event ids a scenario expects the business system to acknowledge more than once: the
    /// node that delivered them died between the acknowledgment and recording it, so they
    /// are delivered again (at least once). Any other repeat fails the scenario.
    pub may_redeliver: Vec<String>,
    /// Variables `start_server` gives `unipay serve` on top of the usual ones.
    pub server_env: Vec<(String, String)>,
    bank: Child,
    server: Option<Child>,
}

/// Every command runs with the test KEK (`UNIPAY_SECRETS_KEK_FILE`), the one the test
/// process's own stores use ([`unipay_store::testing::test_keyring`]).
pub fn unipay() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_unipay"));
    command
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .env("RUST_LOG", "warn")
        .env("UNIPAY_SECRETS_KEK_FILE", test_kek_file());
    command
}

/// A file holding [`unipay_store::testing::TEST_KEK_HEX`], owner-only, made once per test
/// process.
pub fn test_kek_file() -> &'static Path {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("unipay-test-kek-{}", std::process::id()));
        write_owner_only(&path, unipay_store::testing::TEST_KEK_HEX.as_bytes());
        path
    })
}

/// Writes a file as 0600 from its creation.
pub fn write_owner_only(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .expect("writes the file");
}

/// Runs an admin command and returns its JSON output.
pub async fn admin(args: &[&str]) -> Value {
    let output = unipay()
        .arg("admin")
        .args(args)
        .output()
        .await
        .expect("admin command runs");
    assert!(
        output.status.success(),
        "unipay admin {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("admin --json prints JSON")
}

/// Starts a long-running subcommand and waits for its "listening on http://ADDR" line.
pub async fn spawn_listening(mut command: Command) -> (Child, String) {
    let mut child = command.stdout(Stdio::piped()).spawn().expect("spawns");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("starts within 30 s")
        .expect("reads stdout")
        .expect("prints a line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the line names the URL")
        .to_string();
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

impl World {
    /// `None` when the backend is unavailable outside CI.
    pub async fn start(backend: TestBackend) -> Option<World> {
        let db = TestDatabase::create(backend)
            .await
            .expect("test database")?;
        let dir =
            std::env::temp_dir().join(format!("unipay-e2e-{}", unipay_core::ids::random_token(12)));
        std::fs::create_dir_all(dir.join("bank")).expect("temp dir");
        let dir_s = dir.display().to_string();
        let url = db.url.clone();

        // Keys: the merchant's and the simulated bank's, 1024-bit like ABC's own, for speed.
        admin(&[
            "gen-keys",
            "--out-dir",
            &dir_s,
            "--name",
            "merchant",
            "--bits",
            "1024",
            "--json",
        ])
        .await;
        admin(&[
            "gen-keys",
            "--out-dir",
            &format!("{dir_s}/bank"),
            "--name",
            "banksim",
            "--bits",
            "1024",
            "--json",
        ])
        .await;

        let mut bank_cmd = unipay();
        bank_cmd.args([
            "banksim",
            "--listen",
            "127.0.0.1:0",
            "--key-dir",
            &format!("{dir_s}/bank"),
        ]);
        bank_cmd.args(["--notify-schedule-ms", BANK_NOTIFY_SCHEDULE_MS]);
        // The bank and the channel account cut over to the next accounting day at an hour far
        // from now, so that no scenario has its payments split over two accounting dates.
        let cutover_hour = cutover_hour_far_from_now().to_string();
        std::fs::write(
            dir.join("bank/banksim.toml"),
            format!("cutover_hour = {cutover_hour}\n"),
        )
        .expect("bank config");
        bank_cmd.arg("--config").arg(dir.join("bank/banksim.toml"));
        // Its log is kept, like the server's, for the scenarios that read it.
        bank_cmd
            .env("RUST_LOG", "debug,hyper=warn,reqwest=warn")
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("bank.log")).expect("bank log file"),
            ));
        let (bank, bank_url) = spawn_listening(bank_cmd).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        let merchant_pem =
            std::fs::read_to_string(dir.join("merchant.pem")).expect("merchant certificate");
        let registered = http
            .post(format!("{bank_url}/sim/merchants"))
            .json(&json!({"merchant_id": BANK_MERCHANT_ID, "certificate_pem": merchant_pem}))
            .send()
            .await
            .expect("registers the merchant");
        assert!(registered.status().is_success());

        let merchant = admin(&[
            "create-merchant",
            "--database-url",
            &url,
            "--name",
            "Tuition office",
            "--json",
        ])
        .await;
        let merchant_id = merchant["merchant_id"]
            .as_str()
            .expect("merchant id")
            .to_string();
        let account = admin(&[
            "add-channel-account",
            "--database-url",
            &url,
            "--merchant",
            &merchant_id,
            "--bank-merchant-id",
            BANK_MERCHANT_ID,
            "--key-pfx",
            &format!("{dir_s}/merchant.pfx"),
            "--key-password-file",
            &format!("{dir_s}/merchant.pfx.password"),
            "--bank-certificate",
            &format!("{dir_s}/bank/banksim.cer"),
            "--trx-url",
            &format!("{bank_url}/ebus/trustpay/ReceiveMerchantTrxReqServlet"),
            "--cutover-hour",
            &cutover_hour,
            "--json",
        ])
        .await;
        let channel_account_id = account["channel_account_id"]
            .as_str()
            .expect("account id")
            .to_string();
        let app = admin(&[
            "create-app",
            "--database-url",
            &url,
            "--merchant",
            &merchant_id,
            "--name",
            "tuition",
            "--json",
        ])
        .await;
        let app_id = app["app_id"].as_str().expect("app id").to_string();
        let secret = app["secret"].as_str().expect("secret").to_string();
        // The receiver checks signatures with the app's secret.
        let receiver = Receiver::start(&secret).await.expect("receiver");
        admin_update_notify_url(&url, &app_id, &receiver.url()).await;

        let config = format!("{TEST_CONFIG}[privacy]\nhmac_key = \"{PRIVACY_KEY_HEX}\"\n");
        std::fs::write(dir.join("unipay.toml"), config).expect("config");
        let mut world = World {
            db: Some(db),
            dir,
            bank_url,
            server_url: String::new(),
            server_listen: "127.0.0.1:0".into(),
            client: Client::new("http://127.0.0.1:1", &app_id, &secret).expect("client"),
            receiver,
            secret,
            app_id,
            merchant_id,
            channel_account_id,
            http,
            may_redeliver: Vec::new(),
            server_env: Vec::new(),
            bank,
            server: None,
        };
        world.start_server().await;
        Some(world)
    }

    pub async fn start_server(&mut self) {
        let mut command = unipay();
        command.args([
            "serve",
            "--listen",
            &self.server_listen,
            "--database-url",
            &self.db_url(),
        ]);
        command.arg("--config").arg(self.dir.join("unipay.toml"));
        command.envs(self.server_env.iter().map(|(name, value)| (name, value)));
        // Every log line, as JSON, kept for the scenarios that read them.
        command
            .args(["--log-format", "json"])
            .env("RUST_LOG", "debug,sqlx=warn,hyper=warn,reqwest=warn");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        command.stderr(Stdio::from(log));
        let (server, url) = spawn_listening(command).await;
        self.server_listen = url.trim_start_matches("http://").to_string();
        self.server_url = url;
        self.client = Client::new(&self.server_url, &self.app_id, &self.secret).expect("client");
        self.server = Some(server);
    }

    /// Kills the server process at once, as a crash would.
    pub async fn kill_server(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill().await.expect("kills the server");
        }
    }

    /// Waits for the server process to end by itself (a crash point killing it), and reaps it.
    pub async fn wait_for_server_exit(&mut self, within: Duration) -> ExitStatus {
        let mut server = self.server.take().expect("a server is running");
        match tokio::time::timeout(within, server.wait()).await {
            Ok(status) => status.expect("waits for the server"),
            Err(_) => {
                // Put it back so that `finish` ends it.
                self.server = Some(server);
                panic!("the server did not exit within {within:?}");
            }
        }
    }

    /// The server's log (JSON lines), across restarts.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The bank simulator's log.
    pub fn bank_log_path(&self) -> PathBuf {
        self.dir.join("bank.log")
    }

    pub fn db_url(&self) -> String {
        self.db.as_ref().map(|d| d.url.clone()).unwrap_or_default()
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.db_url())
            .await
            .expect("store")
            .with_keyring(unipay_store::testing::test_keyring())
    }

    /// The server's `/metrics` text, read with the token the test config sets.
    pub async fn metrics_text(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.server_url))
            .bearer_auth("e2e-metrics-token")
            .send()
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text")
    }

    /// Restarts the server with `extra` sections added to its configuration (replacing any that
    /// an earlier call added).
    pub async fn restart_with_settings(&mut self, extra: &str) {
        const MARK: &str = "\n# scenario settings\n";
        self.kill_server().await;
        let path = self.dir().join("unipay.toml");
        let mut config = std::fs::read_to_string(&path).expect("reads the config");
        if let Some(at) = config.find(MARK) {
            config.truncate(at);
        }
        config.push_str(MARK);
        config.push_str(extra);
        std::fs::write(&path, config).expect("writes the config");
        self.start_server().await;
    }

    /// A console user made by `unipay admin create-user ... --password-stdin --json`; its JSON.
    pub async fn create_console_user(&self, username: &str, role: &str, password: &str) -> Value {
        let mut child = unipay()
            .args(["admin", "create-user", "--database-url", &self.db_url()])
            .args(["--username", username, "--role", role])
            .args(["--password-stdin", "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs create-user");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(format!("{password}\n").as_bytes())
            .await
            .expect("writes the password");
        drop(stdin);
        let output = child
            .wait_with_output()
            .await
            .expect("create-user finishes");
        assert!(
            output.status.success(),
            "create-user failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("create-user answers JSON")
    }

    /// The audit log's rows of `actor` doing `action` (an empty actor: anyone).
    pub async fn audit_rows(
        &self,
        actor: &str,
        action: &str,
    ) -> Vec<unipay_store::audit::AuditRecord> {
        let store = self.store().await;
        let rows = store
            .search_audit(&unipay_store::audit_search::AuditQuery {
                actor,
                action,
                limit: 1000,
                ..unipay_store::audit_search::AuditQuery::default()
            })
            .await
            .expect("searches the audit log");
        store.close().await;
        rows
    }

    /// Every text value of every table, as `(table, text)`: for proving what is not stored.
    pub async fn dump_text(&self) -> Vec<(String, String)> {
        let store = self.store().await;
        let dump = store
            .dump_text_for_test()
            .await
            .expect("dumps the database");
        store.close().await;
        dump
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub async fn create(&self, out_trade_no: &str, amount: i64) -> Payment {
        self.client
            .create_payment(&CreatePayment {
                out_trade_no: out_trade_no.into(),
                amount,
                currency: "CNY".into(),
                subject: "学费 Tuition".into(),
                return_url: Some("https://shop.example/return".into()),
                ..Default::default()
            })
            .await
            .expect("creates the payment")
    }

    /// The consumer at the cashier: chooses a payment type; unipay sends PayReq and redirects.
    pub async fn checkout(&self, payment: &Payment) -> String {
        let response = self
            .http
            .post(format!("{}/pay/{}", self.server_url, payment.id))
            .form(&[("payment_type", "A")])
            .send()
            .await
            .expect("cashier answers");
        assert_eq!(
            response.status().as_u16(),
            303,
            "cashier redirects to the bank"
        );
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a Location")
            .to_string()
    }

    /// A payment created, taken to the bank by the cashier, and paid there; `notify` picks how
    /// the bank reports it. Returns the payment as created.
    pub async fn pay(&self, out_trade_no: &str, amount: i64, notify: &str) -> Payment {
        let payment = self.create(out_trade_no, amount).await;
        self.checkout(&payment).await;
        self.bank_pays(&payment.channel_order_no, "success", notify)
            .await;
        payment
    }

    /// The consumer pays (or declines) on the bank's page; `notify` picks how the bank reports.
    pub async fn bank_pays(&self, order_no: &str, outcome: &str, notify: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/sim/orders/{order_no}/pay", self.bank_url))
            .json(&json!({"outcome": outcome, "notify": notify}))
            .send()
            .await
            .expect("sim answers");
        assert!(
            response.status().is_success(),
            "sim pay: {}",
            response.status()
        );
        response.json().await.expect("sim JSON")
    }

    pub async fn set_faults(&self, faults: Value) {
        let response = self
            .http
            .post(format!("{}/sim/faults", self.bank_url))
            .json(&faults)
            .send()
            .await
            .expect("sim answers");
        assert!(
            response.status().is_success(),
            "sim faults: {}",
            response.status()
        );
    }

    pub async fn sim_order(&self, order_no: &str) -> Value {
        self.http
            .get(format!("{}/sim/orders/{order_no}", self.bank_url))
            .send()
            .await
            .expect("sim answers")
            .json()
            .await
            .expect("sim JSON")
    }

    /// Polls the payment until `done` holds or 15 s pass.
    pub async fn wait_for_payment(&self, id: &str, done: impl Fn(&Payment) -> bool) -> Payment {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let payment = self
                .client
                .get_payment(id, false)
                .await
                .expect("gets the payment");
            if done(&payment) || tokio::time::Instant::now() > deadline {
                return payment;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the receiver holds `count` acknowledged events for the payment.
    pub async fn wait_for_events(
        &self,
        payment_id: &str,
        count: usize,
    ) -> Vec<unipay_client::receiver::ReceivedEvent> {
        let id = payment_id.to_string();
        self.receiver
            .wait_until(Duration::from_secs(15), |events| {
                events.iter().filter(|e| e.payment_id == id).count() >= count
            })
            .await;
        self.receiver.events_for(payment_id)
    }

    /// Waits until every business notification of the payment is recorded delivered: the
    /// server has heard the acknowledgment and kept it, so a kill after this redelivers none.
    pub async fn wait_for_recorded_deliveries(&self, payment_id: &str) {
        let store = self.store().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let events = store.list_events_for_payment(payment_id).await.unwrap();
            if !events.is_empty() && events.iter().all(|e| e.status == "delivered") {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{payment_id}: deliveries not recorded: {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        store.close().await;
    }

    /// Ends the processes and removes the database.
    pub async fn finish(mut self) {
        self.kill_server().await;
        let _ = self.bank.kill().await;
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(db) = self.db.take() {
            db.drop_database().await.expect("drops the database");
        }
    }
}

async fn admin_update_notify_url(database_url: &str, app_id: &str, url: &str) {
    let store = Store::connect(database_url)
        .await
        .expect("store")
        .with_keyring(unipay_store::testing::test_keyring());
    store
        .set_app_notify_url(app_id, Some(url))
        .await
        .expect("updates the app");
    store.close().await;
}

impl World {
    /// What must hold after every scenario, once the world is quiet: notifications drained
    /// (delivered or dead-lettered on purpose), every open payment watched by the janitor, no
    /// event delivered twice, no fact delivered under two event ids.
    pub async fn check_invariants(&self) {
        // Quiet first: a second delivery or a second fact arrives after the first, if ever.
        self.quiet().await;
        self.assert_each_fact_heard_once();
        let store = self.store().await;
        let backlogs = store.backlogs(0).await.expect("backlogs");
        let open: i64 = backlogs
            .payments_by_status
            .iter()
            .filter(|(status, _)| status == "created" || status == "pending")
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            open, backlogs.janitor_watching,
            "every open payment is watched by the janitor"
        );
        let mut ids: Vec<String> = self
            .receiver
            .events()
            .into_iter()
            .map(|e| e.id)
            .filter(|id| !self.may_redeliver.contains(id))
            .collect();
        let delivered = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), delivered, "no event is acknowledged twice");
        let ledger = store.check_ledger().await.expect("ledger check");
        assert!(ledger.holds(), "the ledger holds: {ledger:?}");
        store.close().await;
    }
}

/// Every table a request to unipay (API, cashier, bank callback, console form) can add rows to:
/// the migrations' tables less those only the books' scheduled worker and the command line
/// write (statements, reconciliation days and items, settlement batches and lines). The
/// worker fetches and reconciles on its own schedule, so its rows would be noise here; a
/// console decision on a reconciliation item shows as its adjustment entry and audit row.
pub const REQUEST_TABLES: &[&str] = &[
    "payments",
    "payment_events",
    "refunds",
    "refund_batches",
    "refund_batch_lines",
    "outbox",
    "notification_attempts",
    "journal_entries",
    "postings",
    "anomalies",
    "bank_messages",
    "api_nonces",
    "idempotency_keys",
    "mandates",
    "mandate_events",
    "mandate_debits",
    "debit_batches",
    "kcode_payments",
    "identity_verifications",
    "audit_log",
    "console_users",
    "console_sessions",
    "merchants",
    "apps",
    "channel_accounts",
    "fee_plans",
];

/// The row counts of [`REQUEST_TABLES`] at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCounts(BTreeMap<&'static str, i64>);

impl World {
    /// The row counts of every table a request can write, read in one statement.
    pub async fn row_counts(&self) -> RowCounts {
        let store = self.store().await;
        let counts = store
            .count_rows_for_test(REQUEST_TABLES)
            .await
            .expect("counts the rows");
        store.close().await;
        RowCounts(REQUEST_TABLES.iter().copied().zip(counts).collect())
    }

    /// Asserts that since `before` exactly `expected` new rows appeared (table, how many), and
    /// not one row anywhere else.
    pub async fn assert_stored(&self, before: &RowCounts, expected: &[(&str, i64)], what: &str) {
        let after = self.row_counts().await;
        let mut added: BTreeMap<&str, i64> = BTreeMap::new();
        for (table, count) in &after.0 {
            let grew = count - before.0.get(table).copied().unwrap_or(0);
            if grew != 0 {
                added.insert(table, grew);
            }
        }
        let expected: BTreeMap<&str, i64> =
            expected.iter().copied().filter(|(_, n)| *n != 0).collect();
        assert_eq!(added, expected, "{what}: rows added, table by table");
    }

    /// Puts the janitor's next look at row `id` of `table` (payments, refunds or mandates) an
    /// hour off, so that the records its queries leave (kept answers, timeline notes, the
    /// row's own query count) do not mix with what a scenario counts. A query already under
    /// way reschedules the row when it ends, so the postponement is repeated until it holds.
    pub async fn postpone_janitor(&self, table: &str, id: &str) {
        let store = self.store().await;
        for _ in 0..20 {
            let later = chrono::Utc::now().timestamp_millis() + 3_600_000;
            store
                .execute_for_test(&format!(
                    "UPDATE {table} SET next_query_at = {later} WHERE id = '{id}'"
                ))
                .await
                .expect("postpones the janitor");
            tokio::time::sleep(Duration::from_millis(500)).await;
            let held = store
                .execute_for_test(&format!(
                    "UPDATE {table} SET next_query_at = next_query_at \
                     WHERE id = '{id}' AND next_query_at = {later}"
                ))
                .await
                .expect("reads the postponement");
            if held == 1 {
                store.close().await;
                return;
            }
        }
        panic!("the janitor kept rescheduling {table} {id}");
    }

    /// Asserts that nothing was stored since `before`: no new row in any table, except the
    /// nonces the requests spent (a correctly signed request spends its nonce even when it is
    /// refused, so that it cannot be replayed).
    pub async fn assert_nothing_stored(&self, before: &RowCounts, nonces_spent: i64, what: &str) {
        self.assert_stored(before, &[("api_nonces", nonces_spent)], what)
            .await;
    }

    /// As [`World::assert_nothing_stored`] once the server's clock has moved past the
    /// pruner's windows: the tables it may empty meanwhile (request nonces, idempotency keys)
    /// are not counted.
    pub async fn assert_nothing_stored_but_pruned(&self, before: &RowCounts, what: &str) {
        const PRUNED: [&str; 2] = ["api_nonces", "idempotency_keys"];
        let after = self.row_counts().await;
        let changed: BTreeMap<&str, i64> = after
            .0
            .iter()
            .filter(|(table, _)| !PRUNED.contains(table))
            .map(|(table, count)| (*table, count - before.0.get(table).copied().unwrap_or(0)))
            .filter(|(_, change)| *change != 0)
            .collect();
        assert!(changed.is_empty(), "{what}: rows changed: {changed:?}");
    }
}

impl World {
    /// How long the world must stay unchanged to count as quiet: past the notifier's longest
    /// retry step and the janitor's longest query step, each with its poll, and the bank's
    /// longest notification retry step, plus a margin. Read from the configuration the server
    /// runs with, so a scenario that changes a schedule waits as long as that schedule needs.
    pub fn quiet_window(&self) -> Duration {
        let text = std::fs::read_to_string(self.dir.join("unipay.toml"))
            .expect("the server's configuration");
        let config: toml::Table = toml::from_str(&text).expect("the configuration is TOML");
        let setting = |table: &str, key: &str| config.get(table).and_then(|t| t.get(key));
        let longest = |table: &str, key: &str| -> u64 {
            setting(table, key)
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(toml::Value::as_integer)
                .max()
                .and_then(|ms| u64::try_from(ms).ok())
                .unwrap_or_else(|| panic!("[{table}] {key} is a list of milliseconds"))
        };
        let poll = |table: &str| -> u64 {
            setting(table, "poll_interval_ms")
                .and_then(toml::Value::as_integer)
                .and_then(|ms| u64::try_from(ms).ok())
                .unwrap_or_else(|| panic!("[{table}] poll_interval_ms is set"))
        };
        let bank = BANK_NOTIFY_SCHEDULE_MS
            .split(',')
            .filter_map(|ms| ms.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        Duration::from_millis(
            longest("notifier", "schedule_ms")
                + poll("notifier")
                + longest("janitor", "query_schedule_ms")
                + poll("janitor")
                + bank
                + 200,
        )
    }

    /// Waits until the world is quiet: every business notification delivered or dead-lettered,
    /// then nothing new — no acknowledged delivery, no new notification written — for a whole
    /// [`World::quiet_window`], past any retry the notifier, the janitor or the bank still had
    /// in hand. What a scenario counts after this cannot grow any more.
    pub async fn quiet(&self) {
        let window = self.quiet_window();
        let store = self.store().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let pending = async || {
            store
                .backlogs(i64::MAX)
                .await
                .expect("backlogs")
                .notifications_pending
        };
        let activity = async || {
            let written = store
                .count_rows_for_test(&["outbox"])
                .await
                .expect("counts the outbox");
            (self.receiver.events().len(), written)
        };
        loop {
            loop {
                let waiting = pending().await;
                if waiting == 0 {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the outbox drains: {waiting} notifications still pending"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let before = activity().await;
            tokio::time::sleep(window).await;
            if activity().await == before && pending().await == 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the world never went quiet for {window:?}"
            );
        }
        store.close().await;
    }

    /// Asserts that no fact reached the business system under two event ids: each (object,
    /// event type) was acknowledged under one id only, however many nodes, retries, queries
    /// and bank notifications brought it. (A repeat of one id is `check_invariants`' concern.)
    pub fn assert_each_fact_heard_once(&self) {
        let mut ids: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for event in self.receiver.events() {
            let known = ids.entry((event.payment_id, event.event_type)).or_default();
            if !known.contains(&event.id) {
                known.push(event.id);
            }
        }
        let twice: Vec<_> = ids.iter().filter(|(_, ids)| ids.len() > 1).collect();
        assert!(
            twice.is_empty(),
            "facts heard under more than one event id: {twice:?}"
        );
    }

    /// Waits for the business system to hear `types` about `id` (a payment, refund or
    /// mandate), then until the world is quiet, and asserts it heard each exactly once — one
    /// delivery, one event id — and nothing else about `id`. Returns those events.
    pub async fn assert_notified_once(
        &self,
        id: &str,
        types: &[&str],
    ) -> Vec<unipay_client::receiver::ReceivedEvent> {
        self.wait_for_events(id, types.len()).await;
        self.quiet().await;
        let events = self.receiver.events_for(id);
        let mut heard: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        heard.sort_unstable();
        let mut expected = types.to_vec();
        expected.sort_unstable();
        assert_eq!(
            heard, expected,
            "what the business system heard about {id}, once each: {events:?}"
        );
        let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), events.len(), "one event id per fact: {events:?}");
        events
    }

    /// Waits (15 s at most) until the bank holds its server notification of `order_no` as
    /// acknowledged by unipay; returns the order as the bank shows it.
    pub async fn wait_for_bank_ack(&self, order_no: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let order = self.sim_order(order_no).await;
            if order["notify_acknowledged"] == json!(true) {
                return order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bank's notification was acknowledged: {order}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Moves the server's clock `ms` ahead through the test build's `/chaos/clock` route: what
    /// a scenario would otherwise sleep through (an idle session, a resend interval) passes at
    /// once, whatever the machine's load. A restarted server starts on the true time again;
    /// the clock must stay within the signature window (300 s) of the client's.
    pub async fn advance_clock(&self, ms: u32) {
        let response = self
            .http
            .post(format!("{}/chaos/clock/advance/{ms}", self.server_url))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status().as_u16(), 200, "the clock moves");
    }
}
