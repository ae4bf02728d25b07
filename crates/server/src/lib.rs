//! unipay's HTTP surfaces (merchant API, cashier, bank callbacks, health, metrics) and its
//! background workers (notifier, janitor, pruner).

pub mod app;
pub mod channels;
pub mod config;
pub mod crash;
pub mod flows;
/// The fuzz targets' entry points (`fuzz/`), and their corpora replayed as tests.
#[doc(hidden)]
pub mod fuzz;
pub mod http;
pub mod kcode;
pub mod latency;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod outbound;
pub mod rate_limit;
pub mod state;
pub mod test_clock;
pub mod workers;

pub use app::{Running, router, serve, start};
pub use config::ServerConfig;
pub use state::AppState;
