//! `unipay bench chaos`: the promise "no payment result lost, none reported twice" tested the
//! way it is broken in production. N unipay nodes on one database behind a load balancer, the
//! bank simulator dropping, duplicating and delaying its notifications, answering `EUNKWN`
//! for a while and letting calls time out, a business system with a mixed workload, and a
//! node killed every few seconds — from outside, or at a crash point between two steps that
//! must survive it — then restarted; once, a rolling restart with SIGTERM during which no
//! request may fail. At the end the faults stop, everything is let become final, and the
//! platform is judged against the bank's book, the business system's inbox, the ledger and
//! the day's reconciliation (see `verdict.rs`). One line sums it up; any problem fails the run.

mod balancer;
mod cluster;
mod verdict;
mod workload;

use super::world::{OwnSettings, OwnWorld};
use anyhow::{Context, bail};
use balancer::Balancer;
use clap::Args;
use cluster::{Node, NodeSettings};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use unipay_client::Client;
use unipay_client::receiver::Receiver;
use unipay_core::ids::random_token;
use workload::Business;

/// How long the run waits, after the faults stop, for every payment, refund and notification
/// to be final.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long an armed crash point has to be reached before the node is killed from outside.
const CRASH_POINT_PATIENCE: Duration = Duration::from_secs(3);
const MANDATES: usize = 3;

/// The nodes' settings: fast schedules and short leases, so that what a dead node held is
/// taken over within the run.
const NODE_CONFIG: &str = r#"
shutdown_drain_ms = 500
[janitor]
query_schedule_ms = [500, 500, 1000, 1000, 2000]
poll_interval_ms = 200
lease_ms = 4000
resend_grace_ms = 5000
[notifier]
schedule_ms = [0, 300, 1000, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000]
poll_interval_ms = 200
lease_ms = 6000
timeout_ms = 3000
[books]
scheduled = false
[notify]
# The business system listens on 127.0.0.1, beside the nodes.
allow_private_addresses = true
"#;

#[derive(Debug, Args)]
pub struct ChaosArgs {
    /// unipay nodes on the one database (more than one needs PostgreSQL).
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// How long the workload and the faults run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// sqlite://PATH, or postgres://… of a server on which a fresh database is created and
    /// dropped. Default: a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// Makes the run's random choices (workload, faults, kills) repeatable.
    #[arg(long)]
    seed: Option<u64>,
    /// Concurrent customers of the business system.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Leave the database and the run's folder (nodes' configuration) behind, to look into a
    /// failure.
    #[arg(long)]
    keep: bool,
}

/// A node life that ended during the run.
#[derive(Debug, Clone)]
pub struct Kill {
    pub at_ms: i64,
    pub node: String,
    pub how: String,
    /// Killed or crashed, rather than stopped gracefully.
    pub abrupt: bool,
}

struct Run {
    nodes: tokio::sync::Mutex<Vec<Node>>,
    node_settings: NodeSettings,
    kills: Mutex<Vec<Kill>>,
    restarts: std::sync::atomic::AtomicU64,
    rng: Mutex<StdRng>,
    bank_url: String,
    http: reqwest::Client,
}

impl Run {
    fn roll(&self, below: u64) -> u64 {
        self.rng
            .lock()
            .map(|mut rng| rng.random_range(0..below.max(1)))
            .unwrap_or(0)
    }

    fn record(&self, node: &str, how: String, abrupt: bool) {
        println!("kill: {node} {how}");
        if let Ok(mut kills) = self.kills.lock() {
            kills.push(Kill {
                at_ms: chrono::Utc::now().timestamp_millis(),
                node: node.to_string(),
                how,
                abrupt,
            });
        }
    }

    /// Kills one node, from outside or at a crash point, and starts it again.
    async fn kill_one(&self) -> anyhow::Result<()> {
        let mut nodes = self.nodes.lock().await;
        let count = nodes.len() as u64;
        let Some(node) = nodes.get_mut(self.roll(count) as usize) else {
            return Ok(());
        };
        let points = unipay_server::crash::CRASH_POINTS;
        let at_point = unipay_server::crash::COMPILED_IN && self.roll(3) != 0;
        if let (true, Some(url)) = (at_point, node.url()) {
            let point = points[self.roll(points.len() as u64) as usize];
            let armed = self
                .http
                .post(format!("{url}/chaos/crash-points/{point}"))
                .send()
                .await
                .is_ok_and(|answer| answer.status().is_success());
            if armed && node.wait_for_death(CRASH_POINT_PATIENCE).await {
                self.record(&node.name, format!("crashed at {point}"), true);
            } else {
                node.kill().await;
                self.record(
                    &node.name,
                    format!("SIGKILL ({point} not reached within {CRASH_POINT_PATIENCE:?})"),
                    true,
                );
            }
        } else {
            node.kill().await;
            self.record(&node.name, "SIGKILL".into(), true);
        }
        node.start(&self.node_settings).await?;
        self.restarts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Every node in turn: SIGTERM, wait for it to finish, start it again, wait until ready.
    async fn rolling_restart(&self) -> anyhow::Result<()> {
        let mut nodes = self.nodes.lock().await;
        for node in nodes.iter_mut() {
            let name = node.name.clone();
            node.terminate().await?;
            self.record(&name, "SIGTERM (rolling restart)".into(), false);
            node.start(&self.node_settings).await?;
            self.restarts.fetch_add(1, Ordering::Relaxed);
            wait_ready(&self.http, node).await?;
        }
        Ok(())
    }

    /// The bank's misbehaviour for the run; `unknown_for_ms` opens a window in which every
    /// query answers `EUNKWN`.
    async fn set_bank_faults(&self, seed: u64, unknown_for_ms: i64) -> anyhow::Result<()> {
        let mut faults = json!({
            "notify_drop_pct": 20,
            "notify_duplicate_pct": 5,
            "notify_delay_pct": 10,
            "notify_delay_ms": 1500,
            "call_timeout_pct": 2,
            "call_timeout_ms": 2000,
            "seed": seed,
        });
        if unknown_for_ms > 0 {
            faults["query_unknown_until_ms"] =
                json!(chrono::Utc::now().timestamp_millis() + unknown_for_ms);
        }
        let answer = self
            .http
            .post(format!("{}/sim/faults", self.bank_url))
            .json(&faults)
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!(
                "the simulator refused the fault set: {}",
                answer.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }
}

async fn wait_ready(http: &reqwest::Client, node: &Node) -> anyhow::Result<()> {
    let url = node
        .url()
        .context("a node that was just started has no address")?;
    for _ in 0..200 {
        if http
            .get(format!("{url}/readyz"))
            .send()
            .await
            .is_ok_and(|answer| answer.status().is_success())
        {
            // One more poll of the balancer's, so that it has seen the node too.
            tokio::time::sleep(Duration::from_millis(250)).await;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("node {} did not become ready", node.name)
}

pub async fn run(args: ChaosArgs) -> anyhow::Result<()> {
    if args.nodes == 0 || args.seconds == 0 || args.concurrency == 0 {
        bail!("--nodes, --seconds and --concurrency must be at least 1");
    }
    let on_postgres = args
        .database_url
        .as_deref()
        .is_some_and(|url| url.starts_with("postgres"));
    if args.nodes > 1 && !on_postgres {
        bail!("several nodes share one PostgreSQL database: give --database-url postgres://…");
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    println!(
        "bench chaos: nodes={} seconds={} concurrency={} seed={seed} crash_points={}",
        args.nodes,
        args.seconds,
        args.concurrency,
        if unipay_server::crash::COMPILED_IN {
            "compiled in"
        } else {
            "not compiled in (build with --features failpoints): kills from outside only"
        }
    );
    let mut own = OwnWorld::new()?;
    let outcome = tokio::select! {
        outcome = chaos(&args, seed, &mut own) => outcome,
        () = crate::cmd::shutdown_signal() => Err(anyhow::anyhow!("interrupted")),
    };
    if args.keep {
        println!("kept: {}", own.dir().display());
        own.stop_children().await;
    } else {
        own.finish().await;
    }
    outcome
}

async fn chaos(args: &ChaosArgs, seed: u64, own: &mut OwnWorld) -> anyhow::Result<()> {
    let secret = random_token(40);
    let receiver = Receiver::start(&secret).await?;
    let notify_url = receiver.url();
    let prepared = own
        .prepare(&OwnSettings {
            bank: super::world::Bank::Abc,
            database_url: args.database_url.as_deref(),
            key_bits: 1024,
            notify_url: &notify_url,
            secret: &secret,
        })
        .await?;
    let config_path = own.dir().join("node.toml");
    std::fs::write(&config_path, NODE_CONFIG)?;
    let balancer = Balancer::new(args.nodes)?;
    let balancer_url = balancer.start().await?;
    let run = Arc::new(Run {
        nodes: tokio::sync::Mutex::new(Vec::new()),
        node_settings: NodeSettings {
            database_url: prepared.database_url.clone(),
            public_url: balancer_url.clone(),
            config_path,
            privacy_key: unipay_core::pii::PiiKey::generate_hex(),
            kek_file: own.kek_file(),
        },
        kills: Mutex::default(),
        restarts: Default::default(),
        rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0x6b69_6c6c)),
        bank_url: prepared.bank_url.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?,
    });
    {
        let mut nodes = run.nodes.lock().await;
        for (index, backend) in balancer.backends.iter().enumerate() {
            let mut node = Node::new(index, backend.clone());
            node.start(&run.node_settings).await?;
            wait_ready(&run.http, &node).await?;
            nodes.push(node);
        }
    }
    println!(
        "balancer: {balancer_url}, bank: {}, database: {}",
        prepared.bank_url,
        super::world::redact(&prepared.database_url)
    );
    let client = Client::new(&balancer_url, &prepared.app_id, &prepared.secret)?;
    let business = Arc::new(Business::new(
        client,
        &balancer_url,
        &prepared.bank_url,
        receiver.clone(),
        seed,
        &random_token(6),
    )?);
    business.sign_mandates(MANDATES).await?;
    run.set_bank_faults(seed, 0).await?;

    let _progress = crate::cmd::progress::Progress::timed("bench chaos", args.seconds);
    let started = tokio::time::Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut tasks: tokio::task::JoinSet<anyhow::Result<()>> = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let business = business.clone();
        tasks.spawn(async move {
            while tokio::time::Instant::now() < deadline {
                business.one_operation().await;
            }
            Ok(())
        });
    }
    {
        let business = business.clone();
        tasks.spawn(async move {
            // Two refund batches, at a third and at half of the run.
            for at in [
                deadline_fraction(started, deadline, 3),
                deadline_fraction(started, deadline, 2),
            ] {
                tokio::time::sleep_until(at).await;
                business.refund_batch().await;
            }
            Ok(())
        });
    }
    let chaos_task = {
        let run = run.clone();
        let business = business.clone();
        let seconds = args.seconds;
        tokio::spawn(async move { faults_and_kills(&run, &business, seed, started, seconds).await })
    };
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    chaos_task.await??;
    println!(
        "workload done after {:.1}s: operations={} retried_requests={} abandoned_operations={}",
        started.elapsed().as_secs_f64(),
        business.counters.operations.load(Ordering::Relaxed),
        business.counters.retried_requests.load(Ordering::Relaxed),
        business
            .counters
            .abandoned_operations
            .load(Ordering::Relaxed),
    );

    // Quiet: no fault, every node up; then wait for everything to be final.
    run.http
        .delete(format!("{}/sim/faults", prepared.bank_url))
        .send()
        .await?
        .error_for_status()?;
    let settle_started = tokio::time::Instant::now();
    loop {
        let open = verdict::open_work(&prepared.database_url).await?;
        if open == 0 {
            break;
        }
        if settle_started.elapsed() > SETTLE_TIMEOUT {
            println!("still open after {SETTLE_TIMEOUT:?}: {open}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // A delivery acknowledged just now is recorded a moment later.
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("settled in {:.1}s", settle_started.elapsed().as_secs_f64());
    {
        let mut nodes = run.nodes.lock().await;
        for node in nodes.iter_mut() {
            node.terminate().await?;
        }
    }

    let kills = run.kills.lock().map(|k| k.clone()).unwrap_or_default();
    let events = receiver.events();
    let verdict = verdict::judge(&verdict::Inputs {
        database_url: &prepared.database_url,
        channel_account_id: &prepared.channel_account_id,
        bank_url: &prepared.bank_url,
        keyring: own.keyring()?,
        events: &events,
        kills: &kills,
    })
    .await?;
    verdict.print_examples();
    let abrupt = kills.iter().filter(|k| k.abrupt).count();
    let rolling_failures = business
        .counters
        .failed_during_rolling_restart
        .load(Ordering::Relaxed);
    println!(
        "payments={} refunds={} notifications={} late_successes={} (unheard_until_reconciled={}) rolling_restart_failures={rolling_failures} balancer_failures={}",
        verdict.payments,
        verdict.refunds,
        verdict.notifications,
        verdict.late_successes,
        verdict.unheard_late_successes,
        balancer.failed.load(Ordering::Relaxed),
    );
    println!(
        "operations={} kills={abrupt} restarts={} lost={} double_notified={} redelivered_after_ack={} unexplained_redeliveries={} wrong_state={} over_refunded={} ledger_off={} unexplained_differences={}",
        business.counters.operations.load(Ordering::Relaxed),
        run.restarts.load(Ordering::Relaxed),
        verdict.lost,
        verdict.double_notified,
        verdict.redelivered_after_ack,
        verdict.unexplained_redeliveries,
        verdict.wrong_state,
        verdict.over_refunded,
        verdict.ledger_off,
        verdict.unexplained_differences,
    );
    if !verdict.passed() {
        bail!("the chaos run found problems (seed {seed})");
    }
    if rolling_failures > 0 {
        bail!("{rolling_failures} request(s) failed during the rolling restart (seed {seed})");
    }
    if abrupt == 0 || business.counters.operations.load(Ordering::Relaxed) == 0 {
        bail!("the run killed no node or did no work");
    }
    Ok(())
}

fn deadline_fraction(
    started: tokio::time::Instant,
    deadline: tokio::time::Instant,
    divisor: u32,
) -> tokio::time::Instant {
    started + deadline.duration_since(started) / divisor
}

/// Until the end of the workload: a node killed every 2–5 s, an `EUNKWN` window for queries
/// now and then, and at the middle of the run one rolling restart (no kills meanwhile).
async fn faults_and_kills(
    run: &Run,
    business: &Business,
    seed: u64,
    started: tokio::time::Instant,
    seconds: u64,
) -> anyhow::Result<()> {
    let deadline = started + Duration::from_secs(seconds);
    let rolling_at = started + Duration::from_secs(seconds / 2);
    let mut rolled = false;
    let mut next_unknown_window = started + Duration::from_secs(5);
    loop {
        let pause = Duration::from_millis(2_000 + run.roll(3_000));
        let wake = tokio::time::Instant::now() + pause;
        if wake >= deadline {
            tokio::time::sleep_until(deadline).await;
            return Ok(());
        }
        tokio::time::sleep_until(wake).await;
        if tokio::time::Instant::now() >= next_unknown_window {
            run.set_bank_faults(seed, 3_000).await?;
            next_unknown_window += Duration::from_secs(15);
        }
        if !rolled && tokio::time::Instant::now() >= rolling_at {
            rolled = true;
            business.rolling.store(true, Ordering::SeqCst);
            let outcome = run.rolling_restart().await;
            business.rolling.store(false, Ordering::SeqCst);
            outcome?;
            continue;
        }
        run.kill_one().await?;
    }
}
