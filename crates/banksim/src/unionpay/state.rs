//! The UnionPay mode's shared state. Locks are held for a few map operations, never across an
//! `.await`; the merchant registry's before the book's when both are needed.

use super::authority::Authority;
use super::book::Book;
use super::faults::Faults;
use super::merchants::MerchantRegistry;
use crate::faults::StatementFault;
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use tokio::sync::watch;

/// UnionPay retries an unanswered back notification at 0, 1, 2 and 4 minutes.
pub const DEFAULT_NOTIFY_SCHEDULE_MS: [u64; 4] = [0, 60_000, 120_000, 240_000];
/// UnionPay waits 10 s for a merchant's HTTP 200.
pub const DEFAULT_MERCHANT_TIMEOUT_MS: u64 = 10_000;
/// UnionPay's production day runs 23:00 to 23:00 Beijing time (§6 of the protocol page).
pub const DEFAULT_CUTOVER_HOUR: u8 = 23;

pub struct UnionPayConfig {
    /// How browsers and merchants reach the gateway (the payer's form posts here).
    pub public_url: String,
    pub authority: Authority,
    /// The wait before each back-notification attempt.
    pub notify_schedule_ms: Vec<u64>,
    pub merchant_timeout_ms: u64,
    /// Hour (0–23, Beijing time) from which transactions settle on the next day.
    pub cutover_hour: u8,
    /// Where merchants and the book are kept across restarts (see [`super::persist`]).
    pub state_file: Option<std::path::PathBuf>,
    /// Merchants registered at start, as `POST /sim/unionpay/merchants` would: each merId
    /// with its RSA signing certificate (PEM).
    pub merchants: Vec<(String, String)>,
}

impl UnionPayConfig {
    pub fn new(public_url: impl Into<String>, authority: Authority) -> UnionPayConfig {
        UnionPayConfig {
            public_url: public_url.into(),
            authority,
            notify_schedule_ms: DEFAULT_NOTIFY_SCHEDULE_MS.to_vec(),
            merchant_timeout_ms: DEFAULT_MERCHANT_TIMEOUT_MS,
            cutover_hour: DEFAULT_CUTOVER_HOUR,
            state_file: None,
            merchants: Vec::new(),
        }
    }
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct UnionPayState(Arc<Inner>);

pub struct Inner {
    pub public_url: String,
    pub authority: Authority,
    pub notify_schedule: Vec<Duration>,
    pub http: reqwest::Client,
    pub state_file: Option<std::path::PathBuf>,
    pub cutover_hour: u8,
    /// Bumped whenever the book or the registry may have changed: the state file's writer
    /// skips its work while it stands still.
    changes: AtomicU64,
    merchants: RwLock<MerchantRegistry>,
    book: Mutex<Book>,
    faults: RwLock<Faults>,
    /// How the reconciliation file misreports an order, by orderId (not kept in the state
    /// file: a test's setting, not the gateway's book).
    statement_faults: RwLock<HashMap<String, StatementFault>>,
    serial: AtomicU64,
    shutdown: watch::Sender<bool>,
}

impl std::ops::Deref for UnionPayState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl UnionPayState {
    pub fn new(config: UnionPayConfig) -> anyhow::Result<UnionPayState> {
        let timeout = Duration::from_millis(config.merchant_timeout_ms.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // A notification goes to backUrl itself; a redirect is the merchant's error.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let schedule = if config.notify_schedule_ms.is_empty() {
            vec![0]
        } else {
            config.notify_schedule_ms
        };
        let state = UnionPayState(Arc::new(Inner {
            public_url: config.public_url.trim_end_matches('/').to_string(),
            cutover_hour: config.cutover_hour,
            authority: config.authority,
            notify_schedule: schedule.into_iter().map(Duration::from_millis).collect(),
            http,
            merchants: RwLock::new(MerchantRegistry::default()),
            book: Mutex::new(Book::default()),
            faults: RwLock::new(Faults::default()),
            statement_faults: RwLock::new(HashMap::new()),
            serial: AtomicU64::new(u64::from(rand::random::<u16>()) * 1000),
            shutdown: watch::channel(false).0,
            state_file: config.state_file.clone(),
            changes: AtomicU64::new(0),
        }));
        if let Some(path) = &config.state_file {
            super::persist::load(&state, path)?;
        }
        for (mer_id, certificate_pem) in &config.merchants {
            state
                .merchants_mut()
                .register(mer_id, Some(certificate_pem), None)
                .map_err(|error| anyhow::anyhow!("registering merchant {mer_id}: {error}"))?;
        }
        Ok(state)
    }
}

// A poisoned lock only means another request panicked mid-update; the data is still usable.
impl Inner {
    pub fn book(&self) -> MutexGuard<'_, Book> {
        self.changes.fetch_add(1, Ordering::Relaxed);
        self.book_unchanged()
    }

    /// The book for a reader that changes nothing (the state file's writer).
    pub(crate) fn book_unchanged(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn change_count(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    pub fn merchants(&self) -> RwLockReadGuard<'_, MerchantRegistry> {
        self.merchants.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn merchants_mut(&self) -> RwLockWriteGuard<'_, MerchantRegistry> {
        self.changes.fetch_add(1, Ordering::Relaxed);
        self.merchants.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(|p| p.into_inner()) = faults;
    }

    pub fn statement_faults(&self) -> HashMap<String, StatementFault> {
        self.statement_faults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets (or with `None` clears) how the file shows `order_id`.
    pub fn set_statement_fault(&self, order_id: &str, fault: Option<StatementFault>) {
        let mut faults = self
            .statement_faults
            .write()
            .unwrap_or_else(|p| p.into_inner());
        match fault {
            Some(fault) => faults.insert(order_id.to_string(), fault),
            None => faults.remove(order_id),
        };
    }

    fn next_serial(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    /// A `queryId`: 21 digits, the moment then a serial, as UnionPay's look.
    pub fn new_query_id(&self, at: DateTime<FixedOffset>) -> String {
        format!(
            "{}{:07}",
            at.format("%Y%m%d%H%M%S"),
            self.next_serial() % 10_000_000
        )
    }

    /// The settlement date (`MMDD`) of a transaction settled at `at`: the next day's from the
    /// cut-over hour on.
    pub fn settle_date(&self, at: DateTime<FixedOffset>) -> String {
        let day = at.date_naive();
        let day = if chrono::Timelike::hour(&at) >= u32::from(self.cutover_hour) {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        day.format("%m%d").to_string()
    }

    /// A `traceNo` (6 digits) and its `traceTime` (MMDDhhmmss), the reconciliation file's keys.
    pub fn new_trace(&self, at: DateTime<FixedOffset>) -> (String, String) {
        (
            format!("{:06}", self.next_serial() % 1_000_000),
            at.format("%m%d%H%M%S").to_string(),
        )
    }

    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Waits `duration`; false when the simulator is shutting down meanwhile.
    pub async fn sleep(&self, duration: Duration) -> bool {
        let mut shutdown = self.shutdown.subscribe();
        if *shutdown.borrow_and_update() {
            return false;
        }
        if duration.is_zero() {
            return true;
        }
        tokio::select! {
            () = tokio::time::sleep(duration) => true,
            _ = shutdown.changed() => false,
        }
    }
}
