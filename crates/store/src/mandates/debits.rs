//! A debit is a payment taken from a mandate: the mandate is locked and judged (core's
//! `check_debit`) in the transaction that inserts the payment and links it to the mandate, so
//! a debit racing a cancellation either sees the mandate active or not at all.

use super::{MANDATE_COLUMNS, Mandate, mandate_from_row};
use crate::idempotency::{self, IdempotencyRequest};
use crate::nonces::NonceUse;
use crate::payments::{CreatePayment, Idempotent, NewPayment, Payment, insert_payment};
use crate::{Store, StoreError};
use sqlx::{Any, Transaction};
use unipay_core::mandate::{DebitRefusal, MandateTerms, check_debit};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateDebit {
    /// The payment, `created`; the caller sends it to the bank.
    Created(Payment),
    /// The app already has a payment with this out_trade_no.
    Duplicate(Payment),
    /// The mandate may not be debited: nothing was created.
    Refused {
        refusal: DebitRefusal,
        mandate: Mandate,
    },
    /// No mandate of this app has this id.
    MandateNotFound,
}

impl Store {
    /// Creates the payment of a debit on `mandate_id` if the mandate allows it on `today`
    /// (`YYYY-MM-DD`). Nonce, idempotency key, payment, link and saved answer commit together;
    /// a refusal is an answer saved under the key like any other. The janitor first looks at
    /// the debit at `first_look_at`: should the caller die before sending it, that look sends it.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_debit(
        &self,
        mandate_id: &str,
        new: &NewPayment,
        first_look_at: i64,
        today: &str,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: &(dyn Fn(&CreateDebit) -> (u16, String) + Send + Sync),
    ) -> Result<Idempotent<CreateDebit>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(answer) =
            idempotency::open_request(&mut tx, nonce, idempotency, new.created_at).await?
        {
            return Ok(answer);
        }
        let outcome = match lock_mandate(&mut tx, self.lock_row(), mandate_id).await? {
            Some(mandate) if mandate.app_id == new.app_id => {
                let terms = MandateTerms {
                    status: mandate.status,
                    expires_on: &mandate.expires_on,
                    max_amount_per_debit: mandate.max_amount_per_debit,
                };
                match check_debit(&terms, new.amount, today) {
                    Err(refusal) => CreateDebit::Refused { refusal, mandate },
                    Ok(()) => match insert_payment(&mut tx, new).await? {
                        CreatePayment::Created(mut payment) => {
                            link(&mut tx, &payment.id, &mandate.id, None, None).await?;
                            sqlx::query("UPDATE payments SET next_query_at = $1 WHERE id = $2")
                                .bind(first_look_at)
                                .bind(&payment.id)
                                .execute(&mut *tx)
                                .await?;
                            payment.next_query_at = Some(first_look_at);
                            CreateDebit::Created(payment)
                        }
                        CreatePayment::Duplicate(payment) => CreateDebit::Duplicate(payment),
                    },
                }
            }
            _ => CreateDebit::MandateNotFound,
        };
        idempotency::close_request(&mut tx, idempotency, || render(&outcome)).await?;
        tx.commit().await?;
        Ok(Idempotent::Fresh(outcome))
    }

    /// The mandate of a debit made on its own (`AgentPay`, not a line of a batch), if the
    /// payment is one.
    pub async fn mandate_of_single_debit(
        &self,
        payment_id: &str,
    ) -> Result<Option<Mandate>, StoreError> {
        self.mandate_of_debit(payment_id, " AND batch_id IS NULL")
            .await
    }

    /// The mandate a payment was debited from, if it was.
    pub async fn mandate_of_payment(
        &self,
        payment_id: &str,
    ) -> Result<Option<Mandate>, StoreError> {
        self.mandate_of_debit(payment_id, "").await
    }

    async fn mandate_of_debit(
        &self,
        payment_id: &str,
        also: &str,
    ) -> Result<Option<Mandate>, StoreError> {
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE id = (SELECT mandate_id FROM mandate_debits WHERE payment_id = $1{also})"
        );
        let row = sqlx::query(&sql)
            .bind(payment_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| mandate_from_row(&r)).transpose()
    }
}

pub(crate) async fn lock_mandate(
    tx: &mut Transaction<'_, Any>,
    lock: &str,
    mandate_id: &str,
) -> Result<Option<Mandate>, StoreError> {
    let sql = format!("SELECT {MANDATE_COLUMNS} FROM mandates WHERE id = $1{lock}");
    let row = sqlx::query(&sql)
        .bind(mandate_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| mandate_from_row(&r)).transpose()
}

pub(crate) async fn link(
    tx: &mut Transaction<'_, Any>,
    payment_id: &str,
    mandate_id: &str,
    batch_id: Option<&str>,
    seq_no: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mandate_debits (payment_id, mandate_id, batch_id, seq_no) VALUES ($1, $2, $3, $4)",
    )
    .bind(payment_id)
    .bind(mandate_id)
    .bind(batch_id)
    .bind(seq_no)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
