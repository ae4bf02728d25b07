//! The real client's bytes (shared/reference/abc/vectors/), replayed over a raw socket.

use crate::common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use unipay_channel_abc::crypto::Certificate;

const PAY: &[u8] = include_bytes!("../vectors/pay.raw-socket.req.raw");
const QUERY: &[u8] = include_bytes!("../vectors/query.raw-socket.req.raw");
const REFUND: &[u8] = include_bytes!("../vectors/refund.raw-socket.req.raw");
const MERCHANT_CER: &[u8] = include_bytes!("../vectors/merchant.cer");
const VECTOR_MERCHANT: &str = "103881234560010";

/// Sends a whole captured HTTP request and reads one answer (headers, Content-Length body).
async fn replay(address: &str, request: &[u8]) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "connection closed early");
        received.extend_from_slice(&buffer[..n]);
        let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&received[..end]).to_string();
        let length: usize = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        if received.len() >= end + 4 + length {
            return (head, received[end + 4..end + 4 + length].to_vec());
        }
    }
}

#[tokio::test]
async fn the_real_clients_pay_req_and_query_are_accepted() {
    let sim = start_sim_with(|config| {
        config.merchants.push((
            VECTOR_MERCHANT.to_string(),
            Certificate::from_der_or_pem(MERCHANT_CER).unwrap(),
        ));
    })
    .await;
    let address = sim.base.trim_start_matches("http://").to_string();

    let (head, body) = replay(&address, PAY).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html; charset=gbk")
    );
    let answer = check_answer(&body, &sim.certificate);
    assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
    assert_eq!(answer.field("OrderNo"), "ST20261127094744r");
    assert_eq!(answer.field("OrderAmount"), "2.00");
    assert!(
        answer
            .field("PaymentURL")
            .contains("/ebus/PaymentModeNewAct.ebf?TOKEN=")
    );

    // The vector's Query names another order: the platform does not know it.
    let (head, body) = replay(&address, QUERY).await;
    assert!(head.starts_with("HTTP/1.1 200"));
    assert_eq!(check_answer(&body, &sim.certificate).code(), "2308");

    // The real client's Refund is not valid JSON (a trailing comma, one `}` too many); read
    // leniently, it is judged on its content: the order it refunds is unknown here.
    let (head, body) = replay(&address, REFUND).await;
    assert!(head.starts_with("HTTP/1.1 200"));
    let answer = check_answer(&body, &sim.certificate);
    assert_eq!(answer.code(), "2308", "{}", answer.signed.message);

    // Registered through the API instead of the configuration works the same.
    let other = start_sim(vec![0]).await;
    let (status, _) = other
        .sim_post(
            "/sim/merchants",
            serde_json::json!({
                "merchant_id": VECTOR_MERCHANT,
                "certificate_pem": Certificate::from_der_or_pem(MERCHANT_CER).unwrap().to_pem(),
            }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = replay(other.base.trim_start_matches("http://"), PAY).await;
    assert_eq!(check_answer(&body, &other.certificate).code(), "0000");
}
