//! The measurement the lead runs: ten million records and as many statement lines.
//!
//! `cargo test -p unipay-core --release -- --ignored --nocapture recon_ten`
//! (`RECON_ROWS` changes the number of records, `RECON_THREADS` the threads of the index build).

use std::time::{Duration, Instant};

use crate::money::Amount;
use crate::recon::{DiffClass, PlatformStatus, PlatformTable, Reconciler};
use crate::statement::{StatementLine, StatementSink, TxnKind, UnreadableLine};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Coprime with any count of the form 2^a·5^b, so `i · STEP mod n` visits every record once in
/// an order unrelated to the table's: the worst case for the caches.
const STEP: u64 = 6_700_417;
const DAY_START_MS: u64 = 1_777_593_600_000;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An order number the way `ids::new_body` makes one: 10 characters of time, 12 random.
fn order_no(i: u64, out: &mut [u8; 22]) -> &str {
    let time = DAY_START_MS + i * 8; // 10M payments spread over the day
    let random = mix(i);
    for (at, slot) in out.iter_mut().enumerate() {
        let value = if at < 10 {
            time >> ((9 - at) * 5)
        } else {
            random >> ((at - 10) * 5)
        };
        *slot = ALPHABET[(value & 31) as usize];
    }
    std::str::from_utf8(out).unwrap()
}

struct Record {
    kind: TxnKind,
    amount_fen: i64,
    fee_fen: i64,
    status: PlatformStatus,
}

/// Record `i`: one in twenty a refund; one in a thousand of each difference (see `stream`).
fn record(i: u64) -> Record {
    let amount_fen = 100 + (mix(i ^ 0xA5A5) % 1_000_000) as i64;
    Record {
        kind: if i % 20 == 7 {
            TxnKind::Refund
        } else {
            TxnKind::Payment
        },
        amount_fen,
        fee_fen: amount_fen * 6 / 1000,
        status: if i % 1000 == 3 {
            PlatformStatus::NotSucceeded
        } else {
            PlatformStatus::Succeeded
        },
    }
}

/// Streams the bank's side of `rows` records: per thousand, record 0 is missing (platform_only),
/// 1 has another amount, 2 another fee, 3 is not succeeded on our side, 4 comes with a line of
/// a number we do not have (bank_only), 5 comes twice (bank_only, duplicate).
fn stream(rows: u64, sink: &mut impl StatementSink) -> u64 {
    let mut buffer = [0u8; 22];
    let mut extra = [0u8; 22];
    let mut lines = 0;
    for j in 0..rows {
        let i = (j * STEP) % rows;
        let r = record(i);
        let (mut amount_fen, mut fee_fen) = (r.amount_fen, r.fee_fen);
        match i % 1000 {
            0 => continue,
            1 => amount_fen += 1,
            2 => fee_fen += 1,
            _ => {}
        }
        let mut line = StatementLine {
            line_no: lines + 2,
            kind: r.kind,
            order_no: order_no(i, &mut buffer),
            original_order_no: "",
            amount: Amount::from_fen(amount_fen).unwrap(),
            fee_fen,
            accounting_date: "2026-05-01",
            bank_serial: "H2026050100000001",
            traded_at: "2026-05-01 12:00:00",
        };
        sink.line(&line);
        lines += 1;
        let again = match i % 1000 {
            4 => {
                line.order_no = order_no(i + rows, &mut extra);
                true
            }
            5 => true,
            _ => false,
        };
        if again {
            line.line_no = lines + 2;
            sink.line(&line);
            lines += 1;
        }
    }
    lines
}

/// Takes the lines and does nothing with them: what the generator alone costs.
struct Void(u64);

impl StatementSink for Void {
    fn line(&mut self, line: &StatementLine<'_>) {
        self.0 = self
            .0
            .wrapping_add(line.order_no.len() as u64 + line.amount.fen() as u64);
    }
    fn unreadable(&mut self, _: UnreadableLine) {}
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// CPU time of the whole process so far (user + system): unlike the wall clock, it does not
/// count the time the process waited for a core on a busy machine.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    // Fields 14 and 15 of the line; the name (field 2) is cut off, so these are 12 and 13.
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Wall and CPU time of `work`.
fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    let out = work();
    (out, wall.elapsed(), cpu_time().saturating_sub(cpu))
}

fn times(count: u64, wall: Duration, cpu: Duration) -> String {
    let rate = count as f64 / wall.as_secs_f64() / 1e6;
    format!("{wall:.2?} wall ({rate:.1} M/s), {cpu:.2?} CPU")
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

#[test]
#[ignore = "a measurement: run in release with --ignored --nocapture"]
fn recon_ten_million_rows_throughput() {
    let rows = env_number("RECON_ROWS").unwrap_or(10_000_000);
    let threads = env_number("RECON_THREADS").map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    );
    println!("recon: {rows} records, index built on up to {threads} threads");

    let ((generated, checksum), generate, generate_cpu) = timed(|| {
        let mut void = Void(0);
        (stream(rows, &mut void), void.0)
    });
    println!(
        "  generating the statement alone: {generated} lines, {} (checksum {checksum})",
        times(generated, generate, generate_cpu)
    );

    let (table, fill, fill_cpu) = timed(|| {
        let mut table = PlatformTable::with_capacity(rows as usize);
        let mut buffer = [0u8; 22];
        for i in 0..rows {
            let r = record(i);
            let number = order_no(i, &mut buffer);
            table
                .push(r.kind, number, r.amount_fen, r.fee_fen, r.status)
                .unwrap();
        }
        table
    });
    println!(
        "  table filled (push, with packing): {}",
        times(rows, fill, fill_cpu)
    );

    let (mut reconciler, build, build_cpu) = timed(|| Reconciler::with_threads(table, threads));
    let bytes = reconciler.heap_bytes();
    println!(
        "  index built: {}; table + index + bits = {:.1} MiB = {:.1} bytes a record",
        times(rows, build, build_cpu),
        bytes as f64 / 1048576.0,
        bytes as f64 / rows as f64
    );

    let (lines, streamed, streamed_cpu) = timed(|| stream(rows, &mut reconciler));
    println!(
        "  statement streamed: {lines} lines, {}; less the generator: {:.2?} wall, {:.2?} CPU",
        times(lines, streamed, streamed_cpu),
        streamed.saturating_sub(generate),
        streamed_cpu.saturating_sub(generate_cpu)
    );

    let (outcome, finish, finish_cpu) = timed(|| reconciler.finish());
    println!("  finished: {}", times(rows, finish, finish_cpu));
    let (total, total_cpu) = (
        build + streamed + finish,
        build_cpu + streamed_cpu + finish_cpu,
    );
    println!(
        "  total (build + stream + finish): {}; peak RSS (VmHWM) {:.0} MiB",
        times(rows, total, total_cpu),
        peak_rss_mib()
    );

    let per_thousand = |k: u64| (0..rows).filter(|i| i % 1000 == k).count() as u64;
    for class in DiffClass::ALL {
        println!("  {:<16} {}", class.as_str(), outcome.classes.get(class));
    }
    assert_eq!(
        outcome.classes.get(DiffClass::PlatformOnly),
        per_thousand(0)
    );
    assert_eq!(
        outcome.classes.get(DiffClass::AmountMismatch),
        per_thousand(1)
    );
    assert_eq!(outcome.classes.get(DiffClass::FeeMismatch), per_thousand(2));
    assert_eq!(
        outcome.classes.get(DiffClass::StatusMismatch),
        per_thousand(3)
    );
    assert_eq!(
        outcome.classes.get(DiffClass::BankOnly),
        per_thousand(4) + per_thousand(5)
    );
    assert_eq!(
        outcome.classes.get(DiffClass::Matched),
        rows - (0..4).map(per_thousand).sum::<u64>()
    );
    assert_eq!(
        outcome.differences.iter().filter(|d| d.duplicate).count() as u64,
        per_thousand(5)
    );
    assert_eq!(
        outcome.bank.payment.count + outcome.bank.refund.count,
        lines
    );
}
