//! A new payment: the row and its first timeline entry, under the request's idempotency key.

use super::change::{NewEvent, insert_event_row};
use super::{
    CreatePayment, Idempotent, NewPayment, PAYMENT_COLUMNS, ResponseRenderer, payment_from_row,
};
use crate::idempotency::{self, IdempotencyRequest};
use crate::nonces::NonceUse;
use crate::{Store, StoreError};
use sqlx::{Any, Transaction};
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
}

pub(crate) async fn insert_payment(
    tx: &mut Transaction<'_, Any>,
    new: &NewPayment,
) -> Result<CreatePayment, StoreError> {
    let sql = format!(
        "INSERT INTO payments (id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
         amount, currency, subject, status, return_url, notify_url, metadata, expires_at, created_at, updated_at, \
         version, next_query_at, query_attempts, fee, bank_fee, capture, bank_choice) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'created', $11, $12, $13, $14, $15, $15, 1, $14, 0, $16, $17, \
         $18, $19) ON CONFLICT DO NOTHING RETURNING {PAYMENT_COLUMNS}"
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
        .bind(new.bank_choice.as_str())
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
