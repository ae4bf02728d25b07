//! End-to-end tests of the simulator's UnionPay mode over real HTTP on 127.0.0.1. Requests
//! are signed, and answers and notifications checked, by the real bank client
//! (`unipay-channel-unionpay`), and once by hand from the protocol page's rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod back;
mod common;
mod front;
mod persistence;
mod preauth;
mod recon;
mod refusals;
mod sm2;
