//! Late successes: the bank took money for a payment we had already closed. The money sits in
//! suspense until an operator decides: accept it (the payment succeeds with the bank's figures
//! and the business system hears `payment.late_succeeded`) or give it back (accepted the same
//! way, and a full refund is created in the same transaction, so the business system hears of
//! the money arriving and of it going back, and the books show both).

use super::change::{collection_entry, insert_event, update_status};
use super::{
    EventRenderer, PAYMENT_COLUMNS, Payment, PaymentChange, insert_outbox, payment_from_row,
};
use crate::audit::{self, AuditEntry};
use crate::ledger;
use crate::outbox::OutboxEvent;
use crate::refunds::{CreateRefund, NewRefund, PaymentRef, create_refund_in};
use crate::{Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use unipay_core::Amount;
use unipay_core::channel::BankPaid;
use unipay_core::event::EventSource;
use unipay_core::ids::new_id;
use unipay_core::ledger::late_success;
use unipay_core::payment::{PaymentEvent, PaymentStatus};

/// The business notification an accepted late success writes.
pub const LATE_SUCCEEDED_EVENT: &str = "payment.late_succeeded";

/// A late success as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateSuccess {
    pub id: String,
    pub payment_id: String,
    pub detail: String,
    /// What the bank took (none when it only authorized).
    pub amount_fen: Option<i64>,
    pub channel_trade_no: Option<String>,
    pub accounting_date: Option<String>,
    pub paid_at: Option<i64>,
    /// `accepted` or `refunded` once decided.
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub note: Option<String>,
    pub created_at: i64,
}

impl LateSuccess {
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }
}

const COLUMNS: &str = "id, payment_id, detail, amount_fen, channel_trade_no, accounting_date, paid_at, \
     resolution, resolved_by, resolved_at, note, created_at";

/// The condition of a payment with an undecided late success (the payments list's filter).
pub const OPEN_LATE_SUCCESS: &str = "id IN (SELECT payment_id FROM anomalies \
     WHERE kind = 'late_success' AND resolution IS NULL)";

fn from_row(r: &AnyRow) -> Result<LateSuccess, StoreError> {
    Ok(LateSuccess {
        id: r.try_get("id")?,
        payment_id: r.try_get("payment_id")?,
        detail: r.try_get("detail")?,
        amount_fen: r.try_get("amount_fen")?,
        channel_trade_no: r.try_get("channel_trade_no")?,
        accounting_date: r.try_get("accounting_date")?,
        paid_at: r.try_get("paid_at")?,
        resolution: r.try_get("resolution")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// How an operator decides a late success.
#[derive(Debug, Clone)]
pub enum LateDecision {
    /// Keep the money: the payment succeeds.
    Accept,
    /// Give the money back: the payment succeeds and this full refund is created.
    Refund(NewRefund),
}

impl LateDecision {
    pub fn as_str(&self) -> &'static str {
        match self {
            LateDecision::Accept => "accepted",
            LateDecision::Refund(_) => "refunded",
        }
    }
}

pub struct DecideLate<'a> {
    pub payment_id: &'a str,
    pub decision: LateDecision,
    pub actor: &'a str,
    pub from_address: &'a str,
    pub note: &'a str,
    pub render: EventRenderer<'a>,
    /// The notification is held this long for the caller to deliver at once.
    pub delivery_lease_ms: i64,
    pub now_ms: i64,
}

#[derive(Debug)]
pub enum LateOutcome {
    /// Decided: the payment as it now stands, its notification, and the refund when one was
    /// asked for (to be sent to the bank by the caller).
    Decided {
        payment: Box<Payment>,
        event: Option<Box<OutboxEvent>>,
        refund: Option<Box<crate::refunds::Refund>>,
    },
    /// No undecided late success for this payment (decided already, or none).
    NotOpen,
    /// The bank only authorized: nothing was taken, so nothing can be accepted or given back.
    NothingTaken,
    /// The refund was refused by a rule (the text says which).
    RefundRefused(String),
}

impl Store {
    /// Late successes, undecided first, newest first within each.
    pub async fn list_late_successes(
        &self,
        open_only: bool,
    ) -> Result<Vec<LateSuccess>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM anomalies WHERE kind = 'late_success' \
             AND ($1 = 0 OR resolution IS NULL) ORDER BY created_at DESC, id DESC LIMIT 200"
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(open_only))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn late_success_of(
        &self,
        payment_id: &str,
    ) -> Result<Option<LateSuccess>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM anomalies WHERE kind = 'late_success' AND payment_id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(payment_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| from_row(&r)).transpose()
    }

    /// An operator's decision on a late success, in one transaction: the payment (closed →
    /// succeeded with the bank's figures), its timeline entry, the suspense entry reversed and
    /// the collection posted, the `payment.late_succeeded` notification, the refund when asked
    /// for, the decision on the anomaly and the audit entry.
    pub async fn decide_late_success(
        &self,
        decide: &DecideLate<'_>,
    ) -> Result<LateOutcome, StoreError> {
        let mut tx = self.write.begin().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM anomalies WHERE kind = 'late_success' AND payment_id = $1 \
             AND resolution IS NULL{}",
            self.lock_row()
        );
        let Some(late) = sqlx::query(&sql)
            .bind(decide.payment_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| from_row(&r))
            .transpose()?
        else {
            return Ok(LateOutcome::NotOpen);
        };
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1{}",
            self.lock_row()
        );
        let Some(before) = sqlx::query(&sql)
            .bind(decide.payment_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| payment_from_row(&r))
            .transpose()?
        else {
            return Ok(LateOutcome::NotOpen);
        };
        let (Some(amount_fen), Some(serial), Some(date), Some(paid_at)) = (
            late.amount_fen,
            late.channel_trade_no.clone(),
            late.accounting_date.clone(),
            late.paid_at,
        ) else {
            return Ok(LateOutcome::NothingTaken);
        };
        if before.status != PaymentStatus::Closed {
            return Ok(LateOutcome::NotOpen);
        }
        let paid = BankPaid {
            amount: Amount::from_fen(amount_fen).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            channel_trade_no: serial,
            paid_at_ms: paid_at,
            accounting_date: date.clone(),
        };
        let detail = format!(
            "operator {} {}: {}",
            decide.actor,
            decide.decision.as_str(),
            decide.note
        );
        let change = PaymentChange {
            payment_id: &before.id,
            event: PaymentEvent::BankSucceeded,
            source: EventSource::Console,
            paid: Some(&paid),
            payment_type: None,
            next_query_at: None,
            detail: &detail,
            raw_sha256: None,
            message: None,
            delivery_lease_ms: 0,
            known: Some(&before),
            now_ms: decide.now_ms,
        };
        let Some(after) =
            update_status(&mut tx, &before, PaymentStatus::Succeeded, &change).await?
        else {
            return Err(StoreError::Conflict);
        };
        let qualifier = format!("late_success_{}", decide.decision.as_str());
        insert_event(
            &mut tx,
            &after.id,
            &change,
            Some(before.status),
            Some(after.status),
            &qualifier,
        )
        .await?;
        release_suspense(&mut tx, &before, amount_fen, &date, decide.now_ms).await?;
        ledger::post(&mut tx, &collection_entry(&after, &change)?, decide.now_ms).await?;
        let event = late_notification(&mut tx, &after, decide).await?;
        let refund = match &decide.decision {
            LateDecision::Accept => None,
            LateDecision::Refund(new) => {
                match create_refund_in(&mut tx, new, self.lock_row()).await? {
                    CreateRefund::Created(refund) | CreateRefund::Duplicate(refund) => {
                        Some(Box::new(refund))
                    }
                    CreateRefund::Refused(refusal) => {
                        tx.rollback().await?;
                        return Ok(LateOutcome::RefundRefused(format!("{refusal:?}")));
                    }
                }
            }
        };
        sqlx::query(
            "UPDATE anomalies SET resolution = $1, resolved_by = $2, resolved_at = $3, note = $4 \
             WHERE id = $5 AND resolution IS NULL",
        )
        .bind(decide.decision.as_str())
        .bind(decide.actor)
        .bind(decide.now_ms)
        .bind(decide.note)
        .bind(&late.id)
        .execute(&mut *tx)
        .await?;
        let audit_detail = match &refund {
            Some(refund) => format!(
                "{} {amount_fen} fen; refund {}: {}",
                decide.decision.as_str(),
                refund.id,
                decide.note
            ),
            None => format!(
                "{} {amount_fen} fen: {}",
                decide.decision.as_str(),
                decide.note
            ),
        };
        audit::record(
            &mut tx,
            &AuditEntry {
                actor: decide.actor,
                action: "payment.late_success",
                target: &after.id,
                detail: &audit_detail,
                from_address: decide.from_address,
                outcome: "ok",
                now_ms: decide.now_ms,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(LateOutcome::Decided {
            payment: Box::new(after),
            event,
            refund,
        })
    }
}

/// Takes the money out of suspense: the late success's entry, reversed.
async fn release_suspense(
    tx: &mut Transaction<'_, Any>,
    payment: &Payment,
    amount_fen: i64,
    accounting_date: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let held: Option<String> = sqlx::query(
        "SELECT id FROM journal_entries WHERE reason = 'late_success' AND cause_id = $1",
    )
    .bind(&payment.id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get("id"))
    .transpose()?;
    let Some(held) = held else {
        return Err(StoreError::Corrupt(format!(
            "payment {}: late success without its suspense entry",
            payment.id
        )));
    };
    let entry = late_success(
        &payment.id,
        &payment.channel_account_id,
        amount_fen,
        accounting_date,
    )
    .and_then(|entry| entry.reversal(&held, accounting_date))
    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    ledger::post(tx, &entry, now_ms).await?;
    Ok(())
}

/// `payment.late_succeeded` to the business system (none when the payment has no notify URL).
async fn late_notification(
    tx: &mut Transaction<'_, Any>,
    payment: &Payment,
    decide: &DecideLate<'_>,
) -> Result<Option<Box<OutboxEvent>>, StoreError> {
    let Some(url) = payment.notify_url.as_deref() else {
        return Ok(None);
    };
    let id = new_id("evt", decide.now_ms);
    let event = OutboxEvent {
        body: (decide.render)(payment, &id, LATE_SUCCEEDED_EVENT, decide.now_ms),
        id,
        app_id: payment.app_id.clone(),
        payment_id: payment.id.clone(),
        event_type: LATE_SUCCEEDED_EVENT.to_string(),
        url: url.to_string(),
        status: "pending".to_string(),
        attempts: 0,
        next_attempt_at: Some(decide.now_ms + decide.delivery_lease_ms.max(0)),
        last_error: None,
        created_at: decide.now_ms,
        delivered_at: None,
    };
    insert_outbox(tx, &event).await?;
    Ok(Some(Box::new(event)))
}

/// The full refund that gives a late success back: the order's whole amount, numbered by the
/// caller so that a retry finds the same refund.
pub fn refund_of(
    payment: &Payment,
    out_refund_no: String,
    now_ms: i64,
    next_query_at: i64,
) -> NewRefund {
    NewRefund {
        app_id: payment.app_id.clone(),
        payment: PaymentRef::Id(payment.id.clone()),
        out_refund_no,
        amount: payment.amount.fen(),
        reason: Some("paid after the order was closed".to_string()),
        notify_url: None,
        next_query_at: Some(next_query_at),
        created_at: now_ms,
    }
}
