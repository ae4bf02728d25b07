//! The one way a payment changes state, the janitor's claims on open payments, and the rows a
//! change writes beside the payment (timeline, notification, anomaly, ledger entry).

use super::{
    ApplyOutcome, EventRenderer, PAYMENT_COLUMNS, Payment, PaymentChange, PaymentNote,
    payment_from_row,
};
use crate::ledger;
use crate::messages::{Seen, keep_message};
use crate::outbox::OutboxEvent;
use crate::writer::{Finish, Writer, args, write_statements, write_transaction};
use crate::{Backend, Store, StoreError};
use unipay_core::calendar::AccountingDate;
use unipay_core::event::EventSource;
use unipay_core::ids::new_id;
use unipay_core::ledger::{Collected, JournalEntry, capture, late_success, payment_succeeded};
use unipay_core::payment::{
    PaymentEvent, PaymentStatus, Transition, capture_fees, effective_event, notification_type,
    transition_for,
};

impl Store {
    /// The one way a payment changes state: the row (version-checked), its timeline event, the
    /// business notification and any anomaly commit in one transaction, or none of them do.
    pub async fn apply_payment_change(
        &self,
        change: &PaymentChange<'_>,
        render: EventRenderer<'_>,
    ) -> Result<ApplyOutcome, StoreError> {
        // On PostgreSQL a move from the caller's current copy is one statement (`at_once.rs`).
        // When it writes nothing the copy is stale for good (versions only grow), so the
        // transaction goes straight to the locked read.
        let mut fallback = *change;
        if self.backend == Backend::Postgres
            && let Some(known) = change.known.filter(|k| k.id == change.payment_id)
        {
            if let Transition::To(next) = transition_for(&known.terms(), known.status, change.event)
                && let Some(outcome) = self
                    .move_payment_at_once(known, next, &as_applied(known, change), render)
                    .await?
            {
                return Ok(outcome);
            }
            fallback.known = None;
        }
        let lock_row = self.lock_row();
        write_transaction!(self, |tx| apply_in(tx, &fallback, render, lock_row))
    }

    /// Adds a timeline entry that changes nothing (e.g. a query that answered "unknown"),
    /// keeping the bank message that said it in the same transaction.
    pub async fn record_payment_note(&self, note: &PaymentNote<'_>) -> Result<(), StoreError> {
        if note.message.is_none() {
            // One statement: no `BEGIN` and `COMMIT` round trips around it on PostgreSQL.
            return write_statements!(self, |tx| async {
                insert_event_row(tx, &note_event(note)).await
            });
        }
        write_transaction!(self, |tx| note_in(tx, note))
    }

    /// Claims up to `limit` payments due for a bank query, leasing each for `lease_ms` so that
    /// no other worker queries it meanwhile; a worker that dies lets the lease run out.
    pub async fn claim_due_queries(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<Payment>, StoreError> {
        self.lease_due(
            "payments",
            "next_query_at",
            PAYMENT_COLUMNS,
            payment_from_row,
            now_ms,
            limit,
            lease_ms,
        )
        .await
    }

    /// Sets when the janitor asks about an open payment next, counting the query just made.
    pub async fn schedule_next_query(
        &self,
        payment_id: &str,
        next_query_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE payments SET next_query_at = $1, query_attempts = query_attempts + 1 \
             WHERE id = $2 AND status IN ('created', 'pending')",
        )
        .bind(next_query_at)
        .bind(payment_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}

/// `apply_payment_change` inside its transaction; a payment that is not there rolls back the
/// message kept for it.
async fn apply_in<W: Writer>(
    tx: &mut W,
    change: &PaymentChange<'_>,
    render: EventRenderer<'_>,
    lock_row: &str,
) -> Result<Finish<ApplyOutcome>, StoreError> {
    let seen = match change.message {
        Some(message) => keep_message(tx, message).await?,
        None => Seen::First,
    };
    // The caller's copy of the row, when it leads to a move, is trusted only through the
    // version check of the update: no read, no lock. A stale copy falls back to the lock.
    if let Some(known) = change.known.filter(|k| k.id == change.payment_id) {
        let change = &as_applied(known, change);
        if let Transition::To(next) = transition_for(&known.terms(), known.status, change.event)
            && let Some(outcome) = move_to(tx, known, next, change, render).await?
        {
            return Ok(Finish::Commit(outcome));
        }
    }
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1{lock_row}");
    let Some(row) = tx.fetch_optional(&sql, args![change.payment_id]).await? else {
        return Ok(Finish::Rollback(ApplyOutcome::NotFound));
    };
    let before = payment_from_row(&row)?;
    let change = &as_applied(&before, change);
    let outcome = match transition_for(&before.terms(), before.status, change.event) {
        Transition::To(next) => move_to(tx, &before, next, change, render)
            .await?
            .ok_or(StoreError::Conflict)?,
        Transition::Unchanged if seen == Seen::Again => ApplyOutcome::Unchanged(before),
        Transition::Unchanged => {
            insert_event(
                tx,
                &before.id,
                change,
                Some(before.status),
                Some(before.status),
                "unchanged",
            )
            .await?;
            ApplyOutcome::Unchanged(before)
        }
        Transition::LateSuccess => {
            insert_event(
                tx,
                &before.id,
                change,
                Some(before.status),
                Some(before.status),
                "late_success",
            )
            .await?;
            insert_late_success(tx, &before, change).await?;
            // An authorization holds money without moving it: only a taken payment posts.
            if let Some(paid) = change
                .paid
                .filter(|_| change.event == PaymentEvent::BankSucceeded)
            {
                let entry = late_success(
                    &before.id,
                    &before.channel_account_id,
                    paid.amount.fen(),
                    &paid.accounting_date,
                )
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                ledger::post(tx, &entry, change.now_ms).await?;
            }
            ApplyOutcome::LateSuccess(before)
        }
        Transition::Rejected => {
            insert_event(
                tx,
                &before.id,
                change,
                Some(before.status),
                Some(before.status),
                "rejected",
            )
            .await?;
            ApplyOutcome::Rejected(before)
        }
    };
    Ok(Finish::Commit(outcome))
}

/// `record_payment_note` inside its transaction.
async fn note_in<W: Writer>(tx: &mut W, note: &PaymentNote<'_>) -> Result<Finish<()>, StoreError> {
    if let Some(message) = note.message {
        keep_message(tx, message).await?;
    }
    insert_event_row(tx, &note_event(note)).await?;
    Ok(Finish::Commit(()))
}

/// The timeline entry of a note: it moves the payment nowhere.
fn note_event<'a>(note: &PaymentNote<'a>) -> NewEvent<'a> {
    NewEvent {
        payment_id: note.payment_id,
        kind: note.kind,
        source: note.source,
        from: None,
        to: None,
        detail: note.detail,
        raw_sha256: note.message.map(|m| m.sha256),
        now_ms: note.now_ms,
    }
}

/// The change with its event as it applies to this payment (a pre-authorization's "paid" is its
/// authorization), so that the table, the timeline and the books all see the same event.
pub(super) fn as_applied<'a>(payment: &Payment, change: &PaymentChange<'a>) -> PaymentChange<'a> {
    PaymentChange {
        event: effective_event(payment.capture, change.event),
        ..*change
    }
}

/// Moves the payment to `next` if it is still at `before`'s version: the row, its event and the
/// business notification. `None` when the row has moved on meanwhile.
async fn move_to<W: Writer>(
    tx: &mut W,
    before: &Payment,
    next: PaymentStatus,
    change: &PaymentChange<'_>,
    render: EventRenderer<'_>,
) -> Result<Option<ApplyOutcome>, StoreError> {
    let Some(after) = update_status(tx, before, next, change).await? else {
        return Ok(None);
    };
    insert_event(tx, &after.id, change, Some(before.status), Some(next), "").await?;
    if next == PaymentStatus::Succeeded {
        ledger::post(tx, &collection_entry(&after, change)?, change.now_ms).await?;
    }
    let event = insert_notification(tx, &after, change, render).await?;
    Ok(Some(ApplyOutcome::Changed {
        payment: after,
        event,
    }))
}

/// The entry a payment's success posts: the amount the bank collected, with both fees; for a
/// capture, the captured amount with the fees of it (already on the row).
pub(super) fn collection_entry(
    payment: &Payment,
    change: &PaymentChange<'_>,
) -> Result<JournalEntry, StoreError> {
    let fallback_date = accounting_date_of(change.now_ms);
    let accounting_date = payment.accounting_date.as_deref().unwrap_or(&fallback_date);
    let collected = Collected {
        id: &payment.id,
        merchant_id: &payment.merchant_id,
        channel_account_id: &payment.channel_account_id,
        amount: payment.collected_amount(),
        fee: payment.fee,
        bank_fee: payment.bank_fee,
        accounting_date,
    };
    let entry = match change.event {
        PaymentEvent::Captured { .. } => capture(&collected),
        _ => payment_succeeded(&collected),
    };
    entry.map_err(|e| StoreError::Corrupt(format!("payment {}: {e}", payment.id)))
}

/// The Beijing calendar date of a moment: the accounting date when the bank gave none.
pub(crate) fn accounting_date_of(ms: i64) -> String {
    AccountingDate::of_instant(ms)
        .map(|date| date.to_string())
        .unwrap_or_default()
}

/// Writes the payment as `change` moves it from `before` to `next`, if the row is still at
/// `before`'s version; `None` when it has moved on meanwhile.
pub(super) async fn update_status<W: Writer>(
    tx: &mut W,
    before: &Payment,
    next: PaymentStatus,
    change: &PaymentChange<'_>,
) -> Result<Option<Payment>, StoreError> {
    let after = moved(before, next, change);
    let updated = tx
        .execute(
            "UPDATE payments SET status = $1, version = $2, updated_at = $3, channel_trade_no = $4, paid_at = $5, \
             accounting_date = $6, payment_type = $7, next_query_at = $8, captured_amount = $9, fee = $10, \
             bank_fee = $11 WHERE id = $12 AND version = $13",
            args![
                after.status.as_str(),
                after.version,
                after.updated_at,
                &after.channel_trade_no,
                after.paid_at,
                &after.accounting_date,
                &after.payment_type,
                after.next_query_at,
                after.captured_amount,
                after.fee,
                after.bank_fee,
                &after.id,
                before.version,
            ],
        )
        .await?;
    Ok((updated == 1).then_some(after))
}

/// The payment as `change` moves it from `before` to `next`: the bank's facts of the money, a
/// capture's amount and fees, the payment type, and when the janitor asks next.
pub(super) fn moved(before: &Payment, next: PaymentStatus, change: &PaymentChange<'_>) -> Payment {
    let mut after = before.clone();
    after.status = next;
    after.version += 1;
    after.updated_at = change.now_ms;
    if let Some(paid) = change
        .paid
        .filter(|_| matches!(next, PaymentStatus::Succeeded | PaymentStatus::Authorized))
    {
        after.channel_trade_no = Some(paid.channel_trade_no.clone());
        after.paid_at = Some(paid.paid_at_ms);
        after.accounting_date = Some(paid.accounting_date.clone());
    }
    if let PaymentEvent::Captured { amount } = change.event {
        // Money moves at the capture: it is dated by the capture, never by the authorization.
        if change.paid.is_none() {
            after.paid_at = Some(change.now_ms);
            after.accounting_date = Some(accounting_date_of(change.now_ms));
        }
        let (fee, bank_fee) = capture_fees(
            before.fee,
            before.bank_fee,
            before.amount.fen(),
            amount.fen(),
        );
        after.captured_amount = Some(amount.fen());
        after.fee = fee;
        after.bank_fee = bank_fee;
    }
    if let Some(payment_type) = change.payment_type {
        after.payment_type = Some(payment_type.to_string());
    }
    after.next_query_at = if next.is_open() {
        change.next_query_at.or(before.next_query_at)
    } else {
        None
    };
    after
}

pub(super) async fn insert_event<W: Writer>(
    tx: &mut W,
    payment_id: &str,
    change: &PaymentChange<'_>,
    from: Option<PaymentStatus>,
    to: Option<PaymentStatus>,
    qualifier: &str,
) -> Result<(), StoreError> {
    let kind = event_kind(change, qualifier);
    insert_event_row(
        tx,
        &NewEvent {
            payment_id,
            kind: &kind,
            source: change.source,
            from,
            to,
            detail: change.detail,
            raw_sha256: change.raw_sha256,
            now_ms: change.now_ms,
        },
    )
    .await
}

/// The kind of a change's timeline entry: its event, qualified when it moved nothing.
pub(super) fn event_kind(change: &PaymentChange<'_>, qualifier: &str) -> String {
    if qualifier.is_empty() {
        change.event.as_str().to_string()
    } else {
        format!("{}:{qualifier}", change.event.as_str())
    }
}

pub(crate) struct NewEvent<'a> {
    pub(crate) payment_id: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) source: EventSource,
    pub(crate) from: Option<PaymentStatus>,
    pub(crate) to: Option<PaymentStatus>,
    pub(crate) detail: &'a str,
    pub(crate) raw_sha256: Option<&'a str>,
    pub(crate) now_ms: i64,
}

pub(crate) async fn insert_event_row<W: Writer>(
    tx: &mut W,
    event: &NewEvent<'_>,
) -> Result<(), StoreError> {
    let id = new_id("pev", event.now_ms);
    tx.execute(
        "INSERT INTO payment_events (id, payment_id, kind, source, from_status, to_status, detail, raw_sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            &id,
            event.payment_id,
            event.kind,
            event.source.as_str(),
            event.from.map(|s| s.as_str()),
            event.to.map(|s| s.as_str()),
            event.detail,
            event.raw_sha256,
            event.now_ms,
        ],
    )
    .await?;
    Ok(())
}

/// Writes the business notification for a payment's new state, if that state is one business
/// systems hear about and the payment has somewhere to send it.
async fn insert_notification<W: Writer>(
    tx: &mut W,
    payment: &Payment,
    change: &PaymentChange<'_>,
    render: EventRenderer<'_>,
) -> Result<Option<Box<OutboxEvent>>, StoreError> {
    let event = payment_notification(payment, change, render);
    if let Some(event) = &event {
        insert_outbox(tx, event).await?;
    }
    Ok(event.map(Box::new))
}

/// The `payment.*` notification for the payment's new state, when it has one and a URL.
pub(super) fn payment_notification(
    payment: &Payment,
    change: &PaymentChange<'_>,
    render: EventRenderer<'_>,
) -> Option<OutboxEvent> {
    let now_ms = change.now_ms;
    let event_type = notification_type(payment.status)?;
    let url = payment.notify_url.as_deref()?;
    let event = OutboxEvent {
        id: new_id("evt", now_ms),
        app_id: payment.app_id.clone(),
        payment_id: payment.id.clone(),
        event_type: event_type.to_string(),
        url: url.to_string(),
        body: String::new(),
        status: "pending".to_string(),
        attempts: 0,
        // Held by the caller that delivers it at once; any notifier takes it after the lease.
        next_attempt_at: Some(now_ms + change.delivery_lease_ms.max(0)),
        last_error: None,
        created_at: now_ms,
        delivered_at: None,
    };
    Some(OutboxEvent {
        body: render(payment, &event.id, event_type, now_ms),
        ..event
    })
}

/// Writes a business notification to the outbox, due at its `next_attempt_at`.
pub(crate) async fn insert_outbox<W: Writer>(
    tx: &mut W,
    event: &OutboxEvent,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO outbox (id, app_id, payment_id, event_type, url, body, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8)",
        args![
            &event.id,
            &event.app_id,
            &event.payment_id,
            &event.event_type,
            &event.url,
            &event.body,
            event.next_attempt_at,
            event.created_at,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_late_success<W: Writer>(
    tx: &mut W,
    payment: &Payment,
    change: &PaymentChange<'_>,
) -> Result<(), StoreError> {
    let what = if change.event == PaymentEvent::BankAuthorized {
        "authorized"
    } else {
        "paid"
    };
    let detail = match change.paid {
        Some(paid) => format!(
            "bank reports {} fen {what} (serial {}, accounting date {}) for a closed payment; source {}",
            paid.amount.fen(),
            paid.channel_trade_no,
            paid.accounting_date,
            change.source.as_str()
        ),
        None => format!(
            "bank reports {what} for a closed payment; source {}",
            change.source.as_str()
        ),
    };
    // What the bank reported is kept beside the text: an operator's decision to accept the
    // money records the payment with exactly these figures.
    let taken = change
        .paid
        .filter(|_| change.event == PaymentEvent::BankSucceeded);
    let id = new_id("anm", change.now_ms);
    tx.execute(
        "INSERT INTO anomalies (id, kind, payment_id, detail, created_at, amount_fen, channel_trade_no, \
         accounting_date, paid_at) VALUES ($1, 'late_success', $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT DO NOTHING",
        args![
            &id,
            &payment.id,
            &detail,
            change.now_ms,
            taken.map(|p| p.amount.fen()),
            taken.map(|p| p.channel_trade_no.as_str()),
            taken.map(|p| p.accounting_date.as_str()),
            taken.map(|p| p.paid_at_ms),
        ],
    )
    .await?;
    Ok(())
}
