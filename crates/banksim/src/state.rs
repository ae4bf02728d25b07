//! The simulator's shared state: settings, keys, the merchant registry, the order book, faults,
//! and what background deliveries need. Every lock here is held only for a few map operations
//! (or the processing of one due batch refund), never across an `.await`. The order book's lock
//! is taken before the batch fault set's, never the other way round; the fault set's before
//! its draws'.

use crate::agent::book::MandateBook;
use crate::book::OrderBook;
use crate::clock::{Serials, now_china};
use crate::config::SimConfig;
use crate::faults::Faults;
use crate::faults::batch::BatchFaults;
use crate::faults::chance::Chance;
use crate::refunds::batch_run;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

/// Deliveries in flight at once; further ones wait for a slot.
pub const MAX_CONCURRENT_DELIVERIES: usize = 256;
/// Merchants the registry holds at most.
pub const MAX_MERCHANTS: usize = 100_000;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct SimState(Arc<Inner>);

pub struct Inner {
    pub public_url: String,
    pub key: PrivateKey,
    pub certificate: Certificate,
    pub algorithm: SignatureAlgorithm,
    pub notify_schedule: Vec<Duration>,
    pub cutover_hour: u8,
    pub fee_bps: u32,
    pub merchant_timeout: Duration,
    /// How long an accepted batch refund waits before its lines are processed.
    pub batch_refund_delay: Duration,
    merchants: RwLock<HashMap<String, Arc<Certificate>>>,
    orders: Mutex<OrderBook>,
    /// Mandates and debit batches (授权支付); taken before `orders` when both are needed.
    mandates: Mutex<MandateBook>,
    /// The fault set and its generation: bumped on every change, so per-order fault counters
    /// start again from zero under a new set.
    faults: RwLock<(Faults, u64)>,
    /// The draws of the percentage faults; replaced with the fault set, under its write lock.
    chance: Mutex<Chance>,
    /// Shared, so that accepting a batch copies a pointer, not the lists.
    batch_faults: RwLock<Arc<BatchFaults>>,
    pub serials: Serials,
    /// K-code sessions and the texts they sent.
    pub kcode: crate::kcode::desk::KcodeDesk,
    /// Known persons and redirect identity verifications.
    pub identity: crate::identity::IdentityDesk,
    pub http: reqwest::Client,
    pub deliveries: Semaphore,
    shutdown: watch::Sender<bool>,
    /// Where registrations and the book are kept across restarts (see [`crate::persist`]).
    pub state_file: Option<std::path::PathBuf>,
    /// Bumped whenever the book or the registry may have changed (any lock of the order book
    /// or the mandates, any registration): the state file's writer skips its work while it
    /// stands still.
    changes: std::sync::atomic::AtomicU64,
}

impl std::ops::Deref for SimState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl SimState {
    pub fn new(config: SimConfig) -> anyhow::Result<SimState> {
        let merchant_timeout = Duration::from_millis(config.merchant_timeout_ms.max(1));
        let http = reqwest::Client::builder()
            .timeout(merchant_timeout)
            .connect_timeout(merchant_timeout.min(Duration::from_secs(5)))
            // A notification goes to ResultNotifyURL itself; a redirect is the merchant's error.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let merchants = config
            .merchants
            .iter()
            .map(|(id, certificate)| (id.clone(), Arc::new(certificate.clone())))
            .collect();
        let schedule = if config.notify_schedule_ms.is_empty() {
            vec![0]
        } else {
            config.notify_schedule_ms
        };
        let state = SimState(Arc::new(Inner {
            public_url: config.public_url.trim_end_matches('/').to_string(),
            key: config.key,
            certificate: config.certificate,
            algorithm: config.algorithm,
            notify_schedule: schedule.into_iter().map(Duration::from_millis).collect(),
            cutover_hour: config.cutover_hour,
            fee_bps: config.fee_bps,
            merchant_timeout,
            batch_refund_delay: Duration::from_millis(config.batch_refund_delay_ms),
            merchants: RwLock::new(merchants),
            orders: Mutex::new(OrderBook::new(config.max_orders)),
            mandates: Mutex::new(MandateBook::default()),
            faults: RwLock::new((Faults::default(), 0)),
            chance: Mutex::new(Chance::new(None)),
            batch_faults: RwLock::new(Arc::new(BatchFaults::default())),
            serials: Serials::new(),
            kcode: crate::kcode::desk::KcodeDesk::default(),
            identity: crate::identity::IdentityDesk::default(),
            http,
            deliveries: Semaphore::new(MAX_CONCURRENT_DELIVERIES),
            shutdown: watch::channel(false).0,
            state_file: config.state_file.clone(),
            changes: std::sync::atomic::AtomicU64::new(0),
        }));
        if let Some(path) = &config.state_file {
            crate::persist::load(&state, path, &config.merchants)?;
        }
        Ok(state)
    }
}

impl Inner {
    /// The order book. A poisoned lock only means another request panicked mid-update; the
    /// book is still usable, so we carry on rather than fail every later request.
    pub fn orders(&self) -> MutexGuard<'_, OrderBook> {
        self.touch();
        self.orders_unchanged()
    }

    /// The order book for a reader that changes nothing (the state file's writer).
    pub(crate) fn orders_unchanged(&self) -> MutexGuard<'_, OrderBook> {
        self.orders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the state file's writer something may have changed.
    pub fn touch(&self) {
        self.changes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many times the book or the registry may have changed (see `changes`).
    pub fn change_count(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The order book with every batch refund that has fallen due processed first: what any
    /// request that reads or changes refunds looks at, so that a merchant polling after the
    /// delay never sees a due line still `X`.
    pub fn orders_current(&self) -> MutexGuard<'_, OrderBook> {
        let mut book = self.orders();
        batch_run::run_due(&mut book, self, now_china());
        book
    }

    /// The mandates and debit batches; poisoning is carried on through like the order book's.
    pub fn mandates(&self) -> MutexGuard<'_, MandateBook> {
        self.touch();
        self.mandates_unchanged()
    }

    /// The mandates for a reader that changes nothing (the state file's writer).
    pub(crate) fn mandates_unchanged(&self) -> MutexGuard<'_, MandateBook> {
        self.mandates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn merchant_certificate(&self, merchant_id: &str) -> Option<Arc<Certificate>> {
        let merchants = self
            .merchants
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        merchants.get(merchant_id).cloned()
    }

    /// Every registered merchant and its certificate.
    pub fn merchant_list(&self) -> Vec<(String, Arc<Certificate>)> {
        let merchants = self
            .merchants
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        merchants
            .iter()
            .map(|(id, certificate)| (id.clone(), certificate.clone()))
            .collect()
    }

    /// Registers or replaces a merchant; `false` when the registry is full.
    pub fn set_merchant(&self, merchant_id: String, certificate: Certificate) -> bool {
        let mut merchants = self
            .merchants
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if merchants.len() >= MAX_MERCHANTS && !merchants.contains_key(&merchant_id) {
            return false;
        }
        merchants.insert(merchant_id, Arc::new(certificate));
        self.touch();
        true
    }

    pub fn faults(&self) -> Faults {
        self.faults_with_generation().0
    }

    pub fn faults_with_generation(&self) -> (Faults, u64) {
        *self
            .faults
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the fault set and restarts its draws from its seed.
    pub fn set_faults(&self, faults: Faults) {
        let mut current = self
            .faults
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *self
            .chance
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Chance::new(faults.seed);
        *current = (faults, current.1.wrapping_add(1));
    }

    /// The fault set with what `decide` draws from it. Both come from one set: a replacement
    /// waits until the draw is done.
    pub fn draw_faults<T>(&self, decide: impl FnOnce(&Faults, &mut Chance) -> T) -> (Faults, T) {
        let current = self
            .faults
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut chance = self
            .chance
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let drawn = decide(&current.0, &mut chance);
        (current.0, drawn)
    }

    pub fn batch_faults(&self) -> Arc<BatchFaults> {
        self.batch_faults
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set_batch_faults(&self, faults: BatchFaults) {
        *self
            .batch_faults
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(faults);
    }

    /// Tells held requests and pending deliveries to stop.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Sleeps `duration`; `false` when the simulator is shutting down meanwhile.
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
