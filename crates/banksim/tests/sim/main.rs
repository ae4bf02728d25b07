//! End-to-end tests of the bank simulator over real HTTP on 127.0.0.1 (one test binary).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod agent;
mod batch_refunds;
mod common;
mod config;
mod faults;
mod identity;
mod kcode;
mod notifications;
mod persistence;
mod preauth;
mod refunds;
mod refusals;
mod robustness;
mod sdk;
mod sim_api;
mod statements;
mod transactions;
mod vectors;
mod wire;
mod witness;
