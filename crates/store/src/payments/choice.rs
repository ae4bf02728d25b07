//! The consumer's choice of bank at the cashier: the payment moves to another of the app's
//! channel accounts, with that account's fees, while no bank has the order yet.

use super::change::{NewEvent, insert_event_row};
use super::{BankChoice, BankChosen, PAYMENT_COLUMNS, payment_from_row};
use crate::merchants::ChannelRoute;
use crate::{Store, StoreError};
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentStatus;

impl Store {
    /// Puts a payment on `route`'s channel account if the consumer may still choose: its bank
    /// was not named at creation and it is still `created` (nothing sent to any bank). The
    /// row and its timeline entry commit together; a refusal changes nothing.
    pub async fn choose_payment_bank(
        &self,
        payment_id: &str,
        route: &ChannelRoute,
        source: EventSource,
        now_ms: i64,
    ) -> Result<BankChosen, StoreError> {
        let mut tx = self.write.begin().await?;
        let sql = format!(
            "UPDATE payments SET channel_account_id = $2, channel = $3, fee = $4, bank_fee = $5, \
             bank_choice = $6, version = version + 1, updated_at = $7 \
             WHERE id = $1 AND status = 'created' AND bank_choice <> 'fixed' RETURNING {PAYMENT_COLUMNS}"
        );
        let before = sqlx::query(&format!(
            "SELECT amount FROM payments WHERE id = $1{}",
            self.lock_row()
        ))
        .bind(payment_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(BankChosen::NotFound);
        };
        let amount: i64 = sqlx::Row::try_get(&before, "amount")?;
        let (fee, bank_fee) = route.fees_for(amount);
        let updated = sqlx::query(&sql)
            .bind(payment_id)
            .bind(&route.channel_account_id)
            .bind(&route.channel)
            .bind(fee)
            .bind(bank_fee)
            .bind(BankChoice::Chosen.as_str())
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = updated else {
            let row = sqlx::query(&format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"
            ))
            .bind(payment_id)
            .fetch_one(&mut *tx)
            .await?;
            let payment = payment_from_row(&row)?;
            return Ok(match payment.bank_choice {
                BankChoice::Fixed => BankChosen::Fixed(payment),
                _ => BankChosen::Sent(payment),
            });
        };
        let payment = payment_from_row(&row)?;
        insert_event_row(
            &mut tx,
            &NewEvent {
                payment_id: &payment.id,
                kind: "bank_chosen",
                source,
                from: Some(PaymentStatus::Created),
                to: Some(PaymentStatus::Created),
                detail: &format!("{} {}", route.channel, route.channel_account_id),
                raw_sha256: None,
                now_ms,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(BankChosen::Chosen(payment))
    }
}
