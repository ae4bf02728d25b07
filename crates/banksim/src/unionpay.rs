//! The simulator's UnionPay mode: China UnionPay's online gateway (全渠道 ACP 5.0.0/5.1.0,
//! gateway payment) on its own listener, beside the ABC simulator in the same process but with
//! its own book, merchants and certificates. Like the ABC side it is an independent witness:
//! forms, signatures and answers are cut and sealed by the modules here, sharing only RSA,
//! digest and X.509 primitives with the bank client.
//!
//! Endpoints:
//! - `POST /gateway/api/frontTransReq.do`: consume (01/01) and pre-authorization (02/01) from
//!   the payer's browser; the payer pays or declines on the page it answers with
//!   ([`front`]), then the front notification goes through the browser and the back one to
//!   `backUrl` ([`delivery`]).
//! - `POST /gateway/api/backTransReq.do`: refund (04), consume void (31), pre-auth void (32),
//!   completion (03) and completion void (33) ([`back`]).
//! - `POST /gateway/api/queryTrans.do`: the status query ([`query`]).
//! - `POST /`: the reconciliation file download (76/01) from its own book ([`file_download`]).
//! - `/sim/unionpay/*`: the JSON control API ([`sim_api`]): certificates, merchants,
//!   transactions, faults; and ([`statement_api`]) statement faults per order and consumes
//!   paid by other means, which only the reconciliation file shows.
//!
//! With a state file ([`persist`]) merchants and the book survive a restart.

pub mod answers;
pub mod authority;
pub mod back;
pub mod back_rules;
pub mod book;
pub mod certificate;
pub mod codes;
pub mod delivery;
pub mod faults;
pub mod file_download;
pub mod form;
pub mod front;
pub mod intake;
pub mod merchants;
pub mod pages;
pub mod persist;
pub mod query;
pub mod signing;
pub mod sim_api;
pub mod sm2_authority;
pub mod sm2_certificate;
pub mod sm2_signature;
pub mod state;
pub mod statement_api;
pub mod zm_file;

pub use authority::Authority;
pub use state::{UnionPayConfig, UnionPayState};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::future::Future;

pub const FRONT_PATH: &str = "/gateway/api/frontTransReq.do";
pub const BACK_PATH: &str = "/gateway/api/backTransReq.do";
pub const QUERY_PATH: &str = "/gateway/api/queryTrans.do";
/// UnionPay's file host takes the download at its root.
pub const FILE_PATH: &str = "/";

/// All routes of the UnionPay mode over one state.
pub fn router(state: UnionPayState) -> Router {
    Router::new()
        .route(FRONT_PATH, post(front::front_request))
        .route(front::PAYER_ACTION_PATH, post(front::payer_action))
        .route(BACK_PATH, post(back::back_request))
        .route(QUERY_PATH, post(query::query_request))
        .route(FILE_PATH, post(file_download::file_request))
        .route("/sim/unionpay/certs", get(sim_api::certificates))
        .route("/sim/unionpay/merchants", post(sim_api::register_merchant))
        .route(
            "/sim/unionpay/transactions/{query_id}",
            get(sim_api::transaction),
        )
        .route("/sim/unionpay/orders", post(statement_api::counter_consume))
        .route(
            "/sim/unionpay/orders/{order_id}/statement",
            post(statement_api::set_statement_fault).delete(statement_api::clear_statement_fault),
        )
        .route(
            "/sim/unionpay/faults",
            get(sim_api::get_faults)
                .post(sim_api::set_faults)
                .delete(sim_api::clear_faults),
        )
        .layer(DefaultBodyLimit::max(form::MAX_FORM_BYTES))
        .with_state(state)
}

/// Serves the UnionPay mode on `listener` until `shutdown` completes; then pending
/// notification retries are abandoned.
pub async fn serve(
    config: UnionPayConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = UnionPayState::new(config)?;
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, public_url = %state.public_url, "UnionPay simulator listening");
    }
    if let Some(path) = &state.state_file {
        persist::spawn_writer(state.clone(), path.clone());
    }
    let signal = state.clone();
    axum::serve(listener, router(state.clone()))
        .with_graceful_shutdown(async move {
            shutdown.await;
            signal.begin_shutdown();
        })
        .await?;
    state.begin_shutdown();
    if let Some(path) = &state.state_file {
        persist::save(&state, path)?;
    }
    Ok(())
}
