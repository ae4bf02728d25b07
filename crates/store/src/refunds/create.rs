//! A new refund: the checks against its payment, the reservation, the row and its timeline
//! entry, under the request's idempotency key.

use super::{
    CreateRefund, FACTS_COLUMNS, NewRefund, PaymentFacts, PaymentRef, REFUND_COLUMNS, Refund,
    RefundResponseRenderer, facts_from_row, refund_from_row,
};
use crate::idempotency::{self, IdempotencyRequest};
use crate::nonces::NonceUse;
use crate::payments::{Idempotent, NewEvent, insert_event_row};
use crate::{Store, StoreError};
use sqlx::{Any, Row, Transaction};
use unipay_core::Amount;
use unipay_core::event::EventSource;
use unipay_core::fees::{FeePlan, RefundFeePolicy};
use unipay_core::ids::{new_body, new_id};
use unipay_core::refund::{RefundRefusal, RefundStatus, check_refund, fee_to_return};

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

    pub(crate) async fn create_refund_in(
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
                amount: checked_amount(new.amount)?,
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
    pub(crate) amount: Amount,
    pub(crate) fee_returned: i64,
    pub(crate) reason: Option<&'a str>,
    pub(crate) notify_url: Option<&'a str>,
    pub(crate) batch_id: Option<&'a str>,
    pub(crate) next_query_at: Option<i64>,
}

/// A refund amount that passed `check_refund`: positive and within a payment's amount, so
/// anything else is a broken invariant, not a refusal.
pub(crate) fn checked_amount(fen: i64) -> Result<Amount, StoreError> {
    Amount::from_fen(fen)
        .map_err(|e| StoreError::Corrupt(format!("checked refund amount {fen}: {e}")))
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
        refund.id,
        refund.out_refund_no,
        refund.amount.fen()
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
        .bind(refund.amount.fen())
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
