//! The HTTP surfaces: each reads its request, calls one flow and writes the answer. None holds a
//! rule of its own.

pub mod api;
pub mod callbacks;
pub mod cashier;
pub mod cashier_bank;
pub mod cashier_kcode;
pub mod console;
pub mod favicon;
pub mod latency;
pub mod metrics;
pub mod rate_limit;
