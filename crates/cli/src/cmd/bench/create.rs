//! `unipay bench create`: the create-payment API alone. N business systems each send signed
//! `POST /v1/payments` one after another for S seconds; every answer must be a payment. The
//! steps are the business system's own (sign, the round trip that holds all of unipay's work,
//! decode), and unipay's side of the round trip is read from its `/metrics` afterwards.

use super::pgbench::{self, PgbenchArgs};
use super::profile::{self, ProfileArgs};
use super::stats::{self, ms, percentile};
use super::world::{OwnSettings, OwnWorld, peak_rss_mb};
use anyhow::bail;
use clap::Args;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use unipay_client::{CreatePayment, Payment, sign_request};
use unipay_core::ids::random_token;

const STEPS: [&str; 3] = ["sign", "round_trip", "decode"];
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Concurrent business systems, each with one request in flight at a time.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Length of the measured window.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// sqlite://PATH, or postgres://… of a server on which a fresh database is made (and
    /// dropped); default a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    #[command(flatten)]
    pgbench: PgbenchArgs,
    #[command(flatten)]
    profile: ProfileArgs,
}

pub async fn run(args: CreateArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    let mut world = OwnWorld::new()?;
    let result = tokio::select! {
        result = bench(&args, &mut world) => result,
        () = crate::cmd::shutdown_signal() => Err(anyhow::anyhow!("interrupted")),
    };
    world.finish().await;
    result
}

/// One request's steps, in microseconds.
type Steps = [u64; 3];

#[derive(Default)]
struct Tally {
    samples: Vec<Steps>,
    failed: u64,
    first_failure: Option<String>,
}

async fn bench(args: &CreateArgs, world: &mut OwnWorld) -> anyhow::Result<()> {
    let secret = random_token(40);
    let target = world
        .start(&OwnSettings {
            bank: super::world::Bank::Abc,
            database_url: args.database_url.as_deref(),
            key_bits: 1024,
            // Never paid, so never notified.
            notify_url: "http://127.0.0.1:9/notify",
            secret: &secret,
        })
        .await?;
    println!(
        "bench create: concurrency={} seconds={}",
        args.concurrency, args.seconds
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency.max(16))
        .tcp_nodelay(true)
        .timeout(HTTP_TIMEOUT)
        .build()?;
    let sender = Arc::new(Sender {
        http,
        url: format!("{}/v1/payments", target.server_url),
        app_id: target.app_id.clone(),
        secret,
        run_id: random_token(8),
    });
    let profiler = profile::start(&args.profile, target.server_pid)?;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..args.concurrency {
        let sender = sender.clone();
        let tally = tally.clone();
        workers.spawn(async move {
            let mut seq = 0u64;
            while Instant::now() < deadline {
                seq += 1;
                let result = sender.one(worker, seq).await;
                let Ok(mut tally) = tally.lock() else { return };
                match result {
                    Ok(steps) => tally.samples.push(steps),
                    Err(failure) => {
                        tally.failed += 1;
                        tally.first_failure.get_or_insert(failure);
                    }
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let tally = std::mem::take(&mut *tally.lock().map_err(|_| anyhow::anyhow!("tally lock"))?);
    let profiled = profiler
        .finish(tally.samples.len() as u64, "payment created")
        .await;

    let per_step: Vec<Vec<u64>> = (0..STEPS.len())
        .map(|i| tally.samples.iter().map(|s| s[i]).collect())
        .collect();
    for line in stats::breakdown(&STEPS, per_step) {
        println!("{line}");
    }
    if let Some(line) = server_side(
        &sender.http,
        &target.server_url,
        target.metrics_token.as_deref(),
    )
    .await
    {
        println!("{line}");
    }
    for line in profiled {
        println!("{line}");
    }
    if let Some(failure) = &tally.first_failure {
        println!("failure: {failure}");
    }
    let reference = pgbench::run_beside(&args.pgbench).await;
    let mut totals: Vec<u64> = tally.samples.iter().map(|s| s.iter().sum()).collect();
    totals.sort_unstable();
    let per_s = tally.samples.len() as f64 / elapsed.as_secs_f64().max(1e-9);
    if let Some(line) = pgbench::ratio_line(&reference, per_s) {
        println!("{line}");
    }
    let rss = target.server_pid.and_then(peak_rss_mb).unwrap_or(0.0);
    println!(
        "created_per_s={per_s:.1} p50_ms={:.1} p99_ms={:.1} failed={} rss_mb={rss:.1}",
        ms(percentile(&totals, 0.50)),
        ms(percentile(&totals, 0.99)),
        tally.failed
    );
    if tally.failed > 0 {
        bail!("{} creation(s) failed", tally.failed);
    }
    if tally.samples.is_empty() {
        bail!("no payment was created");
    }
    Ok(())
}

/// A business system creating payments, its steps timed apart.
struct Sender {
    http: reqwest::Client,
    url: String,
    app_id: String,
    secret: String,
    run_id: String,
}

impl Sender {
    async fn one(&self, worker: usize, seq: u64) -> Result<Steps, String> {
        let begun = Instant::now();
        let request = CreatePayment {
            out_trade_no: format!("bench-{}-{worker}-{seq}", self.run_id),
            amount: 1,
            currency: "CNY".into(),
            subject: "bench".into(),
            ..Default::default()
        };
        let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        let authorization = sign_request(
            &self.app_id,
            &self.secret,
            "POST",
            "/v1/payments",
            chrono::Utc::now().timestamp(),
            &random_token(24),
            &body,
        );
        let signed = Instant::now();
        let response = self
            .http
            .post(&self.url)
            .header("authorization", authorization)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let answer = response.bytes().await.map_err(|e| e.to_string())?;
        let answered = Instant::now();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&answer);
            return Err(format!(
                "HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            ));
        }
        serde_json::from_slice::<Payment>(&answer).map_err(|e| e.to_string())?;
        let decoded = Instant::now();
        let us = |from: Instant, to: Instant| {
            u64::try_from(to.duration_since(from).as_micros()).unwrap_or(u64::MAX)
        };
        Ok([
            us(begun, signed),
            us(signed, answered),
            us(answered, decoded),
        ])
    }
}

/// unipay's own view of the create route (its request-duration histogram), when it shows one.
async fn server_side(
    http: &reqwest::Client,
    server_url: &str,
    token: Option<&str>,
) -> Option<String> {
    let text = http
        .get(format!("{server_url}/metrics"))
        .bearer_auth(token?)
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let route = "method=\"POST\",route=\"/v1/payments\"";
    let value = |name: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(name) && l.contains(route))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    let count = value("unipay_http_request_duration_seconds_count")?;
    let sum = value("unipay_http_request_duration_seconds_sum")?;
    Some(format!(
        "step server       mean_ms={:.2} (unipay's own time for the route, from /metrics; \
         the rest of round_trip is HTTP and the client)",
        1000.0 * sum / count.max(1.0)
    ))
}
