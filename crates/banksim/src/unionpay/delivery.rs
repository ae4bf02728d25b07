//! Back notifications: the transaction's result fields, sealed, URL-encoded and posted to
//! `backUrl`, retried on the schedule (UnionPay's 0, 1, 2, 4 minutes) until the merchant
//! answers HTTP 200; faults may drop, duplicate or delay the attempts.

use super::answers::{result_fields, sealed, status_code};
use super::faults::NotifyFault;
use super::form::encode_form;
use super::state::{Inner, UnionPayState};
use axum::http::header;
use std::time::Duration;

/// The signed notification of transaction `index`, with the charset it goes in.
pub fn notification(sim: &Inner, index: usize) -> Option<(String, Vec<u8>)> {
    let (message, mer_id, sealing, back_url) = {
        let book = sim.book();
        let transaction = book.get(index)?;
        let mut message = result_fields(transaction);
        let (code, text) = status_code(&transaction.status);
        message.set("respCode", code);
        message.set("respMsg", text);
        (
            message,
            transaction.mer_id.clone(),
            transaction.sealing,
            transaction.back_url.clone()?,
        )
    };
    let message = sealed(sim, &mer_id, sealing, message);
    let charset = message.charset().ok()?;
    Some((back_url, encode_form(&message, charset)))
}

/// Starts the back notification of transaction `index` in the background.
pub fn spawn_back_notification(sim: UnionPayState, index: usize) {
    tokio::spawn(async move { deliver(&sim, index).await });
}

async fn deliver(sim: &Inner, index: usize) {
    let Some((url, body)) = notification(sim, index) else {
        return;
    };
    for wait in &sim.notify_schedule {
        if !sim.sleep(*wait).await {
            return;
        }
        if attempt(sim, index, &url, &body).await {
            if let Some(transaction) = sim.book().get_mut(index) {
                transaction.notify_acknowledged = true;
            }
            return;
        }
    }
    tracing::info!(index, %url, "UnionPay back notification never acknowledged");
}

/// One scheduled attempt as the faults shape it; true when the merchant answered 200.
async fn attempt(sim: &Inner, index: usize, url: &str, body: &[u8]) -> bool {
    let faults = sim.faults();
    match faults.notify {
        Some(NotifyFault::Drop) => return false,
        Some(NotifyFault::Delay) => {
            let delay = Duration::from_millis(faults.notify_delay_ms.unwrap_or(0));
            if !sim.sleep(delay).await {
                return false;
            }
        }
        _ => {}
    }
    let copies = if faults.notify == Some(NotifyFault::Duplicate) {
        2
    } else {
        1
    };
    let mut acknowledged = false;
    for _ in 0..copies {
        if let Some(transaction) = sim.book().get_mut(index) {
            transaction.notify_attempts = transaction.notify_attempts.saturating_add(1);
        }
        let sent = sim
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().as_u16() == 200 => acknowledged = true,
            Ok(response) => {
                tracing::debug!(%url, status = %response.status(), "back notification refused");
            }
            Err(error) => tracing::debug!(%url, %error, "back notification not delivered"),
        }
    }
    acknowledged
}
