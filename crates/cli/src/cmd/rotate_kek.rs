//! `unipay admin rotate-kek`: moves every stored secret to the current key-encryption key.
//! Each value is replaced on its own, only if still as read, so nodes keep serving meanwhile;
//! a value rotated by someone else between the read and the write is looked at again in the
//! next pass.

use super::DatabaseArgs;
use anyhow::bail;
use serde_json::json;
use unipay_store::secrets::{Reseal, ResealReport};

/// Passes over the secrets before giving up on values that keep changing under the rotation.
const MAX_PASSES: u32 = 3;

pub async fn run(db: DatabaseArgs, json: bool) -> anyhow::Result<()> {
    let config = unipay_server::ServerConfig::load(db.config.as_deref())?;
    let keyring = config.secrets.require_keyring()?;
    let store = db.store().await?;
    let mut total = ResealReport::default();
    let mut passes = 0;
    loop {
        passes += 1;
        let report = store.reseal_secrets(Reseal::ToCurrentKey).await?;
        total.sealed += report.sealed;
        total.resealed += report.resealed;
        total.unchanged = report.unchanged;
        total.raced = report.raced;
        if report.raced == 0 {
            break;
        }
        if passes == MAX_PASSES {
            bail!(
                "{} secrets kept changing during the rotation; run it again",
                report.raced
            );
        }
    }
    store.close().await;
    super::admin::print(
        json,
        json!({"kek_id": keyring.current_id(), "sealed": total.sealed,
               "resealed": total.resealed, "unchanged": total.unchanged}),
        || {
            format!(
                "every secret is sealed under KEK {}: {} re-sealed, {} plaintext sealed, {} \
                 already current",
                keyring.current_id(),
                total.resealed,
                total.sealed,
                total.unchanged
            )
        },
    );
    Ok(())
}
