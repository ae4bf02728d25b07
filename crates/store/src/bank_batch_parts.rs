//! The parts a batch of ours goes to the bank in: each a bank batch of its own (the bank takes
//! no request over 8,000 bytes), with its own number, lines, and acceptance or refusal. Refund
//! batches and debit batches use them alike; `batch_id` is the batch's own id.
//!
//! Parts are planned once, before the first is sent ([`Store::plan_bank_batch_parts`] keeps the
//! first plan written), so that a resend after a lost answer repeats the same part under the
//! same number and the bank can tell it is the same.

use crate::{Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartStatus {
    /// Not (known to be) taken by the bank yet: to be sent, or sent again.
    Created,
    /// Taken: its lines are asked for by its names.
    Accepted,
    /// Refused as a whole: its lines fail.
    Rejected,
}

impl PartStatus {
    fn as_str(self) -> &'static str {
        match self {
            PartStatus::Created => "created",
            PartStatus::Accepted => "accepted",
            PartStatus::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Result<PartStatus, StoreError> {
        Ok(match text {
            "created" => PartStatus::Created,
            "accepted" => PartStatus::Accepted,
            "rejected" => PartStatus::Rejected,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "bank batch part status {other:?}"
                )));
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankBatchPart {
    pub batch_id: String,
    /// From 1.
    pub part_no: i64,
    pub bank_batch_no: String,
    /// The batch's lines `first_seq..=last_seq` are this part's.
    pub first_seq: i64,
    pub last_seq: i64,
    pub status: PartStatus,
    pub serial_number: Option<String>,
    /// `YYYY-MM-DD` and `HH:MM:SS` as the bank took it.
    pub batch_date: Option<String>,
    pub batch_time: Option<String>,
    /// Why the bank refused it.
    pub reason: Option<String>,
}

impl BankBatchPart {
    pub fn holds(&self, seq_no: i64) -> bool {
        (self.first_seq..=self.last_seq).contains(&seq_no)
    }
}

/// One part of a plan: its bank number and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPart {
    pub bank_batch_no: String,
    pub first_seq: i64,
    pub last_seq: i64,
}

const COLUMNS: &str = "batch_id, part_no, bank_batch_no, first_seq, last_seq, status, serial_number, \
     batch_date, batch_time, reason";

fn part_from_row(r: &AnyRow) -> Result<BankBatchPart, StoreError> {
    Ok(BankBatchPart {
        batch_id: r.try_get("batch_id")?,
        part_no: r.try_get("part_no")?,
        bank_batch_no: r.try_get("bank_batch_no")?,
        first_seq: r.try_get("first_seq")?,
        last_seq: r.try_get("last_seq")?,
        status: PartStatus::parse(&r.try_get::<String, _>("status")?)?,
        serial_number: r.try_get("serial_number")?,
        batch_date: r.try_get("batch_date")?,
        batch_time: r.try_get("batch_time")?,
        reason: r.try_get("reason")?,
    })
}

impl Store {
    /// The batch's parts in order; empty before they are planned.
    pub async fn bank_batch_parts(&self, batch_id: &str) -> Result<Vec<BankBatchPart>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM bank_batch_parts WHERE batch_id = $1 ORDER BY part_no"
        ))
        .bind(batch_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(part_from_row).collect()
    }

    /// Writes the plan unless one is written already (another node planned first, or this is a
    /// later look), and answers with the plan that stands.
    pub async fn plan_bank_batch_parts(
        &self,
        batch_id: &str,
        plan: &[PlannedPart],
        now_ms: i64,
    ) -> Result<Vec<BankBatchPart>, StoreError> {
        let mut tx = self.write.begin().await?;
        let existing: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM bank_batch_parts WHERE batch_id = $1")
                .bind(batch_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if existing == 0 {
            for (index, part) in plan.iter().enumerate() {
                let part_no = i64::try_from(index + 1)
                    .map_err(|e| StoreError::Corrupt(format!("part number: {e}")))?;
                // Two nodes planning at once: the second's rows collide with the first's and
                // are dropped, so the first plan stands whole.
                sqlx::query(
                    "INSERT INTO bank_batch_parts (batch_id, part_no, bank_batch_no, first_seq, last_seq, \
                     status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'created', $6, $6) \
                     ON CONFLICT (batch_id, part_no) DO NOTHING",
                )
                .bind(batch_id)
                .bind(part_no)
                .bind(&part.bank_batch_no)
                .bind(part.first_seq)
                .bind(part.last_seq)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        self.bank_batch_parts(batch_id).await
    }

    /// The bank took the part (`created → accepted`); a part already decided is left alone.
    pub async fn record_bank_batch_part_accepted(
        &self,
        part: &BankBatchPart,
        serial_number: &str,
        batch_date: &str,
        batch_time: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE bank_batch_parts SET status = $1, serial_number = $2, batch_date = $3, batch_time = $4, \
             updated_at = $5 WHERE batch_id = $6 AND part_no = $7 AND status = 'created'",
        )
        .bind(PartStatus::Accepted.as_str())
        .bind(serial_number)
        .bind(batch_date)
        .bind(batch_time)
        .bind(now_ms)
        .bind(&part.batch_id)
        .bind(part.part_no)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The bank refused the part as a whole (`created → rejected`).
    pub async fn record_bank_batch_part_rejected(
        &self,
        part: &BankBatchPart,
        reason: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE bank_batch_parts SET status = $1, reason = $2, updated_at = $3 \
             WHERE batch_id = $4 AND part_no = $5 AND status = 'created'",
        )
        .bind(PartStatus::Rejected.as_str())
        .bind(reason)
        .bind(now_ms)
        .bind(&part.batch_id)
        .bind(part.part_no)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
