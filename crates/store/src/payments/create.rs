//! A new payment: the row and its first timeline entry, under the request's idempotency key.

use super::change::{NewEvent, insert_event_row};
use super::{
    CreatePayment, Idempotent, NewPayment, PAYMENT_COLUMNS, ResponseRenderer, payment_from_row,
};
use crate::idempotency::{self, IdempotencyRequest};
use crate::nonces::NonceUse;
use crate::writer::{Finish, Writer, args, write_transaction};
use crate::{Store, StoreError};
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

pub(crate) async fn insert_payment<W: Writer>(
    tx: &mut W,
    new: &NewPayment,
) -> Result<CreatePayment, StoreError> {
    let sql = format!(
        "INSERT INTO payments (id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
         amount, currency, subject, status, return_url, notify_url, metadata, expires_at, created_at, updated_at, \
         version, next_query_at, query_attempts, fee, bank_fee, capture, bank_choice) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'created', $11, $12, $13, $14, $15, $15, 1, $14, 0, $16, $17, \
         $18, $19) ON CONFLICT DO NOTHING RETURNING {PAYMENT_COLUMNS}"
    );
    let inserted = tx
        .fetch_optional(
            &sql,
            args![
                &new.id,
                &new.app_id,
                &new.merchant_id,
                &new.channel_account_id,
                &new.channel,
                &new.out_trade_no,
                &new.order_no,
                new.amount,
                &new.currency,
                &new.subject,
                &new.return_url,
                &new.notify_url,
                &new.metadata,
                new.expires_at,
                new.created_at,
                new.fee,
                new.bank_fee,
                new.capture.as_str(),
                new.bank_choice.as_str(),
            ],
        )
        .await?;
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
