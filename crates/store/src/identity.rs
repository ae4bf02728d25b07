//! Identity verifications: created pending (with the request's nonce and idempotency key, like
//! payments), then finished once by the bank's verdict. Personal data arrives here already
//! masked and hashed: this module never sees a plain value.
//!
//! **Finishing** ([`Store::finish_identity_verification`]): in one transaction the bank message
//! that carried the verdict (kept masked; the same bytes twice change nothing), the row
//! (version-checked, only from `pending`) and the `identity.verified` notification in the
//! outbox. A verdict for a verification already final is recorded and ignored.

use crate::idempotency::{self, IdempotencyRequest};
use crate::messages::{InboundMessage, Seen, keep_message};
use crate::nonces::NonceUse;
use crate::outbox::OutboxEvent;
use crate::payments::{Idempotent, insert_outbox};
use crate::{Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use unipay_core::identity::{CustomerType, IDENTITY_VERIFIED_EVENT, VerifyMode, VerifyStatus};
use unipay_core::ids::new_id;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityVerification {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_verify_no: String,
    /// Our number for it at the bank (OrderNo), unique per channel account.
    pub verify_no: String,
    pub mode: VerifyMode,
    pub customer_type: CustomerType,
    pub certificate_type: String,
    pub name: Kept,
    pub certificate: Kept,
    pub card: Kept,
    pub mobile: Option<Kept>,
    pub status: VerifyStatus,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub verify_url: Option<String>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    /// The app's latest earlier verification of the same identity document.
    pub repeat_of: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// What is kept of a personal value: its mask and its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub masked: String,
    pub hash: String,
}

pub(crate) const COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, out_verify_no, verify_no, mode, \
     customer_type, certificate_type, name_masked, name_hash, certificate_masked, certificate_hash, card_masked, \
     card_hash, mobile_masked, mobile_hash, status, reason_code, reason, verify_url, notify_url, return_url, \
     repeat_of, version, created_at, updated_at, finished_at";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("identity verification {what} {value:?}"))
}

pub(crate) fn from_row(r: &AnyRow) -> Result<IdentityVerification, StoreError> {
    let mode: String = r.try_get("mode")?;
    let customer_type: String = r.try_get("customer_type")?;
    let status: String = r.try_get("status")?;
    let mobile_masked: Option<String> = r.try_get("mobile_masked")?;
    let mobile_hash: Option<String> = r.try_get("mobile_hash")?;
    Ok(IdentityVerification {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        out_verify_no: r.try_get("out_verify_no")?,
        verify_no: r.try_get("verify_no")?,
        mode: VerifyMode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        customer_type: CustomerType::parse(&customer_type)
            .ok_or_else(|| corrupt("customer type", &customer_type))?,
        certificate_type: r.try_get("certificate_type")?,
        name: Kept {
            masked: r.try_get("name_masked")?,
            hash: r.try_get("name_hash")?,
        },
        certificate: Kept {
            masked: r.try_get("certificate_masked")?,
            hash: r.try_get("certificate_hash")?,
        },
        card: Kept {
            masked: r.try_get("card_masked")?,
            hash: r.try_get("card_hash")?,
        },
        mobile: match (mobile_masked, mobile_hash) {
            (Some(masked), Some(hash)) => Some(Kept { masked, hash }),
            _ => None,
        },
        status: VerifyStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        reason_code: r.try_get("reason_code")?,
        reason: r.try_get("reason")?,
        verify_url: r.try_get("verify_url")?,
        notify_url: r.try_get("notify_url")?,
        return_url: r.try_get("return_url")?,
        repeat_of: r.try_get("repeat_of")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// A verification asked for. The store gives it its id and bank number.
#[derive(Debug, Clone)]
pub struct NewVerification {
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_verify_no: String,
    pub mode: VerifyMode,
    pub customer_type: CustomerType,
    pub certificate_type: String,
    pub name: Kept,
    pub certificate: Kept,
    pub card: Kept,
    pub mobile: Option<Kept>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateVerification {
    Created(IdentityVerification),
    /// The app already has a verification with this out_verify_no: that one, unchanged.
    Duplicate(IdentityVerification),
}

/// The bank's verdict on a pending verification.
#[derive(Debug, Clone)]
pub struct VerificationResult<'a> {
    pub status: VerifyStatus,
    pub reason_code: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// The message that carried it, kept in the same transaction.
    pub message: Option<&'a InboundMessage<'a>>,
    /// How long the notification is held for this node's own delivery (0: the notifier's).
    pub delivery_lease_ms: i64,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// The verdict was applied; the notification written, if the verification has a URL.
    Applied(IdentityVerification, Option<Box<OutboxEvent>>),
    /// Already final, or these message bytes were seen before: nothing changed.
    Unchanged(IdentityVerification),
    NotFound,
}

/// Writes the body of a verification's notification: `(verification, event id, type, now)`.
pub type VerificationRenderer<'a> =
    &'a (dyn Fn(&IdentityVerification, &str, &str, i64) -> String + Send + Sync);

impl Store {
    pub async fn create_identity_verification(
        &self,
        new: &NewVerification,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: &(dyn Fn(&CreateVerification) -> (u16, String) + Send + Sync),
    ) -> Result<Idempotent<CreateVerification>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(answer) =
            idempotency::open_request(&mut tx, nonce, idempotency, new.created_at).await?
        {
            return Ok(answer);
        }
        let outcome = match by_out_no(&mut tx, &new.app_id, &new.out_verify_no).await? {
            Some(existing) => CreateVerification::Duplicate(existing),
            None => {
                let repeat_of = earlier_of_document(&mut tx, new).await?;
                let verification = pending(new, repeat_of);
                if !insert(&mut tx, &verification).await? {
                    // A racing create with the same out_verify_no committed first.
                    let existing = by_out_no(&mut tx, &new.app_id, &new.out_verify_no)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt("verification id collided".into()))?;
                    CreateVerification::Duplicate(existing)
                } else {
                    CreateVerification::Created(verification)
                }
            }
        };
        idempotency::close_request(&mut tx, idempotency, || render(&outcome)).await?;
        tx.commit().await?;
        Ok(Idempotent::Fresh(outcome))
    }

    /// Records where the bank sends the customer (redirect mode, still pending).
    pub async fn set_identity_verify_url(
        &self,
        id: &str,
        verify_url: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE identity_verifications SET verify_url = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND status = 'pending'",
        )
        .bind(verify_url)
        .bind(now_ms)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn get_identity_verification(
        &self,
        id: &str,
    ) -> Result<Option<IdentityVerification>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM identity_verifications WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Verifications created before `before_ms` whose bank call can no longer be under way and
    /// never ended: still pending, direct ones at all, redirect ones without the bank's page.
    pub async fn unsent_identity_verifications(
        &self,
        before_ms: i64,
        limit: i64,
    ) -> Result<Vec<IdentityVerification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM identity_verifications WHERE status = 'pending' AND created_at < $1 \
             AND (mode = 'direct' OR verify_url IS NULL) ORDER BY created_at LIMIT $2"
        ))
        .bind(before_ms)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn get_identity_verification_by_verify_no(
        &self,
        channel_account_id: &str,
        verify_no: &str,
    ) -> Result<Option<IdentityVerification>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM identity_verifications WHERE channel_account_id = $1 AND verify_no = $2"
        ))
        .bind(channel_account_id)
        .bind(verify_no)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// How many verifications of the app name this card or this document (by keyed hash),
    /// this one included.
    pub async fn count_identity_verifications_by_hash(
        &self,
        app_id: &str,
        certificate_hash: &str,
        card_hash: &str,
    ) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM identity_verifications WHERE app_id = $1 AND certificate_hash = $2) AS by_certificate, \
               (SELECT COUNT(*) FROM identity_verifications WHERE app_id = $1 AND card_hash = $3) AS by_card",
        )
        .bind(app_id)
        .bind(certificate_hash)
        .bind(card_hash)
        .fetch_one(&self.read)
        .await?;
        Ok((row.try_get("by_certificate")?, row.try_get("by_card")?))
    }

    /// Applies the bank's verdict (see the module's notes).
    pub async fn finish_identity_verification(
        &self,
        id: &str,
        result: &VerificationResult<'_>,
        render: VerificationRenderer<'_>,
    ) -> Result<Finished, StoreError> {
        let mut tx = self.write.begin().await?;
        let seen = match result.message {
            Some(message) => keep_message(&mut tx, message).await?,
            None => Seen::First,
        };
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM identity_verifications WHERE id = $1{}",
            self.lock_row()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(current) = row.as_ref().map(from_row).transpose()? else {
            tx.commit().await?;
            return Ok(Finished::NotFound);
        };
        if seen == Seen::Again || current.status.is_final() || !result.status.is_final() {
            tx.commit().await?;
            return Ok(Finished::Unchanged(current));
        }
        let updated = sqlx::query(
            "UPDATE identity_verifications SET status = $1, reason_code = $2, reason = $3, updated_at = $4, \
             finished_at = $4, version = version + 1 WHERE id = $5 AND version = $6 AND status = 'pending'",
        )
        .bind(result.status.as_str())
        .bind(result.reason_code)
        .bind(result.reason)
        .bind(result.now_ms)
        .bind(id)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            // Another writer finished it between our read and our write (SQLite reads unlocked).
            tx.rollback().await?;
            return Ok(match self.get_identity_verification(id).await? {
                Some(now) => Finished::Unchanged(now),
                None => Finished::NotFound,
            });
        }
        let finished = IdentityVerification {
            status: result.status,
            reason_code: result.reason_code.map(str::to_string),
            reason: result.reason.map(str::to_string),
            updated_at: result.now_ms,
            finished_at: Some(result.now_ms),
            version: current.version + 1,
            ..current
        };
        let event = match finished.notify_url.as_deref() {
            Some(url) => {
                let event_id = new_id("evt", result.now_ms);
                let event = OutboxEvent {
                    body: render(&finished, &event_id, IDENTITY_VERIFIED_EVENT, result.now_ms),
                    id: event_id,
                    app_id: finished.app_id.clone(),
                    // The outbox is keyed by the object its events are about.
                    payment_id: finished.id.clone(),
                    event_type: IDENTITY_VERIFIED_EVENT.to_string(),
                    url: url.to_string(),
                    status: "pending".to_string(),
                    attempts: 0,
                    next_attempt_at: Some(result.now_ms + result.delivery_lease_ms.max(0)),
                    last_error: None,
                    created_at: result.now_ms,
                    delivered_at: None,
                };
                insert_outbox(&mut tx, &event).await?;
                Some(Box::new(event))
            }
            None => None,
        };
        tx.commit().await?;
        Ok(Finished::Applied(finished, event))
    }
}

fn pending(new: &NewVerification, repeat_of: Option<String>) -> IdentityVerification {
    let id = new_id("idv", new.created_at);
    IdentityVerification {
        // The bank's number is ours too: unique, and free of anything the app chose.
        verify_no: id.to_ascii_uppercase(),
        id,
        app_id: new.app_id.clone(),
        merchant_id: new.merchant_id.clone(),
        channel_account_id: new.channel_account_id.clone(),
        out_verify_no: new.out_verify_no.clone(),
        mode: new.mode,
        customer_type: new.customer_type,
        certificate_type: new.certificate_type.clone(),
        name: new.name.clone(),
        certificate: new.certificate.clone(),
        card: new.card.clone(),
        mobile: new.mobile.clone(),
        status: VerifyStatus::Pending,
        reason_code: None,
        reason: None,
        verify_url: None,
        notify_url: new.notify_url.clone(),
        return_url: new.return_url.clone(),
        repeat_of,
        version: 0,
        created_at: new.created_at,
        updated_at: new.created_at,
        finished_at: None,
    }
}

async fn by_out_no(
    tx: &mut Transaction<'_, Any>,
    app_id: &str,
    out_verify_no: &str,
) -> Result<Option<IdentityVerification>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM identity_verifications WHERE app_id = $1 AND out_verify_no = $2"
    ))
    .bind(app_id)
    .bind(out_verify_no)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

async fn earlier_of_document(
    tx: &mut Transaction<'_, Any>,
    new: &NewVerification,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT id FROM identity_verifications WHERE app_id = $1 AND certificate_hash = $2 \
         AND certificate_type = $3 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(&new.app_id)
    .bind(&new.certificate.hash)
    .bind(&new.certificate_type)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
}

async fn insert(
    tx: &mut Transaction<'_, Any>,
    v: &IdentityVerification,
) -> Result<bool, StoreError> {
    let (mobile_masked, mobile_hash) = match &v.mobile {
        Some(kept) => (Some(kept.masked.as_str()), Some(kept.hash.as_str())),
        None => (None, None),
    };
    let inserted = sqlx::query(&format!(
        "INSERT INTO identity_verifications ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) \
         ON CONFLICT DO NOTHING"
    ))
    .bind(&v.id)
    .bind(&v.app_id)
    .bind(&v.merchant_id)
    .bind(&v.channel_account_id)
    .bind(&v.out_verify_no)
    .bind(&v.verify_no)
    .bind(v.mode.as_str())
    .bind(v.customer_type.as_str())
    .bind(&v.certificate_type)
    .bind(&v.name.masked)
    .bind(&v.name.hash)
    .bind(&v.certificate.masked)
    .bind(&v.certificate.hash)
    .bind(&v.card.masked)
    .bind(&v.card.hash)
    .bind(mobile_masked)
    .bind(mobile_hash)
    .bind(v.status.as_str())
    .bind(v.reason_code.as_deref())
    .bind(v.reason.as_deref())
    .bind(v.verify_url.as_deref())
    .bind(v.notify_url.as_deref())
    .bind(v.return_url.as_deref())
    .bind(v.repeat_of.as_deref())
    .bind(v.version)
    .bind(v.created_at)
    .bind(v.updated_at)
    .bind(v.finished_at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
