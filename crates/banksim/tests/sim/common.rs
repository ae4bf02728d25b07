//! The harness: a simulator with a registered merchant, a merchant that signs requests as
//! ABC's client does (the tests' own [`super::wire`] and [`super::sdk`], not channel-abc's
//! messages), and a tiny receiver for notifications.

use super::sdk;
pub use super::wire::{NotificationFields, QueryOrder, SignedAnswer};
use super::wire::{build_request, read_answer, read_notification};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use unipay_banksim::SimConfig;
use unipay_channel_abc::crypto::{Certificate, PrivateKey};

pub const MERCHANT_ID: &str = "103881234560099";

/// 1024-bit keys, generated once per test binary (PEM, so each test gets its own key value).
fn identity(slot: &'static OnceLock<(String, Vec<u8>)>, name: &str) -> (PrivateKey, Certificate) {
    let (pem, der) = slot.get_or_init(|| {
        let key = PrivateKey::generate(1024).unwrap();
        let certificate = key.self_signed_certificate(name, 30).unwrap();
        (key.to_pkcs8_pem().unwrap(), certificate.to_der().to_vec())
    });
    (
        PrivateKey::from_pem(pem).unwrap(),
        Certificate::from_der_or_pem(der).unwrap(),
    )
}

pub fn merchant_identity() -> (PrivateKey, Certificate) {
    static SLOT: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    identity(&SLOT, "merchant.test")
}

pub fn sim_identity() -> (PrivateKey, Certificate) {
    static SLOT: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    identity(&SLOT, "MainServer.test")
}

pub struct Sim {
    pub base: String,
    pub certificate: Certificate,
    pub merchant_key: PrivateKey,
    pub http: reqwest::Client,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

pub async fn start_sim(schedule_ms: Vec<u64>) -> Sim {
    start_sim_with(|config| config.notify_schedule_ms = schedule_ms).await
}

pub async fn start_sim_with(adjust: impl FnOnce(&mut SimConfig)) -> Sim {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (key, certificate) = sim_identity();
    let (merchant_key, merchant_certificate) = merchant_identity();
    let mut config = SimConfig::new(base.clone(), key, certificate.clone());
    config
        .merchants
        .push((MERCHANT_ID.to_string(), merchant_certificate));
    config.merchant_timeout_ms = 2_000;
    adjust(&mut config);
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        unipay_banksim::serve(config, listener, async {
            let _ = stop.await;
        })
        .await
        .unwrap();
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Sim {
        base,
        certificate,
        merchant_key,
        http,
        shutdown,
        task,
    }
}

/// A PayReq's M, compact JSON as the real client writes it.
pub fn pay_message(order_no: &str, amount: &str, notify_type: &str, notify_url: &str) -> String {
    sdk::pay_req(order_no, amount, notify_type, notify_url)
        .set("MerchantRemarks", "备注<1>")
        .message()
}

/// A PayReq's M for a pre-authorization.
pub fn pre_auth_message(
    order_no: &str,
    amount: &str,
    notify_type: &str,
    notify_url: &str,
) -> String {
    pay_message(order_no, amount, notify_type, notify_url).replace(
        r#""PayTypeID":"ImmediatePay""#,
        r#""PayTypeID":"PreAuthPay""#,
    )
}

/// M around a TrxRequest the simulator's own request types write (their fields are in the
/// client's order).
pub fn request_message<T: serde::Serialize>(trx_request: T) -> String {
    let json = serde_json::to_string(&trx_request).unwrap();
    format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{MERCHANT_ID}"}},"TrxRequest":{json}}}"#
    )
}

/// A Refund's M, shaped like the real client's (but well-formed).
pub fn refund_message(order_no: &str, new_order_no: &str, amount: &str) -> String {
    sdk::refund(order_no, new_order_no, amount)
        .set("MerchantRemarks", "退款")
        .message()
}

pub fn query_message(order_no: &str) -> String {
    sdk::query(order_no).message()
}

/// What came back from the transaction endpoint, checked for the wire shape and signature.
pub struct Answer {
    pub signed: SignedAnswer,
    pub value: serde_json::Value,
}

impl Answer {
    pub fn field(&self, name: &str) -> &str {
        self.value["TrxResponse"][name].as_str().unwrap_or_default()
    }
    pub fn code(&self) -> &str {
        self.field("ReturnCode")
    }
    pub fn order_detail(&self) -> QueryOrder {
        QueryOrder::from_base64(self.field("Order"))
    }
}

impl Sim {
    /// Shuts the simulator down and waits until it has stopped (its state file written).
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        self.task.await.unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs M with the merchant key and posts the raw body as the real client does.
    pub async fn transact(&self, message: &str) -> Answer {
        let body = build_request(message, &self.merchant_key);
        self.post_raw(body).await
    }

    pub async fn post_raw(&self, body: Vec<u8>) -> Answer {
        let response = self
            .http
            .post(self.url("/ebus/trustpay/ReceiveMerchantTrxReqServlet"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), reqwest::Version::HTTP_11);
        assert_eq!(response.headers()["content-type"], "text/html; charset=GBK");
        let bytes = response.bytes().await.unwrap();
        check_answer(&bytes, &self.certificate)
    }

    pub async fn pay_req(
        &self,
        order_no: &str,
        amount: &str,
        notify_type: &str,
        notify_url: &str,
    ) -> Answer {
        self.transact(&pay_message(order_no, amount, notify_type, notify_url))
            .await
    }

    pub async fn query(&self, order_no: &str) -> Answer {
        self.transact(&query_message(order_no)).await
    }

    pub async fn refund(&self, order_no: &str, new_order_no: &str, amount: &str) -> Answer {
        self.transact(&refund_message(order_no, new_order_no, amount))
            .await
    }

    /// Registers an order and pays it without notifications; the order as the bank holds it.
    pub async fn paid(&self, order_no: &str, amount: &str) -> serde_json::Value {
        let answer = self
            .pay_req(order_no, amount, "1", "http://127.0.0.1:9/n")
            .await;
        assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
        self.pay(order_no, "success", "none").await
    }

    /// Like [`Sim::transact`], the answer's M parsed (for answers of any size).
    pub async fn transact_large(&self, message: &str) -> serde_json::Value {
        self.transact(message).await.value
    }

    pub async fn sim_post(&self, path: &str, json: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(self.url(path))
            .json(&json)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn order(&self, order_no: &str) -> serde_json::Value {
        let response = self
            .http
            .get(self.url(&format!("/sim/orders/{order_no}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn pay(&self, order_no: &str, outcome: &str, notify: &str) -> serde_json::Value {
        let (status, body) = self
            .sim_post(
                &format!("/sim/orders/{order_no}/pay"),
                serde_json::json!({ "outcome": outcome, "notify": notify }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// One GBK line plus `\n`, signed by the simulator.
pub fn check_answer(bytes: &[u8], certificate: &Certificate) -> Answer {
    assert_eq!(bytes.last(), Some(&b'\n'), "the answer ends with a newline");
    assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 1, "one line");
    let signed = read_answer(bytes, certificate);
    assert!(!signed.message.contains(": "), "no space after a colon");
    let value = serde_json::from_str(&signed.message).unwrap();
    Answer { signed, value }
}

/// A merchant's ResultNotifyURL: records every body, fails the first `failures` posts with 500,
/// then answers `<URL>http://x/y</URL>`.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
    /// The query string of each post, in order (`None`: none).
    pub queries: Arc<Mutex<Vec<Option<String>>>>,
}

#[derive(Clone)]
struct ReceiverState {
    bodies: Arc<Mutex<Vec<String>>>,
    queries: Arc<Mutex<Vec<Option<String>>>>,
    failures: usize,
    seen: Arc<AtomicUsize>,
}

async fn receive(
    State(state): State<ReceiverState>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    body: Bytes,
) -> (StatusCode, String) {
    state.queries.lock().unwrap().push(query);
    state
        .bodies
        .lock()
        .unwrap()
        .push(String::from_utf8(body.to_vec()).unwrap());
    if state.seen.fetch_add(1, Ordering::SeqCst) < state.failures {
        return (StatusCode::INTERNAL_SERVER_ERROR, "busy".into());
    }
    (
        StatusCode::OK,
        "<html><head><meta http-equiv=\"refresh\" content=\"0;url=http://x/y\"></head><URL>http://x/y</URL></html>".into(),
    )
}

pub async fn start_receiver(failures: usize) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let queries = Arc::new(Mutex::new(Vec::new()));
    let state = ReceiverState {
        bodies: bodies.clone(),
        queries: queries.clone(),
        failures,
        seen: Arc::new(AtomicUsize::new(0)),
    };
    let app = Router::new()
        .route("/notify", post(receive))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{address}/notify"),
        bodies,
        queries,
    }
}

impl Receiver {
    pub fn count(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }

    /// Waits until `n` notifications arrived (or fails after 10 s).
    pub async fn wait_for(&self, n: usize) {
        for _ in 0..1_000 {
            if self.count() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} notifications, got {}", self.count());
    }

    /// The `i`th notification's verified M (its XML), whatever its kind.
    pub fn message(&self, i: usize, certificate: &Certificate) -> String {
        let body = self.bodies.lock().unwrap()[i].clone();
        let msg = form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "MSG")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        read_notification(&msg, certificate)
    }

    /// The `i`th notification, checked: a form body with `+`, `/`, `=` percent-encoded, its
    /// MSG verifying with the simulator's certificate.
    pub fn notification(&self, i: usize, certificate: &Certificate) -> NotificationFields {
        let body = self.bodies.lock().unwrap()[i].clone();
        read_notification_form(&body, certificate)
    }
}

pub fn read_notification_form(body: &str, certificate: &Certificate) -> NotificationFields {
    assert!(body.starts_with("MSG="), "{body}");
    assert!(
        !body.contains('+') && !body["MSG=".len()..].contains('='),
        "base64 specials are percent-encoded"
    );
    let msg = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "MSG")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    NotificationFields::from_xml(&read_notification(&msg, certificate))
}
