//! unipay's HTTP surfaces (merchant API, cashier, bank callbacks, health, metrics) and its
//! background workers (notifier, janitor, pruner).
// The OpenAPI document is one `json!` literal, deeper than the default limit allows.
#![recursion_limit = "256"]

pub mod admin_flows;
pub mod api;
pub mod app;
pub mod bank_batch_parts;
pub mod books;
pub mod callbacks;
pub mod cashier;
pub mod cashier_kcode;
pub mod channels;
pub mod close_flow;
pub mod config;
pub mod console;
pub mod crash;
pub mod debit_batch_flows;
pub mod debit_flows;
pub mod flows;
/// The fuzz targets' entry points (`fuzz/`), and their corpora replayed as tests.
#[doc(hidden)]
pub mod fuzz;
pub mod identity_callbacks;
pub mod identity_flows;
mod inbound;
pub mod kcode;
pub mod kcode_flows;
pub mod logging;
pub mod mandate_callbacks;
pub mod mandate_flows;
pub mod metrics;
pub mod preauth_flows;
pub mod privacy;
pub mod refund_batch_flows;
pub mod refund_flows;
pub mod state;
pub mod test_clock;
pub mod workers;

pub use app::{Running, router, serve, start};
pub use config::ServerConfig;
pub use state::AppState;
