//! What every request handler and worker shares.

use crate::channels::ChannelRegistry;
use crate::config::ServerConfig;
use crate::latency::Latencies;
use crate::metrics::Metrics;
use crate::rate_limit::Limits;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::Semaphore;
use unipay_core::Clock;
use unipay_store::Store;
use unipay_store::merchants::{App, ChannelRoute};
use unipay_store::outbox::OutboxEvent;

/// The port through which a flow hands over a business notification it has just written, for
/// delivery at once by this node. The notifier implements it (`workers::notifier`); the flows
/// know only this trait, so that they never depend on a worker.
pub trait Delivery: Send + Sync {
    fn deliver_now(&self, state: &AppState, event: OutboxEvent);
}

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub store: Store,
    pub config: ServerConfig,
    pub clock: Arc<dyn Clock>,
    pub channels: ChannelRegistry,
    pub apps: AppCache,
    pub metrics: Metrics,
    /// Latency histograms for `/metrics` (`latency.rs`), shared with the channels' timers.
    pub latencies: Arc<Latencies>,
    /// Rate limits by source for the unauthenticated surfaces.
    pub limits: Limits,
    /// Bounds the business notifications in flight, from the notifier and the fast path.
    pub delivery_permits: Arc<Semaphore>,
    /// Shared HTTP client for business notifications (`outbound.rs`: public addresses only,
    /// unless allowed).
    pub http: reqwest::Client,
    /// Hashes personal data; `None` only where no server runs (`start` refuses to run without).
    pub pii: Option<unipay_core::pii::PiiKey>,
    /// Set when the node is shutting down: `/readyz` answers 503 from then on, so that load
    /// balancers send their requests elsewhere while this node finishes its own.
    pub draining: std::sync::atomic::AtomicBool,
    pub delivery: Arc<dyn Delivery>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    /// The state with `delivery` as the port for notifications delivered at once;
    /// `AppState::new` (in `app.rs`, where the parts are put together) gives it the notifier.
    pub fn with_delivery(
        store: Store,
        config: ServerConfig,
        clock: Arc<dyn Clock>,
        delivery: Arc<dyn Delivery>,
    ) -> Result<AppState, reqwest::Error> {
        let http = crate::outbound::client(&config)?;
        let delivery_permits = Arc::new(Semaphore::new(config.notifier.concurrency.max(1)));
        let pii = config.privacy.key().ok().flatten();
        let limits = Limits::new(&config);
        let latencies = Arc::new(Latencies::default());
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                config,
                clock,
                channels: ChannelRegistry::timed(latencies.clone()),
                apps: AppCache::default(),
                metrics: Metrics::default(),
                latencies,
                limits,
                delivery_permits,
                http,
                // A bad key was refused when the configuration was loaded or the server started.
                pii,
                draining: std::sync::atomic::AtomicBool::new(false),
                delivery,
            }),
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn cashier_url(&self, payment_id: &str) -> String {
        format!("{}/pay/{payment_id}", self.config.public_url)
    }

    /// An app, read at every request rather than cached: a disabled app or a rotated secret
    /// stops working on every node at once (one read by primary key).
    pub async fn app(&self, app_id: &str) -> Result<Option<Arc<App>>, unipay_store::StoreError> {
        Ok(self.store.get_app(app_id).await?.map(Arc::new))
    }

    /// The channel account an app's new payments use, from a short-lived cache.
    pub async fn channel_route(
        &self,
        app: &App,
    ) -> Result<Option<Arc<ChannelRoute>>, unipay_store::StoreError> {
        let now = self.now_ms();
        if let Some(route) = self.apps.routes.get(&app.id, now) {
            return Ok(Some(route));
        }
        let Some(route) = self.store.channel_route_for_app(app).await? else {
            return Ok(None);
        };
        let route = Arc::new(route);
        self.apps.routes.put(app.id.clone(), route.clone(), now);
        Ok(Some(route))
    }
}

impl AppState {
    /// The route of an app's payment that names its bank (`abc`, `unionpay`) or channel
    /// account: among the accounts the app may use, the one it names. Not cached: a create
    /// that names its channel is the rarer case, and one query is what it costs.
    pub async fn channel_route_via(
        &self,
        app: &App,
        choice: &str,
    ) -> Result<Option<Arc<ChannelRoute>>, unipay_store::StoreError> {
        Ok(self
            .store
            .channel_route_for_app_via(app, Some(choice))
            .await?
            .map(Arc::new))
    }
}

/// Apps' channel routes, kept for a few seconds so that a new channel account takes effect on
/// every node soon without a query per request. (Apps themselves, with their secrets, are
/// never cached: see [`AppState::app`].)
#[derive(Default)]
pub struct AppCache {
    routes: Expiring<Arc<ChannelRoute>>,
}

impl AppCache {
    /// Drops an app's route, so this node reads it again at its next request.
    pub fn forget(&self, app_id: &str) {
        self.routes.remove(app_id);
    }
}

const APP_CACHE_TTL_MS: i64 = 10_000;
const APP_CACHE_MAX: usize = 10_000;

struct Expiring<T> {
    entries: RwLock<HashMap<String, (T, i64)>>,
}

impl<T> Default for Expiring<T> {
    fn default() -> Self {
        Expiring {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Expiring<T> {
    fn get(&self, key: &str, now_ms: i64) -> Option<T> {
        let entries = self.entries.read().ok()?;
        let (value, loaded_at) = entries.get(key)?;
        (now_ms - loaded_at < APP_CACHE_TTL_MS).then(|| value.clone())
    }

    fn remove(&self, key: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }

    fn put(&self, key: String, value: T, now_ms: i64) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= APP_CACHE_MAX {
                entries.clear();
            }
            entries.insert(key, (value, now_ms));
        }
    }
}
