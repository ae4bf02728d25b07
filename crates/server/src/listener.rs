//! Accepting connections: at most `max_connections` open at once, each closed when its
//! client takes longer than `header_read_timeout_ms` to send a request's headers, and all
//! finishing the requests in flight when the server stops.

use crate::config::HttpConfig;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Serves `app` on `listener` until `stop` turns true, then waits for open connections to
/// finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpConfig,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms.max(1)));
    let mut open = JoinSet::new();
    loop {
        while open.try_join_next().is_some() {}
        // A slot first: past the cap, new connections wait in the kernel's backlog rather
        // than each costing a task and buffers here.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, mostly: wait a little rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let router = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            tower::ServiceExt::oneshot(router.clone(), request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let mut stop = stop.clone();
        open.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let finished = tokio::select! {
                finished = connection.as_mut() => finished,
                () = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = finished {
                tracing::debug!(%error, %peer, "connection ended");
            }
            drop(slot);
        });
    }
    while open.join_next().await.is_some() {}
}

/// Resolves once `stop` is (or already was) true.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests;
