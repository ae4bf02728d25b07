//! The business system and its customers during the chaos run: payments (paid with a server
//! notification, a page notification, both or none; declined; abandoned; closed, some racing
//! the consumer), partial and full refunds (some racing each other), refund batches,
//! pre-authorizations captured or cancelled, and debits on signed mandates. Every request goes
//! through the balancer; one that a dying node or the balancer failed is sent again with the
//! same Idempotency-Key, as a business system must.

use super::balancer::BALANCER_HEADER;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use unipay_client::receiver::Receiver;
use unipay_client::{Client, ClientError, RawResponse};

/// How long one request is retried before the operation gives up on it.
const RETRY_FOR: Duration = Duration::from_secs(60);
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// Every payment of the run expires this soon, so that abandoned ones are closed within the
/// run's wait for everything to be final.
pub const PAYMENT_LIFE_S: i64 = 45;
/// How long a pre-authorization waits for its authorization before it is left as it is.
const AUTHORIZATION_PATIENCE: Duration = Duration::from_secs(20);

/// The balancer's own answers, recognised by their body (the client does not show headers).
const BALANCER_BODIES: [&str; 3] = [
    "no node ready",
    "node failed mid-request",
    "node failed mid-answer",
];

#[derive(Default)]
pub struct Counters {
    pub operations: AtomicU64,
    /// Requests sent again because a node died under them or none was ready.
    pub retried_requests: AtomicU64,
    /// Requests that failed (transport error or a balancer answer) while the rolling restart ran.
    pub failed_during_rolling_restart: AtomicU64,
    /// Operations that gave up (a request kept failing for `RETRY_FOR`).
    pub abandoned_operations: AtomicU64,
}

/// A paid payment refunds may be taken from, with what is left to refund as far as this
/// business system has asked.
struct Refundable {
    id: String,
    left: i64,
}

pub struct Business {
    pub client: Client,
    http: reqwest::Client,
    balancer_url: String,
    bank_url: String,
    notify_url: String,
    receiver: Receiver,
    rng: Mutex<StdRng>,
    refundable: Mutex<Vec<Refundable>>,
    pub mandates: Mutex<Vec<String>>,
    pub counters: Counters,
    /// Set while the rolling restart runs: no request may fail then.
    pub rolling: AtomicBool,
    run_id: String,
    sequence: AtomicU64,
}

/// What a request came to after its retries.
enum Sent {
    Answer(RawResponse),
    GaveUp,
}

impl Business {
    pub fn new(
        client: Client,
        balancer_url: &str,
        bank_url: &str,
        receiver: Receiver,
        seed: u64,
        run_id: &str,
    ) -> anyhow::Result<Business> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Business {
            client,
            http,
            balancer_url: balancer_url.to_string(),
            bank_url: bank_url.to_string(),
            notify_url: receiver.url(),
            receiver,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            refundable: Mutex::default(),
            mandates: Mutex::default(),
            counters: Counters::default(),
            rolling: AtomicBool::new(false),
            run_id: run_id.to_string(),
            sequence: AtomicU64::new(0),
        })
    }

    fn roll(&self, below: u32) -> u32 {
        self.rng
            .lock()
            .map(|mut rng| rng.random_range(0..below.max(1)))
            .unwrap_or(0)
    }

    fn amount(&self, low: i64, high: i64) -> i64 {
        self.rng
            .lock()
            .map(|mut rng| rng.random_range(low..=high))
            .unwrap_or(low)
    }

    fn next_no(&self, prefix: &str) -> String {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}-{}-{n}", self.run_id)
    }

    fn failed_attempt(&self) {
        self.counters
            .retried_requests
            .fetch_add(1, Ordering::Relaxed);
        if self.rolling.load(Ordering::SeqCst) {
            self.counters
                .failed_during_rolling_restart
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A signed API request, sent again (same body, same Idempotency-Key) while the cluster
    /// fails it.
    async fn api(&self, method: &str, path: &str, body: &Value, key: Option<&str>) -> Sent {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let headers: Vec<(&str, String)> = key
            .map(|key| vec![("idempotency-key", key.to_string())])
            .unwrap_or_default();
        let deadline = tokio::time::Instant::now() + RETRY_FOR;
        loop {
            match self.client.send(method, path, &body, &headers).await {
                Ok(raw) if !is_balancer_failure(&raw) => return Sent::Answer(raw),
                Ok(_) | Err(ClientError::Transport(_)) => self.failed_attempt(),
                Err(_) => self.failed_attempt(),
            }
            if tokio::time::Instant::now() >= deadline {
                self.counters
                    .abandoned_operations
                    .fetch_add(1, Ordering::Relaxed);
                return Sent::GaveUp;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    /// The consumer at the cashier: true when the bank's page was reached (303 to it).
    async fn checkout(&self, payment_id: &str) -> bool {
        let deadline = tokio::time::Instant::now() + RETRY_FOR;
        loop {
            let answer = self
                .http
                .post(format!("{}/pay/{payment_id}", self.balancer_url))
                .form(&[("payment_type", "A")])
                .send()
                .await;
            match answer {
                Ok(answer) if answer.headers().get(BALANCER_HEADER).is_none() => {
                    return answer.status().as_u16() == 303;
                }
                _ => self.failed_attempt(),
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    /// The consumer on the bank's page. `notify` is how the bank tells unipay.
    async fn bank_pays(&self, order_no: &str, outcome: &str, notify: &str) -> bool {
        self.http
            .post(format!("{}/sim/orders/{order_no}/pay", self.bank_url))
            .json(&json!({"outcome": outcome, "notify": notify}))
            .send()
            .await
            .is_ok_and(|answer| answer.status().is_success())
    }

    async fn create_payment(&self, capture_manual: bool) -> Option<Value> {
        let out_trade_no = self.next_no("chaos");
        let mut body = json!({
            "out_trade_no": out_trade_no,
            "amount": self.amount(100, 50_000),
            "currency": "CNY",
            "subject": "chaos",
            "notify_url": self.notify_url,
            "expires_in_seconds": PAYMENT_LIFE_S,
        });
        if capture_manual {
            body["capture"] = json!("manual");
        }
        match self
            .api("POST", "/v1/payments", &body, Some(&out_trade_no))
            .await
        {
            Sent::Answer(raw) if raw.status == 201 => Some(raw.json()),
            _ => None,
        }
    }

    /// A new payment whose consumer went through the cashier to the bank's page: the payment,
    /// its id and its bank order number.
    async fn at_the_bank(&self, capture_manual: bool) -> Option<(Value, String, String)> {
        let payment = self.create_payment(capture_manual).await?;
        let id = payment["id"].as_str()?.to_string();
        let order_no = payment["channel_order_no"].as_str()?.to_string();
        self.checkout(&id).await.then_some((payment, id, order_no))
    }

    /// One operation, chosen at random by weight.
    pub async fn one_operation(&self) {
        let pick = self.roll(100);
        match pick {
            0..45 => self.payment().await,
            45..52 => self.abandoned_payment().await,
            52..58 => self.closed_payment().await,
            58..78 => self.refund().await,
            78..88 => self.pre_authorization().await,
            _ => self.debit().await,
        }
        self.counters.operations.fetch_add(1, Ordering::Relaxed);
    }

    async fn payment(&self) {
        let Some((payment, id, order_no)) = self.at_the_bank(false).await else {
            return;
        };
        let notify = match self.roll(20) {
            0..10 => "server",
            10..15 => "both",
            15..18 => "page",
            _ => "none",
        };
        let outcome = if self.roll(10) == 0 {
            "decline"
        } else {
            "success"
        };
        if self.bank_pays(&order_no, outcome, notify).await && outcome == "success" {
            let amount = payment["amount"].as_i64().unwrap_or(0);
            if let Ok(mut refundable) = self.refundable.lock() {
                refundable.push(Refundable {
                    id: id.to_string(),
                    left: amount,
                });
            }
        }
    }

    async fn abandoned_payment(&self) {
        if let Some(payment) = self.create_payment(false).await
            && let Some(id) = payment["id"].as_str()
            && self.roll(2) == 0
        {
            self.checkout(id).await;
        }
    }

    /// Closed by the business system; one in three while the consumer pays at the same time.
    async fn closed_payment(&self) {
        let Some((_, id, order_no)) = self.at_the_bank(false).await else {
            return;
        };
        let close_path = format!("/v1/payments/{id}/close");
        if self.roll(3) == 0 {
            let close = self.api("POST", &close_path, &Value::Null, None);
            let pay = self.bank_pays(&order_no, "success", "server");
            tokio::join!(close, pay);
        } else {
            self.api("POST", &close_path, &Value::Null, None).await;
        }
    }

    /// A partial or full refund of a paid payment; one in five races a second refund that
    /// together with the first asks for more than is left.
    async fn refund(&self) {
        let target = {
            let Ok(mut refundable) = self.refundable.lock() else {
                return;
            };
            refundable.retain(|r| r.left > 0);
            if refundable.is_empty() {
                None
            } else {
                let index = self.roll(u32::try_from(refundable.len()).unwrap_or(u32::MAX));
                refundable
                    .get(index as usize)
                    .map(|r| (r.id.clone(), r.left))
            }
        };
        let Some((payment_id, left)) = target else {
            return self.payment().await;
        };
        // A payment is refundable once its success is known to the platform, which may be a
        // moment after the bank paid it.
        if self
            .receiver
            .wait_for_event(&payment_id, "payment.succeeded", Duration::from_secs(10))
            .await
            .is_none()
        {
            return;
        }
        let path = format!("/v1/payments/{payment_id}/refunds");
        let racing = self.roll(5) == 0 && left >= 2;
        let amounts = if racing {
            let each = left * 3 / 5;
            vec![each.max(1), each.max(1)]
        } else if self.roll(3) == 0 {
            vec![left]
        } else {
            vec![self.amount(1, left)]
        };
        let taken = match amounts.as_slice() {
            [first, second] => {
                let (a, b) = tokio::join!(
                    self.refund_once(&path, *first),
                    self.refund_once(&path, *second)
                );
                a + b
            }
            amounts => {
                let mut taken = 0;
                for amount in amounts {
                    taken += self.refund_once(&path, *amount).await;
                }
                taken
            }
        };
        if let Ok(mut refundable) = self.refundable.lock()
            && let Some(entry) = refundable.iter_mut().find(|r| r.id == payment_id)
        {
            entry.left -= taken;
        }
    }

    /// One refund request; the amount the platform accepted (0 when refused).
    async fn refund_once(&self, path: &str, amount: i64) -> i64 {
        let out_refund_no = self.next_no("rf");
        let body = json!({"out_refund_no": out_refund_no, "amount": amount});
        match self.api("POST", path, &body, Some(&out_refund_no)).await {
            Sent::Answer(raw) if raw.status == 201 => amount,
            _ => 0,
        }
    }

    /// A refund batch of one fen from each of a few paid payments.
    pub async fn refund_batch(&self) {
        let lines: Vec<Value> = {
            let Ok(mut refundable) = self.refundable.lock() else {
                return;
            };
            refundable
                .iter_mut()
                .filter(|r| r.left > 0)
                .take(5)
                .map(|r| {
                    r.left -= 1;
                    json!({"payment_id": r.id, "out_refund_no": self.next_no("brf"), "amount": 1})
                })
                .collect()
        };
        for line in &lines {
            if let Some(id) = line["payment_id"].as_str() {
                self.receiver
                    .wait_for_event(id, "payment.succeeded", Duration::from_secs(10))
                    .await;
            }
        }
        if lines.is_empty() {
            return;
        }
        let out_batch_no = self.next_no("batch");
        let body = json!({"out_batch_no": out_batch_no, "lines": lines});
        self.api("POST", "/v1/refund-batches", &body, Some(&out_batch_no))
            .await;
        self.counters.operations.fetch_add(1, Ordering::Relaxed);
    }

    async fn pre_authorization(&self) {
        let Some((payment, id, order_no)) = self.at_the_bank(true).await else {
            return;
        };
        if !self.bank_pays(&order_no, "success", "server").await {
            return;
        }
        if self
            .receiver
            .wait_for_event(&id, "payment.authorized", AUTHORIZATION_PATIENCE)
            .await
            .is_none()
        {
            return;
        }
        let amount = payment["amount"].as_i64().unwrap_or(1);
        match self.roll(3) {
            0 => {
                self.api(
                    "POST",
                    &format!("/v1/payments/{id}/cancel"),
                    &Value::Null,
                    None,
                )
                .await;
            }
            _ => {
                let body = json!({"amount": self.amount(1, amount)});
                self.api("POST", &format!("/v1/payments/{id}/capture"), &body, None)
                    .await;
            }
        }
    }

    async fn debit(&self) {
        let mandate = {
            let Ok(mandates) = self.mandates.lock() else {
                return;
            };
            if mandates.is_empty() {
                None
            } else {
                let index = self.roll(u32::try_from(mandates.len()).unwrap_or(u32::MAX));
                mandates.get(index as usize).cloned()
            }
        };
        let Some(mandate) = mandate else {
            return self.payment().await;
        };
        let out_trade_no = self.next_no("debit");
        let body = json!({"out_trade_no": out_trade_no, "amount": self.amount(1, 5_000), "subject": "chaos debit"});
        self.api(
            "POST",
            &format!("/v1/mandates/{mandate}/debits"),
            &body,
            Some(&out_trade_no),
        )
        .await;
    }

    /// Signs `count` mandates before the chaos starts (the customer agrees on the bank's page).
    pub async fn sign_mandates(&self, count: usize) -> anyhow::Result<()> {
        for i in 0..count {
            let out_mandate_no = self.next_no("mdt");
            let body = json!({
                "out_mandate_no": out_mandate_no,
                "customer_ref": format!("chaos-{i}"),
                "card_type": "1",
                "certificate_type": "I",
                "certificate_no": "110105194912310021",
                "expires_on": "2099-12-31",
            });
            let Sent::Answer(raw) = self
                .api("POST", "/v1/mandates", &body, Some(&out_mandate_no))
                .await
            else {
                anyhow::bail!("creating a mandate failed");
            };
            let mandate = raw.json();
            let (Some(id), Some(sign_url)) = (mandate["id"].as_str(), mandate["sign_url"].as_str())
            else {
                anyhow::bail!("mandate refused: {}", raw.body);
            };
            let token = sign_url.split("TOKEN=").nth(1).unwrap_or_default();
            let card = format!("62284800000{:08}", i + 1);
            let signed = self
                .http
                .post(format!("{}/sim/agent/consumer", self.bank_url))
                .form(&[("TOKEN", token), ("action", "agree"), ("card_no", &card)])
                .send()
                .await?;
            if !signed.status().is_success() {
                anyhow::bail!("the bank's signing page refused: {}", signed.status());
            }
            if self
                .receiver
                .wait_for_event(id, "mandate.active", Duration::from_secs(20))
                .await
                .is_none()
            {
                anyhow::bail!("mandate {id} did not become active");
            }
            if let Ok(mut mandates) = self.mandates.lock() {
                mandates.push(id.to_string());
            }
        }
        Ok(())
    }
}

fn is_balancer_failure(raw: &RawResponse) -> bool {
    matches!(raw.status, 502 | 503) && BALANCER_BODIES.contains(&raw.body.as_str())
}
