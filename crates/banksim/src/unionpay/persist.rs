//! Keeps the UnionPay mode's merchants and book in their own state file across restarts, as
//! the ABC side's [`crate::persist`] does: written atomically when something changed (looked
//! at every [`crate::persist::SAVE_INTERVAL`]) and at shutdown, loaded at start. Not kept: the
//! faults, payer pages not yet decided (their transactions stay in progress), and pending
//! notification retries.

use super::book::Transaction;
use super::state::{Inner, UnionPayState};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    version: u32,
    merchants: Vec<MerchantRecord>,
    transactions: Vec<Transaction>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantRecord {
    mer_id: String,
    certificate_pems: Vec<String>,
    #[serde(default)]
    secure_key: Option<String>,
}

fn snapshot(sim: &Inner) -> anyhow::Result<String> {
    let merchants = sim
        .merchants()
        .iter()
        .map(|(mer_id, keys)| MerchantRecord {
            mer_id: mer_id.to_string(),
            certificate_pems: keys.certificate_pems(),
            secure_key: keys.secure_key().map(str::to_string),
        })
        .collect();
    let transactions = sim.book_unchanged().iter().cloned().collect();
    let snapshot = Snapshot {
        version: VERSION,
        merchants,
        transactions,
    };
    Ok(serde_json::to_string_pretty(&snapshot)?)
}

pub fn save(sim: &Inner, path: &Path) -> anyhow::Result<()> {
    crate::persist::write_atomically(path, &snapshot(sim)?)
}

/// Loads the file into a fresh state; no file yet is an empty start.
pub fn load(sim: &Inner, path: &Path) -> anyhow::Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let snapshot: Snapshot = serde_json::from_str(&text)
        .with_context(|| format!("reading {} as a UnionPay state file", path.display()))?;
    anyhow::ensure!(
        snapshot.version == VERSION,
        "{}: state file version {} is not {VERSION}",
        path.display(),
        snapshot.version
    );
    let mut merchants = sim.merchants_mut();
    for merchant in snapshot.merchants {
        for pem in &merchant.certificate_pems {
            merchants.register(&merchant.mer_id, Some(pem), None)?;
        }
        if let Some(key) = &merchant.secure_key {
            merchants.register(&merchant.mer_id, None, Some(key))?;
        }
    }
    drop(merchants);
    let mut book = sim.book();
    for mut transaction in snapshot.transactions {
        transaction.page_token = None;
        book.add(transaction)?;
    }
    Ok(())
}

/// Writes the state when it changed, until the simulator shuts down.
pub fn spawn_writer(sim: UnionPayState, path: PathBuf) {
    tokio::spawn(async move {
        let mut last_seen = sim.change_count();
        while sim.sleep(crate::persist::SAVE_INTERVAL).await {
            let seen = sim.change_count();
            if seen == last_seen {
                continue;
            }
            last_seen = seen;
            if let Err(error) = save(&sim, &path) {
                tracing::error!(%error, "writing the UnionPay state file failed");
            }
        }
    });
}
