//! K-code payments: the sub-state of a payment paid with a texted code (see migration
//! `0004_kcode`). The payment itself changes only through `apply_payment_change`; these rows
//! say where the code stands, and count resends and wrong codes atomically so that racing
//! requests cannot get past the limits.

use crate::{Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Where a payment's K-code stands, by core's table (`unipay_core::kcode`).
pub use unipay_core::kcode::KcodeStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KcodeRecord {
    pub payment_id: String,
    pub card_masked: String,
    pub mobile_masked: String,
    pub status: KcodeStatus,
    pub code_sent_at: Option<i64>,
    pub last_sent_at: Option<i64>,
    pub resend_count: i64,
    pub wrong_attempts: i64,
    /// Bills asked for, refused ones included.
    pub bill_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Whether a resend may go to the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResendReservation {
    /// Counted: send it.
    Reserved,
    /// The last code was asked for too recently; this long until the next may be.
    TooSoon { retry_after_ms: i64 },
    /// The payment had all the resends it may have.
    LimitReached,
    /// No code is awaited (none was sent, or the payment is done).
    NotAwaitingCode,
}

const COLUMNS: &str = "payment_id, card_masked, mobile_masked, status, code_sent_at, last_sent_at, \
     resend_count, wrong_attempts, bill_count, created_at, updated_at";

fn record_from_row(row: &AnyRow) -> Result<KcodeRecord, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(KcodeRecord {
        payment_id: row.try_get("payment_id")?,
        card_masked: row.try_get("card_masked")?,
        mobile_masked: row.try_get("mobile_masked")?,
        status: KcodeStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("K-code status {status:?}")))?,
        code_sent_at: row.try_get("code_sent_at")?,
        last_sent_at: row.try_get("last_sent_at")?,
        resend_count: row.try_get("resend_count")?,
        wrong_attempts: row.try_get("wrong_attempts")?,
        bill_count: row.try_get("bill_count")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Records that a bill goes to the bank for the payment, with the masked card and mobile
    /// (a bill sent again, with the same or another card, replaces them). The counts stay.
    /// Counts a bill and records its card and mobile (masked), unless the payment has asked
    /// for `max_bills` already: then `None`, and nothing changes. The count and the check are
    /// one statement, so concurrent bills cannot pass the limit together. `Some`: this bill's
    /// number.
    pub async fn start_kcode(
        &self,
        payment_id: &str,
        card_masked: &str,
        mobile_masked: &str,
        max_bills: i64,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "INSERT INTO kcode_payments (payment_id, card_masked, mobile_masked, status, bill_count, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) \
             ON CONFLICT (payment_id) DO UPDATE SET card_masked = excluded.card_masked, \
             mobile_masked = excluded.mobile_masked, status = excluded.status, \
             bill_count = kcode_payments.bill_count + 1, updated_at = excluded.updated_at \
             WHERE kcode_payments.bill_count < $6 RETURNING bill_count",
        )
        .bind(payment_id)
        .bind(card_masked)
        .bind(mobile_masked)
        .bind(KcodeStatus::Sending.as_str())
        .bind(now_ms)
        .bind(max_bills)
        .fetch_optional(&self.write)
        .await?;
        row.map(|row| row.try_get("bill_count").map_err(StoreError::from))
            .transpose()
    }

    pub async fn kcode_record(&self, payment_id: &str) -> Result<Option<KcodeRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM kcode_payments WHERE payment_id = $1"
        ))
        .bind(payment_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Sets where the code stands. `CodeSent` also dates the code now valid.
    pub async fn set_kcode_status(
        &self,
        payment_id: &str,
        status: KcodeStatus,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = if status == KcodeStatus::CodeSent {
            "UPDATE kcode_payments SET status = $2, code_sent_at = $3, last_sent_at = $3, updated_at = $3 \
             WHERE payment_id = $1"
        } else {
            "UPDATE kcode_payments SET status = $2, updated_at = $3 WHERE payment_id = $1"
        };
        sqlx::query(sql)
            .bind(payment_id)
            .bind(status.as_str())
            .bind(now_ms)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Counts a resend if one is allowed now: at most `max_resends`, each at least
    /// `min_interval_ms` after the code before it was asked for. Checked and counted in one
    /// statement, so racing resends cannot both pass.
    pub async fn reserve_kcode_resend(
        &self,
        payment_id: &str,
        now_ms: i64,
        min_interval_ms: i64,
        max_resends: i64,
    ) -> Result<ResendReservation, StoreError> {
        let reserved = sqlx::query(
            "UPDATE kcode_payments SET resend_count = resend_count + 1, last_sent_at = $2, updated_at = $2 \
             WHERE payment_id = $1 AND status = $3 AND resend_count < $4 \
             AND (last_sent_at IS NULL OR last_sent_at <= $5)",
        )
        .bind(payment_id)
        .bind(now_ms)
        .bind(KcodeStatus::CodeSent.as_str())
        .bind(max_resends)
        .bind(now_ms.saturating_sub(min_interval_ms))
        .execute(&self.write)
        .await?;
        if reserved.rows_affected() == 1 {
            return Ok(ResendReservation::Reserved);
        }
        let Some(record) = self.kcode_record(payment_id).await? else {
            return Ok(ResendReservation::NotAwaitingCode);
        };
        Ok(if !record.status.awaits_code() {
            ResendReservation::NotAwaitingCode
        } else if record.resend_count >= max_resends {
            ResendReservation::LimitReached
        } else {
            let last = record.last_sent_at.unwrap_or(now_ms);
            ResendReservation::TooSoon {
                retry_after_ms: (last + min_interval_ms - now_ms).max(1),
            }
        })
    }

    /// Counts a wrong code; returns the wrong codes counted so far.
    pub async fn count_kcode_wrong_attempt(
        &self,
        payment_id: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "UPDATE kcode_payments SET wrong_attempts = wrong_attempts + 1, updated_at = $2 \
             WHERE payment_id = $1 RETURNING wrong_attempts",
        )
        .bind(payment_id)
        .bind(now_ms)
        .fetch_optional(&self.write)
        .await?;
        match row {
            Some(row) => Ok(row.try_get("wrong_attempts")?),
            None => Err(StoreError::Corrupt(format!(
                "payment {payment_id} has no K-code record"
            ))),
        }
    }
}
