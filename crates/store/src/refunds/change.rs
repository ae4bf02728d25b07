//! The one way a refund changes state, and the janitor's claims on pending refunds.

use super::{
    REFUND_COLUMNS, Refund, RefundChange, RefundEventRenderer, RefundOutcome, refund_from_row,
};
use crate::messages::{Seen, keep_message};
use crate::outbox::OutboxEvent;
use crate::payments::{NewEvent, accounting_date_of, insert_event_row, insert_outbox};
use crate::writer::{Finish, Writer, args, write_transaction};
use crate::{Backend, Store, StoreError, ledger};
use unipay_core::ids::new_id;
use unipay_core::ledger::{JournalEntry, Refunded, refund_succeeded};
use unipay_core::refund::{
    RefundEvent, RefundStatus, RefundTransition, refund_notification_type, refund_transition,
};

impl Store {
    /// The one way a refund changes state: the bank message, the refund row (version-checked),
    /// the payment's sums, the timeline event, the ledger entry, the notification and, for a
    /// refund of a batch, the batch's tallies commit in one transaction, or none of them do.
    pub async fn apply_refund_change(
        &self,
        change: &RefundChange<'_>,
        render: RefundEventRenderer<'_>,
    ) -> Result<RefundOutcome, StoreError> {
        // On PostgreSQL a move from the caller's current copy is one statement (`at_once.rs`);
        // a batch's line also moves its batch's tallies, which that statement leaves out.
        if self.backend == Backend::Postgres
            && let Some(known) = change
                .known
                .filter(|k| k.id == change.refund_id && k.batch_id.is_none())
            && let RefundTransition::To(next) = refund_transition(known.status, change.event)
            && let Some(outcome) = self
                .move_refund_at_once(known, next, change, render)
                .await?
        {
            return Ok(outcome);
        }
        let lock = self.lock_row();
        write_transaction!(self, |tx| apply_one_in(tx, change, render, lock))
    }

    /// Claims up to `limit` pending refunds due for a bank query, leasing each for `lease_ms`.
    pub async fn claim_due_refund_queries(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<Refund>, StoreError> {
        self.lease_due(
            "refunds",
            "next_query_at",
            REFUND_COLUMNS,
            refund_from_row,
            now_ms,
            limit,
            lease_ms,
        )
        .await
    }

    /// Sets when the janitor asks about a pending refund next, counting the query just made.
    pub async fn schedule_next_refund_query(
        &self,
        refund_id: &str,
        next_query_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refunds SET next_query_at = $1, query_attempts = query_attempts + 1 \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(next_query_at)
        .bind(refund_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}

/// `apply_refund_change` inside its transaction: the message, the change and, for a line of a
/// batch, the batch's tallies.
async fn apply_one_in<W: Writer>(
    tx: &mut W,
    change: &RefundChange<'_>,
    render: RefundEventRenderer<'_>,
    lock: &str,
) -> Result<Finish<RefundOutcome>, StoreError> {
    let seen = match change.message {
        Some(message) => keep_message(tx, message).await?,
        None => Seen::First,
    };
    let outcome = apply_in(tx, change, seen, render, lock).await?;
    if let RefundOutcome::Changed { refund, .. } = &outcome
        && let Some(batch_id) = &refund.batch_id
    {
        super::batch::tally(
            tx,
            batch_id,
            &super::batch::Tally::of(refund),
            change.now_ms,
        )
        .await?;
    }
    Ok(Finish::Commit(outcome))
}

/// Applies one change inside the caller's transaction (a single change, or a line of a batch).
pub(crate) async fn apply_in<W: Writer>(
    tx: &mut W,
    change: &RefundChange<'_>,
    seen: Seen,
    render: RefundEventRenderer<'_>,
    lock: &str,
) -> Result<RefundOutcome, StoreError> {
    // As for payments: the caller's copy is trusted only through the version check.
    if let Some(known) = change.known.filter(|k| k.id == change.refund_id)
        && let RefundTransition::To(next) = refund_transition(known.status, change.event)
        && let Some(outcome) = move_refund(tx, known, next, change, render).await?
    {
        return Ok(outcome);
    }
    let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE id = $1{lock}");
    let Some(row) = tx.fetch_optional(&sql, args![change.refund_id]).await? else {
        return Ok(RefundOutcome::NotFound);
    };
    let before = refund_from_row(&row)?;
    Ok(match refund_transition(before.status, change.event) {
        RefundTransition::To(next) => move_refund(tx, &before, next, change, render)
            .await?
            .ok_or(StoreError::Conflict)?,
        RefundTransition::Unchanged if seen == Seen::Again => RefundOutcome::Unchanged(before),
        RefundTransition::Unchanged => {
            let mut after = before;
            if change.event == RefundEvent::BankPending && after.status == RefundStatus::Pending {
                // Still unknown: ask again at the time given, counting this query.
                after.next_query_at = change.next_query_at.or(after.next_query_at);
                after.query_attempts += 1;
                tx.execute(
                    "UPDATE refunds SET next_query_at = $1, query_attempts = $2 WHERE id = $3",
                    args![after.next_query_at, after.query_attempts, &after.id],
                )
                .await?;
            }
            let qualifier = if change.event == RefundEvent::BankPending {
                ""
            } else {
                "unchanged"
            };
            insert_refund_event(tx, &after, change, qualifier).await?;
            RefundOutcome::Unchanged(after)
        }
        RefundTransition::Rejected => {
            insert_refund_event(tx, &before, change, "rejected").await?;
            if change.event == RefundEvent::BankSucceeded {
                insert_refund_anomaly(tx, &before, change).await?;
            }
            RefundOutcome::Rejected(before)
        }
    })
}

/// Moves the refund to `next` if it is still at `before`'s version: the row, the payment's
/// sums, the timeline event, the ledger entry and the notification. `None` when the row has
/// moved on meanwhile.
async fn move_refund<W: Writer>(
    tx: &mut W,
    before: &Refund,
    next: RefundStatus,
    change: &RefundChange<'_>,
    render: RefundEventRenderer<'_>,
) -> Result<Option<RefundOutcome>, StoreError> {
    let after = moved(before, next, change);
    let updated = tx
        .execute(
            "UPDATE refunds SET status = $1, version = $2, updated_at = $3, next_query_at = $4, finished_at = $5, \
             channel_refund_no = $6, accounting_date = $7, failure_reason = $8 WHERE id = $9 AND version = $10",
            args![
                after.status.as_str(),
                after.version,
                after.updated_at,
                after.next_query_at,
                after.finished_at,
                &after.channel_refund_no,
                &after.accounting_date,
                &after.failure_reason,
                &after.id,
                before.version,
            ],
        )
        .await?;
    if updated != 1 {
        return Ok(None);
    }
    tx.execute(
        "UPDATE payments SET refunded_amount = refunded_amount + $1, refund_reserved = refund_reserved - $2 \
         WHERE id = $3",
        args![refunded_by(&after), after.amount.fen(), &after.payment_id],
    )
    .await?;
    insert_refund_event(tx, &after, change, "").await?;
    if let Some(entry) = refund_entry(&after)? {
        ledger::post(tx, &entry, change.now_ms).await?;
    }
    let event = refund_notification(&after, change, render);
    if let Some(event) = &event {
        insert_outbox(tx, event).await?;
    }
    Ok(Some(RefundOutcome::Changed {
        refund: after,
        event: event.map(Box::new),
    }))
}

/// The refund as `change` moves it from `before` to `next`.
pub(super) fn moved(before: &Refund, next: RefundStatus, change: &RefundChange<'_>) -> Refund {
    let mut after = before.clone();
    after.status = next;
    after.version += 1;
    after.updated_at = change.now_ms;
    after.next_query_at = None;
    after.finished_at = Some(change.now_ms);
    match next {
        RefundStatus::Succeeded => {
            after.channel_refund_no = change
                .channel_refund_no
                .map(str::to_string)
                .or(after.channel_refund_no);
            after.accounting_date = Some(
                change
                    .accounting_date
                    .map(str::to_string)
                    .or(after.accounting_date)
                    .unwrap_or_else(|| accounting_date_of(change.now_ms)),
            );
        }
        RefundStatus::Failed => after.failure_reason = Some(change.detail.to_string()),
        RefundStatus::Pending => after.finished_at = None,
    }
    after
}

/// What a moved refund adds to its payment's refunded money: the reservation made at creation
/// becomes refunded money when it succeeded, and is released either way.
pub(super) fn refunded_by(after: &Refund) -> i64 {
    if after.status == RefundStatus::Succeeded {
        after.amount.fen()
    } else {
        0
    }
}

/// The ledger entry a moved refund posts: `refund_succeeded` for a success, none otherwise.
pub(super) fn refund_entry(after: &Refund) -> Result<Option<JournalEntry>, StoreError> {
    if after.status != RefundStatus::Succeeded {
        return Ok(None);
    }
    let accounting_date = after.accounting_date.clone().unwrap_or_default();
    refund_succeeded(&Refunded {
        id: &after.id,
        merchant_id: &after.merchant_id,
        channel_account_id: &after.channel_account_id,
        amount: after.amount.fen(),
        fee_returned: after.fee_returned,
        accounting_date: &accounting_date,
    })
    .map(Some)
    .map_err(|e| StoreError::Corrupt(format!("refund {}: {e}", after.id)))
}

/// The timeline entry on the refund's payment: `refund.<event>` (qualified when it changed
/// nothing), naming the refund. The payment's statuses stay empty: the payment did not move.
async fn insert_refund_event<W: Writer>(
    tx: &mut W,
    refund: &Refund,
    change: &RefundChange<'_>,
    qualifier: &str,
) -> Result<(), StoreError> {
    let (kind, detail) = refund_event_text(refund, change, qualifier);
    insert_event_row(tx, &refund_event(refund, change, &kind, &detail)).await
}

/// The timeline row of a refund's change, its text from [`refund_event_text`].
pub(super) fn refund_event<'a>(
    refund: &'a Refund,
    change: &RefundChange<'a>,
    kind: &'a str,
    detail: &'a str,
) -> NewEvent<'a> {
    NewEvent {
        payment_id: &refund.payment_id,
        kind,
        source: change.source,
        from: None,
        to: None,
        detail,
        raw_sha256: change.message.map(|m| m.sha256),
        now_ms: change.now_ms,
    }
}

/// The kind and detail of a refund's timeline entry.
pub(super) fn refund_event_text(
    refund: &Refund,
    change: &RefundChange<'_>,
    qualifier: &str,
) -> (String, String) {
    let kind = match (qualifier, refund.status, change.event) {
        ("", RefundStatus::Succeeded, RefundEvent::BankSucceeded) => "refund.succeeded".to_string(),
        ("", RefundStatus::Failed, RefundEvent::BankFailed) => "refund.failed".to_string(),
        ("", _, event) => format!("refund.{}", event.as_str()),
        (qualifier, _, event) => format!("refund.{}:{qualifier}", event.as_str()),
    };
    let mut detail = format!(
        "{} ({}): {} fen, {}",
        refund.id,
        refund.out_refund_no,
        refund.amount.fen(),
        refund.status
    );
    if !change.detail.is_empty() {
        detail.push_str("; ");
        detail.push_str(change.detail);
    }
    (kind, detail)
}

/// The `refund.*` notification for the refund's new state, when it has one and a URL.
pub(super) fn refund_notification(
    refund: &Refund,
    change: &RefundChange<'_>,
    render: RefundEventRenderer<'_>,
) -> Option<OutboxEvent> {
    let now_ms = change.now_ms;
    let event_type = refund_notification_type(refund.status)?;
    let url = refund.notify_url.as_deref()?;
    let id = new_id("evt", now_ms);
    Some(OutboxEvent {
        body: render(refund, &id, event_type, now_ms),
        id,
        app_id: refund.app_id.clone(),
        // The outbox is keyed by payment: a refund's events are its payment's too.
        payment_id: refund.payment_id.clone(),
        event_type: event_type.to_string(),
        url: url.to_string(),
        status: "pending".to_string(),
        attempts: 0,
        next_attempt_at: Some(now_ms + change.delivery_lease_ms.max(0)),
        last_error: None,
        created_at: now_ms,
        delivered_at: None,
    })
}

/// The bank reports a refund we hold as failed as succeeded: not applied (its reservation may
/// be gone), kept for an operator once per payment; the timeline names each report.
async fn insert_refund_anomaly<W: Writer>(
    tx: &mut W,
    refund: &Refund,
    change: &RefundChange<'_>,
) -> Result<(), StoreError> {
    let detail = format!(
        "bank reports refund {} ({} fen, serial {}) succeeded, but it failed before; source {}",
        refund.id,
        refund.amount.fen(),
        change.channel_refund_no.unwrap_or("-"),
        change.source.as_str()
    );
    let id = new_id("anm", change.now_ms);
    tx.execute(
        "INSERT INTO anomalies (id, kind, payment_id, detail, created_at) \
         VALUES ($1, 'refund_late_success', $2, $3, $4) ON CONFLICT DO NOTHING",
        args![&id, &refund.payment_id, &detail, change.now_ms],
    )
    .await?;
    Ok(())
}
