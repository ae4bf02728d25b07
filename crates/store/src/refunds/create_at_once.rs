//! A new refund on PostgreSQL as one statement: the reservation, the refund row, its timeline
//! entry and the request's nonce as the parts of one `WITH`. One statement is one transaction:
//! one round trip where `create.rs`'s transaction takes four (`BEGIN`, reservation, row and
//! entry, `COMMIT`).
//!
//! It writes all of it or nothing. Each part follows the one before it, and none of the inserts
//! tolerates a conflict: a nonce spent before, or an out_refund_no (or bank number) another
//! refund holds, fails the statement, and PostgreSQL rolls the reservation back with it. So
//! there is never a reservation without its refund, nor a nonce spent without its answer.
//!
//! It is tried only for the common case: no idempotency key (whose saved answer is rendered
//! from the refund), and a payment whose fee plan keeps its fee on refunds, so that the refund
//! returns none of it and no earlier refund needs reading. Everything else (a refusal, a
//! duplicate, a spent nonce, a fee returned in share, a conflict) writes nothing here and goes
//! `create.rs`'s way, which tells them apart.

use super::create::{
    PendingLine, before_reserving, checked_amount, created_detail, payment_column, pending_refund,
    reserve_sql,
};
use super::{CreateRefund, NewRefund, Refund, facts_of};
use crate::nonces::NonceUse;
use crate::payments::{PAYMENT_COLUMNS, Payment, payment_from_row};
use crate::writer::{Params, Writer};
use crate::{Store, StoreError};
use unipay_core::event::EventSource;
use unipay_core::ids::{new_body, new_id};

impl Store {
    /// The refund made in one statement, with the payment as its reservation left it; `None`
    /// when the statement wrote nothing and the transaction must decide.
    pub(super) async fn create_refund_at_once(
        &self,
        new: &NewRefund,
        nonce: Option<&NonceUse>,
    ) -> Result<Option<(CreateRefund, Payment)>, StoreError> {
        let id = new_id("rfd", new.created_at);
        let refund_no = new_body(new.created_at);
        let event_id = new_id("pev", new.created_at);
        let detail = created_detail(&id, &new.out_refund_no, new.amount);
        let (_, value) = payment_column(&new.payment);

        // `reserve_sql`'s `$1` to `$3` first.
        let mut p = Params::default();
        let amount = p.push(new.amount);
        p.push(&new.app_id);
        p.push(value);
        let mut sql = format!(
            "WITH reserved AS ({} AND NOT EXISTS (SELECT 1 FROM fee_plans f \
             WHERE f.merchant_id = payments.merchant_id AND f.channel_account_id = payments.channel_account_id \
             AND f.refund_fee <> 'kept') RETURNING {PAYMENT_COLUMNS}), ",
            reserve_sql(new)
        );
        let now = p.push(new.created_at);
        sql.push_str(&format!(
            "refund AS (INSERT INTO refunds (id, payment_id, app_id, merchant_id, channel_account_id, \
             out_refund_no, refund_no, amount, fee_returned, currency, reason, status, batch_id, notify_url, \
             next_query_at, query_attempts, version, created_at, updated_at) \
             SELECT {}, id, app_id, merchant_id, channel_account_id, {}, {}, {amount}, 0, currency, {}, \
             'pending', NULL, COALESCE({}, notify_url), {}, 0, 1, {now}, {now} FROM reserved \
             RETURNING payment_id), \
             ev AS (INSERT INTO payment_events (id, payment_id, kind, source, from_status, to_status, detail, \
             raw_sha256, created_at) SELECT {}, payment_id, 'refund.created', {}, NULL, NULL, {}, NULL, {now} \
             FROM refund)",
            p.push(&id),
            p.push(&new.out_refund_no),
            p.push(&refund_no),
            p.push(&new.reason),
            p.push(&new.notify_url),
            p.push(new.next_query_at),
            p.push(&event_id),
            p.push(EventSource::Api.as_str()),
            p.push(&detail),
        ));
        if let Some(nonce) = nonce {
            // No `ON CONFLICT`: a nonce spent before fails the statement, refund and all.
            sql.push_str(&format!(
                ", nonce AS (INSERT INTO api_nonces (app_id, nonce, expires_at) \
                 SELECT {}, {}, {} FROM refund)",
                p.push(&nonce.app_id),
                p.push(&nonce.nonce),
                p.push(nonce.expires_at_ms),
            ));
        }
        sql.push_str(" SELECT * FROM reserved");

        let row = {
            let mut connection = self.write.acquire().await?;
            match Writer::fetch_optional(&mut *connection, &sql, &p.args).await {
                Ok(row) => row,
                Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let after = payment_from_row(&row)?;
        let before = before_reserving(facts_of(&after), new.amount)?;
        let line = PendingLine {
            out_refund_no: &new.out_refund_no,
            amount: checked_amount(new.amount)?,
            fee_returned: 0,
            reason: new.reason.as_deref(),
            notify_url: new.notify_url.as_deref(),
            batch_id: None,
            next_query_at: new.next_query_at,
        };
        let refund = Refund {
            id,
            refund_no,
            ..pending_refund(&before, &line, new.created_at)
        };
        Ok(Some((CreateRefund::Created(refund), after)))
    }
}
