//! `unipay bench recon`: a day of N payments in the store and the bank's statement of it with
//! known differences (about 0.1% of each class), then the day reconciled end to end exactly as
//! the scheduled job does it: our side read from the database, the kept statement parsed and
//! matched, every difference handled and kept. Prints the figures and fails when the
//! differences found are not exactly the ones injected.

use super::pgbench::{self, PgbenchArgs};
use super::profile::{self, ProfileArgs};
use super::world::OwnWorld;
use anyhow::bail;
use clap::Args;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use unipay_channel_abc::crypto::PrivateKey;
use unipay_core::channel::{RawMessage, StatementFile};
use unipay_core::ids::new_id;
use unipay_core::money::format_yuan;
use unipay_core::statement::{StatementSummary, StatementTotals};
use unipay_server::flows::books::recon::reconcile_day;
use unipay_server::{AppState, ServerConfig};
use unipay_store::Store;
use unipay_store::bulk::{BenchOwner, BenchPayment};
use unipay_store::merchants::{App, ChannelAccount, Merchant};
use unipay_store::statements::NewStatement;

const DATE: &str = "2026-11-27";
const HEADER: &str = "商户号|交易类型|订单编号|交易时间|交易金额|商户账号|商户动账金额|客户账号|账户类型|商户回佣手续费|商户分期手续费|会计日期|主机流水号|9014流水号|原订单号";
/// Rows generated, inserted and written to the statement per round.
const CHUNK: usize = 50_000;
/// One record in this many carries each kind of difference.
const EVERY: usize = 1_000;

#[derive(Debug, Args)]
pub struct ReconArgs {
    /// Payments in the day.
    #[arg(long, default_value_t = 100_000)]
    payments: usize,
    /// Where the scratch database is made (and removed afterwards): sqlite://PATH for a fresh
    /// file in PATH's folder (PATH itself is never opened), or postgres://… of a server on
    /// which a fresh database is created and dropped. Default: a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    #[command(flatten)]
    pgbench: PgbenchArgs,
    #[command(flatten)]
    profile: ProfileArgs,
}

pub async fn run(args: ReconArgs) -> anyhow::Result<()> {
    let mut world = OwnWorld::new()?;
    // An interrupted run still removes its scratch database.
    let result = tokio::select! {
        result = bench(&mut world, &args) => result,
        () = crate::cmd::shutdown_signal() => Err(anyhow::anyhow!("interrupted")),
    };
    world.finish().await;
    result
}

/// What was injected, by class.
#[derive(Default)]
struct Injected(BTreeMap<&'static str, u64>);

impl Injected {
    fn add(&mut self, class: &'static str) {
        *self.0.entry(class).or_insert(0) += 1;
    }

    fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

async fn bench(world: &mut OwnWorld, args: &ReconArgs) -> anyhow::Result<()> {
    let database_url = world.scratch_database(args.database_url.as_deref()).await?;
    let store = Store::connect(&database_url)
        .await?
        .with_keyring(world.keyring()?);
    store.migrate().await?;
    store.drop_indexes_unread_by_reconciliation().await?;
    println!(
        "scratch schema: the indexes of payments that reconciliation never reads are dropped \
         before the load"
    );
    let (owner_ids, account) = seed(&store).await?;
    let owner = BenchOwner {
        app_id: &owner_ids.0,
        merchant_id: &owner_ids.1,
        channel_account_id: &account.id,
        now_ms: chrono::Utc::now().timestamp_millis(),
    };

    let progress = crate::cmd::progress::Progress::spinner("bench recon: building the day", false);
    let started = Instant::now();
    let (statement, injected) = build_day(&store, &owner, args.payments).await?;
    progress.suspend(|| {
        println!(
            "built: payments={} statement_lines={} statement_gzip_mb={:.1} in {:.1} s",
            args.payments,
            statement.declared.payments,
            statement.bytes.len() as f64 / 1_048_576.0,
            started.elapsed().as_secs_f64()
        );
    });
    let summary = StatementSummary {
        columns: HEADER.split('|').map(str::to_string).collect(),
        read: statement.declared,
        unreadable_lines: 0,
    };
    store
        .save_statement(&NewStatement {
            channel_account_id: &account.id,
            accounting_date: DATE,
            file: &statement,
            summary: &summary,
            unreadable: &[],
            now_ms: owner.now_ms,
        })
        .await?;
    let lines = statement.declared.payments;
    drop(statement);

    let mut config = ServerConfig {
        database_url,
        ..ServerConfig::default()
    };
    config.books.hold_days = 3;
    let state = AppState::new(store, config, Arc::new(unipay_core::SystemClock))?;
    progress.set_message("bench recon: reconciling");
    // Reconciliation runs in this process: the profile is of this process.
    let profiler = profile::start(&args.profile, Some(std::process::id()))?;
    let started = Instant::now();
    let report = reconcile_day(&state, &account.id, DATE).await?;
    drop(progress);
    let seconds = started.elapsed().as_secs_f64();
    for line in profiler.finish(lines, "statement line").await {
        println!("{line}");
    }

    let mut found: BTreeMap<&str, u64> = BTreeMap::new();
    for item in &report.items {
        *found.entry(item.class.as_str()).or_insert(0) += 1;
    }
    let found_total: u64 = found.values().sum();
    println!(
        "phases: load_platform_s={:.3} parse_and_match_s={:.3} differences_s={:.3} \
         (confirming_s={:.3} keeping_s={:.3}) platform_rows={} matched={}",
        report.seconds_loading,
        report.seconds_matching,
        report.seconds_handling,
        report.seconds_confirming,
        report.seconds_keeping,
        report.platform_rows,
        report.day.matched
    );
    for (class, count) in &injected.0 {
        println!(
            "  {class}: injected={count} found={}",
            found.get(class).copied().unwrap_or(0)
        );
    }
    // Beside, not a ratio: a reconciliation is not a transaction rate, but the database's own
    // figure from the same run says how loaded the machine was.
    pgbench::run_beside(&args.pgbench).await;
    println!(
        "rows_per_s={:.0} seconds={seconds:.3} differences_found={found_total} differences_injected={} rss_mb={:.0}",
        lines as f64 / seconds.max(1e-9),
        injected.total(),
        peak_rss_mb()
    );
    state.store.close().await;
    let exact = injected
        .0
        .iter()
        .all(|(class, count)| found.get(class) == Some(count))
        && found_total == injected.total();
    if !exact {
        bail!("the differences found are not the ones injected");
    }
    Ok(())
}

/// A merchant, app and channel account whose bank cannot be reached: the success a statement
/// shows and we do not hold is then left for an operator, as it is when the bank is down.
async fn seed(store: &Store) -> anyhow::Result<((String, String), ChannelAccount)> {
    let now = chrono::Utc::now().timestamp_millis();
    let key = tokio::task::spawn_blocking(|| PrivateKey::generate(1024)).await??;
    let certificate = key.self_signed_certificate("unipay bench bank", 30)?;
    let merchant = Merchant {
        id: new_id("mch", now),
        name: "Bench merchant".into(),
        created_at: now,
    };
    store.insert_merchant(&merchant).await?;
    let account = ChannelAccount {
        id: new_id("cha", now),
        merchant_id: merchant.id.clone(),
        channel: "abc".into(),
        bank_merchant_id: "103881234567890".into(),
        private_key_pem: key.to_pkcs8_pem()?,
        bank_certificate_pem: certificate.to_pem(),
        signature_algorithm: "SHA1withRSA".into(),
        trx_url: "http://127.0.0.1:9/ebus/trustpay/ReceiveMerchantTrxReqServlet".into(),
        payment_types: "A".into(),
        notify_type: "server".into(),
        cutover_hour: 23,
        bank_fee_bps: 0,
        created_at: now,
    };
    store.insert_channel_account(&account).await?;
    let app = App {
        id: new_id("app", now),
        merchant_id: merchant.id.clone(),
        name: "bench".into(),
        secret: "bench".into(),
        notify_url: None,
        channel_account_id: Some(account.id.clone()),
        status: "active".into(),
        created_at: now,
    };
    store.insert_app(&app).await?;
    Ok(((app.id, merchant.id), account))
}

/// Inserts the day and writes the statement (gzip of GBK, as the bank sends it) chunk by
/// chunk, so neither side is ever held whole in memory.
async fn build_day(
    store: &Store,
    owner: &BenchOwner<'_>,
    payments: usize,
) -> anyhow::Result<(StatementFile, Injected)> {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::fast());
    let (header, _, _) = encoding_rs::GBK.encode(HEADER);
    gzip.write_all(&header)?;
    let (pay_type, _, _) = encoding_rs::GBK.encode("支付");
    let mut declared = StatementTotals::default();
    let mut injected = Injected::default();
    let base_ms = owner.now_ms;
    let mut line = Vec::with_capacity(256);
    let mut loader = store.bench_loader(owner).await?;
    for start in (0..payments).step_by(CHUNK) {
        let end = (start + CHUNK).min(payments);
        let order_nos: Vec<String> = (start..end).map(|i| order_no(base_ms, i)).collect();
        let ids: Vec<String> = order_nos.iter().map(|o| format!("pay_{o}")).collect();
        let mut rows = Vec::with_capacity(end - start);
        for (offset, i) in (start..end).enumerate() {
            let amount = 100 + (i as i64 * 7919) % 1_000_000;
            let order = order_nos[offset].as_str();
            let (mut bank_amount, mut bank_fee, mut status) = (amount, 0, "succeeded");
            let mut listed = true;
            match i % EVERY {
                0 => {
                    listed = false;
                    injected.add("platform_only");
                }
                1 => {
                    bank_amount += 1;
                    injected.add("amount_mismatch");
                }
                2 => {
                    bank_fee = 1;
                    injected.add("fee_mismatch");
                }
                3 => {
                    status = "pending";
                    injected.add("status_mismatch");
                }
                _ => {}
            }
            rows.push(BenchPayment {
                id: &ids[offset],
                order_no: order,
                amount,
                bank_fee: 0,
                status,
                accounting_date: (status == "succeeded").then_some(DATE),
            });
            if listed {
                write_line(&mut line, &pay_type, order, i, bank_amount, bank_fee);
                gzip.write_all(&line)?;
                declared.add(unipay_core::statement::TxnKind::Payment, bank_amount);
            }
            if i % EVERY == 4 {
                // A line the bank has and we never made.
                let stranger = order_no(base_ms + 1, i);
                write_line(&mut line, &pay_type, &stranger, i, amount, 0);
                gzip.write_all(&line)?;
                declared.add(unipay_core::statement::TxnKind::Payment, amount);
                injected.add("bank_only");
            }
        }
        loader.push(&rows).await?;
    }
    loader.finish().await?;
    let bytes = gzip.finish()?;
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    Ok((
        StatementFile {
            raw: RawMessage {
                masked: "(benchmark statement)".into(),
                sha256: sha256.clone(),
            },
            bytes,
            gzip: true,
            declared,
            sha256,
        },
        injected,
    ))
}

/// A 22-character order number of unipay's alphabet, distinct for each `i` and `base`. Most
/// significant character first, so that numbers grow with `i` as real ones grow with time
/// (their timestamp leads): the loader then appends to each index instead of scattering.
fn order_no(base: i64, i: usize) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut out = [b'0'; 22];
    let mut value = (u128::from(base as u64) << 40) | i as u128;
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    out.iter().map(|&b| b as char).collect()
}

fn write_line(
    line: &mut Vec<u8>,
    pay_type: &[u8],
    order_no: &str,
    i: usize,
    amount: i64,
    fee: i64,
) {
    line.clear();
    line.extend_from_slice(b"^^103881234567890|");
    line.extend_from_slice(pay_type);
    let yuan = format_yuan(amount);
    let rest = format!(
        "|{order_no}|20261127{:02}{:02}{:02}|{yuan}|6228480000000001|{}|622848******1234|401|{}|0.00|20261127|{:012}|{:013}|",
        (i / 3600) % 23,
        (i / 60) % 60,
        i % 60,
        format_yuan(amount - fee),
        format_yuan(fee),
        i,
        i
    );
    line.extend_from_slice(rest.as_bytes());
}

/// The process's peak resident memory (Linux), in MiB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
