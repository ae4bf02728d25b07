//! A new payment: the row and its first timeline entry, under the request's idempotency key.

use super::change::{NewEvent, insert_event_row};
use super::{
    CreatePayment, Idempotent, NewPayment, PAYMENT_COLUMNS, ResponseRenderer, payment_from_row,
};
use crate::idempotency::{self, IdempotencyRequest};
use crate::nonces::NonceUse;
use crate::writer::{Finish, Params, Writer, args, write_transaction};
use crate::{Backend, Store, StoreError};
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentStatus;

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
        // Without a key there is no answer to save: on PostgreSQL one statement does it all
        // (`create_at_once.rs`).
        if self.backend == Backend::Postgres && idempotency.is_none() {
            return self.create_payment_at_once(new, nonce).await;
        }
        write_transaction!(self, |tx| create_in(tx, new, nonce, idempotency, render))
    }
}

async fn create_in<W: Writer>(
    tx: &mut W,
    new: &NewPayment,
    nonce: Option<&NonceUse>,
    idempotency: Option<&IdempotencyRequest>,
    render: ResponseRenderer<'_>,
) -> Result<Finish<Idempotent<CreatePayment>>, StoreError> {
    if let Some(answer) = idempotency::open_request(tx, nonce, idempotency, new.created_at).await? {
        return Ok(Finish::Rollback(answer));
    }
    let outcome = insert_payment(tx, new).await?;
    idempotency::close_request(tx, idempotency, || render(&outcome)).await?;
    Ok(Finish::Commit(Idempotent::Fresh(outcome)))
}

/// The columns a new payment row is written with, in the order of [`new_payment_values`].
pub(super) const NEW_PAYMENT_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
     amount, currency, subject, status, return_url, notify_url, metadata, expires_at, created_at, updated_at, \
     version, next_query_at, query_attempts, fee, bank_fee, capture, bank_choice";

/// The values of [`NEW_PAYMENT_COLUMNS`] for `new`, their arguments pushed on `p`: a payment
/// starts `created` at version 1, first due for a query when it expires.
pub(super) fn new_payment_values<'a>(p: &mut Params<'a>, new: &'a NewPayment) -> String {
    let created_at = p.push(new.created_at);
    let expires_at = p.push(new.expires_at);
    format!(
        "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'created', {}, {}, {}, {expires_at}, {created_at}, {created_at}, \
         1, {expires_at}, 0, {}, {}, {}, {}",
        p.push(&new.id),
        p.push(&new.app_id),
        p.push(&new.merchant_id),
        p.push(&new.channel_account_id),
        p.push(&new.channel),
        p.push(&new.out_trade_no),
        p.push(&new.order_no),
        p.push(new.amount),
        p.push(&new.currency),
        p.push(&new.subject),
        p.push(&new.return_url),
        p.push(&new.notify_url),
        p.push(&new.metadata),
        p.push(new.fee),
        p.push(new.bank_fee),
        p.push(new.capture.as_str()),
        p.push(new.bank_choice.as_str()),
    )
}

/// The first timeline entry of the payment `payment_id`, written at `now_ms`.
pub(super) fn created_event(payment_id: &str, now_ms: i64) -> NewEvent<'_> {
    NewEvent {
        payment_id,
        kind: "created",
        source: EventSource::Api,
        from: None,
        to: Some(PaymentStatus::Created),
        detail: "",
        raw_sha256: None,
        now_ms,
    }
}

pub(crate) async fn insert_payment<W: Writer>(
    tx: &mut W,
    new: &NewPayment,
) -> Result<CreatePayment, StoreError> {
    let mut p = Params::default();
    let values = new_payment_values(&mut p, new);
    let sql = format!(
        "INSERT INTO payments ({NEW_PAYMENT_COLUMNS}) VALUES ({values}) \
         ON CONFLICT DO NOTHING RETURNING {PAYMENT_COLUMNS}"
    );
    let inserted = tx.fetch_optional(&sql, &p.args).await?;
    let Some(row) = inserted else {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE app_id = $1 AND out_trade_no = $2"
        );
        let existing = tx
            .fetch_optional(&sql, args![&new.app_id, &new.out_trade_no])
            .await?
            .ok_or_else(|| StoreError::Corrupt("payment id or order number collided".into()))?;
        return Ok(CreatePayment::Duplicate(payment_from_row(&existing)?));
    };
    let payment = payment_from_row(&row)?;
    insert_event_row(tx, &created_event(&payment.id, new.created_at)).await?;
    Ok(CreatePayment::Created(payment))
}
