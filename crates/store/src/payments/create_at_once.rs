//! A new payment on PostgreSQL as one statement: the request's nonce spent, the row and its
//! first timeline entry as the parts of one `WITH`. One statement is one transaction: one round
//! trip where `create.rs`'s transaction takes five (`BEGIN`, nonce, row, entry, `COMMIT`).
//!
//! It is taken only without an idempotency key, whose saved answer is rendered from the row
//! the statement would write. The row and entry are written only after the nonce is spent, and
//! the nonce is kept with every answer: a new payment, or the one already under this
//! `out_trade_no` (read after the statement, which cannot see a row another transaction
//! committed while it waited on that row's key). A payment id or order number that collides
//! with another payment's fails the statement, so nothing of it is written, the nonce
//! included, as the transaction's rollback leaves it.

use super::create::{NEW_PAYMENT_COLUMNS, created_event, new_payment_values};
use super::{CreatePayment, Idempotent, NewPayment, PAYMENT_COLUMNS, payment_from_row};
use crate::nonces::{NonceUse, spend_statement};
use crate::with_parts::timeline_event;
use crate::writer::{Params, RowGet, Writer};
use crate::{Store, StoreError};
use unipay_core::ids::new_id;

impl Store {
    pub(super) async fn create_payment_at_once(
        &self,
        new: &NewPayment,
        nonce: Option<&NonceUse>,
    ) -> Result<Idempotent<CreatePayment>, StoreError> {
        let mut p = Params::default();
        let mut sql = String::from("WITH ");
        let mut only = "";
        if let Some(nonce) = nonce {
            sql.push_str(&format!(
                "spent AS ({} RETURNING 1), ",
                spend_statement(&mut p, nonce)
            ));
            only = "WHERE EXISTS (SELECT 1 FROM spent)";
        }
        let values = new_payment_values(&mut p, new);
        sql.push_str(&format!(
            "pay AS (INSERT INTO payments ({NEW_PAYMENT_COLUMNS}) SELECT {values} {only} \
             ON CONFLICT (app_id, out_trade_no) DO NOTHING RETURNING {PAYMENT_COLUMNS})"
        ));
        let event_id = new_id("pev", new.created_at);
        let event = timeline_event(
            &mut p,
            &created_event(&new.id, new.created_at),
            &event_id,
            "WHERE EXISTS (SELECT 1 FROM pay)",
        );
        let spent = if nonce.is_some() {
            "(SELECT COUNT(*) FROM spent)"
        } else {
            "1::bigint"
        };
        sql.push_str(&format!(
            ", {event} SELECT {spent} AS spent, pay.* FROM (SELECT 1) AS one LEFT JOIN pay ON true"
        ));

        let row = {
            let mut connection = self.write.acquire().await?;
            Writer::fetch_optional(&mut *connection, &sql, &p.args)
                .await?
                .ok_or_else(|| StoreError::Corrupt("a payment's creation answered no row".into()))?
        };
        if row.try_get::<i64>("spent")? == 0 {
            return Ok(Idempotent::NonceReused);
        }
        if row.try_get::<Option<String>>("id")?.is_some() {
            return Ok(Idempotent::Fresh(CreatePayment::Created(payment_from_row(
                &row,
            )?)));
        }
        let existing = self
            .get_payment_by_out_trade_no(&new.app_id, &new.out_trade_no)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a conflicting payment vanished".into()))?;
        Ok(Idempotent::Fresh(CreatePayment::Duplicate(existing)))
    }
}
