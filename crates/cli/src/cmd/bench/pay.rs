//! `unipay bench pay`: N business systems, each looping over complete payments for S seconds.
//! One payment is: create (`POST /v1/payments`) → the consumer at the cashier (`POST /pay/{id}`,
//! answered 303 to the bank) → the bank's consumer pays (`POST /sim/orders/{no}/pay`, server
//! notification) → the business system's signed `payment.succeeded` arrives at our receiver.
//! With `--bank unionpay` the bank is the simulator's UnionPay gateway: the cashier answers
//! with the signed form, which goes to the gateway (`frontTransReq.do`); the payer's page is
//! submitted with "pay", and the gateway's back notification pays it.

use super::form::first_form;
use super::pgbench::{self, PgbenchArgs};
use super::profile::{self, ProfileArgs};
use super::stats::{self, Failure, Sample, Tally};
use super::world::{Bank, LogTail, OwnSettings, OwnWorld, Target, peak_rss_mb};
use anyhow::bail;
use clap::Args;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use unipay_client::receiver::Receiver;
use unipay_client::{Client, CreatePayment, Payment};
use unipay_core::ids::random_token;

/// How long a payment's notification may take before the payment counts as lost.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long in-flight payments may take to finish after the measured window (a little over
/// `NOTIFY_TIMEOUT`, so that the per-payment timeout is what decides).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(35);
/// After the last payment, how long to listen for late duplicate deliveries.
const DUPLICATE_GRACE: Duration = Duration::from_secs(1);
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Args)]
pub struct PayArgs {
    /// Concurrent business systems, each with one payment in flight at a time.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Length of the measured window.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Own world only: sqlite://PATH, or postgres://… of a server on which a fresh database
    /// `unipay_bench_<random>` is created and dropped. Default: a fresh SQLite file.
    #[arg(long, conflicts_with = "target")]
    database_url: Option<String>,
    /// Own world only: RSA key size of the merchant and the simulated bank (ABC's own TrustPay
    /// certificate is 1024 bits).
    #[arg(long, default_value_t = 1024, conflicts_with = "target")]
    key_bits: usize,
    /// A running unipay to drive instead of starting one.
    #[arg(long, requires_all = ["app_id", "secret", "bank_url"])]
    target: Option<String>,
    /// With --target: the app to create payments as.
    #[arg(long, requires = "target")]
    app_id: Option<String>,
    /// With --target: that app's secret.
    #[arg(long, requires = "target")]
    secret: Option<String>,
    /// With --target: the bank simulator the target's channel account uses.
    #[arg(long, requires = "target")]
    bank_url: Option<String>,
    /// With --target: the unipay process whose peak RSS to report.
    #[arg(long, requires = "target")]
    server_pid: Option<u32>,
    /// Where the benchmark's notification receiver listens (unipay must reach it).
    #[arg(long, default_value = "127.0.0.1:0")]
    notify_listen: String,
    /// Amount of each payment, in fen.
    #[arg(long, default_value_t = 1)]
    amount: i64,
    /// Own world only: the bank the payments go through, each through its simulator.
    #[arg(long, value_enum, default_value_t = Bank::Abc, conflicts_with = "target")]
    bank: Bank,
    #[command(flatten)]
    pgbench: PgbenchArgs,
    #[command(flatten)]
    profile: ProfileArgs,
}

pub async fn run(args: PayArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    println!(
        "bench pay: concurrency={} seconds={} bank={}",
        args.concurrency,
        args.seconds,
        match args.bank {
            Bank::Abc => "abc",
            Bank::Unionpay => "unionpay",
        }
    );
    let secret = args.secret.clone().unwrap_or_else(|| random_token(40));
    let receiver = Receiver::start_on(&args.notify_listen, &secret).await?;

    let mut own = match args.target {
        Some(_) => None,
        None => Some(OwnWorld::new()?),
    };
    // An interrupted run still takes down what it started: the children, the temp dir and
    // the database it created.
    let measured = tokio::select! {
        measured = measure(&args, own.as_mut(), &receiver, &secret) => measured,
        () = crate::cmd::shutdown_signal() => Err(anyhow::anyhow!("interrupted")),
    };
    let server_log = own.as_ref().map(OwnWorld::server_log);
    if let Some(own) = own {
        own.finish().await;
    }
    let (outcome, rss_mb, mut notes) = measured?;
    // After the world is down, so that the two never compete for the machine.
    let reference = pgbench::run_beside(&args.pgbench).await;
    let per_s = outcome.tally.samples.len() as f64 / stats::seconds(outcome.elapsed).max(1e-9);
    notes.extend(pgbench::ratio_line(&reference, per_s));
    report(&outcome, rss_mb, server_log.as_deref(), &notes)
}

/// Sets up (or names) the world, drives the payments and reads the server's peak RSS; with
/// `--profile`, also where the server's time went.
async fn measure(
    args: &PayArgs,
    own: Option<&mut OwnWorld>,
    receiver: &Receiver,
    secret: &str,
) -> anyhow::Result<(Outcome, f64, Vec<String>)> {
    let notify_url = receiver.url();
    let target = match (own, &args.target, &args.app_id, &args.bank_url) {
        (Some(own), ..) => {
            let settings = OwnSettings {
                database_url: args.database_url.as_deref(),
                key_bits: args.key_bits,
                notify_url: &notify_url,
                secret,
                bank: args.bank,
            };
            own.start(&settings).await?
        }
        (None, Some(server_url), Some(app_id), Some(bank_url)) => Target {
            server_url: server_url.trim_end_matches('/').to_string(),
            bank_url: bank_url.trim_end_matches('/').to_string(),
            app_id: app_id.clone(),
            secret: secret.to_string(),
            server_pid: args.server_pid,
            metrics_token: None,
        },
        _ => bail!("--target needs --app-id, --secret and --bank-url"),
    };
    println!(
        "unipay: {} (pid {}), bank: {}, notifications: {notify_url}",
        target.server_url,
        target
            .server_pid
            .map_or_else(|| "unknown".to_string(), |p| p.to_string()),
        target.bank_url
    );
    let profiler = profile::start(&args.profile, target.server_pid)?;
    let outcome = drive(args, &target, receiver, notify_url).await?;
    let notes = profiler
        .finish(outcome.tally.samples.len() as u64, "payment")
        .await;
    // Read the peak while the server is still there.
    let rss_mb = target.server_pid.and_then(peak_rss_mb).unwrap_or(0.0);
    Ok((outcome, rss_mb, notes))
}

struct Outcome {
    tally: Tally,
    elapsed: Duration,
    /// Bank-accepted payments still waiting for their notification when the drain gave up.
    abandoned: u64,
    duplicates: u64,
    bad_signatures: u32,
}

/// One business system's view of the world, shared by the workers.
struct Driver {
    client: Client,
    http: reqwest::Client,
    server_url: String,
    bank_url: String,
    receiver: Receiver,
    notify_url: String,
    run_id: String,
    amount: i64,
    bank: Bank,
    /// Payments the bank accepted whose notification is being waited for.
    awaiting: AtomicU64,
}

async fn drive(
    args: &PayArgs,
    target: &Target,
    receiver: &Receiver,
    notify_url: String,
) -> anyhow::Result<Outcome> {
    // One client for every request, with room for every worker's connections to both servers
    // so that no payment pays for a TCP handshake; redirects are the cashier's answer, not
    // something to follow.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.concurrency.saturating_mul(2).max(64))
        .tcp_nodelay(true)
        .timeout(HTTP_TIMEOUT)
        .build()?;
    let driver = Arc::new(Driver {
        client: Client::with_http(
            &target.server_url,
            &target.app_id,
            &target.secret,
            http.clone(),
        ),
        http,
        server_url: target.server_url.clone(),
        bank_url: target.bank_url.clone(),
        receiver: receiver.clone(),
        notify_url,
        run_id: random_token(8),
        amount: args.amount,
        bank: args.bank,
        awaiting: AtomicU64::new(0),
    });
    let tally = Arc::new(Mutex::new(Tally::default()));
    let _progress = crate::cmd::progress::Progress::timed("bench pay", args.seconds);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..args.concurrency {
        let driver = driver.clone();
        let tally = tally.clone();
        workers.spawn(async move {
            let mut seq = 0u64;
            while Instant::now() < deadline {
                seq += 1;
                let result = driver.one_payment(worker, seq).await;
                let refused = matches!(result, Err(Failure::Step(..)));
                if let Ok(mut tally) = tally.lock() {
                    tally.record(result);
                }
                if refused {
                    // A refusing server answers fast: do not turn the run into a busy loop.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
    }
    let drained = tokio::time::timeout_at((deadline + DRAIN_TIMEOUT).into(), async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    let abandoned = if drained.is_err() {
        workers.abort_all();
        driver.awaiting.load(Ordering::SeqCst)
    } else {
        0
    };
    tokio::time::sleep(DUPLICATE_GRACE).await;
    let tally = std::mem::take(&mut *tally.lock().map_err(|_| anyhow::anyhow!("tally lock"))?);
    // The window ends at the deadline, or later if in-flight payments completed after it.
    let end = tally
        .last_completed_at
        .map_or(deadline, |last| last.max(deadline));
    Ok(Outcome {
        tally,
        elapsed: end.duration_since(started),
        abandoned,
        duplicates: receiver.duplicates(),
        bad_signatures: receiver.bad_signatures(),
    })
}

impl Driver {
    async fn one_payment(&self, worker: usize, seq: u64) -> Result<Sample, Failure> {
        let mut sample = Sample::default();
        let mut clock = Instant::now();
        let mut lap = |i: usize, sample: &mut Sample| {
            let now = Instant::now();
            sample.steps_us[i] =
                u64::try_from(now.duration_since(clock).as_micros()).unwrap_or(u64::MAX);
            clock = now;
        };

        let payment = self
            .client
            .create_payment(&CreatePayment {
                out_trade_no: format!("bench-{}-{worker}-{seq}", self.run_id),
                amount: self.amount,
                currency: "CNY".into(),
                subject: "bench".into(),
                notify_url: Some(self.notify_url.clone()),
                channel: match self.bank {
                    Bank::Abc => None,
                    Bank::Unionpay => Some("unionpay".into()),
                },
                ..Default::default()
            })
            .await
            .map_err(|e| Failure::Step("create", e.to_string()))?;
        lap(0, &mut sample);

        match self.bank {
            Bank::Abc => self.pay_at_abc(&payment, &mut sample, &mut lap).await?,
            Bank::Unionpay => {
                self.pay_at_unionpay(&payment, &mut sample, &mut lap)
                    .await?
            }
        }

        // From here the platform owes the business system a notification.
        self.awaiting.fetch_add(1, Ordering::SeqCst);
        let event = self
            .receiver
            .wait_for_event(&payment.id, "payment.succeeded", NOTIFY_TIMEOUT)
            .await;
        self.awaiting.fetch_sub(1, Ordering::SeqCst);
        if event.is_none() {
            return Err(Failure::Lost {
                payment_id: payment.id.into_owned(),
            });
        }
        lap(3, &mut sample);
        Ok(sample)
    }

    /// ABC: the cashier answers 303 to the bank's page, where the consumer pays; the bank's
    /// server notification follows.
    async fn pay_at_abc(
        &self,
        payment: &Payment,
        sample: &mut Sample,
        lap: &mut impl FnMut(usize, &mut Sample),
    ) -> Result<(), Failure> {
        let cashier = self
            .http
            .post(format!("{}/pay/{}", self.server_url, payment.id))
            .form(&[("payment_type", "A")])
            .send()
            .await
            .map_err(|e| Failure::Step("cashier", e.to_string()))?;
        let status = cashier.status();
        // Read the body to its end so that the connection goes back to the pool.
        let body = cashier.bytes().await.unwrap_or_default();
        if status.as_u16() != 303 {
            let body = String::from_utf8_lossy(&body);
            return Err(Failure::Step(
                "cashier",
                format!(
                    "HTTP {status}, not 303: {}",
                    body.chars().take(200).collect::<String>()
                ),
            ));
        }
        lap(1, sample);

        let paid = self
            .http
            .post(format!(
                "{}/sim/orders/{}/pay",
                self.bank_url, payment.channel_order_no
            ))
            .json(&json!({"outcome": "success", "notify": "server"}))
            .send()
            .await
            .map_err(|e| Failure::Step("bank_pay", e.to_string()))?;
        let status = paid.status();
        let body = paid.bytes().await.unwrap_or_default();
        if !status.is_success() {
            let body = String::from_utf8_lossy(&body);
            return Err(Failure::Step(
                "bank_pay",
                format!(
                    "HTTP {status}: {}",
                    body.chars().take(200).collect::<String>()
                ),
            ));
        }
        lap(2, sample);

        Ok(())
    }

    /// UnionPay: the cashier answers with the signed form; the consumer's browser posts it to
    /// the gateway, and pays on the gateway's page; the back notification follows.
    async fn pay_at_unionpay(
        &self,
        payment: &Payment,
        sample: &mut Sample,
        lap: &mut impl FnMut(usize, &mut Sample),
    ) -> Result<(), Failure> {
        let cashier = self
            .http
            .post(format!("{}/pay/{}", self.server_url, payment.id))
            .form(&[("payment_type", "07")])
            .send()
            .await
            .map_err(|e| Failure::Step("cashier", e.to_string()))?;
        let (action, fields) = form_answer("cashier", cashier).await?;
        lap(1, sample);
        let gateway = self
            .http
            .post(&action)
            .form(&fields)
            .send()
            .await
            .map_err(|e| Failure::Step("bank_pay", e.to_string()))?;
        let (payer_action, mut answer) = form_answer("bank_pay", gateway).await?;
        answer.push(("decision".into(), "pay".into()));
        let paid = self
            .http
            .post(&payer_action)
            .form(&answer)
            .send()
            .await
            .map_err(|e| Failure::Step("bank_pay", e.to_string()))?;
        let status = paid.status();
        // Read the body to its end so that the connection goes back to the pool. (It holds
        // the front notification the browser would carry back; the back one pays it.)
        let _ = paid.bytes().await;
        if !status.is_success() {
            return Err(Failure::Step("bank_pay", format!("HTTP {status}")));
        }
        lap(2, sample);
        Ok(())
    }
}

fn report(
    outcome: &Outcome,
    rss_mb: f64,
    server_log: Option<&LogTail>,
    notes: &[String],
) -> anyhow::Result<()> {
    let tally = &outcome.tally;
    let completed = tally.samples.len();
    let elapsed_s = stats::seconds(outcome.elapsed);
    let mut totals: Vec<u64> = tally.samples.iter().map(Sample::total_us).collect();
    totals.sort_unstable();
    let mean_ms = if totals.is_empty() {
        0.0
    } else {
        stats::ms(totals.iter().sum::<u64>()) / totals.len() as f64
    };
    let lost = tally.lost_ids.len() as u64 + outcome.abandoned;
    let payments_per_s = if elapsed_s > 0.0 {
        completed as f64 / elapsed_s
    } else {
        0.0
    };
    println!(
        "completed={completed} failed_before_bank={} elapsed_s={elapsed_s:.2} mean_ms={mean_ms:.1} \
         bad_signatures={}",
        tally.failed, outcome.bad_signatures
    );
    for line in stats::step_breakdown(&tally.samples) {
        println!("{line}");
    }
    for failure in &tally.first_failures {
        println!("failure: {failure}");
    }
    for id in tally.lost_ids.iter().take(5) {
        println!("lost: {id}");
    }
    if let Some(log) = server_log {
        let (count, first) = log.summary();
        if count > 0 {
            println!("server stderr: {count} lines, first:");
            for line in first {
                println!("  {line}");
            }
        }
    }
    for note in notes {
        println!("{note}");
    }
    println!(
        "payments_per_s={payments_per_s:.1} p50_ms={:.1} p99_ms={:.1} lost={lost} duplicated={} rss_mb={rss_mb:.1}",
        stats::ms(stats::percentile(&totals, 0.50)),
        stats::ms(stats::percentile(&totals, 0.99)),
        outcome.duplicates,
    );
    if lost != 0 || outcome.duplicates != 0 {
        bail!(
            "{lost} payment(s) lost and {} duplicate deliveries",
            outcome.duplicates
        );
    }
    if completed == 0 {
        bail!("no payment completed");
    }
    Ok(())
}

/// A page that must be 200 with a form: the form's action and fields, else the step failed.
async fn form_answer(
    step: &'static str,
    response: reqwest::Response,
) -> Result<(String, Vec<(String, String)>), Failure> {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.as_u16() != 200 {
        return Err(Failure::Step(
            step,
            format!(
                "HTTP {status}, not 200: {}",
                body.chars().take(200).collect::<String>()
            ),
        ));
    }
    first_form(&body).ok_or_else(|| Failure::Step(step, "the page has no form".into()))
}
