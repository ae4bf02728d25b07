//! A bank simulator: a separate HTTP server that plays the Agricultural Bank of China's TrustPay
//! platform for end-to-end tests, benchmarks and the demo. It speaks the wire exactly as ABC's
//! own merchant client (TrustPayClient V3.1.4) does (`docs/ABC-WIRE.md`), with real signatures,
//! and is an independent witness of it: requests are cut, verified and read, and answers and
//! notifications sealed, by its own [`wire`] module. Only the RSA/X.509 primitives
//! (`unipay_channel_abc::crypto`) are shared with the bank client; every bit of bank-side logic —
//! order book, pages, retries, faults — lives here.
//!
//! Endpoints:
//! - `POST /ebus/trustpay/ReceiveMerchantTrxReqServlet`: PayReq, Query, the statements Settle
//!   and QueryTrnxRecords, the refunds Refund, BatchRefund and QueryBatchRefund,
//!   PreAuthCancelConfirm, the K-code trio, identity verification and the Agent* mandate
//!   transactions (see [`trx`], [`statement`], [`refunds`], [`preauth`], [`kcode`],
//!   [`identity`], [`agent`], [`codes`]). A body over 8,000 bytes is refused `1303`.
//! - `GET /ebus/PaymentModeNewAct.ebf?TOKEN=…`, `POST /sim/consumer`: the consumer's pages (and
//!   the signing, verification and K-code pages of their modules).
//! - `/sim/*`: the JSON control API (see [`sim_api`]).
//!
//! With a state file ([`persist`]) merchant registrations and orders survive a restart.

pub mod agent;
pub mod answer;
pub mod book;
pub mod clock;
pub mod codes;
pub mod config;
pub mod delivery;
pub mod faults;
pub mod fields;
pub mod html;
pub mod identity;
pub mod ids;
pub mod kcode;
pub mod lost_call;
pub mod messages;
pub mod notify_msg;
pub mod pages;
pub mod payreq;
pub mod persist;
pub mod preauth;
pub mod query;
pub mod refunds;
pub mod settle;
pub mod sim_api;
pub mod stamp;
pub mod state;
pub mod statement;
pub mod trx;
pub mod unionpay;
pub mod wire;

pub use config::{MerchantFileEntry, SimConfig, SimFileConfig};
pub use state::SimState;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::future::Future;

/// The platform's transaction endpoint, as in production.
pub const TRANSACTION_PATH: &str = "/ebus/trustpay/ReceiveMerchantTrxReqServlet";
/// The consumer's payment page (PaymentURL).
pub const PAYMENT_PAGE_PATH: &str = "/ebus/PaymentModeNewAct.ebf";

/// Bodies of the sim API and the consumer's form; the transaction endpoint has its own limit.
const SIM_BODY_LIMIT: usize = 64 * 1024;
/// The batch fault lists may name a whole batch's lines and more.
const BATCH_FAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// All routes over one state.
pub fn router(state: SimState) -> Router {
    Router::new()
        .route(TRANSACTION_PATH, post(trx::transaction))
        .route(PAYMENT_PAGE_PATH, get(pages::payment_page))
        .route(pages::ACTION_PATH, post(pages::consumer_action))
        .route(agent::page::SIGN_PAGE_PATH, get(agent::page::sign_page))
        .route(
            agent::page::SIGN_ACTION_PATH,
            post(agent::page::sign_action),
        )
        .route(
            "/sim/agent/faults",
            get(agent::sim_api::get_faults)
                .post(agent::sim_api::set_faults)
                .delete(agent::sim_api::clear_faults),
        )
        .route(
            "/sim/agent/signings/{order_no}",
            get(agent::sim_api::get_signing),
        )
        .route(
            "/sim/agent/signings/{order_no}/unsign",
            post(agent::sim_api::unsign_at_bank),
        )
        .route(
            identity::page::VERIFY_PAGE_PATH,
            get(identity::page::verify_page),
        )
        .route(
            identity::page::VERIFY_ACTION_PATH,
            post(identity::page::verify_action),
        )
        .route(
            "/sim/identities",
            post(identity::put_person).delete(identity::clear_persons),
        )
        .route("/sim/health", get(sim_api::health))
        .route(kcode::page::KPAY_PAGE_PATH, get(kcode::page::kcode_page))
        .route(
            kcode::page::KPAY_ACTION_PATH,
            post(kcode::page::kcode_action),
        )
        .route("/sim/sms", get(kcode::sms))
        .route(
            "/sim/kcode",
            get(kcode::get_settings).post(kcode::set_settings),
        )
        .route("/sim/certificate", get(sim_api::certificate_der))
        .route("/sim/certificate.pem", get(sim_api::certificate_pem))
        .route("/sim/merchants", post(sim_api::put_merchant))
        .route("/sim/orders", post(sim_api::counter_order::create))
        .route("/sim/orders/{order_no}", get(sim_api::get_order))
        .route("/sim/orders/{order_no}/pay", post(sim_api::pay_order))
        .route(
            "/sim/orders/{order_no}/statement",
            post(sim_api::set_statement_fault).delete(sim_api::clear_statement_fault),
        )
        .route(
            "/sim/batches/fault",
            get(sim_api::batch_faults::get)
                .post(sim_api::batch_faults::set)
                .delete(sim_api::batch_faults::clear)
                .layer(DefaultBodyLimit::max(BATCH_FAULT_BODY_LIMIT)),
        )
        .route(
            "/sim/faults",
            get(sim_api::get_faults)
                .post(sim_api::set_faults)
                .delete(sim_api::clear_faults),
        )
        .layer(DefaultBodyLimit::max(SIM_BODY_LIMIT))
        .with_state(state)
}

/// Serves the simulator on `listener` until `shutdown` completes. Then held requests end,
/// pending notification retries are abandoned, and open connections are drained.
pub async fn serve(
    config: SimConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = SimState::new(config)?;
    let app = router(state.clone());
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, public_url = %state.public_url, "bank simulator listening");
    }
    if let Some(path) = &state.state_file {
        persist::spawn_writer(state.clone(), path.clone());
    }
    let signal = state.clone();
    axum::serve(listener, app)
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
