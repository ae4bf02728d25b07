//! A new refund: the checks against its payment, the reservation, the row and its timeline
//! entry, under the request's idempotency key.

use super::{
    CreateRefund, NewRefund, PaymentFacts, PaymentRef, REFUND_COLUMNS, Refund,
    RefundResponseRenderer, facts_of, refund_from_row,
};
use crate::idempotency::{self, IdempotencyRequest};
use crate::nonces::{NonceUse, spend_statement};
use crate::payments::{
    Idempotent, NewEvent, PAYMENT_COLUMNS, Payment, insert_event_row, payment_from_row,
};
use crate::writer::{Finish, Params, RowGet, Writer, args, write_transaction};
use crate::{Backend, Store, StoreError};
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
        let (outcome, _) = self
            .create_refund_with_payment(new, nonce, idempotency, render)
            .await?;
        Ok(outcome)
    }

    /// [`Store::create_refund`], with the payment as the refund left it when one was created:
    /// what the bank's refund call names the payment by, read in the same statement as the
    /// reservation rather than once more after the commit.
    pub async fn create_refund_with_payment(
        &self,
        new: &NewRefund,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: RefundResponseRenderer<'_>,
    ) -> Result<(Idempotent<CreateRefund>, Option<Payment>), StoreError> {
        // Without a key there is no answer to save: on PostgreSQL a refund that fits is one
        // statement (`create_at_once.rs`); whatever it leaves unwritten is decided here.
        if self.backend == Backend::Postgres
            && idempotency.is_none()
            && let Some((created, payment)) = self.create_refund_at_once(new, nonce).await?
        {
            return Ok((Idempotent::Fresh(created), Some(payment)));
        }
        let lock = self.lock_row();
        write_transaction!(self, |tx| create_in(
            tx,
            new,
            nonce,
            idempotency,
            render,
            lock
        ))
    }
}

async fn create_in<W: Writer>(
    tx: &mut W,
    new: &NewRefund,
    nonce: Option<&NonceUse>,
    idempotency: Option<&IdempotencyRequest>,
    render: RefundResponseRenderer<'_>,
    lock: &str,
) -> Result<Finish<(Idempotent<CreateRefund>, Option<Payment>)>, StoreError> {
    let reserved = match nonce.filter(|_| tx.postgres()) {
        // One round trip spends the nonce and makes the reservation (which a replayed or
        // reused idempotency key rolls back with the rest).
        Some(nonce) => match spend_and_reserve(tx, nonce, new).await? {
            Spent::Before => return Ok(Finish::Rollback((Idempotent::NonceReused, None))),
            Spent::Now(reserved) => {
                if let Some(answer) =
                    idempotency::open_request(tx, None, idempotency, new.created_at).await?
                {
                    return Ok(Finish::Rollback((answer, None)));
                }
                reserved.map(|reserved| *reserved)
            }
        },
        None => {
            if let Some(answer) =
                idempotency::open_request(tx, nonce, idempotency, new.created_at).await?
            {
                return Ok(Finish::Rollback((answer, None)));
            }
            reserve_fitting(tx, new).await?
        }
    };
    let (outcome, payment) = create_reserved(tx, new, lock, reserved).await?;
    idempotency::close_request(tx, idempotency, || render(&outcome)).await?;
    Ok(Finish::Commit((Idempotent::Fresh(outcome), payment)))
}

/// A refund inside the caller's transaction (a request's, or a late success's refund).
/// `lock` locks the payment row where the database has row locks (`Store::lock_row`).
pub(crate) async fn create_refund_in<W: Writer>(
    tx: &mut W,
    new: &NewRefund,
    lock: &str,
) -> Result<CreateRefund, StoreError> {
    let reserved = reserve_fitting(tx, new).await?;
    Ok(create_reserved(tx, new, lock, reserved).await?.0)
}

/// The refund after its reservation was tried: `reserved` is the payment when it fit.
async fn create_reserved<W: Writer>(
    tx: &mut W,
    new: &NewRefund,
    lock: &str,
    reserved: Option<ReservedFacts>,
) -> Result<(CreateRefund, Option<Payment>), StoreError> {
    // Most requests fit: the reservation is tried first, as one statement whose condition is
    // core's check, and the lookups that tell why a request does not fit run only when it
    // did not.
    let payment = match reserved {
        Some(payment) => payment,
        None => {
            if let Some(existing) = refund_by_out_no(tx, &new.app_id, &new.out_refund_no).await? {
                return Ok((CreateRefund::Duplicate(existing), None));
            }
            let Some(payment) = lock_payment(tx, &new.app_id, &new.payment, lock).await? else {
                return Ok((CreateRefund::Refused(RefundRefusal::PaymentNotFound), None));
            };
            if let Err(refusal) = check_refund(&payment.facts.refundable, new.amount) {
                return Ok((CreateRefund::Refused(refusal), None));
            }
            // It fits now (a refund of the payment failed meanwhile and released its money).
            reserve(tx, &payment.facts.id, new.amount).await?;
            ReservedFacts {
                after: Payment {
                    refund_reserved: payment.after.refund_reserved + new.amount,
                    ..payment.after
                },
                ..payment
            }
        }
    };
    let ReservedFacts {
        facts: payment,
        refund_fee,
        after,
    } = payment;
    // A refund's fee share depends on the plan's refund policy alone.
    let plan = FeePlan {
        refund: refund_fee,
        ..FeePlan::FREE
    };
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
    if !insert_refund(
        tx,
        &refund,
        &created_detail(&refund.id, &refund.out_refund_no, refund.amount.fen()),
    )
    .await?
    {
        // The out_refund_no is taken (a retry, or a racing create that committed first): the
        // reservation just made goes back, and the first refund is the answer.
        release(tx, &payment.id, new.amount).await?;
        return refund_by_out_no(tx, &new.app_id, &new.out_refund_no)
            .await?
            .map(|existing| (CreateRefund::Duplicate(existing), None))
            .ok_or_else(|| StoreError::Corrupt("refund id or bank number collided".into()));
    }
    Ok((CreateRefund::Created(refund), Some(after)))
}

/// A payment's facts as they were before the new refund's reservation, with its fee plan's
/// refund policy, and the payment as the reservation left it.
struct ReservedFacts {
    facts: PaymentFacts,
    refund_fee: RefundFeePolicy,
    after: Payment,
}

/// The payment and its merchant's refund fee policy on its channel account (`kept` without a
/// plan), as one list of columns.
fn facts_with_policy() -> String {
    format!(
        "{PAYMENT_COLUMNS}, (SELECT refund_fee FROM fee_plans f WHERE f.merchant_id = payments.merchant_id \
         AND f.channel_account_id = payments.channel_account_id) AS refund_fee"
    )
}

fn reserved_from_row<R: RowGet>(r: &R) -> Result<ReservedFacts, StoreError> {
    let policy: Option<String> = r.try_get("refund_fee")?;
    let refund_fee = match policy {
        None => RefundFeePolicy::Kept,
        Some(policy) => RefundFeePolicy::parse(&policy)
            .ok_or_else(|| StoreError::Corrupt(format!("refund fee policy {policy:?}")))?,
    };
    let payment = payment_from_row(r)?;
    Ok(ReservedFacts {
        facts: facts_of(&payment),
        refund_fee,
        after: payment,
    })
}

pub(super) fn payment_column(payment: &PaymentRef) -> (&'static str, &str) {
    match payment {
        PaymentRef::Id(id) => ("id", id),
        PaymentRef::OutTradeNo(no) => ("out_trade_no", no),
    }
}

/// Reserves the refund's amount on the app's payment when it fits (core's `check_refund` as
/// the update's condition: a row locked by a racing refund is checked again once that one
/// commits, so racing refunds never reserve more than there is); answers the payment as it
/// was before, or `None` when nothing was reserved.
async fn reserve_fitting<W: Writer>(
    tx: &mut W,
    new: &NewRefund,
) -> Result<Option<ReservedFacts>, StoreError> {
    let (_, value) = payment_column(&new.payment);
    let sql = format!("{} RETURNING {}", reserve_sql(new), facts_with_policy());
    match tx
        .fetch_optional(&sql, args![new.amount, &new.app_id, value])
        .await?
    {
        Some(row) => reserved_before(&row, new).map(Some),
        None => Ok(None),
    }
}

/// The reservation's update: `$1` the amount, `$2` the app, `$3` the payment's id or
/// out_trade_no.
pub(super) fn reserve_sql(new: &NewRefund) -> String {
    let (column, _) = payment_column(&new.payment);
    format!(
        "UPDATE payments SET refund_reserved = refund_reserved + $1 WHERE app_id = $2 AND {column} = $3 \
         AND status = 'succeeded' AND $1 > 0 AND {COLLECTED_SQL} - refunded_amount - refund_reserved >= $1"
    )
}

/// Whether the request's nonce was spent before, and if not, whether the refund fit.
enum Spent {
    Before,
    Now(Option<Box<ReservedFacts>>),
}

/// PostgreSQL: spends the nonce and, when it was not spent before, makes the reservation, as
/// one statement (`reserve_fitting` with the nonce's insert as a `WITH` part before it).
async fn spend_and_reserve<W: Writer>(
    tx: &mut W,
    nonce: &NonceUse,
    new: &NewRefund,
) -> Result<Spent, StoreError> {
    let (_, value) = payment_column(&new.payment);
    // `reserve_sql`'s `$1` to `$3`, then the nonce's.
    let mut p = Params::default();
    p.push(new.amount);
    p.push(&new.app_id);
    p.push(value);
    let sql = format!(
        "WITH nonce AS ({} RETURNING 1), \
         reserved AS ({} AND EXISTS (SELECT 1 FROM nonce) RETURNING {}) \
         SELECT (SELECT COUNT(*) FROM nonce) AS fresh_nonce, reserved.* FROM (SELECT 1) AS one \
         LEFT JOIN reserved ON true",
        spend_statement(&mut p, nonce),
        reserve_sql(new),
        facts_with_policy()
    );
    let row = tx
        .fetch_optional(&sql, &p.args)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a reservation's statement gave no row".into()))?;
    let fresh: i64 = row.try_get("fresh_nonce")?;
    if fresh == 0 {
        return Ok(Spent::Before);
    }
    let id: Option<String> = row.try_get("id")?;
    Ok(Spent::Now(match id {
        Some(_) => Some(Box::new(reserved_before(&row, new)?)),
        None => None,
    }))
}

/// The payment of a reservation's answer as it was before the reservation.
fn reserved_before<R: RowGet>(row: &R, new: &NewRefund) -> Result<ReservedFacts, StoreError> {
    let mut payment = reserved_from_row(row)?;
    payment.facts = before_reserving(payment.facts, new.amount)?;
    Ok(payment)
}

/// A payment's facts as a reservation of `amount` found them, checked against core's rule.
pub(super) fn before_reserving(
    mut facts: PaymentFacts,
    amount: i64,
) -> Result<PaymentFacts, StoreError> {
    facts.refundable.reserved -= amount;
    // The condition is core's rule in SQL: they must agree on every reservation made.
    check_refund(&facts.refundable, amount).map_err(|refusal| {
        StoreError::Corrupt(format!(
            "payment {}: reserved a refund core refuses ({refusal:?})",
            facts.id
        ))
    })?;
    Ok(facts)
}

/// The app's payment, locked for the rest of the transaction (`FOR UPDATE` on PostgreSQL).
async fn lock_payment<W: Writer>(
    tx: &mut W,
    app_id: &str,
    payment: &PaymentRef,
    lock: &str,
) -> Result<Option<ReservedFacts>, StoreError> {
    let (column, value) = payment_column(payment);
    let sql = format!(
        "SELECT {} FROM payments WHERE app_id = $1 AND {column} = $2{lock}",
        facts_with_policy()
    );
    let row = tx.fetch_optional(&sql, args![app_id, value]).await?;
    row.map(|r| reserved_from_row(&r)).transpose()
}

async fn refund_by_out_no<W: Writer>(
    tx: &mut W,
    app_id: &str,
    out_refund_no: &str,
) -> Result<Option<Refund>, StoreError> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE app_id = $1 AND out_refund_no = $2");
    let row = tx
        .fetch_optional(&sql, args![app_id, out_refund_no])
        .await?;
    row.map(|r| refund_from_row(&r)).transpose()
}

/// The merchant's fee plan on the channel account, read in the transaction (free when none).
pub(crate) async fn fee_plan_in<W: Writer>(
    tx: &mut W,
    merchant_id: &str,
    channel_account_id: &str,
) -> Result<FeePlan, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT rate_bps, min_fen, max_fen, refund_fee FROM fee_plans \
             WHERE merchant_id = $1 AND channel_account_id = $2",
            args![merchant_id, channel_account_id],
        )
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
/// the plan returns none. Read after the payment is locked (by its reservation), so that it
/// counts every refund that reserved before this one.
async fn fee_returned_so_far<W: Writer>(
    tx: &mut W,
    payment_id: &str,
    plan: &FeePlan,
) -> Result<i64, StoreError> {
    if plan.refund == RefundFeePolicy::Kept {
        return Ok(0);
    }
    tx.fetch_optional(
        "SELECT CAST(COALESCE(SUM(fee_returned), 0) AS BIGINT) AS returned FROM refunds \
         WHERE payment_id = $1 AND status <> 'failed'",
        args![payment_id],
    )
    .await?
    .ok_or_else(|| StoreError::Corrupt("a sum gave no row".into()))?
    .try_get("returned")
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
pub(super) fn created_detail(id: &str, out_refund_no: &str, amount_fen: i64) -> String {
    format!("{id} ({out_refund_no}): {amount_fen} fen refund pending")
}

/// A new refund row: status, attempts and version are literals, `created_at` serves as
/// `updated_at` too.
const INSERT_REFUND_SQL: &str = "INSERT INTO refunds (id, payment_id, app_id, merchant_id, channel_account_id, \
     out_refund_no, refund_no, amount, fee_returned, currency, reason, status, batch_id, notify_url, next_query_at, \
     query_attempts, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
     'pending', $12, $13, $14, 0, 1, $15, $16) ON CONFLICT DO NOTHING";

/// Inserts the refund with its `refund.created` timeline entry (`detail`) unless its
/// out_refund_no (or bank number) is taken; false then, and nothing is written.
async fn insert_refund<W: Writer>(
    tx: &mut W,
    refund: &Refund,
    detail: &str,
) -> Result<bool, StoreError> {
    let mut values = args![
        &refund.id,
        &refund.payment_id,
        &refund.app_id,
        &refund.merchant_id,
        &refund.channel_account_id,
        &refund.out_refund_no,
        &refund.refund_no,
        refund.amount.fen(),
        refund.fee_returned,
        &refund.currency,
        &refund.reason,
        &refund.batch_id,
        &refund.notify_url,
        refund.next_query_at,
        refund.created_at,
        refund.updated_at,
    ]
    .to_vec();
    if tx.postgres() {
        // One statement: the timeline entry is a part that follows the refund's insert.
        let sql = format!(
            "WITH refund AS ({INSERT_REFUND_SQL} RETURNING id) INSERT INTO payment_events (id, payment_id, kind, \
             source, from_status, to_status, detail, raw_sha256, created_at) \
             SELECT $17, $2, 'refund.created', $18, NULL, NULL, $19, NULL, $15 FROM refund"
        );
        let event_id = new_id("pev", refund.created_at);
        values.extend_from_slice(args![event_id.as_str(), EventSource::Api.as_str(), detail]);
        return Ok(tx.execute(&sql, &values).await? == 1);
    }
    if tx.execute(INSERT_REFUND_SQL, &values).await? != 1 {
        return Ok(false);
    }
    insert_event_row(
        tx,
        &NewEvent {
            payment_id: &refund.payment_id,
            kind: "refund.created",
            source: EventSource::Api,
            from: None,
            to: None,
            detail,
            raw_sha256: None,
            now_ms: refund.created_at,
        },
    )
    .await?;
    Ok(true)
}

/// The SQL of a payment's refundable base: the captured amount of a pre-authorization, else
/// the amount (core's `Refundable::base`).
pub(crate) const COLLECTED_SQL: &str =
    "(CASE WHEN capture = 'manual' THEN COALESCE(captured_amount, 0) ELSE amount END)";

/// Raises the payment's reservation by `amount`. The payment is locked and the amount checked
/// already; the condition repeats the check so that no path can ever over-reserve.
async fn reserve<W: Writer>(tx: &mut W, payment_id: &str, amount: i64) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE payments SET refund_reserved = refund_reserved + $1 WHERE id = $2 \
         AND status = 'succeeded' AND {COLLECTED_SQL} - refunded_amount - refund_reserved >= $1"
    );
    if tx.execute(&sql, args![amount, payment_id]).await? == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Takes back a reservation made in this transaction, for a refund that was not made after all.
async fn release<W: Writer>(tx: &mut W, payment_id: &str, amount: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE payments SET refund_reserved = refund_reserved - $1 WHERE id = $2",
        args![amount, payment_id],
    )
    .await?;
    Ok(())
}
