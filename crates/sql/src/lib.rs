//! sqlx without its umbrella crate. The umbrella names its MySQL driver through weak features
//! (`sqlx-mysql?/any`), and Cargo writes every package named that way into `Cargo.lock` even
//! when it is never built: the MySQL driver, and through it `rsa` 0.9, which a supply-chain
//! audit of the lock file then reports. This crate re-exports the same paths from sqlx's own
//! crates for the two databases unipay speaks, so the workspace imports it under the name
//! `sqlx` and nothing else changes.

pub use sqlx_core::any::{Any, AnyConnection, AnyPool};
pub use sqlx_core::connection::{ConnectOptions, Connection};
pub use sqlx_core::decode::Decode;
pub use sqlx_core::error::Error;
pub use sqlx_core::executor::Executor;
pub use sqlx_core::pool::PoolConnection;
pub use sqlx_core::query::{Query, query};
pub use sqlx_core::row::Row;
pub use sqlx_core::transaction::Transaction;
pub use sqlx_core::types::Type;

pub mod any {
    pub use sqlx_core::any::*;

    /// Makes `sqlite:` and `postgres:` URLs openable through the `Any` driver; later calls do
    /// nothing.
    pub fn install_default_drivers() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // Fails only when drivers were installed already, which the `Once` rules out.
            let _ =
                driver::install_drivers(&[sqlx_postgres::any::DRIVER, sqlx_sqlite::any::DRIVER]);
        });
    }
}

pub mod error {
    pub use sqlx_core::error::*;
}

pub mod migrate {
    pub use sqlx_core::migrate::*;
}

pub mod postgres {
    pub use sqlx_postgres::*;
}

pub mod query {
    pub use sqlx_core::query::*;
}

pub mod sqlite {
    pub use sqlx_sqlite::*;
}
