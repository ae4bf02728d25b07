//! Sending result notifications to the merchant's ResultNotifyURL: once as the browser would
//! (page mode), or from the server with retries on the configured schedule until the merchant
//! answers `200` with `<URL>…</URL>`. Every attempt is recorded on the order; each server
//! attempt is shaped by the `notify` fault and the `notify_*_pct` draws.

use crate::book::{NotifyRecord, NotifyType};
use crate::clock::now_china;
use crate::faults::{Faults, NotifyFault};
use crate::notify_msg;
use crate::settle::Notice;
use crate::state::{Inner, SimState};
use std::time::Duration;
use tokio::sync::oneshot;

/// What we read of a merchant's answer at most: it only has to hold `<URL>…</URL>`.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One POST of `MSG` and what came back.
struct Sent {
    http_status: Option<u16>,
    error: Option<String>,
    url: Option<String>,
}

/// `MSG=<base64>` with `+`, `/` and `=` percent-encoded, as a browser's form submission does:
/// a raw `+` would arrive as a space and break the signature.
pub fn form_body(msg: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("MSG", msg)
        .finish()
}

async fn post(sim: &Inner, url: &str, body: String) -> Sent {
    // Bounded concurrency: a slow merchant cannot make the simulator open unbounded sockets.
    let Ok(_permit) = sim.deliveries.acquire().await else {
        return failed("delivery slots closed");
    };
    let request = sim
        .http
        .post(url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body);
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return failed(&error.to_string()),
    };
    let status = response.status().as_u16();
    let mut answer = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ANSWER_BYTES.saturating_sub(answer.len());
                answer.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
                if answer.len() >= MAX_ANSWER_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                return Sent {
                    http_status: Some(status),
                    error: Some(error.to_string()),
                    url: None,
                };
            }
        }
    }
    Sent {
        http_status: Some(status),
        error: None,
        url: result_url(&String::from_utf8_lossy(&answer)),
    }
}

fn failed(error: &str) -> Sent {
    Sent {
        http_status: None,
        error: Some(error.to_string()),
        url: None,
    }
}

/// The customer page the merchant names in `<URL>…</URL>` (tags in either case).
pub fn result_url(answer: &str) -> Option<String> {
    let upper = answer.to_ascii_uppercase();
    let start = upper.find("<URL>")? + "<URL>".len();
    let end = start + upper.get(start..)?.find("</URL>")?;
    let url = answer.get(start..end)?.trim();
    (!url.is_empty()).then(|| url.to_string())
}

fn record(
    sim: &Inner,
    notice: &Notice,
    mode: &'static str,
    attempt: u32,
    at: String,
    sent: &Sent,
    acknowledged: bool,
) {
    let entry = NotifyRecord {
        mode,
        attempt,
        at,
        http_status: sent.http_status,
        error: sent.error.clone(),
        url: sent.url.clone(),
        acknowledged,
        dropped: false,
    };
    if let Some(order) = sim.orders().get_mut(notice.id) {
        order.record(entry);
    }
}

/// Page mode played by the simulator: one POST of the NotifyType 0 message, as the consumer's
/// browser would submit the auto-posting form. The merchant's answer is recorded, not judged.
pub async fn deliver_page(sim: &Inner, notice: &Notice) {
    let msg = notify_msg::signed(sim, notice, NotifyType::Page);
    let at = now_china().to_rfc3339();
    let sent = post(sim, &notice.notify_url, form_body(&msg)).await;
    record(sim, notice, "page", 0, at, &sent, false);
}

/// Starts the server notification (NotifyType 1) in the background. `first`, when given,
/// learns the result of the first attempt: the `<URL>` the merchant acknowledged with, if any.
pub fn spawn_server(sim: SimState, notice: Notice, first: Option<oneshot::Sender<Option<String>>>) {
    tokio::spawn(async move { deliver_server(&sim, &notice, first).await });
}

async fn deliver_server(
    sim: &Inner,
    notice: &Notice,
    mut first: Option<oneshot::Sender<Option<String>>>,
) {
    let body = form_body(&notify_msg::signed(sim, notice, NotifyType::Server));
    for (index, wait) in sim.notify_schedule.iter().enumerate() {
        if !sim.sleep(*wait).await {
            return;
        }
        // A retry is moot once some delivery was acknowledged (another one may race this), or
        // once the order left the book. The first attempt always goes: it was asked for.
        let still_wanted = sim
            .orders()
            .get(notice.id)
            .is_some_and(|order| index == 0 || !order.notify_acknowledged);
        if !still_wanted {
            return;
        }
        let attempt = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let acknowledged_url = attempt_server(sim, notice, attempt, &body).await;
        if let Some(sender) = first.take() {
            // The consumer's page may have stopped waiting; nothing to do then.
            let _ = sender.send(acknowledged_url.clone());
        }
        if acknowledged_url.is_some() {
            return;
        }
    }
    tracing::info!(order_no = %notice.order_no, merchant_id = %notice.merchant_id,
        "server notification never acknowledged; schedule exhausted");
}

/// One scheduled attempt, shaped by the `notify` fault and the `notify_*_pct` draws made at
/// this moment. Returns the URL the merchant acknowledged with.
async fn attempt_server(sim: &Inner, notice: &Notice, attempt: u32, body: &str) -> Option<String> {
    let (faults, drawn) = sim.draw_faults(Faults::draw_notify);
    let mode = faults.notify;
    if mode == Some(NotifyFault::Drop) || drawn.drop {
        let cause = if mode == Some(NotifyFault::Drop) {
            "dropped by the notify fault"
        } else {
            "dropped by notify_drop_pct"
        };
        record_dropped(sim, notice, attempt, cause);
        return None;
    }
    if mode == Some(NotifyFault::Delay) || drawn.delay {
        let delay = Duration::from_millis(faults.notify_delay_ms.unwrap_or(0));
        if !sim.sleep(delay).await {
            return None;
        }
    }
    let copies = if mode == Some(NotifyFault::Duplicate) || drawn.duplicate {
        2
    } else {
        1
    };
    let mut acknowledged_url = None;
    for _ in 0..copies {
        let at = now_china().to_rfc3339();
        let sent = post(sim, &notice.notify_url, body.to_string()).await;
        let acknowledged = sent.http_status == Some(200) && sent.url.is_some();
        tracing::debug!(order_no = %notice.order_no, attempt, status = ?sent.http_status,
            error = ?sent.error, acknowledged, "server notification attempt");
        record(sim, notice, "server", attempt, at, &sent, acknowledged);
        if acknowledged && acknowledged_url.is_none() {
            acknowledged_url = sent.url;
        }
    }
    acknowledged_url
}

/// An attempt a fault swallowed: logged on the order, not counted as sent.
fn record_dropped(sim: &Inner, notice: &Notice, attempt: u32, cause: &str) {
    if let Some(order) = sim.orders().get_mut(notice.id) {
        order.record(NotifyRecord {
            mode: "server",
            attempt,
            at: now_china().to_rfc3339(),
            http_status: None,
            error: Some(cause.to_string()),
            url: None,
            acknowledged: false,
            dropped: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_merchant_url() {
        assert_eq!(
            result_url("<html><URL>http://m/ok?a=1</URL></html>").as_deref(),
            Some("http://m/ok?a=1")
        );
        assert_eq!(
            result_url("<url> http://m/x </url>").as_deref(),
            Some("http://m/x")
        );
        assert_eq!(result_url("<URL></URL>"), None);
        assert_eq!(result_url("<URL>http://m"), None);
        assert_eq!(result_url("ok"), None);
    }

    #[test]
    fn percent_encodes_the_base64_specials() {
        assert_eq!(form_body("a+b/c=="), "MSG=a%2Bb%2Fc%3D%3D");
    }
}
