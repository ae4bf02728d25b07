//! The load balancer in front of the chaos run's nodes, as a deployment would have one: every
//! request of the business system, the consumer's browser and the bank goes to it, and it
//! passes each to a node that answers `/readyz`, round robin. A node it cannot connect to
//! never saw the request, so the next one is tried; a node that dies with the request in hand
//! makes it answer 502, which the caller must survive (the bank retries its notifications, the
//! business system retries with its Idempotency-Key). While no node is ready it holds requests
//! for a while, as a balancer with a queue does, rather than refusing them.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The header on answers the balancer itself made (no node answered), so that callers can
/// tell a failure of the cluster from a node's own answer.
pub const BALANCER_HEADER: &str = "x-chaos-balancer";
/// How long a request waits for some node to be ready.
const HOLD_FOR_READY: Duration = Duration::from_secs(15);
/// How often each node's readiness is asked.
const READY_POLL: Duration = Duration::from_millis(100);
/// The refund-batch route takes 4 MiB; leave room.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// One node as the balancer sees it.
#[derive(Default)]
pub struct Backend {
    url: RwLock<Option<String>>,
    ready: AtomicBool,
}

impl Backend {
    pub fn current_url(&self) -> Option<String> {
        self.url.read().ok().and_then(|url| url.clone())
    }

    /// A (re)started node at `url`; it takes requests once its `/readyz` says so.
    pub fn set_url(&self, url: Option<String>) {
        self.ready.store(false, Ordering::SeqCst);
        if let Ok(mut slot) = self.url.write() {
            *slot = url;
        }
    }

    /// Takes the node out at once (it was killed), without waiting for the next poll.
    pub fn mark_down(&self) {
        self.ready.store(false, Ordering::SeqCst);
    }
}

pub struct Balancer {
    pub backends: Vec<Arc<Backend>>,
    next: AtomicUsize,
    http: reqwest::Client,
    /// Answers the balancer made itself because no node could take or finish a request.
    pub failed: AtomicU64,
}

impl Balancer {
    pub fn new(nodes: usize) -> anyhow::Result<Arc<Balancer>> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Arc::new(Balancer {
            backends: (0..nodes).map(|_| Arc::new(Backend::default())).collect(),
            next: AtomicUsize::new(0),
            http,
            failed: AtomicU64::new(0),
        }))
    }

    /// Serves on 127.0.0.1 (a free port) and polls the nodes' readiness; returns the URL.
    pub async fn start(self: &Arc<Self>) -> anyhow::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let app = Router::new()
            .fallback(forward)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(self.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("chaos balancer stopped: {error}");
            }
        });
        let balancer = self.clone();
        tokio::spawn(async move { balancer.poll_readiness().await });
        Ok(format!("http://{address}"))
    }

    async fn poll_readiness(&self) {
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap_or_default();
        loop {
            for backend in &self.backends {
                let ready = match backend.current_url() {
                    Some(url) => probe
                        .get(format!("{url}/readyz"))
                        .send()
                        .await
                        .is_ok_and(|answer| answer.status().is_success()),
                    None => false,
                };
                backend.ready.store(ready, Ordering::SeqCst);
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// The next ready node, round robin, waiting up to [`HOLD_FOR_READY`] for one.
    async fn pick(&self, skip: &[usize]) -> Option<(usize, String)> {
        let deadline = tokio::time::Instant::now() + HOLD_FOR_READY;
        loop {
            let count = self.backends.len();
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            for offset in 0..count {
                let index = (start + offset) % count;
                let backend = &self.backends[index];
                if skip.contains(&index) || !backend.ready.load(Ordering::SeqCst) {
                    continue;
                }
                if let Some(url) = backend.current_url() {
                    return Some((index, url));
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn own_answer(balancer: &Balancer, status: StatusCode, why: &'static str) -> Response {
    balancer.failed.fetch_add(1, Ordering::Relaxed);
    (status, [(BALANCER_HEADER, why)], why).into_response()
}

async fn forward(State(balancer): State<Arc<Balancer>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return own_answer(
            &balancer,
            StatusCode::BAD_REQUEST,
            "unreadable request body",
        );
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let mut tried = Vec::new();
    loop {
        let Some((index, url)) = balancer.pick(&tried).await else {
            return own_answer(&balancer, StatusCode::SERVICE_UNAVAILABLE, "no node ready");
        };
        tried.push(index);
        let sent = balancer
            .http
            .request(parts.method.clone(), format!("{url}{path}"))
            .headers(forwarded_headers(&parts.headers))
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(answer) => return relay(&balancer, answer).await,
            // Nothing reached the node: another one may take it.
            Err(error) if error.is_connect() => {
                balancer.backends[index].mark_down();
                if tried.len() >= balancer.backends.len() {
                    tried.clear();
                }
            }
            Err(_) => {
                return own_answer(
                    &balancer,
                    StatusCode::BAD_GATEWAY,
                    "node failed mid-request",
                );
            }
        }
    }
}

fn forwarded_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        if !is_hop_by_hop(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host" | "connection" | "keep-alive" | "transfer-encoding" | "content-length" | "upgrade"
    )
}

async fn relay(balancer: &Balancer, answer: reqwest::Response) -> Response {
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !is_hop_by_hop(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let body = match answer.bytes().await {
        Ok(body) => body,
        Err(_) => {
            return own_answer(balancer, StatusCode::BAD_GATEWAY, "node failed mid-answer");
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
