//! `unipay bench refund`: N business systems, each refunding 1 fen at a time from a paid
//! payment of its own for S seconds (`POST /v1/payments/{id}/refunds` → `Refund` to the bank →
//! the refund's state change with its ledger entry and notification). Afterwards every refund
//! must have succeeded (`lost` counts those that did not) and no payment may have more refunded
//! than it took (`over_refunded`).

use super::pgbench::{self, PgbenchArgs};
use super::profile::{self, ProfileArgs};
use super::stats::{ms, percentile};
use super::world::{OwnSettings, OwnWorld, peak_rss_mb};
use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use std::time::{Duration, Instant};
use unipay_client::receiver::Receiver;
use unipay_client::{Client, CreatePayment, CreateRefund};
use unipay_core::ids::random_token;

/// Each worker's payment: enough for any run at 1 fen a refund.
const PAYMENT_FEN: i64 = 10_000_000;

#[derive(Debug, Args)]
pub struct RefundArgs {
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
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

pub async fn run(args: RefundArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    let secret = random_token(40);
    let receiver = Receiver::start_on("127.0.0.1:0", &secret).await?;
    let mut world = OwnWorld::new()?;
    let result = bench(&args, &mut world, &receiver, &secret).await;
    world.finish().await;
    result
}

async fn bench(
    args: &RefundArgs,
    world: &mut OwnWorld,
    receiver: &Receiver,
    secret: &str,
) -> anyhow::Result<()> {
    let notify_url = receiver.url();
    let target = world
        .start(&OwnSettings {
            bank: super::world::Bank::Abc,
            database_url: args.database_url.as_deref(),
            key_bits: 1024,
            notify_url: &notify_url,
            secret,
        })
        .await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let client = Client::with_http(&target.server_url, &target.app_id, secret, http.clone());
    let mut payments = Vec::new();
    for worker in 0..args.concurrency {
        let payment = client
            .create_payment(&CreatePayment {
                out_trade_no: format!("bench-refund-{worker}-{}", random_token(6)),
                amount: PAYMENT_FEN,
                currency: "CNY".into(),
                subject: "bench refund".into(),
                ..Default::default()
            })
            .await?;
        http.post(format!("{}/pay/{}", target.server_url, payment.id))
            .form(&[("payment_type", "A")])
            .send()
            .await?;
        http.post(format!(
            "{}/sim/orders/{}/pay",
            target.bank_url, payment.channel_order_no
        ))
        .json(&json!({"outcome": "success", "notify": "server"}))
        .send()
        .await?
        .error_for_status()?;
        payments.push(payment.id);
    }
    for id in &payments {
        wait_until_paid(&client, id).await?;
    }
    println!(
        "bench refund: concurrency={} seconds={} (one paid payment per worker)",
        args.concurrency, args.seconds
    );

    let _progress = crate::cmd::progress::Progress::timed("bench refund", args.seconds);
    let profiler = profile::start(&args.profile, target.server_pid)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for payment_id in payments.clone() {
        let client = client.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut refunds = Vec::new();
            while Instant::now() < deadline {
                let begun = Instant::now();
                let request = CreateRefund {
                    out_refund_no: random_token(20),
                    amount: 1,
                    reason: None,
                };
                if let Ok(refund) = client.create_refund(&payment_id, &request, None).await {
                    latencies.push(begun.elapsed().as_micros() as u64);
                    refunds.push(refund.id);
                }
            }
            (latencies, refunds)
        });
    }
    let mut latencies = Vec::new();
    let mut refund_ids = Vec::new();
    while let Some(done) = workers.join_next().await {
        let (worker_latencies, worker_refunds) = done?;
        latencies.extend(worker_latencies);
        refund_ids.extend(worker_refunds);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    for line in profiler.finish(refund_ids.len() as u64, "refund").await {
        println!("{line}");
    }

    // Every refund must end succeeded (the janitor settles any answer that was lost).
    let mut lost = 0u64;
    for id in &refund_ids {
        if !wait_until_refunded(&client, id).await {
            lost += 1;
        }
    }
    let mut over_refunded = 0u64;
    for id in &payments {
        let payment = client.get_payment(id, false).await?;
        let refunds = client.list_refunds(id).await?;
        let succeeded: i64 = refunds
            .iter()
            .filter(|r| r.status == "succeeded")
            .map(|r| r.amount)
            .sum();
        if payment.refunded_amount > payment.amount || succeeded != payment.refunded_amount {
            over_refunded += 1;
        }
    }
    let rss = target.server_pid.and_then(peak_rss_mb).unwrap_or(0.0);
    let per_s = refund_ids.len() as f64 / elapsed.as_secs_f64().max(1e-9);
    let reference = pgbench::run_beside(&args.pgbench).await;
    if let Some(line) = pgbench::ratio_line(&reference, per_s) {
        println!("{line}");
    }
    println!(
        "refunds_per_s={per_s:.1} p50_ms={:.1} p99_ms={:.1} lost={lost} over_refunded={over_refunded} rss_mb={rss:.1}",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
    );
    if lost > 0 || over_refunded > 0 {
        bail!("refunds were lost or over-refunded");
    }
    Ok(())
}

async fn wait_until_paid(client: &Client, id: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        let payment = client.get_payment(id, false).await?;
        if payment.status == "succeeded" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(anyhow::anyhow!("payment {id} was not paid")).context("setting up the benchmark")
}

async fn wait_until_refunded(client: &Client, id: &str) -> bool {
    for _ in 0..300 {
        match client.get_refund(id).await {
            Ok(refund) if refund.status == "succeeded" => return true,
            Ok(refund) if refund.status == "failed" => return false,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    false
}
