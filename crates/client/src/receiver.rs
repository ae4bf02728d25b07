//! A minimal business-system notification endpoint: verifies each notification's signature,
//! records it, and answers as told (accept, fail the first attempts of each event, or fail
//! always). Used by the end-to-end tests, the benchmark and the demo.

use crate::signing::verify_notification;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use unipay_api::Event;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEvent {
    pub id: String,
    pub event_type: String,
    pub payment_id: String,
    pub status: String,
    pub body: String,
    /// Unix milliseconds when it was accepted.
    pub received_at_ms: i64,
    /// The `Unipay-Node` header: the node that delivered it (empty when not named).
    pub delivered_by: String,
}

/// What the receiver keeps of an event's object, whichever kind it is.
#[derive(Debug, Default, Deserialize)]
struct Subject {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    /// Answer 503 to the first `n` attempts of each event, then accept.
    FailFirst(u32),
    /// Never acknowledge.
    AlwaysFail,
}

#[derive(Default)]
struct Book {
    /// Accepted (acknowledged) events, in arrival order, each at most once per delivery.
    accepted: Vec<ReceivedEvent>,
    attempts: HashMap<String, u32>,
    bad_signatures: u32,
    /// Payment id → indexes into `accepted`, so that a per-payment lookup does not scan every
    /// event (the benchmark waits on thousands of payments, one at a time each).
    by_payment: HashMap<String, Vec<usize>>,
    /// Event ids acknowledged at least once.
    acknowledged_ids: HashSet<String>,
    /// Acknowledged deliveries beyond the first of their event, plus acknowledged events that
    /// repeat an already acknowledged (payment, type) under a new event id.
    duplicates: u64,
    /// Tasks waiting for one payment's event of one type.
    waiters: HashMap<String, Vec<Waiter>>,
}

struct Waiter {
    event_type: String,
    reply: oneshot::Sender<ReceivedEvent>,
}

impl Book {
    fn find(&self, payment_id: &str, event_type: &str) -> Option<&ReceivedEvent> {
        self.by_payment
            .get(payment_id)?
            .iter()
            .filter_map(|&i| self.accepted.get(i))
            .find(|e| e.event_type == event_type)
    }

    /// Records an acknowledged event: counts duplicates, indexes it and wakes its waiters.
    fn accept(&mut self, event: ReceivedEvent) {
        let repeated_id = !self.acknowledged_ids.insert(event.id.clone());
        let repeated_kind =
            !repeated_id && self.find(&event.payment_id, &event.event_type).is_some();
        if repeated_id || repeated_kind {
            self.duplicates += 1;
        }
        if let Some(waiters) = self.waiters.remove(&event.payment_id) {
            let mut still_waiting = Vec::new();
            for waiter in waiters {
                if waiter.event_type == event.event_type {
                    // A waiter that gave up has dropped its receiver; nothing to do then.
                    let _ = waiter.reply.send(event.clone());
                } else {
                    still_waiting.push(waiter);
                }
            }
            if !still_waiting.is_empty() {
                self.waiters.insert(event.payment_id.clone(), still_waiting);
            }
        }
        self.by_payment
            .entry(event.payment_id.clone())
            .or_default()
            .push(self.accepted.len());
        self.accepted.push(event);
    }
}

struct Shared {
    secret: String,
    behaviour: Mutex<Behaviour>,
    book: Mutex<Book>,
    arrived: Notify,
}

#[derive(Clone)]
pub struct Receiver {
    pub address: std::net::SocketAddr,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts on 127.0.0.1 on a free port; runs until the process ends.
    pub async fn start(secret: &str) -> std::io::Result<Receiver> {
        Receiver::start_on("127.0.0.1:0", secret).await
    }

    pub async fn start_on(address: &str, secret: &str) -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            secret: secret.to_string(),
            behaviour: Mutex::new(Behaviour::Accept),
            book: Mutex::new(Book::default()),
            arrived: Notify::new(),
        });
        let app = Router::new()
            .route("/notify", post(receive))
            .with_state(shared.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "notification receiver stopped");
            }
        });
        Ok(Receiver { address, shared })
    }

    pub fn url(&self) -> String {
        format!("http://{}/notify", self.address)
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        if let Ok(mut b) = self.shared.behaviour.lock() {
            *b = behaviour;
        }
    }

    /// Every acknowledged delivery (a retried event that was acknowledged twice appears twice).
    pub fn events(&self) -> Vec<ReceivedEvent> {
        self.shared
            .book
            .lock()
            .map(|b| b.accepted.clone())
            .unwrap_or_default()
    }

    pub fn events_for(&self, payment_id: &str) -> Vec<ReceivedEvent> {
        self.events()
            .into_iter()
            .filter(|e| e.payment_id == payment_id)
            .collect()
    }

    /// Delivery attempts seen for an event, acknowledged or not.
    pub fn attempts(&self, event_id: &str) -> u32 {
        self.shared
            .book
            .lock()
            .map(|b| b.attempts.get(event_id).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    pub fn bad_signatures(&self) -> u32 {
        self.shared
            .book
            .lock()
            .map(|b| b.bad_signatures)
            .unwrap_or(0)
    }

    /// Acknowledged deliveries that repeat an event already acknowledged (same event id), or
    /// that bring a second event of one type for one payment (a new event id for the same
    /// fact). Zero when every fact reached the business system exactly once.
    pub fn duplicates(&self) -> u64 {
        self.shared.book.lock().map(|b| b.duplicates).unwrap_or(0)
    }

    /// The first acknowledged event of `event_type` for the payment, if any. Looks up the
    /// payment's own events only.
    pub fn event_for(&self, payment_id: &str, event_type: &str) -> Option<ReceivedEvent> {
        self.shared
            .book
            .lock()
            .ok()?
            .find(payment_id, event_type)
            .cloned()
    }

    /// Waits for the payment's first acknowledged event of `event_type` (at once if it has
    /// already arrived), or `None` when the timeout passes. Each call costs one map entry while
    /// it waits, whatever the number of other events: unlike [`Receiver::wait_until`] it never
    /// rescans the whole record, so thousands of concurrent waits stay cheap.
    pub async fn wait_for_event(
        &self,
        payment_id: &str,
        event_type: &str,
        timeout: Duration,
    ) -> Option<ReceivedEvent> {
        let reply = {
            let mut book = self.shared.book.lock().ok()?;
            if let Some(event) = book.find(payment_id, event_type) {
                return Some(event.clone());
            }
            let (reply, wait) = oneshot::channel();
            book.waiters
                .entry(payment_id.to_string())
                .or_default()
                .push(Waiter {
                    event_type: event_type.to_string(),
                    reply,
                });
            wait
        };
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(event)) => Some(event),
            _ => {
                // Gave up: drop this payment's abandoned waiters so that they do not pile up.
                if let Ok(mut book) = self.shared.book.lock() {
                    if let Some(waiters) = book.waiters.get_mut(payment_id) {
                        waiters.retain(|w| !w.reply.is_closed());
                        if waiters.is_empty() {
                            book.waiters.remove(payment_id);
                        }
                    }
                    // It may have arrived between the timeout and taking the lock.
                    return book.find(payment_id, event_type).cloned();
                }
                None
            }
        }
    }

    /// Waits until `done` holds for the accepted events, or the timeout passes; true if it held.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[ReceivedEvent]) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.arrived.notified();
            if done(&self.events()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return done(&self.events());
            }
        }
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let delivered_by = headers
        .get("unipay-node")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let signature = headers
        .get("unipay-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if verify_notification(&shared.secret, signature, &body, now_ms / 1000, 300).is_err() {
        if let Ok(mut book) = shared.book.lock() {
            book.bad_signatures += 1;
        }
        return StatusCode::BAD_REQUEST;
    }
    // Any kind of event: the envelope is the same, and only the object's id and status are kept.
    let event = serde_json::from_slice::<Event<'_, String, Subject>>(&body).ok();
    let (id, event_type, subject) = match event {
        Some(event) => (event.id.into_owned(), event.event_type, event.data),
        None => (String::new(), String::new(), Subject::default()),
    };
    let behaviour = shared
        .behaviour
        .lock()
        .map(|b| *b)
        .unwrap_or(Behaviour::Accept);
    let status = {
        let Ok(mut book) = shared.book.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR;
        };
        let attempts = book.attempts.entry(id.clone()).or_default();
        *attempts += 1;
        let accept = match behaviour {
            Behaviour::Accept => true,
            Behaviour::FailFirst(n) => *attempts > n,
            Behaviour::AlwaysFail => false,
        };
        if accept {
            book.accept(ReceivedEvent {
                id,
                event_type,
                payment_id: subject.id,
                status: subject.status,
                body: String::from_utf8_lossy(&body).into_owned(),
                received_at_ms: now_ms,
                delivered_by,
            });
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    shared.arrived.notify_waiters();
    status
}
