//! unipay's HTTP surfaces (merchant API, cashier, bank callbacks, health, metrics) and its
//! background workers (notifier, janitor, pruner).

pub mod api;
pub mod app;
pub mod books;
pub mod callbacks;
pub mod cashier;
pub mod channels;
pub mod config;
pub mod flows;
pub mod logging;
pub mod metrics;
pub mod preauth_flows;
pub mod refund_batch_flows;
pub mod refund_flows;
pub mod state;
pub mod workers;

pub use app::{Running, router, serve, start};
pub use config::ServerConfig;
pub use state::AppState;
