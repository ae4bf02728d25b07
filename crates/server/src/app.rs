//! The HTTP application: every surface on one router, and the server's lifecycle.

use crate::config::ServerConfig;
use crate::http::api;
use crate::http::api::error::ApiError;
use crate::http::callbacks;
use crate::http::cashier;
use crate::http::cashier_kcode;
use crate::http::metrics;
use crate::state::AppState;
use crate::workers;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tracing::Instrument;
use unipay_api::ErrorCode;
use unipay_core::Clock;
use unipay_store::Store;
use unipay_store::secrets::Reseal;

impl AppState {
    /// The state every surface and worker shares, with the notifier as the port through which
    /// flows hand over the notifications they write.
    pub fn new(
        store: Store,
        config: ServerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState, reqwest::Error> {
        AppState::with_delivery(store, config, clock, Arc::new(workers::notifier::Notifier))
    }
}

pub fn router(state: AppState) -> Router {
    let limits = state.config.http.clone();
    let router = Router::new();
    // Only a build with crash points has the routes that arm them (the chaos run's) and that
    // move its clock (the end-to-end tests').
    #[cfg(feature = "failpoints")]
    let router = router.route("/chaos/crash-points/{name}", post(crate::crash::arm_route));
    #[cfg(feature = "failpoints")]
    let router = router.route(
        "/chaos/clock/advance/{ms}",
        post(crate::test_clock::advance_route),
    );
    router
        .merge(api::router())
        .merge(crate::http::console::router())
        .route("/pay/{id}", get(cashier::checkout).post(cashier::pay))
        .route("/pay/{id}/result", get(cashier::result))
        .route("/pay/{id}/query", post(cashier::query_now))
        .route("/pay/{id}/bank", post(crate::http::cashier_bank::choose))
        .route(
            "/pay/{id}/kcode",
            get(cashier_kcode::page).post(cashier_kcode::start),
        )
        .route("/pay/{id}/kcode/confirm", post(cashier_kcode::confirm))
        .route("/pay/{id}/kcode/resend", post(cashier_kcode::resend))
        .route("/static/cashier.css", get(cashier::stylesheet))
        .route("/favicon.svg", get(crate::http::favicon::icon))
        .route("/favicon.ico", get(crate::http::favicon::icon))
        .merge(callbacks::router(&state))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::http::latency::time_requests,
        ))
        .layer(middleware::from_fn_with_state(
            state.config.public_url.starts_with("https://"),
            security_headers,
        ))
        .layer(middleware::from_fn(request_id))
        .layer(DefaultBodyLimit::max(state.config.api.max_body_bytes))
        // Outermost last: a request waiting for a slot counts against its time, and a body
        // that stops arriving ends the read rather than holding the slot.
        .layer(GlobalConcurrencyLimitLayer::new(
            limits.max_concurrent_requests.max(1),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(limits.request_timeout_ms.max(1)),
        ))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_millis(
            limits.body_timeout_ms.max(1),
        )))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready or not for anyone (a load balancer); why not, only for a holder of the metrics token.
async fn readyz(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let detailed = metrics::holds_metrics_token(&state, &headers);
    let not_ready = |why: &'static str| {
        let body = if detailed { why } else { "not ready" };
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    };
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return not_ready("shutting down");
    }
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            not_ready("database unavailable")
        }
    }
}

async fn not_found(request: Request) -> Response {
    if request.uri().path().starts_with("/v1/") {
        ApiError::new(ErrorCode::NotFound, "no such route").into_response()
    } else {
        (StatusCode::NOT_FOUND, "not found").into_response()
    }
}

/// Gives every request an id (the caller's `X-Request-Id`, if sane), carried by every log line
/// of the request and returned in the answer.
async fn request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| unipay_core::ids::random_token(20));
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// `https` says whether browsers reach this server over https (its public URL): then they are
/// told to come back only that way.
async fn security_headers(State(https): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // A surface with a policy of its own (the console) keeps it.
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(
        HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self'; form-action *; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A running server: its address and how to stop it.
pub struct Running {
    pub address: std::net::SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        // Deliveries in flight end before the store closes: one cut off after the business
        // system acknowledged it would be sent again, under the same id, by another node.
        let config = &self.state.config.notifier;
        let slots = u32::try_from(config.concurrency.max(1)).unwrap_or(u32::MAX);
        let patience = std::time::Duration::from_millis(config.timeout_ms.saturating_add(1_000));
        let _ =
            tokio::time::timeout(patience, self.state.delivery_permits.acquire_many(slots)).await;
        self.state.store.close().await;
    }
}

/// Connects the store, applies migrations, seals any plaintext secret, starts the workers and
/// the HTTP server.
pub async fn start(
    mut config: ServerConfig,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Running> {
    config.privacy.require_key()?;
    let keyring = config.secrets.require_keyring()?;
    let address = listener.local_addr()?;
    if config.public_url.is_empty() {
        config.public_url = format!("http://{address}");
    }
    let store = Store::connect_with(&config.database_url, config.database_max_connections)
        .await?
        .with_keyring(keyring);
    store.migrate().await?;
    // Plaintext from before secrets were sealed is sealed now; a secret no configured KEK
    // opens stops the start here rather than failing requests later.
    let report = store.reseal_secrets(Reseal::Plaintext).await?;
    if report.sealed > 0 {
        tracing::info!(sealed = report.sealed, "sealed plaintext secrets");
    }
    let state = AppState::new(store, config, clock)?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = workers::spawn_all(&state, shutdown_rx.clone());
    let app = router(state.clone());
    let limits = state.config.http.clone();
    tasks.push(tokio::spawn(async move {
        crate::listener::serve(listener, app, &limits, shutdown_rx).await;
    }));
    tracing::info!(%address, "unipay listening");
    Ok(Running {
        address,
        state,
        shutdown,
        tasks,
    })
}

/// Runs until `signal` resolves, then shuts down gracefully.
pub async fn serve(config: ServerConfig, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(&config.listen).await?;
    let running = start(config, listener, crate::test_clock::process_clock()).await?;
    // One line on stdout for whoever started us (scripts, tests, the benchmark) to read.
    println!(
        "unipay listening on http://{} (public URL {})",
        running.address, running.state.config.public_url
    );
    signal.await;
    // Readiness off first, while still serving: requests a load balancer sends before it notices
    // are answered; then no new connection is taken and the requests in flight are finished.
    tracing::info!("shutting down: draining");
    running
        .state
        .draining
        .store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(
        running.state.config.shutdown_drain_ms,
    ))
    .await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn answer_headers(https: bool) -> axum::http::HeaderMap {
        let app = Router::new()
            .route("/", get(|| async { "ok" }))
            .layer(middleware::from_fn_with_state(https, security_headers));
        let request = Request::builder()
            .uri("/")
            .body(axum::body::Body::empty())
            .unwrap();
        app.oneshot(request).await.unwrap().headers().clone()
    }

    #[tokio::test]
    async fn strict_transport_security_only_behind_an_https_public_url() {
        let https = answer_headers(true).await;
        assert_eq!(
            https.get(header::STRICT_TRANSPORT_SECURITY).unwrap(),
            "max-age=31536000"
        );
        assert_eq!(https.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
        let http = answer_headers(false).await;
        assert!(http.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    }
}
