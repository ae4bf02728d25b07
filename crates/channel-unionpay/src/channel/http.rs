//! The POST to the gateway (reqwest with rustls, as the ABC client), and what each way of
//! failing means for the outcome.

use crate::wire::MAX_MESSAGE_BYTES;
use std::time::Duration;
use unipay_core::channel::ChannelError;

const POOL_IDLE: Duration = Duration::from_secs(20);
/// Kept-alive connections to the bank, as many as a busy hour has requests in flight: a pool
/// smaller than that closes the extra connections after every burst and opens new ones for the
/// next, a handshake each and a socket left waiting out its close.
const IDLE_CONNECTIONS_KEPT: usize = 64;
const CONNECT_TIMEOUT_MAX: Duration = Duration::from_secs(10);
/// A synchronous answer other than the file download is a few kilobytes; this is ample.
const MAX_ANSWER_BYTES: usize = 1 << 20;

pub(super) fn client(timeout_ms: u64) -> Result<reqwest::Client, String> {
    let timeout = Duration::from_millis(timeout_ms.max(1));
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(CONNECT_TIMEOUT_MAX))
        .pool_idle_timeout(POOL_IDLE)
        .pool_max_idle_per_host(IDLE_CONNECTIONS_KEPT)
        // A redirect would re-send a signed request somewhere we did not configure.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

/// POSTs the form `body` in `content_type` and returns the answer body, bounded. Errors say
/// whether the request may have reached the gateway.
pub(super) async fn post(
    client: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<Vec<u8>, ChannelError> {
    post_bounded(client, url, content_type, body, MAX_ANSWER_BYTES).await
}

/// As [`post`], for an answer of up to `max` bytes (a file download's).
pub(super) async fn post_bounded(
    client: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
    max: usize,
) -> Result<Vec<u8>, ChannelError> {
    let max = max.min(MAX_MESSAGE_BYTES);
    let mut response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .map_err(send_error)?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        // The SDKs read any other status as an empty answer: nothing was said about the
        // request, which 4xx and 503 say it did not take.
        let text = format!("gateway answered HTTP {status}");
        return Err(
            if status.is_client_error() || status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                ChannelError::Unreachable(text)
            } else {
                ChannelError::Unknown(text)
            },
        );
    }
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(ChannelError::BadAnswer("answer too large".to_string()));
    }
    let mut answer = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if answer.len() + chunk.len() > max {
                    return Err(ChannelError::BadAnswer("answer too large".to_string()));
                }
                answer.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(answer),
            // The request was delivered; only the answer was lost.
            Err(err) => return Err(ChannelError::Unknown(format!("answer lost: {err}"))),
        }
    }
}

fn send_error(err: reqwest::Error) -> ChannelError {
    if err.is_builder() {
        return ChannelError::Unreachable(format!("bad request or URL: {err}"));
    }
    if err.is_connect() {
        // Refused, unresolvable, TLS failure, or connect timeout: nothing was sent.
        return ChannelError::Unreachable(format!("cannot connect: {}", chain(&err)));
    }
    // Timed out or cut off after the request may have been written.
    ChannelError::Unknown(format!("no answer: {}", chain(&err)))
}

fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
