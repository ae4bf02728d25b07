//! The channel against a tiny scripted HTTP server on 127.0.0.1.

use super::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Builds the answer body from the request body.
pub(super) type MakeAnswer = Box<dyn FnOnce(&[u8]) -> Vec<u8> + Send>;

/// What the scripted server does with the one request it takes.
pub(super) enum Script {
    /// Answers `HTTP/1.1 200` with this body (built from the request body).
    Answer(MakeAnswer),
    /// Sends these raw bytes as the whole response.
    Raw(Vec<u8>),
    /// Reads the request and never answers.
    Silence,
    /// Reads the request and hangs up.
    HangUp,
}

/// Serves one request; returns the URL and a handle yielding the request (head, body).
pub(super) async fn serve(script: Script) -> (String, tokio::task::JoinHandle<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/ebus/trustpay/ReceiveMerchantTrxReqServlet",
        listener.local_addr().unwrap()
    );
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let (head, body) = loop {
            let n = socket.read(&mut buf).await.unwrap();
            raw.extend_from_slice(&buf[..n]);
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..at]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                while raw.len() < at + 4 + len {
                    let n = socket.read(&mut buf).await.unwrap();
                    raw.extend_from_slice(&buf[..n]);
                }
                break (head, raw[at + 4..at + 4 + len].to_vec());
            }
        };
        let response = match script {
            Script::Answer(make) => {
                let answer = make(&body);
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=GBK\r\nContent-Length: {}\r\n\r\n",
                    answer.len()
                )
                .into_bytes();
                r.extend_from_slice(&answer);
                r
            }
            Script::Raw(bytes) => bytes,
            Script::Silence => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Vec::new()
            }
            Script::HangUp => Vec::new(),
        };
        socket.write_all(&response).await.unwrap();
        socket.shutdown().await.ok();
        (head, body)
    });
    (url, handle)
}

pub(super) fn channel(url: &str) -> AbcChannel {
    let mut account = account(url);
    account.timeout_ms = 500;
    AbcChannel::new(account).unwrap()
}

fn pay_answer(body: &[u8], key: &PrivateKey) -> Vec<u8> {
    use crate::messages::{PayRequest, PayResponse, RequestMessage};
    let signed = crate::wire::cut_request(body).unwrap();
    signed.verify(&merchant_cert()).unwrap();
    let request: RequestMessage<PayRequest> = RequestMessage::read(signed.message).unwrap();
    let response = PayResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "PayReq".to_string(),
        order_no: request.trx_request.order.order_no.clone(),
        order_amount: request.trx_request.order.order_amount.clone(),
        one_qr_for_all: String::new(),
        payment_url: "https://pay.test.example/ebus/PaymentModeNewAct.ebf?TOKEN=1".to_string(),
    };
    let json = ResponseMessage::new(MID, response).to_json().unwrap();
    build_answer(&json, key, SignatureAlgorithm::Sha1WithRsa)
}

#[tokio::test]
async fn request_payment_posts_the_signed_body_and_returns_the_url() {
    let (url, server) = serve(Script::Answer(Box::new(|body| pay_answer(body, &bank().0)))).await;
    let redirect = channel(&url)
        .request_payment(&payment("P-2", 200))
        .await
        .unwrap();
    assert_eq!(
        redirect,
        PaymentRedirect::Url("https://pay.test.example/ebus/PaymentModeNewAct.ebf?TOKEN=1".into())
    );
    let (head, body) = server.await.unwrap();
    assert!(head.starts_with("POST /ebus/trustpay/ReceiveMerchantTrxReqServlet HTTP/1.1"));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded")
    );
    assert!(body.starts_with(b"{\"Message\":{\"Version\":\"V3.0.0\""));
    assert!(body.ends_with(b"\"}\n"));
}

#[tokio::test]
async fn an_answer_signed_by_another_key_is_a_bad_answer() {
    let impostor = PrivateKey::generate(1024).unwrap();
    let (url, _server) = serve(Script::Answer(Box::new(move |body| {
        pay_answer(body, &impostor)
    })))
    .await;
    let err = channel(&url)
        .request_payment(&payment("P-3", 200))
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::BadAnswer(_)), "{err:?}");
}

#[tokio::test]
async fn refusals_and_unknowns_from_the_platform() {
    let (url, _s) = serve(Script::Answer(Box::new(|_| {
        error_answer("2001", "商户号不存在")
    })))
    .await;
    let err = channel(&url)
        .request_payment(&payment("P-4", 200))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChannelError::Refused { ref code, .. } if code == "2001"),
        "{err:?}"
    );
    let (url, _s) = serve(Script::Answer(Box::new(|_| error_answer("EUNKWN", "未知")))).await;
    let err = channel(&url)
        .request_payment(&payment("P-5", 200))
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
}

#[tokio::test]
async fn query_payment_reads_status_and_unknown_orders() {
    let (url, server) = serve(Script::Answer(Box::new(|_| query_answer("04")))).await;
    let answer = channel(&url).query_payment("Q1", 0, 0).await.unwrap();
    assert_eq!(answer.raw.sha256.len(), 64);
    assert!(
        answer.raw.masked.contains("\"TrxType\":\"Query\""),
        "{}",
        answer.raw.masked
    );
    let state = answer.state;
    assert!(
        matches!(state, BankPaymentState::Paid(ref p) if p.amount.fen() == 1234),
        "{state:?}"
    );
    let (_, body) = server.await.unwrap();
    let signed = crate::wire::cut_request(&body).unwrap();
    signed.verify(&merchant_cert()).unwrap();
    assert!(signed.message_text().unwrap().contains(r#""TrxRequest":{"TrxType":"Query","PayTypeID":"ImmediatePay","OrderNo":"Q1","QueryDetail":"false"}"#));

    let (url, _s) = serve(Script::Answer(Box::new(|_| {
        error_answer("2308", "订单不存在")
    })))
    .await;
    assert_eq!(
        channel(&url).query_payment("Q1", 0, 0).await.unwrap().state,
        BankPaymentState::Unpaid
    );
}

#[tokio::test]
async fn transport_failures_say_whether_the_request_may_have_arrived() {
    // Nothing listens: never sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/x", listener.local_addr().unwrap());
    drop(listener);
    let err = channel(&url).query_payment("Q1", 0, 0).await.unwrap_err();
    assert!(matches!(err, ChannelError::Unreachable(_)), "{err:?}");

    let (url, _s) = serve(Script::Silence).await;
    let err = channel(&url).query_payment("Q1", 0, 0).await.unwrap_err();
    assert!(matches!(err, ChannelError::Unknown(_)), "timeout: {err:?}");

    let (url, _s) = serve(Script::HangUp).await;
    let err = channel(&url).query_payment("Q1", 0, 0).await.unwrap_err();
    assert!(matches!(err, ChannelError::Unknown(_)), "hang-up: {err:?}");

    let raw = |status: &str| {
        format!("{status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes()
    };
    let (url, _s) = serve(Script::Raw(raw("HTTP/1.1 500 Internal Server Error"))).await;
    let err = channel(&url).query_payment("Q1", 0, 0).await.unwrap_err();
    assert!(matches!(err, ChannelError::Unknown(_)), "500: {err:?}");

    let (url, _s) = serve(Script::Raw(raw("HTTP/1.1 404 Not Found"))).await;
    let err = channel(&url).query_payment("Q1", 0, 0).await.unwrap_err();
    assert!(matches!(err, ChannelError::Unreachable(_)), "404: {err:?}");

    let mut answer = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n".to_vec();
    answer.extend_from_slice(&query_answer("04")[..3]);
    let (url, _s) = serve(Script::Raw(answer)).await;
    let err = channel(&url).query_payment("Q1", 0, 0).await.unwrap_err();
    assert!(
        matches!(err, ChannelError::Unknown(ref m) if m.contains("HTTP/1.1")),
        "HTTP/1.0: {err:?}"
    );

    let mut big = b"HTTP/1.1 200 OK\r\nContent-Length: 9000\r\n\r\n".to_vec();
    big.resize(big.len() + 9000, b'x');
    let (url, _s) = serve(Script::Raw(big)).await;
    let err = channel(&url).query_payment("Q1", 0, 0).await.unwrap_err();
    assert!(
        matches!(err, ChannelError::BadAnswer(_)),
        "oversize: {err:?}"
    );
}
