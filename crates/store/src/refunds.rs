//! Refunds: creation (with the nonce and idempotency key, like payments), lookups, and the one
//! function through which every refund state change passes. Batches are in [`batch`], the
//! transaction flow (payments and refunds of an app, paged) in [`transactions`].
//!
//! **A refunded payment stays `succeeded`**: it carries `refunded_amount` (its refunds that
//! succeeded) and `refund_reserved` (those still pending), and a refund is a movement of its
//! own. Reconciliation and settlement thus meet one collection per payment on its date and each
//! refund on the refund's date (`load_platform_day`, `refund_totals`), and nothing already
//! reconciled or settled changes when a payment is refunded later.
//!
//! **Reservations.** A refund reserves its amount when it is created: the create transaction
//! locks the payment row (`FOR UPDATE` on PostgreSQL; SQLite has a single writer), checks
//! `collected − refunded − reserved ≥ amount` (core's `check_refund`), inserts the refund and
//! raises `refund_reserved`, so of refunds racing for the same money exactly those that fit
//! win. A refund that fails releases its reservation; one that succeeds turns it into
//! `refunded_amount`.
//!
//! **Refusals** (`CreateRefund::Refused`) change no payment and make no refund. They are an
//! answer like any other: the request's nonce is spent and the answer is kept under its
//! idempotency key, so a retry under the same key gets the same answer.
//!
//! **State change** ([`Store::apply_refund_change`]): in one transaction the bank message that
//! reported it, the refund row (version-checked), the payment's sums, the timeline event on the
//! payment (`refund.succeeded`, `refund.failed`, `refund.bank_pending`), the ledger entry
//! `refund_succeeded` (the merchant bears the amount less the fee returned) and the business
//! notification (`refund.succeeded` / `refund.failed`) in the outbox.

pub mod batch;
pub mod transactions;

use crate::idempotency::{self, IdempotencyRequest};
use crate::messages::{InboundMessage, Seen, keep_message};
use crate::nonces::NonceUse;
use crate::outbox::OutboxEvent;
use crate::payments::{Idempotent, NewEvent, accounting_date_of, insert_event_row, insert_outbox};
use crate::{Store, StoreError, ledger};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use unipay_core::event::EventSource;
use unipay_core::fees::{FeePlan, RefundFeePolicy};
use unipay_core::ids::{new_body, new_id};
use unipay_core::ledger::{Refunded, refund_succeeded};
use unipay_core::payment::{CaptureMode, PaymentStatus};
use unipay_core::refund::{
    RefundEvent, RefundRefusal, RefundStatus, RefundTransition, Refundable, check_refund,
    fee_to_return, refund_notification_type, refund_transition,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    /// The business system's number for the refund, unique per app.
    pub out_refund_no: String,
    /// The refund's own number at the bank (NewOrderNo), unique per channel account.
    pub refund_no: String,
    pub amount: i64,
    /// The share of the payment's fee this refund returns to the merchant (fixed at creation by
    /// the merchant's fee plan).
    pub fee_returned: i64,
    pub currency: String,
    pub reason: Option<String>,
    pub status: RefundStatus,
    /// The bank's serial for the refund, once it succeeded.
    pub channel_refund_no: Option<String>,
    /// The bank's accounting date of the refund, once it succeeded.
    pub accounting_date: Option<String>,
    /// Why the bank refused or failed it.
    pub failure_reason: Option<String>,
    /// The batch it was made in, if any.
    pub batch_id: Option<String>,
    pub notify_url: Option<String>,
    /// When the janitor asks the bank about it next (single refunds only: a batch is queried
    /// as a whole).
    pub next_query_at: Option<i64>,
    pub query_attempts: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

pub(crate) const REFUND_COLUMNS: &str = "id, payment_id, app_id, merchant_id, channel_account_id, out_refund_no, \
     refund_no, amount, fee_returned, currency, reason, status, channel_refund_no, accounting_date, failure_reason, \
     batch_id, notify_url, next_query_at, query_attempts, version, created_at, updated_at, finished_at";

pub(crate) fn refund_from_row(r: &AnyRow) -> Result<Refund, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(Refund {
        id: r.try_get("id")?,
        payment_id: r.try_get("payment_id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        out_refund_no: r.try_get("out_refund_no")?,
        refund_no: r.try_get("refund_no")?,
        amount: r.try_get("amount")?,
        fee_returned: r.try_get("fee_returned")?,
        currency: r.try_get("currency")?,
        reason: r.try_get("reason")?,
        status: RefundStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("refund status {status:?}")))?,
        channel_refund_no: r.try_get("channel_refund_no")?,
        accounting_date: r.try_get("accounting_date")?,
        failure_reason: r.try_get("failure_reason")?,
        batch_id: r.try_get("batch_id")?,
        notify_url: r.try_get("notify_url")?,
        next_query_at: r.try_get("next_query_at")?,
        query_attempts: r.try_get("query_attempts")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// How a refund request names the payment: by id or by the app's out_trade_no.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaymentRef {
    Id(String),
    OutTradeNo(String),
}

/// A refund asked for. The store gives it its id and bank number.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub app_id: String,
    pub payment: PaymentRef,
    pub out_refund_no: String,
    pub amount: i64,
    pub reason: Option<String>,
    /// Where its `refund.*` notifications go; the payment's notify URL when `None`.
    pub notify_url: Option<String>,
    /// When the janitor first asks the bank, should the bank call never be made or answered.
    pub next_query_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateRefund {
    /// A new pending refund, its amount reserved on the payment.
    Created(Refund),
    /// The app already has a refund with this out_refund_no: that one, unchanged.
    Duplicate(Refund),
    /// Refused by a rule; nothing was reserved or made.
    Refused(RefundRefusal),
}

/// Builds the HTTP answer (status, JSON body) that a refund create's idempotency key replays.
pub type RefundResponseRenderer<'a> = &'a (dyn Fn(&CreateRefund) -> (u16, String) + Send + Sync);

/// Builds a business notification's body (`{"id","type","created_at","data"}`) for a refund:
/// (refund, event id, event type, now).
pub type RefundEventRenderer<'a> = &'a (dyn Fn(&Refund, &str, &str, i64) -> String + Send + Sync);

/// A change to a refund, from whichever source reported it.
#[derive(Debug, Clone, Copy)]
pub struct RefundChange<'a> {
    pub refund_id: &'a str,
    pub event: RefundEvent,
    pub source: EventSource,
    /// For `BankSucceeded`: the bank's serial for the refund.
    pub channel_refund_no: Option<&'a str>,
    /// For `BankSucceeded`: the bank's accounting date (`YYYY-MM-DD`); without it the refund is
    /// dated by `now_ms` (Beijing calendar).
    pub accounting_date: Option<&'a str>,
    /// For `BankPending`: when the janitor asks next.
    pub next_query_at: Option<i64>,
    /// Free text for the timeline; for `BankFailed`, the bank's reason (kept on the refund).
    pub detail: &'a str,
    /// The bank message that reported the change, kept in the same transaction. When these
    /// exact bytes were kept before and change nothing, no timeline entry is added either.
    pub message: Option<&'a InboundMessage<'a>>,
    /// A notification this change writes is held this long for the caller to deliver at once.
    pub delivery_lease_ms: i64,
    /// The row as the caller last read it, if it has it: saves a read when it is current.
    pub known: Option<&'a Refund>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// The refund moved; `event` is the business notification written, if any.
    Changed {
        refund: Refund,
        event: Option<Box<OutboxEvent>>,
    },
    /// Nothing moved (a duplicate, or the bank cannot tell yet: then rescheduled).
    Unchanged(Refund),
    /// The event contradicts the refund's final state: on the timeline, otherwise ignored.
    Rejected(Refund),
    NotFound,
}

impl RefundOutcome {
    pub fn into_refund(self) -> Option<Refund> {
        match self {
            RefundOutcome::Changed { refund, .. }
            | RefundOutcome::Unchanged(refund)
            | RefundOutcome::Rejected(refund) => Some(refund),
            RefundOutcome::NotFound => None,
        }
    }
}

impl Store {
    /// Creates a pending refund with its amount reserved on the payment, reports the app's
    /// existing refund with the same out_refund_no, or refuses it by a rule. The request's
    /// nonce, the idempotency key, the refund, the reservation, the timeline event and the
    /// saved answer commit together.
    pub async fn create_refund(
        &self,
        new: &NewRefund,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: RefundResponseRenderer<'_>,
    ) -> Result<Idempotent<CreateRefund>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(answer) =
            idempotency::open_request(&mut tx, nonce, idempotency, new.created_at).await?
        {
            return Ok(answer);
        }
        let outcome = self.create_refund_in(&mut tx, new).await?;
        idempotency::close_request(&mut tx, idempotency, || render(&outcome)).await?;
        tx.commit().await?;
        Ok(Idempotent::Fresh(outcome))
    }

    async fn create_refund_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        new: &NewRefund,
    ) -> Result<CreateRefund, StoreError> {
        if let Some(existing) = refund_by_out_no(tx, &new.app_id, &new.out_refund_no).await? {
            return Ok(CreateRefund::Duplicate(existing));
        }
        let Some(payment) = lock_payment(tx, &new.app_id, &new.payment, self.lock_row()).await?
        else {
            return Ok(CreateRefund::Refused(RefundRefusal::PaymentNotFound));
        };
        if let Err(refusal) = check_refund(&payment.refundable, new.amount) {
            return Ok(CreateRefund::Refused(refusal));
        }
        let plan = fee_plan_in(tx, &payment.merchant_id, &payment.channel_account_id).await?;
        let returned = fee_returned_so_far(tx, &payment.id, &plan).await?;
        let refund = pending_refund(
            &payment,
            &PendingLine {
                out_refund_no: &new.out_refund_no,
                amount: new.amount,
                fee_returned: fee_to_return(
                    &plan,
                    payment.refundable.base(),
                    payment.fee,
                    payment.refundable.refunded + payment.refundable.reserved,
                    returned,
                    new.amount,
                ),
                reason: new.reason.as_deref(),
                notify_url: new.notify_url.as_deref(),
                batch_id: None,
                next_query_at: new.next_query_at,
            },
            new.created_at,
        );
        if !insert_refund(tx, &refund).await? {
            // A racing create with the same out_refund_no committed first: report that one.
            return refund_by_out_no(tx, &new.app_id, &new.out_refund_no)
                .await?
                .map(CreateRefund::Duplicate)
                .ok_or_else(|| StoreError::Corrupt("refund id or bank number collided".into()));
        }
        reserve(tx, &payment.id, new.amount).await?;
        insert_event_row(
            tx,
            &NewEvent {
                payment_id: &payment.id,
                kind: "refund.created",
                source: EventSource::Api,
                from: None,
                to: None,
                detail: &created_detail(&refund),
                raw_sha256: None,
                now_ms: new.created_at,
            },
        )
        .await?;
        Ok(CreateRefund::Created(refund))
    }

    pub async fn get_refund(&self, id: &str) -> Result<Option<Refund>, StoreError> {
        self.fetch_refund("id = $1", &[id]).await
    }

    pub async fn get_refund_by_out_refund_no(
        &self,
        app_id: &str,
        out_refund_no: &str,
    ) -> Result<Option<Refund>, StoreError> {
        self.fetch_refund(
            "app_id = $1 AND out_refund_no = $2",
            &[app_id, out_refund_no],
        )
        .await
    }

    /// The refund the bank knows by `refund_no` on a channel account (its NewOrderNo).
    pub async fn get_refund_by_refund_no(
        &self,
        channel_account_id: &str,
        refund_no: &str,
    ) -> Result<Option<Refund>, StoreError> {
        self.fetch_refund(
            "channel_account_id = $1 AND refund_no = $2",
            &[channel_account_id, refund_no],
        )
        .await
    }

    /// A payment's refunds, oldest first.
    pub async fn list_refunds_for_payment(
        &self,
        payment_id: &str,
    ) -> Result<Vec<Refund>, StoreError> {
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(payment_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn fetch_refund(
        &self,
        filter: &str,
        args: &[&str],
    ) -> Result<Option<Refund>, StoreError> {
        let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE {filter}");
        let mut query = sqlx::query(&sql);
        for arg in args {
            query = query.bind(*arg);
        }
        let row = query.fetch_optional(&self.read).await?;
        row.map(|r| refund_from_row(&r)).transpose()
    }

    /// The one way a refund changes state: the bank message, the refund row (version-checked),
    /// the payment's sums, the timeline event, the ledger entry, the notification and, for a
    /// refund of a batch, the batch's tallies commit in one transaction, or none of them do.
    pub async fn apply_refund_change(
        &self,
        change: &RefundChange<'_>,
        render: RefundEventRenderer<'_>,
    ) -> Result<RefundOutcome, StoreError> {
        let mut tx = self.write.begin().await?;
        let seen = match change.message {
            Some(message) => keep_message(&mut tx, message).await?,
            None => Seen::First,
        };
        let outcome = apply_in(&mut tx, change, seen, render, self.lock_row()).await?;
        if let RefundOutcome::Changed { refund, .. } = &outcome
            && let Some(batch_id) = &refund.batch_id
        {
            batch::tally(&mut tx, batch_id, &batch::Tally::of(refund), change.now_ms).await?;
        }
        tx.commit().await?;
        Ok(outcome)
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

/// What a refund needs of its payment: whose it is, and core's [`Refundable`]. Read instead
/// of the whole row because a batch reads up to 10,000 of them, and every value read through
/// `Any` costs.
pub(crate) struct PaymentFacts {
    pub(crate) id: String,
    pub(crate) app_id: String,
    pub(crate) merchant_id: String,
    pub(crate) channel_account_id: String,
    pub(crate) out_trade_no: String,
    pub(crate) currency: String,
    pub(crate) notify_url: Option<String>,
    /// Our fee on what it collected.
    pub(crate) fee: i64,
    pub(crate) refundable: Refundable,
}

pub(crate) const FACTS_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, out_trade_no, currency, \
     notify_url, fee, status, capture, amount, captured_amount, refunded_amount, refund_reserved";

pub(crate) fn facts_from_row(r: &AnyRow) -> Result<PaymentFacts, StoreError> {
    let status: String = r.try_get("status")?;
    let capture: String = r.try_get("capture")?;
    Ok(PaymentFacts {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        out_trade_no: r.try_get("out_trade_no")?,
        currency: r.try_get("currency")?,
        notify_url: r.try_get("notify_url")?,
        fee: r.try_get("fee")?,
        refundable: Refundable {
            status: PaymentStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("payment status {status:?}")))?,
            capture: CaptureMode::parse(&capture)
                .ok_or_else(|| StoreError::Corrupt(format!("payment capture {capture:?}")))?,
            amount: r.try_get("amount")?,
            captured_amount: r.try_get("captured_amount")?,
            refunded: r.try_get("refunded_amount")?,
            reserved: r.try_get("refund_reserved")?,
        },
    })
}

/// The app's payment, locked for the rest of the transaction (`FOR UPDATE` on PostgreSQL).
async fn lock_payment(
    tx: &mut Transaction<'_, Any>,
    app_id: &str,
    payment: &PaymentRef,
    lock: &str,
) -> Result<Option<PaymentFacts>, StoreError> {
    let (column, value) = match payment {
        PaymentRef::Id(id) => ("id", id),
        PaymentRef::OutTradeNo(no) => ("out_trade_no", no),
    };
    let sql =
        format!("SELECT {FACTS_COLUMNS} FROM payments WHERE app_id = $1 AND {column} = $2{lock}");
    let row = sqlx::query(&sql)
        .bind(app_id)
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| facts_from_row(&r)).transpose()
}

async fn refund_by_out_no(
    tx: &mut Transaction<'_, Any>,
    app_id: &str,
    out_refund_no: &str,
) -> Result<Option<Refund>, StoreError> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE app_id = $1 AND out_refund_no = $2");
    let row = sqlx::query(&sql)
        .bind(app_id)
        .bind(out_refund_no)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| refund_from_row(&r)).transpose()
}

/// The merchant's fee plan on the channel account, read in the transaction (free when none).
pub(crate) async fn fee_plan_in(
    tx: &mut Transaction<'_, Any>,
    merchant_id: &str,
    channel_account_id: &str,
) -> Result<FeePlan, StoreError> {
    let row = sqlx::query(
        "SELECT rate_bps, min_fen, max_fen, refund_fee FROM fee_plans \
         WHERE merchant_id = $1 AND channel_account_id = $2",
    )
    .bind(merchant_id)
    .bind(channel_account_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else {
        return Ok(FeePlan::FREE);
    };
    let policy: String = r.try_get("refund_fee")?;
    Ok(FeePlan {
        rate_bps: r.try_get("rate_bps")?,
        min_fen: r.try_get("min_fen")?,
        max_fen: r.try_get("max_fen")?,
        refund: RefundFeePolicy::parse(&policy)
            .ok_or_else(|| StoreError::Corrupt(format!("refund fee policy {policy:?}")))?,
    })
}

/// The fee the payment's refunds (succeeded or pending) return already; 0 without looking when
/// the plan returns none.
async fn fee_returned_so_far(
    tx: &mut Transaction<'_, Any>,
    payment_id: &str,
    plan: &FeePlan,
) -> Result<i64, StoreError> {
    if plan.refund == RefundFeePolicy::Kept {
        return Ok(0);
    }
    Ok(sqlx::query(
        "SELECT CAST(COALESCE(SUM(fee_returned), 0) AS BIGINT) AS returned FROM refunds \
         WHERE payment_id = $1 AND status <> 'failed'",
    )
    .bind(payment_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get("returned")?)
}

/// What a new refund line carries besides its payment.
pub(crate) struct PendingLine<'a> {
    pub(crate) out_refund_no: &'a str,
    pub(crate) amount: i64,
    pub(crate) fee_returned: i64,
    pub(crate) reason: Option<&'a str>,
    pub(crate) notify_url: Option<&'a str>,
    pub(crate) batch_id: Option<&'a str>,
    pub(crate) next_query_at: Option<i64>,
}

/// A new pending refund of `payment`, with its own id and bank number.
pub(crate) fn pending_refund(
    payment: &PaymentFacts,
    line: &PendingLine<'_>,
    now_ms: i64,
) -> Refund {
    Refund {
        id: new_id("rfd", now_ms),
        payment_id: payment.id.clone(),
        app_id: payment.app_id.clone(),
        merchant_id: payment.merchant_id.clone(),
        channel_account_id: payment.channel_account_id.clone(),
        out_refund_no: line.out_refund_no.to_string(),
        refund_no: new_body(now_ms),
        amount: line.amount,
        fee_returned: line.fee_returned,
        currency: payment.currency.clone(),
        reason: line.reason.map(str::to_string),
        status: RefundStatus::Pending,
        channel_refund_no: None,
        accounting_date: None,
        failure_reason: None,
        batch_id: line.batch_id.map(str::to_string),
        notify_url: line
            .notify_url
            .map(str::to_string)
            .or_else(|| payment.notify_url.clone()),
        next_query_at: line.next_query_at,
        query_attempts: 0,
        version: 1,
        created_at: now_ms,
        updated_at: now_ms,
        finished_at: None,
    }
}

/// The detail of a `refund.created` timeline entry (a batch writes the same text in SQL).
fn created_detail(refund: &Refund) -> String {
    format!(
        "{} ({}): {} fen refund pending",
        refund.id, refund.out_refund_no, refund.amount
    )
}

/// A new refund row: status, attempts and version are literals, `created_at` serves as
/// `updated_at` too; bound by [`bind_refund`].
const INSERT_REFUND_SQL: &str = "INSERT INTO refunds (id, payment_id, app_id, merchant_id, channel_account_id, \
     out_refund_no, refund_no, amount, fee_returned, currency, reason, status, batch_id, notify_url, next_query_at, \
     query_attempts, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
     'pending', $12, $13, $14, 0, 1, $15, $16) ON CONFLICT DO NOTHING";

fn bind_refund<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    refund: &'q Refund,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(&refund.id)
        .bind(&refund.payment_id)
        .bind(&refund.app_id)
        .bind(&refund.merchant_id)
        .bind(&refund.channel_account_id)
        .bind(&refund.out_refund_no)
        .bind(&refund.refund_no)
        .bind(refund.amount)
        .bind(refund.fee_returned)
        .bind(&refund.currency)
        .bind(&refund.reason)
        .bind(&refund.batch_id)
        .bind(&refund.notify_url)
        .bind(refund.next_query_at)
        .bind(refund.created_at)
        .bind(refund.updated_at)
}

/// Inserts the refund unless its out_refund_no (or bank number) is taken; false then.
async fn insert_refund(tx: &mut Transaction<'_, Any>, refund: &Refund) -> Result<bool, StoreError> {
    let inserted = bind_refund(sqlx::query(INSERT_REFUND_SQL), refund)
        .execute(&mut **tx)
        .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The SQL of a payment's refundable base: the captured amount of a pre-authorization, else
/// the amount (core's `Refundable::base`).
pub(crate) const COLLECTED_SQL: &str =
    "(CASE WHEN capture = 'manual' THEN COALESCE(captured_amount, 0) ELSE amount END)";

/// Raises the payment's reservation by `amount`. The payment is locked and the amount checked
/// already; the condition repeats the check so that no path can ever over-reserve.
async fn reserve(
    tx: &mut Transaction<'_, Any>,
    payment_id: &str,
    amount: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE payments SET refund_reserved = refund_reserved + $1 WHERE id = $2 \
         AND status = 'succeeded' AND {COLLECTED_SQL} - refunded_amount - refund_reserved >= $1"
    );
    let updated = sqlx::query(&sql)
        .bind(amount)
        .bind(payment_id)
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Applies one change inside the caller's transaction (a single change, or a line of a batch).
pub(crate) async fn apply_in(
    tx: &mut Transaction<'_, Any>,
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
    let Some(row) = sqlx::query(&sql)
        .bind(change.refund_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
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
                sqlx::query(
                    "UPDATE refunds SET next_query_at = $1, query_attempts = $2 WHERE id = $3",
                )
                .bind(after.next_query_at)
                .bind(after.query_attempts)
                .bind(&after.id)
                .execute(&mut **tx)
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
async fn move_refund(
    tx: &mut Transaction<'_, Any>,
    before: &Refund,
    next: RefundStatus,
    change: &RefundChange<'_>,
    render: RefundEventRenderer<'_>,
) -> Result<Option<RefundOutcome>, StoreError> {
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
    let updated = sqlx::query(
        "UPDATE refunds SET status = $1, version = $2, updated_at = $3, next_query_at = $4, finished_at = $5, \
         channel_refund_no = $6, accounting_date = $7, failure_reason = $8 WHERE id = $9 AND version = $10",
    )
    .bind(after.status.as_str())
    .bind(after.version)
    .bind(after.updated_at)
    .bind(after.next_query_at)
    .bind(after.finished_at)
    .bind(&after.channel_refund_no)
    .bind(&after.accounting_date)
    .bind(&after.failure_reason)
    .bind(&after.id)
    .bind(before.version)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(None);
    }
    // The reservation made at creation becomes refunded money, or is released.
    let refunded = if next == RefundStatus::Succeeded {
        after.amount
    } else {
        0
    };
    sqlx::query(
        "UPDATE payments SET refunded_amount = refunded_amount + $1, refund_reserved = refund_reserved - $2 \
         WHERE id = $3",
    )
    .bind(refunded)
    .bind(after.amount)
    .bind(&after.payment_id)
    .execute(&mut **tx)
    .await?;
    insert_refund_event(tx, &after, change, "").await?;
    if next == RefundStatus::Succeeded {
        let accounting_date = after.accounting_date.clone().unwrap_or_default();
        let entry = refund_succeeded(&Refunded {
            id: &after.id,
            merchant_id: &after.merchant_id,
            channel_account_id: &after.channel_account_id,
            amount: after.amount,
            fee_returned: after.fee_returned,
            accounting_date: &accounting_date,
        })
        .map_err(|e| StoreError::Corrupt(format!("refund {}: {e}", after.id)))?;
        ledger::post(tx, &entry, change.now_ms).await?;
    }
    let event = insert_refund_notification(tx, &after, change, render).await?;
    Ok(Some(RefundOutcome::Changed {
        refund: after,
        event,
    }))
}

/// The timeline entry on the refund's payment: `refund.<event>` (qualified when it changed
/// nothing), naming the refund. The payment's statuses stay empty: the payment did not move.
async fn insert_refund_event(
    tx: &mut Transaction<'_, Any>,
    refund: &Refund,
    change: &RefundChange<'_>,
    qualifier: &str,
) -> Result<(), StoreError> {
    let kind = match (qualifier, refund.status, change.event) {
        ("", RefundStatus::Succeeded, RefundEvent::BankSucceeded) => "refund.succeeded".to_string(),
        ("", RefundStatus::Failed, RefundEvent::BankFailed) => "refund.failed".to_string(),
        ("", _, event) => format!("refund.{}", event.as_str()),
        (qualifier, _, event) => format!("refund.{}:{qualifier}", event.as_str()),
    };
    let mut detail = format!(
        "{} ({}): {} fen, {}",
        refund.id, refund.out_refund_no, refund.amount, refund.status
    );
    if !change.detail.is_empty() {
        detail.push_str("; ");
        detail.push_str(change.detail);
    }
    insert_event_row(
        tx,
        &NewEvent {
            payment_id: &refund.payment_id,
            kind: &kind,
            source: change.source,
            from: None,
            to: None,
            detail: &detail,
            raw_sha256: change.message.map(|m| m.sha256),
            now_ms: change.now_ms,
        },
    )
    .await
}

/// Writes the `refund.*` notification for the refund's new state, when it has a URL.
async fn insert_refund_notification(
    tx: &mut Transaction<'_, Any>,
    refund: &Refund,
    change: &RefundChange<'_>,
    render: RefundEventRenderer<'_>,
) -> Result<Option<Box<OutboxEvent>>, StoreError> {
    let now_ms = change.now_ms;
    let (Some(event_type), Some(url)) = (
        refund_notification_type(refund.status),
        refund.notify_url.as_deref(),
    ) else {
        return Ok(None);
    };
    let id = new_id("evt", now_ms);
    let event = OutboxEvent {
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
    };
    insert_outbox(tx, &event).await?;
    Ok(Some(Box::new(event)))
}

/// The bank reports a refund we hold as failed as succeeded: not applied (its reservation may
/// be gone), kept for an operator once per payment; the timeline names each report.
async fn insert_refund_anomaly(
    tx: &mut Transaction<'_, Any>,
    refund: &Refund,
    change: &RefundChange<'_>,
) -> Result<(), StoreError> {
    let detail = format!(
        "bank reports refund {} ({} fen, serial {}) succeeded, but it failed before; source {}",
        refund.id,
        refund.amount,
        change.channel_refund_no.unwrap_or("-"),
        change.source.as_str()
    );
    sqlx::query(
        "INSERT INTO anomalies (id, kind, payment_id, detail, created_at) \
         VALUES ($1, 'refund_late_success', $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(new_id("anm", change.now_ms))
    .bind(&refund.payment_id)
    .bind(detail)
    .bind(change.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
