//! The harness: a UnionPay-mode simulator with a registered merchant, the merchant's signing
//! (the bank client's own), a notification receiver, and the payer's clicks.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use unipay_banksim::unionpay::certificate::{KeyAndCertificate, issue};
use unipay_banksim::unionpay::{Authority, UnionPayConfig, serve};
use unipay_channel_unionpay::crypto::{Certificate, ChainOfTrust, IdentityRule};
use unipay_channel_unionpay::signing::{
    self, BankVerifier, MessageSigner, RsaCertificateSigner, SecureKeyDigest, SecureKeySigner,
};
use unipay_channel_unionpay::wire::encode_form;
use unipay_channel_unionpay::{Charset, Fields};

pub const MER_ID: &str = "777290058110048";
pub const SECURE_KEY: &str = "88888888";

/// One chain per test binary, kept in a directory each simulator loads it from.
fn key_dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("upsim-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Authority::in_dir(&dir).unwrap();
        dir
    })
}

fn merchant_identity() -> &'static (String, Vec<u8>) {
    static SLOT: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    SLOT.get_or_init(|| {
        let merchant = issue(1024, "merchant.test", 30, false, None).unwrap();
        (
            merchant.key_pem().unwrap(),
            merchant.certificate.der().to_vec(),
        )
    })
}

pub fn merchant_key() -> KeyAndCertificate {
    let (pem, der) = merchant_identity();
    KeyAndCertificate::from_pem(pem, der).unwrap()
}

pub fn rsa_signer() -> RsaCertificateSigner {
    let merchant = merchant_key();
    let certificate = Certificate::from_der_or_pem(merchant.certificate.der()).unwrap();
    RsaCertificateSigner::new(merchant.key, &certificate).unwrap()
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub struct Sim {
    pub base: String,
    pub http: reqwest::Client,
    pub root_pem: String,
    pub middle_pem: String,
    pub sign_pem: String,
    pub sm2_root_pem: String,
    pub sm2_middle_pem: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
    }
}

pub async fn start_sim(schedule_ms: Vec<u64>) -> Sim {
    let sim = start_sim_with(schedule_ms, None).await;
    sim.register_merchant().await;
    sim
}

pub async fn start_sim_with(schedule_ms: Vec<u64>, state_file: Option<std::path::PathBuf>) -> Sim {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = UnionPayConfig::new(&base, Authority::in_dir(key_dir()).unwrap());
    config.notify_schedule_ms = schedule_ms;
    config.merchant_timeout_ms = 2_000;
    config.state_file = state_file;
    let (shutdown, signal) = oneshot::channel();
    let task = tokio::spawn(async move {
        serve(config, listener, async move {
            let _ = signal.await;
        })
        .await
        .unwrap();
    });
    let http = reqwest::Client::new();
    let certs: serde_json::Value = http
        .get(format!("{base}/sim/unionpay/certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pem = |name: &str| certs[name].as_str().unwrap().to_string();
    Sim {
        root_pem: pem("root_pem"),
        middle_pem: pem("middle_pem"),
        sign_pem: pem("sign_pem"),
        sm2_root_pem: pem("sm2_root_pem"),
        sm2_middle_pem: pem("sm2_middle_pem"),
        base,
        http,
        shutdown: Some(shutdown),
        task: Some(task),
    }
}

impl Sim {
    pub async fn register_merchant(&self) {
        let pem = merchant_key().certificate.pem();
        let registered = self
            .post_json(
            "/sim/unionpay/merchants",
            serde_json::json!({ "mer_id": MER_ID, "certificate_pem": pem, "secure_key": SECURE_KEY }),
        )
        .await;
        assert_eq!(registered.0, 200, "{}", registered.1);
    }

    /// Shuts the simulator down and waits until it has (and has written its state file).
    pub async fn stop(mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// What a 5.1.0 merchant configured with the simulator's root and middle believes.
    pub fn verifier(&self) -> BankVerifier {
        BankVerifier::new()
            .with_rsa_chain(ChainOfTrust {
                root: Certificate::from_pem(&self.root_pem).unwrap(),
                middle: Certificate::from_pem(&self.middle_pem).unwrap(),
                identity: IdentityRule::AlsoTestIdentity,
            })
            .with_certificate(Certificate::from_pem(&self.sign_pem).unwrap())
            .with_secure_key(SecureKeySigner::new(SecureKeyDigest::Sha256, SECURE_KEY))
    }

    /// What a merchant signing with SM2 (signMethod 21), configured with the simulator's SM2
    /// root and middle, believes.
    pub fn sm2_verifier(&self) -> BankVerifier {
        BankVerifier::new().with_sm2_chain(ChainOfTrust {
            root: Certificate::from_pem(&self.sm2_root_pem).unwrap(),
            middle: Certificate::from_pem(&self.sm2_middle_pem).unwrap(),
            identity: IdentityRule::AlsoTestIdentity,
        })
    }

    /// Posts a form; the status and body.
    pub async fn post_form(&self, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.bytes().await.unwrap().to_vec())
    }
}

/// Fields with `pairs`, signed by `signer` and URL-encoded.
pub fn signed_form(pairs: &[(&str, &str)], signer: &dyn MessageSigner) -> (Fields, Vec<u8>) {
    let mut fields = Fields::new();
    for (key, value) in pairs {
        fields.set(key, value);
    }
    signing::sign(&mut fields, signer).unwrap();
    let body = encode_form(&fields, Charset::Utf8).unwrap();
    (fields, body)
}

pub fn txn_time() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

pub fn order_id() -> String {
    format!("T{:016x}", rand::random::<u64>())
}

/// A merchant endpoint that records every body and answers `failures` times 500 first.
pub struct Receiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

#[derive(Clone)]
struct ReceiverState {
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    failures_left: Arc<AtomicUsize>,
}

async fn receive(State(state): State<ReceiverState>, body: Bytes) -> StatusCode {
    state.bodies.lock().unwrap().push(body.to_vec());
    let refuse = state
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if refuse {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

pub async fn start_receiver(failures: usize) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let state = ReceiverState {
        bodies: bodies.clone(),
        failures_left: Arc::new(AtomicUsize::new(failures)),
    };
    let app = Router::new()
        .route("/notify", post(receive))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, bodies }
}

impl Receiver {
    /// Waits until `count` bodies came (at most 10 s).
    pub async fn wait_for(&self, count: usize) -> Vec<Vec<u8>> {
        for _ in 0..200 {
            let bodies = self.bodies.lock().unwrap().clone();
            if bodies.len() >= count {
                return bodies;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fewer than {count} notifications came");
    }
}

/// The value of `<input name="{name}" value="…">` in a page (values the simulator escaped).
pub fn input_value(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(
        page[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Every hidden input of the front-notification page, as the browser would post them.
pub fn page_fields(page: &str) -> Fields {
    let mut fields = Fields::new();
    let mut rest = page;
    while let Some(at) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[at + "<input type=\"hidden\" name=\"".len()..];
        let Some(end) = rest.find('"') else { break };
        let name = rest[..end].to_string();
        if let Some(value) = input_value(&format!("name=\"{name}\" {}", &rest[end + 2..]), &name) {
            fields.set(&name, value);
        }
    }
    fields
}
