//! The server's edges: clients that trickle, bodies sent before anyone is known.

use crate::harness::World;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn server_address(world: &World) -> String {
    world.server_url.trim_start_matches("http://").to_string()
}

/// Reads what the server sends until it closes the connection or `within` passes.
async fn answer_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        return;
                    }
                }
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

pub async fn unauthenticated_large_post_is_refused_before_its_body(world: &mut World) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signature = "0".repeat(64);
    for authorization in [
        // An app nobody has.
        format!(
            "UNIPAY-HMAC-SHA256 app_id=app_nobody,timestamp={now},nonce=abcdefghijklmnop,signature={signature}"
        ),
        // A real app, a timestamp a day old.
        format!(
            "UNIPAY-HMAC-SHA256 app_id={},timestamp={},nonce=abcdefghijklmnop,signature={signature}",
            world.app_id,
            now - 86_400
        ),
    ] {
        let mut stream = TcpStream::connect(server_address(world)).await.unwrap();
        let head = format!(
            "POST /v1/refund-batches HTTP/1.1\r\nHost: unipay\r\nContent-Type: application/json\r\n\
             Authorization: {authorization}\r\nContent-Length: {}\r\n\r\n",
            4 * 1024 * 1024
        );
        // Only the headers: the body never comes.
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = answer_within(&mut stream, Duration::from_secs(5))
            .await
            .expect("the server answers without waiting for the body");
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    }
}

pub async fn slow_headers_are_cut_off(world: &mut World) {
    world.kill_server().await;
    let config_path = world.dir().join("unipay.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let config = config.replace("[http]\n", "[http]\nheader_read_timeout_ms = 500\n");
    std::fs::write(&config_path, config).unwrap();
    world.start_server().await;

    let mut stream = TcpStream::connect(server_address(world)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: unipay\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buffer = [0u8; 256];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "a client trickling its headers is never cut off"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));

    // A client that sends its headers in time is served as before.
    let health = world
        .http
        .get(format!("{}/healthz", world.server_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

pub async fn metrics_need_the_token_and_keep_labels_bounded(world: &mut World) {
    let url = format!("{}/metrics", world.server_url);
    let stranger = world.http.get(&url).send().await.unwrap();
    assert_eq!(stranger.status(), 404, "metrics are served to strangers");
    let wrong = world
        .http
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);

    // Made-up methods and paths, each of which would have been a label of its own.
    for n in 0..5 {
        let method = reqwest::Method::from_bytes(format!("BREW{n}").as_bytes()).unwrap();
        world
            .http
            .request(method, format!("{}/no/such/path/{n}", world.server_url))
            .send()
            .await
            .unwrap();
    }
    let metrics = world
        .http
        .get(&url)
        .bearer_auth("e2e-metrics-token")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("BREW"), "{metrics}");
    assert!(!metrics.contains("/no/such/path"), "{metrics}");
    assert!(
        metrics.contains(
            "unipay_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 5"
        ),
        "{metrics}"
    );
}

/// With `[notify] allow_private_addresses` off (the default), a URL leading inside the
/// operator's network is refused, in any spelling of its address, and nothing is stored.
pub async fn internal_notify_urls_are_refused_unless_allowed(world: &mut World) {
    world.kill_server().await;
    let config_path = world.dir().join("unipay.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let config = config.replace(
        "allow_private_addresses = true",
        "allow_private_addresses = false",
    );
    std::fs::write(&config_path, config).unwrap();
    world.start_server().await;

    let before = world.row_counts().await;
    for (field, url) in [
        ("notify_url", "http://127.0.0.1:8080/notify"),
        ("notify_url", "http://169.254.169.254/latest/meta-data/"),
        ("notify_url", "http://[::ffff:10.0.0.1]/notify"),
        ("notify_url", "http://2130706433/notify"),
        ("notify_url", "http://localhost/notify"),
        ("return_url", "http://192.168.1.10/return"),
        ("return_url", "http://100.100.100.200/return"),
    ] {
        let body = serde_json::json!({
            "out_trade_no": "PRIVATE-1",
            "amount": 100,
            "currency": "CNY",
            "subject": "s",
            field: url,
        })
        .to_string();
        let raw = world
            .client
            .send("POST", "/v1/payments", body.as_bytes(), &[])
            .await
            .unwrap();
        assert_eq!(raw.status, 400, "{url}: {}", raw.body);
        assert_eq!(
            raw.error_code().as_deref(),
            Some("invalid_request"),
            "{url}"
        );
        assert!(raw.body.contains(field), "{}", raw.body);
    }
    world
        .assert_nothing_stored(&before, 0, "internal URLs")
        .await;

    // A public name is taken as before.
    let body = serde_json::json!({
        "out_trade_no": "PUBLIC-1",
        "amount": 100,
        "currency": "CNY",
        "subject": "s",
        "notify_url": "https://shop.example/notify",
    })
    .to_string();
    let raw = world
        .client
        .send("POST", "/v1/payments", body.as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(raw.status, 201, "{}", raw.body);
}
