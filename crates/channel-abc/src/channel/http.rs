//! The POST to the platform, and what each way of failing means for the outcome.

use super::account::{AbcAccount, SetupError};
use crate::wire::{MAX_BATCH_ANSWER_BYTES, MAX_MESSAGE_BYTES};
use std::time::Duration;
use unipay_core::channel::ChannelError;

/// Idle kept-alive connections are dropped well before a typical server's own idle timeout,
/// so a request rarely meets a connection the platform already closed.
const POOL_IDLE: Duration = Duration::from_secs(20);
/// Kept-alive connections to the bank, as many as a busy hour has requests in flight: a pool
/// smaller than that closes the extra connections after every burst and opens new ones for the
/// next, a handshake each and a socket left waiting out its close.
const IDLE_CONNECTIONS_KEPT: usize = 64;
const CONNECT_TIMEOUT_MAX: Duration = Duration::from_secs(10);
/// The most memory set aside for an answer before its bytes arrive.
const PREALLOCATE_MAX_BYTES: usize = 64 << 20;

pub(super) fn client(account: &AbcAccount) -> Result<reqwest::Client, SetupError> {
    let timeout = Duration::from_millis(account.timeout_ms);
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(CONNECT_TIMEOUT_MAX))
        .pool_idle_timeout(POOL_IDLE)
        .pool_max_idle_per_host(IDLE_CONNECTIONS_KEPT)
        // The real client speaks HTTP/1.1 only, and a redirect would re-send a signed request
        // somewhere we did not configure.
        .http1_only()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SetupError::Http(e.to_string()))
}

/// POSTs `body` as the real client does (raw JSON, form content type) and returns the answer
/// body, bounded. Errors say whether the request may have reached the platform.
pub(super) async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> Result<Vec<u8>, ChannelError> {
    // The answer's own limit, plus its line end.
    post_bounded(client, url, body, MAX_MESSAGE_BYTES + 2, None).await
}

/// [`post`] for a statement answer: up to `max_answer_bytes` ([`crate::wire::MAX_STATEMENT_ANSWER_BYTES`]
/// for a day's file), with the account's (longer) statement timeout.
pub(super) async fn post_statement(
    client: &reqwest::Client,
    account: &AbcAccount,
    body: Vec<u8>,
    max_answer_bytes: usize,
) -> Result<Vec<u8>, ChannelError> {
    let timeout = Duration::from_millis(account.statement_timeout_ms);
    post_bounded(
        client,
        &account.trx_url,
        body,
        max_answer_bytes.saturating_add(2),
        Some(timeout),
    )
    .await
}

/// [`post`] for the batch refund calls: a BatchRefund request and a QueryBatchRefund answer
/// can each be megabytes, so the answer may be up to [`MAX_BATCH_ANSWER_BYTES`] and the call
/// has the account's (longer) statement timeout.
pub(super) async fn post_batch(
    client: &reqwest::Client,
    account: &AbcAccount,
    body: Vec<u8>,
) -> Result<Vec<u8>, ChannelError> {
    let timeout = Duration::from_millis(account.statement_timeout_ms);
    post_bounded(
        client,
        &account.trx_url,
        body,
        MAX_BATCH_ANSWER_BYTES + 2,
        Some(timeout),
    )
    .await
}

async fn post_bounded(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    max_answer_bytes: usize,
    timeout: Option<Duration>,
) -> Result<Vec<u8>, ChannelError> {
    let mut request = client
        .post(url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body);
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    let mut response = request.send().await.map_err(send_error)?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(status_error(status));
    }
    if response.version() != reqwest::Version::HTTP_11 {
        // The real client refuses it (1206); the platform may still have acted on the request.
        return Err(ChannelError::Unknown(format!(
            "platform answered {:?}, not HTTP/1.1",
            response.version()
        )));
    }
    let declared = response.content_length();
    if declared.is_some_and(|n| n > max_answer_bytes as u64) {
        return Err(ChannelError::BadAnswer("answer too large".to_string()));
    }
    // A large answer announced up front is read into one allocation rather than doubled into
    // place, up to a point: a length is only a claim until the bytes arrive.
    let reserve = declared.map_or(0, |n| n.min(PREALLOCATE_MAX_BYTES as u64) as usize);
    let mut answer = Vec::with_capacity(reserve);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if answer.len() + chunk.len() > max_answer_bytes {
                    return Err(ChannelError::BadAnswer("answer too large".to_string()));
                }
                answer.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(answer),
            // The request was delivered and processed; only the answer was lost (1202).
            Err(err) => return Err(ChannelError::Unknown(format!("answer lost: {err}"))),
        }
    }
}

fn send_error(err: reqwest::Error) -> ChannelError {
    if err.is_builder() {
        return ChannelError::Unreachable(format!("bad request or URL: {err}"));
    }
    if err.is_connect() {
        // Refused, unresolvable, TLS failure, or connect timeout: nothing was sent (1201).
        return ChannelError::Unreachable(format!("cannot connect: {}", chain(&err)));
    }
    // Timed out or cut off after the request may have been written (1202).
    ChannelError::Unknown(format!("no answer: {}", chain(&err)))
}

/// 4xx and 503 mean the transaction servlet did not take the request; any other status may
/// have come after the platform acted on it.
fn status_error(status: reqwest::StatusCode) -> ChannelError {
    let text = format!("platform answered HTTP {status}");
    if status.is_client_error() || status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
        ChannelError::Unreachable(text)
    } else {
        ChannelError::Unknown(text)
    }
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
