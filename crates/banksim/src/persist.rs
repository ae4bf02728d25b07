//! Keeps the simulator's merchant registrations and its orders in a file, so that a restart
//! keeps them (`state_file` in the TOML, `--state-file` on `unipay banksim`).
//!
//! **When**: a background task looks every [`SAVE_INTERVAL`]; when the book or the registry
//! was touched since its last look it encodes the snapshot and writes it if its text differs
//! from the last one written; and [`crate::serve`] writes once more at shutdown. (Encoding
//! holds the order book's lock while it copies the orders: with a very large book, keep the
//! state file for tests and demos, not for load tests.) **How**: to a temporary file beside it, flushed to disk, then renamed over
//! the file, so that a crash leaves the old file or the new one, never half of one. Loaded at
//! start; a file that cannot be read stops the start rather than losing the book silently.
//!
//! **What**: merchants (their certificates), and each order's identity, amount, request
//! fields, status, payment stamp, refunds (done, or refused batch lines with their code) and
//! pre-authorization operation ([`records`]); the batch refunds with their lines
//! ([`batches`]); mandates (signings) and debit batches ([`mandates`]); K-code bills (their
//! current codes and counts) and the texts sent; the identity registry and verifications. Not
//! kept: the fault settings (`/sim/faults`, batch and agent faults, K-code desk rules: a test
//! or a harness sets them), the notify logs and fault counters (a restart starts them afresh),
//! and pending notification retries (a result not yet acknowledged is not sent again after a
//! restart; Query still tells it).

mod batches;
mod mandates;
mod records;

use crate::book::{NotifyType, Order, Payment, Status};
use crate::faults::FaultCounter;
use crate::state::{Inner, SimState};
use anyhow::Context;
use base64::Engine;
use records::{OperationRecord, RefundRecord};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use unipay_channel_abc::crypto::Certificate;

/// How often the writer looks for changes.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(500);

const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    version: u32,
    merchants: Vec<MerchantRecord>,
    orders: Vec<OrderRecord>,
    #[serde(default)]
    batch_refunds: Vec<batches::BatchRecord>,
    #[serde(default)]
    mandates: mandates::MandatesRecord,
    #[serde(default)]
    kcode_sessions: Vec<crate::kcode::desk::SessionRecord>,
    #[serde(default)]
    kcode_texts: Vec<crate::kcode::desk::Text>,
    #[serde(default)]
    identity_persons: Vec<crate::identity::Person>,
    #[serde(default)]
    identity_verifications: Vec<crate::identity::VerificationRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantRecord {
    merchant_id: String,
    /// DER, base64.
    certificate: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderRecord {
    merchant_id: String,
    order_no: String,
    amount_fen: i64,
    pay_type_id: String,
    order_date: String,
    order_time: String,
    payment_type: String,
    /// `0`, `1`, or empty (nobody is notified).
    notify_type: String,
    notify_url: String,
    merchant_remarks: String,
    token: String,
    status: String,
    payment: Option<PaymentRecord>,
    #[serde(default)]
    refunds: Vec<RefundRecord>,
    #[serde(default)]
    preauth: Option<OperationRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentRecord {
    i_rsp_ref: String,
    voucher_no: String,
    batch_no: String,
    host_date: String,
    host_time: String,
    accounting_date: String,
    pay_type: String,
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Unpaid => "unpaid",
        Status::Paid => "paid",
        Status::Failed => "failed",
        Status::Authorized => "authorized",
        Status::Confirmed => "confirmed",
        Status::Cancelled => "cancelled",
    }
}

fn status_from(name: &str) -> Option<Status> {
    Some(match name {
        "unpaid" => Status::Unpaid,
        "paid" => Status::Paid,
        "failed" => Status::Failed,
        "authorized" => Status::Authorized,
        "confirmed" => Status::Confirmed,
        "cancelled" => Status::Cancelled,
        _ => return None,
    })
}

/// The stamp's PayType is one of the simulator's own constants.
fn pay_type_from(text: &str) -> &'static str {
    match text {
        "EP003" => "EP003",
        "EP006" => "EP006",
        "EP007" => "EP007",
        _ => "EP001",
    }
}

fn notify_type_from(code: &str) -> NotifyType {
    match code {
        "0" => NotifyType::Page,
        "1" => NotifyType::Server,
        _ => NotifyType::None,
    }
}

pub(crate) fn payment_record(payment: &Payment) -> PaymentRecord {
    PaymentRecord {
        i_rsp_ref: payment.i_rsp_ref.clone(),
        voucher_no: payment.voucher_no.clone(),
        batch_no: payment.batch_no.clone(),
        host_date: payment.host_date.clone(),
        host_time: payment.host_time.clone(),
        accounting_date: payment.accounting_date.clone(),
        pay_type: payment.pay_type.to_string(),
    }
}

pub(crate) fn payment_from(payment: PaymentRecord) -> Payment {
    Payment {
        i_rsp_ref: payment.i_rsp_ref,
        voucher_no: payment.voucher_no,
        batch_no: payment.batch_no,
        host_date: payment.host_date,
        host_time: payment.host_time,
        accounting_date: payment.accounting_date,
        pay_type: pay_type_from(&payment.pay_type),
    }
}

fn record(order: &Order) -> OrderRecord {
    OrderRecord {
        merchant_id: order.merchant_id.to_string(),
        order_no: order.order_no.to_string(),
        amount_fen: order.amount_fen,
        pay_type_id: order.pay_type_id.clone(),
        order_date: order.order_date.clone(),
        order_time: order.order_time.clone(),
        payment_type: order.payment_type.clone(),
        notify_type: order.notify_type.code().to_string(),
        notify_url: order.notify_url.to_string(),
        merchant_remarks: order.merchant_remarks.clone(),
        token: order.token.to_string(),
        status: status_name(order.status).to_string(),
        payment: order.payment.as_ref().map(payment_record),
        refunds: order.refunds.iter().map(RefundRecord::of).collect(),
        preauth: order.preauth.as_ref().map(OperationRecord::of),
    }
}

/// The order, its refunds and its pre-authorization operation, as the book takes them.
struct Restored {
    order: Order,
    refunds: Vec<crate::refunds::record::Refund>,
    operation: Option<crate::preauth::record::PreAuthOp>,
}

fn order(record: OrderRecord) -> anyhow::Result<Restored> {
    let number = record.order_no.clone();
    let refunds = record
        .refunds
        .into_iter()
        .map(|refund| {
            refund
                .refund()
                .with_context(|| format!("order {number}: a refund"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let operation = match record.preauth {
        None => None,
        Some(operation) => Some(
            operation
                .operation()
                .with_context(|| format!("order {number}: its operation"))?,
        ),
    };
    let status = status_from(&record.status).with_context(|| {
        format!(
            "order {}: unknown status {:?}",
            record.order_no, record.status
        )
    })?;
    let order = Order {
        merchant_id: record.merchant_id.into(),
        order_no: record.order_no.into(),
        amount_fen: record.amount_fen,
        pay_type_id: record.pay_type_id,
        order_date: record.order_date,
        order_time: record.order_time,
        payment_type: record.payment_type,
        notify_type: notify_type_from(&record.notify_type),
        notify_url: record.notify_url.into(),
        merchant_remarks: record.merchant_remarks,
        token: record.token.into(),
        status,
        payment: record.payment.map(payment_from),
        query_count: 0,
        query_faults: FaultCounter::default(),
        refund_faults: FaultCounter::default(),
        notify_attempts: 0,
        notify_acknowledged: false,
        notify_log: Vec::new(),
        lost_calls: Vec::new(),
        statement_fault: None,
        refunds: Vec::new(),
        preauth: None,
    };
    Ok(Restored {
        order,
        refunds,
        operation,
    })
}

/// The snapshot's text now.
fn snapshot(sim: &Inner) -> anyhow::Result<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut merchants: Vec<MerchantRecord> = sim
        .merchant_list()
        .into_iter()
        .map(|(merchant_id, certificate)| MerchantRecord {
            merchant_id,
            certificate: engine.encode(certificate.to_der()),
        })
        .collect();
    merchants.sort_by(|a, b| a.merchant_id.cmp(&b.merchant_id));
    let (mut orders, batch_refunds) = {
        let book = sim.orders_unchanged();
        let orders: Vec<OrderRecord> = book.iter().map(record).collect();
        let batches: Vec<batches::BatchRecord> =
            book.batches.iter().map(batches::BatchRecord::of).collect();
        (orders, batches)
    };
    // A stable order, so that an unchanged book gives the same text.
    orders.sort_by(|a, b| (&a.merchant_id, &a.order_no).cmp(&(&b.merchant_id, &b.order_no)));
    let mandates = mandates::MandatesRecord::of(&sim.mandates_unchanged());
    let (kcode_sessions, kcode_texts) = sim.kcode.export();
    let (identity_persons, identity_verifications) = sim.identity.lock().export();
    let snapshot = Snapshot {
        version: VERSION,
        merchants,
        orders,
        batch_refunds,
        mandates,
        kcode_sessions,
        kcode_texts,
        identity_persons,
        identity_verifications,
    };
    serde_json::to_string(&snapshot).context("encoding the simulator state")
}

/// Writes `text` to `path` atomically: a temporary file beside it, synced, renamed over it.
pub(crate) fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut temporary: PathBuf = path.to_path_buf();
    let name = path
        .file_name()
        .map(|name| format!(".{}.tmp", name.to_string_lossy()))
        .unwrap_or_else(|| ".banksim-state.tmp".to_string());
    temporary.set_file_name(name);
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    drop(file);
    std::fs::rename(&temporary, path)
        .with_context(|| format!("renaming {} to {}", temporary.display(), path.display()))
}

/// Loads the file into a fresh state (no file yet: nothing to load). Merchants registered in
/// the file come back; the configuration's own merchants, applied after, win on the same id.
pub fn load(sim: &Inner, path: &Path, configured: &[(String, Certificate)]) -> anyhow::Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let snapshot: Snapshot =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    if snapshot.version != VERSION {
        anyhow::bail!(
            "{}: unknown state version {}",
            path.display(),
            snapshot.version
        );
    }
    let engine = base64::engine::general_purpose::STANDARD;
    for merchant in snapshot.merchants {
        let der = engine
            .decode(&merchant.certificate)
            .with_context(|| format!("merchant {}: certificate", merchant.merchant_id))?;
        let certificate = Certificate::from_der_or_pem(&der)
            .with_context(|| format!("merchant {}: certificate", merchant.merchant_id))?;
        sim.set_merchant(merchant.merchant_id, certificate);
    }
    for (merchant_id, certificate) in configured {
        sim.set_merchant(merchant_id.clone(), certificate.clone());
    }
    snapshot.mandates.restore(&mut sim.mandates())?;
    sim.kcode
        .import(snapshot.kcode_sessions, snapshot.kcode_texts);
    sim.identity
        .lock()
        .import(snapshot.identity_persons, snapshot.identity_verifications)
        .map_err(anyhow::Error::msg)
        .context("identity verifications")?;
    let mut book = sim.orders();
    for record in snapshot.orders {
        let restored = order(record)?;
        if book
            .find(&restored.order.merchant_id, &restored.order.order_no)
            .is_some()
        {
            continue;
        }
        let id = book.insert(restored.order);
        for refund in restored.refunds {
            book.add_refund(id, refund);
        }
        if let Some(operation) = restored.operation {
            book.set_operation(id, operation);
        }
    }
    for batch in snapshot.batch_refunds {
        batch.restore(&mut book.batches)?;
    }
    Ok(())
}

/// Writes the state now (at shutdown, and for tests).
pub fn save(sim: &Inner, path: &Path) -> anyhow::Result<()> {
    write_atomically(path, &snapshot(sim)?)
}

/// Writes the state every [`SAVE_INTERVAL`] when it changed, until the simulator shuts down.
pub fn spawn_writer(sim: SimState, path: PathBuf) {
    tokio::spawn(async move {
        let mut last_written = snapshot(&sim).ok();
        let mut last_seen = sim.change_count();
        while sim.sleep(SAVE_INTERVAL).await {
            // Nothing touched the book since the last look: nothing to encode.
            let seen = sim.change_count();
            if seen == last_seen {
                continue;
            }
            last_seen = seen;
            let text = match snapshot(&sim) {
                Ok(text) => text,
                Err(error) => {
                    tracing::error!(%error, "cannot encode the simulator state");
                    continue;
                }
            };
            if last_written.as_deref() == Some(text.as_str()) {
                continue;
            }
            match write_atomically(&path, &text) {
                Ok(()) => last_written = Some(text),
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "cannot save the simulator state")
                }
            }
        }
    });
}
