//! Delivers business notifications: `POST notify_url` with the event body and
//! `Unipay-Signature: t=<unix>,v1=<hex HMAC-SHA256(app_secret, t + "." + body)>`. Any 2xx
//! acknowledges; otherwise the same event is tried again on the schedule, then dead-lettered.

use crate::state::AppState;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::time::Instant;
use tokio::sync::watch;
use unipay_store::outbox::{AttemptResult, NextStep, OutboxEvent};

/// The notifier as the flows' delivery port.
pub struct Notifier;

impl crate::state::Delivery for Notifier {
    fn deliver_now(&self, state: &AppState, event: OutboxEvent) {
        deliver_now(state, event);
    }
}

/// Delivers an event just written by this node, without waiting for the poll.
pub fn deliver_now(state: &AppState, event: OutboxEvent) {
    let state = state.clone();
    tokio::spawn(async move {
        let Ok(permit) = state.delivery_permits.clone().acquire_owned().await else {
            return;
        };
        deliver(&state, event).await;
        drop(permit);
    });
}

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let config = &state.config.notifier;
    let permits = state.delivery_permits.clone();
    loop {
        let claimed = state
            .store
            .claim_due_events(state.now_ms(), config.batch_size, config.lease_ms)
            .await;
        let full_batch = match claimed {
            Ok(events) => {
                let full = events.len() as i64 >= config.batch_size;
                for event in events {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        deliver(&state, event).await;
                        drop(permit);
                    });
                }
                full
            }
            Err(error) => {
                tracing::error!(%error, "notifier: claiming events failed");
                false
            }
        };
        if *shutdown.borrow() {
            return;
        }
        if full_batch {
            continue;
        }
        if super::pause::pause(&mut shutdown, config.poll_interval_ms).await {
            return;
        }
    }
}

/// The signature header value for a body sent at `t` (unix seconds).
pub fn signature_header(secret: &str, t: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return format!("t={t},v1="),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(state: &AppState, event: OutboxEvent) {
    // The event is held from other nodes only until its lease ends. One that waited here so
    // long (a busy node, a queue of deliveries) that its delivery could outlast the lease is
    // left alone: another notifier may already be sending it, and two sends would reach the
    // business system twice. It comes back, to any notifier, when the lease ends.
    let timeout_ms = i64::try_from(state.config.notifier.timeout_ms).unwrap_or(i64::MAX);
    if event
        .next_attempt_at
        .is_some_and(|lease_ends| state.now_ms().saturating_add(timeout_ms) > lease_ends)
    {
        tracing::debug!(event_id = %event.id, "notifier: lease too short for a delivery now; left for the next claim");
        return;
    }
    let started = Instant::now();
    let outcome = send(state, &event).await;
    if matches!(outcome, Ok(status) if (200..300).contains(&status)) {
        crate::crash::crash_point("notify.after_ack_before_record");
    }
    let now = state.now_ms();
    let attempt = event.attempts + 1;
    let (status_code, error) = match &outcome {
        Ok(status) if (200..300).contains(status) => (Some(*status), None),
        Ok(status) => (Some(*status), Some(format!("HTTP {status}"))),
        Err(error) => (None, Some(error.clone())),
    };
    if error.is_none() {
        let waited = u64::try_from(now.saturating_sub(event.created_at)).unwrap_or(0);
        state
            .latencies
            .delivered(std::time::Duration::from_millis(waited));
    }
    let next = if error.is_none() {
        NextStep::Delivered
    } else {
        match state.config.notifier.schedule_ms.retry_at(now, attempt) {
            Some(at) => NextStep::RetryAt(at),
            None => NextStep::DeadLetter,
        }
    };
    if next == NextStep::DeadLetter {
        tracing::warn!(event_id = %event.id, url = %event.url, "notification dead-lettered");
    }
    let result = AttemptResult {
        event_id: &event.id,
        attempt,
        status_code,
        error: error.as_deref(),
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        now_ms: now,
        next,
    };
    if let Err(error) = state.store.record_attempt(&result).await {
        // The lease runs out and the event is sent again: at least once, never lost.
        tracing::error!(%error, event_id = %event.id, "notifier: recording the attempt failed");
    }
}

async fn send(state: &AppState, event: &OutboxEvent) -> Result<u16, String> {
    let app = state
        .app(&event.app_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("app {} no longer exists", event.app_id))?;
    // The resolver checks every name; a literal address or `localhost` is checked here.
    crate::outbound::check_before_call(&event.url, &state.config)
        .map_err(|refused| format!("not called: notify_url {refused}"))?;
    let signature = signature_header(&app.secret, state.clock.now_s(), &event.body);
    let mut request = state
        .http
        .post(&event.url)
        .header("content-type", "application/json")
        .header("unipay-signature", signature)
        .header("unipay-event-id", &event.id);
    if !state.config.node_name.is_empty() {
        request = request.header("unipay-node", &state.config.node_name);
    }
    let response = request
        .body(event.body.clone())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    Ok(response.status().as_u16())
}
