//! Mandates (授权支付): creation (with idempotency), lookups, and the one function through
//! which every mandate state change passes (row with a version check, timeline event and
//! business notification in one transaction). Debits are payments: `mandates/debits.rs`
//! creates them against a locked mandate, `mandates/batches.rs` holds debit batches.

pub mod batches;
pub mod debits;

use crate::idempotency;
use crate::idempotency::IdempotencyRequest;
use crate::messages::{InboundMessage, Seen, keep_message};
use crate::nonces::NonceUse;
use crate::outbox::OutboxEvent;
use crate::payments::{Idempotent, insert_outbox};
use crate::{Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use unipay_core::event::EventSource;
use unipay_core::ids::new_id;
use unipay_core::mandate::{
    MandateEvent, MandateStatus, MandateTransition, notification_type, transition,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_mandate_no: String,
    pub sign_request_no: String,
    pub agent_sign_no: Option<String>,
    pub customer_ref: String,
    pub card_type: String,
    pub certificate_type: String,
    pub certificate_no_masked: String,
    pub certificate_no_hash: Option<String>,
    pub card_masked: Option<String>,
    pub expires_on: String,
    pub max_amount_per_debit: Option<i64>,
    pub status: MandateStatus,
    pub failure_reason: Option<String>,
    pub sign_url: Option<String>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub next_query_at: Option<i64>,
    pub query_attempts: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub signed_at: Option<i64>,
    pub ended_at: Option<i64>,
}

pub(crate) const MANDATE_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, out_mandate_no, \
     sign_request_no, agent_sign_no, customer_ref, card_type, certificate_type, certificate_no_masked, \
     certificate_no_hash, card_masked, expires_on, max_amount_per_debit, status, failure_reason, sign_url, \
     notify_url, return_url, next_query_at, query_attempts, version, created_at, updated_at, signed_at, ended_at";

pub(crate) fn mandate_from_row(r: &AnyRow) -> Result<Mandate, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(Mandate {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        out_mandate_no: r.try_get("out_mandate_no")?,
        sign_request_no: r.try_get("sign_request_no")?,
        agent_sign_no: r.try_get("agent_sign_no")?,
        customer_ref: r.try_get("customer_ref")?,
        card_type: r.try_get("card_type")?,
        certificate_type: r.try_get("certificate_type")?,
        certificate_no_masked: r.try_get("certificate_no_masked")?,
        certificate_no_hash: r.try_get("certificate_no_hash")?,
        card_masked: r.try_get("card_masked")?,
        expires_on: r.try_get("expires_on")?,
        max_amount_per_debit: r.try_get("max_amount_per_debit")?,
        status: MandateStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("mandate status {status:?}")))?,
        failure_reason: r.try_get("failure_reason")?,
        sign_url: r.try_get("sign_url")?,
        notify_url: r.try_get("notify_url")?,
        return_url: r.try_get("return_url")?,
        next_query_at: r.try_get("next_query_at")?,
        query_attempts: r.try_get("query_attempts")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        signed_at: r.try_get("signed_at")?,
        ended_at: r.try_get("ended_at")?,
    })
}

/// Everything a new mandate row needs; status starts at `pending`.
#[derive(Debug, Clone)]
pub struct NewMandate {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_mandate_no: String,
    pub sign_request_no: String,
    pub customer_ref: String,
    pub card_type: String,
    pub certificate_type: String,
    pub certificate_no_masked: String,
    pub certificate_no_hash: Option<String>,
    pub expires_on: String,
    pub max_amount_per_debit: Option<i64>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    /// When the janitor first asks the bank about the signing.
    pub next_query_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateMandate {
    Created(Mandate),
    /// The app already has a mandate with this out_mandate_no.
    Duplicate(Mandate),
}

/// A change to a mandate, from whichever source reported it.
#[derive(Debug, Clone, Copy)]
pub struct MandateChange<'a> {
    pub mandate_id: &'a str,
    pub event: MandateEvent,
    pub source: EventSource,
    /// For `BankSigned`: the bank's number, the masked card and when it was signed.
    pub agent_sign_no: Option<&'a str>,
    pub card_masked: Option<&'a str>,
    pub signed_at: Option<i64>,
    /// The bank's reason, for the timeline (and as failure_reason of a failed signing).
    pub detail: &'a str,
    /// The bank message that reported the change, kept in the same transaction; the same
    /// bytes twice change nothing and add no timeline entry.
    pub message: Option<&'a InboundMessage<'a>>,
    /// A business notification this change writes is held this long for the caller to deliver
    /// at once; 0 leaves it due for any notifier.
    pub delivery_lease_ms: i64,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MandateOutcome {
    /// The mandate moved; `event` is the business notification written, if any.
    Changed {
        mandate: Mandate,
        event: Option<Box<OutboxEvent>>,
    },
    Unchanged(Mandate),
    Rejected(Mandate),
    NotFound,
}

impl MandateOutcome {
    pub fn into_mandate(self) -> Option<Mandate> {
        match self {
            MandateOutcome::Changed { mandate, .. }
            | MandateOutcome::Unchanged(mandate)
            | MandateOutcome::Rejected(mandate) => Some(mandate),
            MandateOutcome::NotFound => None,
        }
    }
}

/// Builds a business notification's body (`{"id","type","created_at","data"}`) for a mandate.
pub type MandateRenderer<'a> = &'a (dyn Fn(&Mandate, &str, &str, i64) -> String + Send + Sync);

impl Store {
    /// Creates a mandate, or reports the existing one with the same out_mandate_no; the nonce,
    /// the idempotency key, the mandate, its first timeline entry and the saved answer commit
    /// together.
    pub async fn create_mandate(
        &self,
        new: &NewMandate,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: &(dyn Fn(&CreateMandate) -> (u16, String) + Send + Sync),
    ) -> Result<Idempotent<CreateMandate>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(answer) =
            idempotency::open_request(&mut tx, nonce, idempotency, new.created_at).await?
        {
            return Ok(answer);
        }
        let outcome = insert_mandate(&mut tx, new).await?;
        idempotency::close_request(&mut tx, idempotency, || render(&outcome)).await?;
        tx.commit().await?;
        Ok(Idempotent::Fresh(outcome))
    }

    pub async fn get_mandate(&self, id: &str) -> Result<Option<Mandate>, StoreError> {
        let sql = format!("SELECT {MANDATE_COLUMNS} FROM mandates WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| mandate_from_row(&r)).transpose()
    }

    pub async fn get_mandate_by_sign_request_no(
        &self,
        channel_account_id: &str,
        sign_request_no: &str,
    ) -> Result<Option<Mandate>, StoreError> {
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE channel_account_id = $1 AND sign_request_no = $2"
        );
        let row = sqlx::query(&sql)
            .bind(channel_account_id)
            .bind(sign_request_no)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| mandate_from_row(&r)).transpose()
    }

    /// Keeps the page the bank gave for the signing (the same one on a resend).
    pub async fn set_mandate_sign_url(&self, id: &str, sign_url: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE mandates SET sign_url = $1 WHERE id = $2")
            .bind(sign_url)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The one way a mandate changes state.
    pub async fn apply_mandate_change(
        &self,
        change: &MandateChange<'_>,
        render: MandateRenderer<'_>,
    ) -> Result<MandateOutcome, StoreError> {
        let mut tx = self.write.begin().await?;
        let seen = match change.message {
            Some(message) => keep_message(&mut tx, message).await?,
            None => Seen::First,
        };
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE id = $1{}",
            self.lock_row()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(change.mandate_id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(MandateOutcome::NotFound);
        };
        let before = mandate_from_row(&row)?;
        let outcome = match transition(before.status, change.event) {
            MandateTransition::To(next) => {
                let after = update_status(&mut tx, &before, next, change).await?;
                insert_event(&mut tx, &before.id, change, before.status, next, "").await?;
                let event = insert_notification(&mut tx, &after, change, render).await?;
                MandateOutcome::Changed {
                    mandate: after,
                    event,
                }
            }
            MandateTransition::Unchanged if seen == Seen::Again => {
                MandateOutcome::Unchanged(before)
            }
            MandateTransition::Unchanged => {
                insert_event(
                    &mut tx,
                    &before.id,
                    change,
                    before.status,
                    before.status,
                    "unchanged",
                )
                .await?;
                MandateOutcome::Unchanged(before)
            }
            MandateTransition::Rejected => {
                insert_event(
                    &mut tx,
                    &before.id,
                    change,
                    before.status,
                    before.status,
                    "rejected",
                )
                .await?;
                MandateOutcome::Rejected(before)
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// A timeline entry that changes nothing (a query that could not tell), with its message.
    pub async fn record_mandate_note(
        &self,
        mandate_id: &str,
        kind: &str,
        source: EventSource,
        detail: &str,
        message: Option<&InboundMessage<'_>>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(message) = message {
            keep_message(&mut tx, message).await?;
        }
        insert_event_row(
            &mut tx,
            mandate_id,
            kind,
            source,
            None,
            None,
            detail,
            message.map(|m| m.sha256),
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims pending mandates due for a query, leased for `lease_ms`.
    pub async fn claim_due_mandates(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<Mandate>, StoreError> {
        self.lease_due(
            "mandates",
            "next_query_at",
            MANDATE_COLUMNS,
            mandate_from_row,
            now_ms,
            limit,
            lease_ms,
        )
        .await
    }

    /// When the janitor asks about a pending mandate next, counting the query just made.
    pub async fn schedule_next_mandate_query(
        &self,
        id: &str,
        next_query_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mandates SET next_query_at = $1, query_attempts = query_attempts + 1 \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(next_query_at)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The mandate's timeline, oldest first: (kind, source, from, to, detail).
    pub async fn list_mandate_events(
        &self,
        mandate_id: &str,
    ) -> Result<Vec<(String, String, Option<String>, Option<String>, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, source, from_status, to_status, detail FROM mandate_events \
             WHERE mandate_id = $1 ORDER BY created_at, id",
        )
        .bind(mandate_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("kind")?,
                    r.try_get("source")?,
                    r.try_get("from_status")?,
                    r.try_get("to_status")?,
                    r.try_get("detail")?,
                ))
            })
            .collect()
    }
}

async fn insert_mandate(
    tx: &mut Transaction<'_, Any>,
    new: &NewMandate,
) -> Result<CreateMandate, StoreError> {
    let sql = format!(
        "INSERT INTO mandates (id, app_id, merchant_id, channel_account_id, out_mandate_no, sign_request_no, \
         customer_ref, card_type, certificate_type, certificate_no_masked, certificate_no_hash, expires_on, \
         max_amount_per_debit, status, notify_url, return_url, next_query_at, query_attempts, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14, $15, $16, 0, 1, \
         $17, $17) ON CONFLICT DO NOTHING RETURNING {MANDATE_COLUMNS}"
    );
    let inserted = sqlx::query(&sql)
        .bind(&new.id)
        .bind(&new.app_id)
        .bind(&new.merchant_id)
        .bind(&new.channel_account_id)
        .bind(&new.out_mandate_no)
        .bind(&new.sign_request_no)
        .bind(&new.customer_ref)
        .bind(&new.card_type)
        .bind(&new.certificate_type)
        .bind(&new.certificate_no_masked)
        .bind(&new.certificate_no_hash)
        .bind(&new.expires_on)
        .bind(new.max_amount_per_debit)
        .bind(&new.notify_url)
        .bind(&new.return_url)
        .bind(new.next_query_at)
        .bind(new.created_at)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = inserted else {
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE app_id = $1 AND out_mandate_no = $2"
        );
        let existing = sqlx::query(&sql)
            .bind(&new.app_id)
            .bind(&new.out_mandate_no)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt("mandate id or signing number collided".into()))?;
        return Ok(CreateMandate::Duplicate(mandate_from_row(&existing)?));
    };
    let mandate = mandate_from_row(&row)?;
    insert_event_row(
        tx,
        &mandate.id,
        "created",
        EventSource::Api,
        None,
        Some(MandateStatus::Pending),
        "",
        None,
        new.created_at,
    )
    .await?;
    Ok(CreateMandate::Created(mandate))
}

async fn update_status(
    tx: &mut Transaction<'_, Any>,
    before: &Mandate,
    next: MandateStatus,
    change: &MandateChange<'_>,
) -> Result<Mandate, StoreError> {
    let mut after = before.clone();
    after.status = next;
    after.version += 1;
    after.updated_at = change.now_ms;
    after.next_query_at = None;
    match change.event {
        MandateEvent::BankSigned => {
            after.agent_sign_no = change.agent_sign_no.map(str::to_string);
            after.card_masked = change
                .card_masked
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            after.signed_at = Some(change.signed_at.unwrap_or(change.now_ms));
        }
        MandateEvent::BankSignFailed => {
            after.failure_reason = Some(change.detail.to_string());
            after.ended_at = Some(change.now_ms);
        }
        MandateEvent::BankCancelled | MandateEvent::Expired => after.ended_at = Some(change.now_ms),
    }
    let updated = sqlx::query(
        "UPDATE mandates SET status = $1, version = $2, updated_at = $3, next_query_at = NULL, agent_sign_no = $4, \
         card_masked = $5, signed_at = $6, failure_reason = $7, ended_at = $8 WHERE id = $9 AND version = $10",
    )
    .bind(after.status.as_str())
    .bind(after.version)
    .bind(after.updated_at)
    .bind(&after.agent_sign_no)
    .bind(&after.card_masked)
    .bind(after.signed_at)
    .bind(&after.failure_reason)
    .bind(after.ended_at)
    .bind(&after.id)
    .bind(before.version)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    Ok(after)
}

async fn insert_event(
    tx: &mut Transaction<'_, Any>,
    mandate_id: &str,
    change: &MandateChange<'_>,
    from: MandateStatus,
    to: MandateStatus,
    qualifier: &str,
) -> Result<(), StoreError> {
    let kind = if qualifier.is_empty() {
        change.event.as_str().to_string()
    } else {
        format!("{}:{qualifier}", change.event.as_str())
    };
    insert_event_row(
        tx,
        mandate_id,
        &kind,
        change.source,
        Some(from),
        Some(to),
        change.detail,
        change.message.map(|m| m.sha256),
        change.now_ms,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert_event_row(
    tx: &mut Transaction<'_, Any>,
    mandate_id: &str,
    kind: &str,
    source: EventSource,
    from: Option<MandateStatus>,
    to: Option<MandateStatus>,
    detail: &str,
    raw_sha256: Option<&str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mandate_events (id, mandate_id, kind, source, from_status, to_status, detail, raw_sha256, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id("mev", now_ms))
    .bind(mandate_id)
    .bind(kind)
    .bind(source.as_str())
    .bind(from.map(|s| s.as_str()))
    .bind(to.map(|s| s.as_str()))
    .bind(detail)
    .bind(raw_sha256)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The business notification of a mandate's new state, delivered by the notifier's polling
/// (the outbox names the mandate where a payment's event names the payment).
async fn insert_notification(
    tx: &mut Transaction<'_, Any>,
    mandate: &Mandate,
    change: &MandateChange<'_>,
    render: MandateRenderer<'_>,
) -> Result<Option<Box<OutboxEvent>>, StoreError> {
    let now_ms = change.now_ms;
    let (Some(event_type), Some(url)) = (
        notification_type(mandate.status),
        mandate.notify_url.as_deref(),
    ) else {
        return Ok(None);
    };
    let id = new_id("evt", now_ms);
    let event = OutboxEvent {
        body: render(mandate, &id, event_type, now_ms),
        id,
        app_id: mandate.app_id.clone(),
        payment_id: mandate.id.clone(),
        event_type: event_type.to_string(),
        url: url.to_string(),
        status: "pending".to_string(),
        attempts: 0,
        // Held by the caller that delivers it at once; any notifier takes it after the lease.
        next_attempt_at: Some(now_ms + change.delivery_lease_ms.max(0)),
        last_error: None,
        created_at: now_ms,
        delivered_at: None,
    };
    insert_outbox(tx, &event).await?;
    Ok(Some(Box::new(event)))
}
