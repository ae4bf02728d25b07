//! Payments: creation (with idempotency), lookups, and the one function through which every
//! payment state change passes.
//!
//! A payment created with `capture = manual` is a pre-authorization: the bank's success
//! authorizes it (`authorized`, no ledger entry: nothing moved), a capture takes part or all of
//! it (`succeeded`, `captured_amount` set, the `capture` entry posted with the fees of the
//! captured amount) and a cancel releases it (`cancelled`). After a capture the row's `fee` and
//! `bank_fee` are those of the captured amount (each fee fixed at creation, in proportion), so
//! refunds, reconciliation and settlement read what was collected; `amount` stays the
//! authorized amount. Refunds never change a payment's status (see `refunds.rs`).

use crate::idempotency::{self, IdempotencyRequest};
use crate::ledger;
use crate::messages::{InboundMessage, Seen, keep_message};
use crate::nonces::NonceUse;
use crate::outbox::OutboxEvent;
use crate::{Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use unipay_core::channel::BankPaid;
use unipay_core::event::EventSource;
use unipay_core::ids::new_id;
use unipay_core::ledger::{Collected, JournalEntry, capture, late_success, payment_succeeded};
use unipay_core::payment::{
    CaptureMode, PaymentEvent, PaymentStatus, PaymentTerms, Transition, capture_fees,
    effective_event, notification_type, transition_for,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub channel: String,
    pub out_trade_no: String,
    pub order_no: String,
    pub amount: i64,
    pub currency: String,
    pub subject: String,
    pub status: PaymentStatus,
    pub payment_type: Option<String>,
    pub channel_trade_no: Option<String>,
    pub accounting_date: Option<String>,
    pub paid_at: Option<i64>,
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
    pub metadata: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub next_query_at: Option<i64>,
    pub query_attempts: i64,
    /// Our fee if it succeeds, fixed at creation by the merchant's fee plan.
    pub fee: i64,
    /// The bank's fee if it succeeds, as we expect the bank to charge it.
    pub bank_fee: i64,
    /// `manual` for a pre-authorization.
    pub capture: CaptureMode,
    /// What the capture of a pre-authorization took (`amount` stays the authorized amount).
    pub captured_amount: Option<i64>,
    /// The sum of its refunds that succeeded.
    pub refunded_amount: i64,
    /// The sum of its refunds still pending: reserved, not refundable again.
    pub refund_reserved: i64,
}

impl Payment {
    /// What the payment collected: the captured amount of a pre-authorization, else `amount`.
    pub fn collected_amount(&self) -> i64 {
        match self.capture {
            CaptureMode::Manual => self.captured_amount.unwrap_or(0),
            CaptureMode::Immediate => self.amount,
        }
    }

    fn terms(&self) -> PaymentTerms {
        PaymentTerms {
            capture: self.capture,
            amount: self.amount,
            captured_amount: self.captured_amount,
        }
    }
}

pub(crate) const PAYMENT_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
     amount, currency, subject, status, payment_type, channel_trade_no, accounting_date, paid_at, return_url, \
     notify_url, metadata, expires_at, created_at, updated_at, version, next_query_at, query_attempts, fee, bank_fee, \
     capture, captured_amount, refunded_amount, refund_reserved";

pub(crate) fn payment_from_row(r: &AnyRow) -> Result<Payment, StoreError> {
    let status: String = r.try_get("status")?;
    let capture: String = r.try_get("capture")?;
    Ok(Payment {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        channel: r.try_get("channel")?,
        out_trade_no: r.try_get("out_trade_no")?,
        order_no: r.try_get("order_no")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        subject: r.try_get("subject")?,
        status: PaymentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("payment status {status:?}")))?,
        payment_type: r.try_get("payment_type")?,
        channel_trade_no: r.try_get("channel_trade_no")?,
        accounting_date: r.try_get("accounting_date")?,
        paid_at: r.try_get("paid_at")?,
        return_url: r.try_get("return_url")?,
        notify_url: r.try_get("notify_url")?,
        metadata: r.try_get("metadata")?,
        expires_at: r.try_get("expires_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        next_query_at: r.try_get("next_query_at")?,
        query_attempts: r.try_get("query_attempts")?,
        fee: r.try_get("fee")?,
        bank_fee: r.try_get("bank_fee")?,
        capture: CaptureMode::parse(&capture)
            .ok_or_else(|| StoreError::Corrupt(format!("payment capture {capture:?}")))?,
        captured_amount: r.try_get("captured_amount")?,
        refunded_amount: r.try_get("refunded_amount")?,
        refund_reserved: r.try_get("refund_reserved")?,
    })
}

/// Everything a new payment row needs; status starts at `created`.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub channel: String,
    pub out_trade_no: String,
    pub order_no: String,
    pub amount: i64,
    pub currency: String,
    pub subject: String,
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
    pub metadata: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    pub fee: i64,
    pub bank_fee: i64,
    /// `Manual` makes it a pre-authorization: authorized first, captured or cancelled later.
    pub capture: CaptureMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatePayment {
    Created(Payment),
    /// The app already has a payment with this out_trade_no.
    Duplicate(Payment),
}

/// The result of a create call that may have been answered before under the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent<T> {
    Fresh(T),
    /// The first response under this key, to be sent again unchanged.
    Replay {
        status: u16,
        body: String,
    },
    /// The key was used before with another request body.
    KeyReused,
    /// The first request under this key is still being processed.
    InFlight,
    /// The request's nonce was spent before: a replay. Nothing was done.
    NonceReused,
}

/// A change to a payment, from whichever source reported it.
#[derive(Debug, Clone, Copy)]
pub struct PaymentChange<'a> {
    pub payment_id: &'a str,
    /// For a pre-authorization (`capture = manual`) `BankSucceeded` is read as
    /// `BankAuthorized` (see `unipay_core::payment::effective_event`).
    pub event: PaymentEvent,
    pub source: EventSource,
    /// For `BankSucceeded` and `BankAuthorized`: what the bank says about the money. For
    /// `Captured`: the capture's serial, time and accounting date (money moves at the capture;
    /// without it the capture is dated by `now_ms`).
    pub paid: Option<&'a BankPaid>,
    /// For `RequestSent`: the payment type the consumer chose.
    pub payment_type: Option<&'a str>,
    /// For events that leave the payment open: when the janitor should ask the bank next.
    pub next_query_at: Option<i64>,
    /// Free text for the timeline (a bank's reason, an error).
    pub detail: &'a str,
    pub raw_sha256: Option<&'a str>,
    /// The bank message that reported the change, kept in the same transaction. When these
    /// exact bytes were kept before and change nothing, no timeline entry is added either.
    pub message: Option<&'a InboundMessage<'a>>,
    /// A business notification this change writes is held this long for the caller to deliver
    /// at once; 0 leaves it due for any notifier.
    pub delivery_lease_ms: i64,
    /// The row as the caller last read it, if it has it: saves a read when it is current.
    pub known: Option<&'a Payment>,
    pub now_ms: i64,
}

/// A timeline entry that changes nothing: what was asked or heard, and why nothing moved.
#[derive(Debug, Clone, Copy)]
pub struct PaymentNote<'a> {
    pub payment_id: &'a str,
    /// `query_unknown`, `query_failed`, `amount_mismatch`, ...
    pub kind: &'a str,
    pub source: EventSource,
    pub detail: &'a str,
    pub message: Option<&'a InboundMessage<'a>>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The payment moved; `event` is the business notification written, if any.
    Changed {
        payment: Payment,
        event: Option<Box<OutboxEvent>>,
    },
    Unchanged(Payment),
    LateSuccess(Payment),
    Rejected(Payment),
    NotFound,
}

impl ApplyOutcome {
    /// The payment as it stands after the change (none when it was not found).
    pub fn into_payment(self) -> Option<Payment> {
        match self {
            ApplyOutcome::Changed { payment, .. }
            | ApplyOutcome::Unchanged(payment)
            | ApplyOutcome::LateSuccess(payment)
            | ApplyOutcome::Rejected(payment) => Some(payment),
            ApplyOutcome::NotFound => None,
        }
    }
}

/// Builds a business notification's body (`{"id","type","created_at","data"}`) for a payment.
pub type EventRenderer<'a> = &'a (dyn Fn(&Payment, &str, &str, i64) -> String + Send + Sync);

/// Builds the HTTP answer (status, JSON body) that a create call's idempotency key replays.
pub type ResponseRenderer<'a> = &'a (dyn Fn(&CreatePayment) -> (u16, String) + Send + Sync);

impl Store {
    /// Creates a payment, or reports the existing one with the same out_trade_no; the request's
    /// nonce, the idempotency key, the payment and the saved answer commit together.
    pub async fn create_payment(
        &self,
        new: &NewPayment,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: ResponseRenderer<'_>,
    ) -> Result<Idempotent<CreatePayment>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(answer) =
            idempotency::open_request(&mut tx, nonce, idempotency, new.created_at).await?
        {
            return Ok(answer);
        }
        let outcome = insert_payment(&mut tx, new).await?;
        idempotency::close_request(&mut tx, idempotency, || render(&outcome)).await?;
        tx.commit().await?;
        Ok(Idempotent::Fresh(outcome))
    }

    pub async fn get_payment(&self, id: &str) -> Result<Option<Payment>, StoreError> {
        self.fetch_payment("id = $1", &[id]).await
    }

    pub async fn get_payment_by_out_trade_no(
        &self,
        app_id: &str,
        out_trade_no: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.fetch_payment("app_id = $1 AND out_trade_no = $2", &[app_id, out_trade_no])
            .await
    }

    pub async fn get_payment_by_order_no(
        &self,
        channel_account_id: &str,
        order_no: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.fetch_payment(
            "channel_account_id = $1 AND order_no = $2",
            &[channel_account_id, order_no],
        )
        .await
    }

    /// The payments of a channel account with these order numbers (any that exist), looked up
    /// a few hundred at a time.
    pub async fn payments_by_order_nos(
        &self,
        channel_account_id: &str,
        order_nos: &[&str],
    ) -> Result<Vec<Payment>, StoreError> {
        let mut found = Vec::new();
        for chunk in order_nos.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE channel_account_id = $1 AND order_no IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(channel_account_id);
            for order_no in chunk {
                query = query.bind(*order_no);
            }
            for row in query.fetch_all(&self.read).await? {
                found.push(payment_from_row(&row)?);
            }
        }
        Ok(found)
    }

    async fn fetch_payment(
        &self,
        filter: &str,
        args: &[&str],
    ) -> Result<Option<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE {filter}");
        let mut query = sqlx::query(&sql);
        for arg in args {
            query = query.bind(*arg);
        }
        let row = query.fetch_optional(&self.read).await?;
        row.map(|r| payment_from_row(&r)).transpose()
    }

    /// The one way a payment changes state: the row (version-checked), its timeline event, the
    /// business notification and any anomaly commit in one transaction, or none of them do.
    pub async fn apply_payment_change(
        &self,
        change: &PaymentChange<'_>,
        render: EventRenderer<'_>,
    ) -> Result<ApplyOutcome, StoreError> {
        let mut tx = self.write.begin().await?;
        let seen = match change.message {
            Some(message) => keep_message(&mut tx, message).await?,
            None => Seen::First,
        };
        // The caller's copy of the row, when it leads to a move, is trusted only through the
        // version check of the update: no read, no lock. A stale copy falls back to the lock.
        if let Some(known) = change.known.filter(|k| k.id == change.payment_id) {
            let change = &as_applied(known, change);
            if let Transition::To(next) = transition_for(&known.terms(), known.status, change.event)
                && let Some(outcome) = move_to(&mut tx, known, next, change, render).await?
            {
                tx.commit().await?;
                return Ok(outcome);
            }
        }
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1{}",
            self.lock_row()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(change.payment_id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(ApplyOutcome::NotFound);
        };
        let before = payment_from_row(&row)?;
        let change = &as_applied(&before, change);
        let outcome = match transition_for(&before.terms(), before.status, change.event) {
            Transition::To(next) => move_to(&mut tx, &before, next, change, render)
                .await?
                .ok_or(StoreError::Conflict)?,
            Transition::Unchanged if seen == Seen::Again => ApplyOutcome::Unchanged(before),
            Transition::Unchanged => {
                insert_event(
                    &mut tx,
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
                    &mut tx,
                    &before.id,
                    change,
                    Some(before.status),
                    Some(before.status),
                    "late_success",
                )
                .await?;
                insert_late_success(&mut tx, &before, change).await?;
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
                    ledger::post(&mut tx, &entry, change.now_ms).await?;
                }
                ApplyOutcome::LateSuccess(before)
            }
            Transition::Rejected => {
                insert_event(
                    &mut tx,
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
        tx.commit().await?;
        Ok(outcome)
    }

    /// Adds a timeline entry that changes nothing (e.g. a query that answered "unknown"),
    /// keeping the bank message that said it in the same transaction.
    pub async fn record_payment_note(&self, note: &PaymentNote<'_>) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(message) = note.message {
            keep_message(&mut tx, message).await?;
        }
        insert_event_row(
            &mut tx,
            &NewEvent {
                payment_id: note.payment_id,
                kind: note.kind,
                source: note.source,
                from: None,
                to: None,
                detail: note.detail,
                raw_sha256: note.message.map(|m| m.sha256),
                now_ms: note.now_ms,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
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

    /// The payment's timeline, oldest first.
    pub async fn list_payment_events(
        &self,
        payment_id: &str,
    ) -> Result<Vec<PaymentEventRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, source, from_status, to_status, detail, raw_sha256, created_at \
             FROM payment_events WHERE payment_id = $1 ORDER BY created_at, id",
        )
        .bind(payment_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentEventRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    source: r.try_get("source")?,
                    from_status: r.try_get("from_status")?,
                    to_status: r.try_get("to_status")?,
                    detail: r.try_get("detail")?,
                    raw_sha256: r.try_get("raw_sha256")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn list_anomalies(&self) -> Result<Vec<Anomaly>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, payment_id, detail, created_at FROM anomalies ORDER BY created_at, id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Anomaly {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    payment_id: r.try_get("payment_id")?,
                    detail: r.try_get("detail")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEventRow {
    pub id: String,
    pub kind: String,
    pub source: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub raw_sha256: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub id: String,
    pub kind: String,
    pub payment_id: String,
    pub detail: String,
    pub created_at: i64,
}

pub(crate) async fn insert_payment(
    tx: &mut Transaction<'_, Any>,
    new: &NewPayment,
) -> Result<CreatePayment, StoreError> {
    let sql = format!(
        "INSERT INTO payments (id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
         amount, currency, subject, status, return_url, notify_url, metadata, expires_at, created_at, updated_at, \
         version, next_query_at, query_attempts, fee, bank_fee, capture) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'created', $11, $12, $13, $14, $15, $15, 1, $14, 0, $16, $17, \
         $18) ON CONFLICT DO NOTHING RETURNING {PAYMENT_COLUMNS}"
    );
    let inserted = sqlx::query(&sql)
        .bind(&new.id)
        .bind(&new.app_id)
        .bind(&new.merchant_id)
        .bind(&new.channel_account_id)
        .bind(&new.channel)
        .bind(&new.out_trade_no)
        .bind(&new.order_no)
        .bind(new.amount)
        .bind(&new.currency)
        .bind(&new.subject)
        .bind(&new.return_url)
        .bind(&new.notify_url)
        .bind(&new.metadata)
        .bind(new.expires_at)
        .bind(new.created_at)
        .bind(new.fee)
        .bind(new.bank_fee)
        .bind(new.capture.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = inserted else {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE app_id = $1 AND out_trade_no = $2"
        );
        let existing = sqlx::query(&sql)
            .bind(&new.app_id)
            .bind(&new.out_trade_no)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt("payment id or order number collided".into()))?;
        return Ok(CreatePayment::Duplicate(payment_from_row(&existing)?));
    };
    let payment = payment_from_row(&row)?;
    insert_event_row(
        tx,
        &NewEvent {
            payment_id: &payment.id,
            kind: "created",
            source: EventSource::Api,
            from: None,
            to: Some(PaymentStatus::Created),
            detail: "",
            raw_sha256: None,
            now_ms: new.created_at,
        },
    )
    .await?;
    Ok(CreatePayment::Created(payment))
}

/// The change with its event as it applies to this payment (a pre-authorization's "paid" is its
/// authorization), so that the table, the timeline and the books all see the same event.
fn as_applied<'a>(payment: &Payment, change: &PaymentChange<'a>) -> PaymentChange<'a> {
    PaymentChange {
        event: effective_event(payment.capture, change.event),
        ..*change
    }
}

/// Moves the payment to `next` if it is still at `before`'s version: the row, its event and the
/// business notification. `None` when the row has moved on meanwhile.
async fn move_to(
    tx: &mut Transaction<'_, Any>,
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
fn collection_entry(
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
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

async fn update_status(
    tx: &mut Transaction<'_, Any>,
    before: &Payment,
    next: PaymentStatus,
    change: &PaymentChange<'_>,
) -> Result<Option<Payment>, StoreError> {
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
        let (fee, bank_fee) =
            capture_fees(before.fee, before.bank_fee, before.amount, amount.fen());
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
    let updated = sqlx::query(
        "UPDATE payments SET status = $1, version = $2, updated_at = $3, channel_trade_no = $4, paid_at = $5, \
         accounting_date = $6, payment_type = $7, next_query_at = $8, captured_amount = $9, fee = $10, \
         bank_fee = $11 WHERE id = $12 AND version = $13",
    )
    .bind(after.status.as_str())
    .bind(after.version)
    .bind(after.updated_at)
    .bind(&after.channel_trade_no)
    .bind(after.paid_at)
    .bind(&after.accounting_date)
    .bind(&after.payment_type)
    .bind(after.next_query_at)
    .bind(after.captured_amount)
    .bind(after.fee)
    .bind(after.bank_fee)
    .bind(&after.id)
    .bind(before.version)
    .execute(&mut **tx)
    .await?;
    Ok((updated.rows_affected() == 1).then_some(after))
}

async fn insert_event(
    tx: &mut Transaction<'_, Any>,
    payment_id: &str,
    change: &PaymentChange<'_>,
    from: Option<PaymentStatus>,
    to: Option<PaymentStatus>,
    qualifier: &str,
) -> Result<(), StoreError> {
    let kind = if qualifier.is_empty() {
        change.event.as_str().to_string()
    } else {
        format!("{}:{qualifier}", change.event.as_str())
    };
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

pub(crate) async fn insert_event_row(
    tx: &mut Transaction<'_, Any>,
    event: &NewEvent<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payment_events (id, payment_id, kind, source, from_status, to_status, detail, raw_sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id("pev", event.now_ms))
    .bind(event.payment_id)
    .bind(event.kind)
    .bind(event.source.as_str())
    .bind(event.from.map(|s| s.as_str()))
    .bind(event.to.map(|s| s.as_str()))
    .bind(event.detail)
    .bind(event.raw_sha256)
    .bind(event.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the business notification for a payment's new state, if that state is one business
/// systems hear about and the payment has somewhere to send it.
async fn insert_notification(
    tx: &mut Transaction<'_, Any>,
    payment: &Payment,
    change: &PaymentChange<'_>,
    render: EventRenderer<'_>,
) -> Result<Option<Box<OutboxEvent>>, StoreError> {
    let now_ms = change.now_ms;
    let (Some(event_type), Some(url)) = (
        notification_type(payment.status),
        payment.notify_url.as_deref(),
    ) else {
        return Ok(None);
    };
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
    let event = OutboxEvent {
        body: render(payment, &event.id, event_type, now_ms),
        ..event
    };
    insert_outbox(tx, &event).await?;
    Ok(Some(Box::new(event)))
}

/// Writes a business notification to the outbox, due at its `next_attempt_at`.
pub(crate) async fn insert_outbox(
    tx: &mut Transaction<'_, Any>,
    event: &OutboxEvent,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (id, app_id, payment_id, event_type, url, body, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8)",
    )
    .bind(&event.id)
    .bind(&event.app_id)
    .bind(&event.payment_id)
    .bind(&event.event_type)
    .bind(&event.url)
    .bind(&event.body)
    .bind(event.next_attempt_at)
    .bind(event.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_late_success(
    tx: &mut Transaction<'_, Any>,
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
    sqlx::query(
        "INSERT INTO anomalies (id, kind, payment_id, detail, created_at) VALUES ($1, 'late_success', $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(new_id("anm", change.now_ms))
    .bind(&payment.id)
    .bind(detail)
    .bind(change.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
