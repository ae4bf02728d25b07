//! Storage for SQLite (the embedded default) and PostgreSQL, through one set of SQL statements.
//!
//! Every state change is one database transaction: the row (with a version check), its event,
//! its outbox rows and any anomaly. Nothing is sent to anyone inside a transaction. Workers
//! claim work with leases, so any node can die at any moment and another picks the work up.

pub mod audit;
pub mod audit_search;
pub mod bank_batch_parts;
pub mod browse;
pub mod bulk;
mod checkpointer;
pub mod console_sessions;
pub mod console_users;
pub mod dashboard;
mod day_reader;
mod db;
mod error;
pub mod idempotency;
pub mod identity;
pub mod kcode;
pub mod ledger;
mod lite;
mod lite_reads;
pub mod mandates;
pub mod merchants;
pub mod messages;
pub mod metrics;
pub mod nonces;
pub mod outbox;
pub mod payments;
pub mod recon;
pub mod refunds;
pub mod scratch;
pub mod secrets;
pub mod settlement;
pub mod statements;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testing")]
pub mod text_dump;
mod with_parts;
mod writer;

pub use db::{Backend, Store};
pub use error::StoreError;
