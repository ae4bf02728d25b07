use super::*;
use axum::routing::get;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn started(limits: HttpConfig) -> (SocketAddr, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stop_rx) = watch::channel(false);
    let app = Router::new().route(
        "/",
        get(|| async { "ok" }).post(|| async { (axum::http::StatusCode::UNAUTHORIZED, "no") }),
    );
    tokio::spawn(async move { serve(listener, app, &limits, stop_rx).await });
    (address, stop)
}

/// Reads until the server closes the connection, at most `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let limits = HttpConfig {
        header_read_timeout_ms: 300,
        ..HttpConfig::default()
    };
    let (address, _stop) = started(limits).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut stream, Duration::from_secs(3)).await,
        "the connection stays open while the headers never end"
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_a_slot() {
    let limits = HttpConfig {
        max_connections: 1,
        ..HttpConfig::default()
    };
    let (address, _stop) = started(limits).await;
    let mut first = TcpStream::connect(address).await.unwrap();
    first
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let read = first.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));

    let mut second = TcpStream::connect(address).await.unwrap();
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let waiting = tokio::time::timeout(Duration::from_millis(300), second.read(&mut answer)).await;
    assert!(
        waiting.is_err(),
        "a second connection is served past the cap"
    );

    drop(first);
    let read = tokio::time::timeout(Duration::from_secs(3), second.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
}

#[tokio::test]
async fn an_answer_before_the_body_is_read_closes_the_connection() {
    let (address, _stop) = started(HttpConfig::default()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    // The handler refuses on the headers; the body never comes.
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 401"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");

    // A request whose body was read whole keeps its connection.
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let read = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_ascii_lowercase();
    assert!(!answer.contains("connection: close"), "{answer}");
}
