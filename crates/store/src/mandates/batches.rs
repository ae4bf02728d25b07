//! Debit batches: up to 10,000 debits in one request. Every line is judged in the create
//! transaction (its mandate, its out_trade_no); a batch with a bad line is refused whole. An
//! accepted batch is one payment per line, already `pending` (the bank gets the batch right
//! after the commit, and the janitor sends it again if that answer is lost). Each line's result
//! goes through the payment state change like any payment's.

use super::Mandate;
use super::debits::{link, lock_mandate};
use crate::db::sql_states;
use crate::idempotency::{self, IdempotencyRequest};
use crate::messages::{InboundMessage, keep_message};
use crate::nonces::NonceUse;
use crate::payments::{
    CreatePayment, Idempotent, NewEvent, NewPayment, insert_event_row, insert_payment,
};
use crate::{Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};
use unipay_core::bank_batch::BankBatchEvent;
use unipay_core::event::EventSource;
use unipay_core::mandate::{DebitRefusal, MandateTerms, check_debit};
use unipay_core::payment::PaymentStatus;

/// A debit batch moves by core's bank batch table (`unipay_core::bank_batch`).
pub use unipay_core::bank_batch::BankBatchStatus as DebitBatchStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitBatch {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_batch_no: String,
    pub batch_no: String,
    pub status: DebitBatchStatus,
    pub line_count: i64,
    pub total_amount: i64,
    pub batch_date: Option<String>,
    pub batch_time: Option<String>,
    pub serial_number: Option<String>,
    pub reason: Option<String>,
    pub next_query_at: Option<i64>,
    pub query_attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

pub(crate) const BATCH_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, out_batch_no, batch_no, status, \
     line_count, total_amount, batch_date, batch_time, serial_number, reason, next_query_at, query_attempts, \
     created_at, updated_at, finished_at";

pub(crate) fn batch_from_row(r: &AnyRow) -> Result<DebitBatch, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(DebitBatch {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        out_batch_no: r.try_get("out_batch_no")?,
        batch_no: r.try_get("batch_no")?,
        status: DebitBatchStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("debit batch status {status:?}")))?,
        line_count: r.try_get("line_count")?,
        total_amount: r.try_get("total_amount")?,
        batch_date: r.try_get("batch_date")?,
        batch_time: r.try_get("batch_time")?,
        serial_number: r.try_get("serial_number")?,
        reason: r.try_get("reason")?,
        next_query_at: r.try_get("next_query_at")?,
        query_attempts: r.try_get("query_attempts")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// One line asked for: the mandate and the payment it becomes.
#[derive(Debug, Clone)]
pub struct NewDebitLine {
    pub mandate_id: String,
    pub payment: NewPayment,
}

#[derive(Debug, Clone)]
pub struct NewDebitBatch {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_batch_no: String,
    pub batch_no: String,
    pub lines: Vec<NewDebitLine>,
    /// When the janitor looks at the batch first (sends it again if its answer was lost).
    pub next_query_at: i64,
    /// When the payment janitor asks about a line by itself, should the batch never tell.
    pub line_query_at: i64,
    /// `YYYY-MM-DD` (Beijing): mandates past their last day refuse their lines.
    pub today: String,
    pub created_at: i64,
}

/// Why a line cannot be debited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    MandateNotFound,
    Refused(DebitRefusal),
    /// Another payment of the app has this out_trade_no.
    OutTradeNoTaken {
        payment_id: String,
    },
    /// An earlier line of the batch has the same out_trade_no.
    OutTradeNoRepeated {
        first_line: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based.
    pub line: usize,
    pub problem: LineProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateDebitBatch {
    Created(DebitBatch),
    Duplicate(DebitBatch),
    /// Some lines cannot be debited: nothing was created.
    LinesRejected(Vec<LineError>),
}

/// A line as the batch shows it: the payment's state and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitBatchLine {
    pub seq_no: i64,
    pub payment_id: String,
    pub mandate_id: String,
    pub agent_sign_no: String,
    pub out_trade_no: String,
    pub order_no: String,
    pub amount: i64,
    pub status: PaymentStatus,
    pub version: i64,
    pub channel_trade_no: Option<String>,
    pub failure_reason: Option<String>,
}

impl Store {
    pub async fn create_debit_batch(
        &self,
        new: &NewDebitBatch,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: &(dyn Fn(&CreateDebitBatch) -> (u16, String) + Send + Sync),
    ) -> Result<Idempotent<CreateDebitBatch>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(answer) =
            idempotency::open_request(&mut tx, nonce, idempotency, new.created_at).await?
        {
            return Ok(answer);
        }
        let existing = sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM debit_batches WHERE app_id = $1 AND out_batch_no = $2"
        ))
        .bind(&new.app_id)
        .bind(&new.out_batch_no)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = if let Some(row) = existing {
            CreateDebitBatch::Duplicate(batch_from_row(&row)?)
        } else {
            let errors = self.judge_lines(&mut tx, new).await?;
            if errors.is_empty() {
                CreateDebitBatch::Created(insert_batch(&mut tx, new).await?)
            } else {
                CreateDebitBatch::LinesRejected(errors)
            }
        };
        idempotency::close_request(&mut tx, idempotency, || render(&outcome)).await?;
        tx.commit().await?;
        Ok(Idempotent::Fresh(outcome))
    }

    async fn judge_lines(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        new: &NewDebitBatch,
    ) -> Result<Vec<LineError>, StoreError> {
        let mut mandates: HashMap<&str, Option<Mandate>> = HashMap::new();
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(new.lines.len());
        let mut errors = Vec::new();
        let out_trade_nos: Vec<&str> = new
            .lines
            .iter()
            .map(|l| l.payment.out_trade_no.as_str())
            .collect();
        let taken = taken_out_trade_nos(tx, &new.app_id, &out_trade_nos).await?;
        for (index, line) in new.lines.iter().enumerate() {
            let n = index + 1;
            let problem = if let Some(first) = seen.get(line.payment.out_trade_no.as_str()) {
                Some(LineProblem::OutTradeNoRepeated { first_line: *first })
            } else if let Some(payment_id) = taken.get(line.payment.out_trade_no.as_str()) {
                Some(LineProblem::OutTradeNoTaken {
                    payment_id: payment_id.clone(),
                })
            } else {
                if !mandates.contains_key(line.mandate_id.as_str()) {
                    let mandate = lock_mandate(tx, self.lock_row(), &line.mandate_id)
                        .await?
                        .filter(|m| m.app_id == new.app_id);
                    mandates.insert(&line.mandate_id, mandate);
                }
                match mandates
                    .get(line.mandate_id.as_str())
                    .and_then(|m| m.as_ref())
                {
                    None => Some(LineProblem::MandateNotFound),
                    Some(mandate) => {
                        let terms = MandateTerms {
                            status: mandate.status,
                            expires_on: &mandate.expires_on,
                            max_amount_per_debit: mandate.max_amount_per_debit,
                        };
                        check_debit(&terms, line.payment.amount, &new.today)
                            .err()
                            .map(LineProblem::Refused)
                    }
                }
            };
            seen.entry(line.payment.out_trade_no.as_str()).or_insert(n);
            if let Some(problem) = problem {
                errors.push(LineError { line: n, problem });
            }
        }
        Ok(errors)
    }

    pub async fn get_debit_batch(&self, id: &str) -> Result<Option<DebitBatch>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM debit_batches WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| batch_from_row(&r)).transpose()
    }

    /// The batch's lines in SeqNo order, as their payments stand.
    pub async fn debit_batch_lines(
        &self,
        batch_id: &str,
    ) -> Result<Vec<DebitBatchLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.seq_no, d.payment_id, d.mandate_id, d.failure_reason, m.agent_sign_no, p.out_trade_no, \
             p.order_no, p.amount, p.status, p.version, p.channel_trade_no FROM mandate_debits d \
             JOIN payments p ON p.id = d.payment_id JOIN mandates m ON m.id = d.mandate_id \
             WHERE d.batch_id = $1 ORDER BY d.seq_no",
        )
        .bind(batch_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let agent_sign_no: Option<String> = r.try_get("agent_sign_no")?;
                Ok(DebitBatchLine {
                    seq_no: r.try_get("seq_no")?,
                    payment_id: r.try_get("payment_id")?,
                    mandate_id: r.try_get("mandate_id")?,
                    agent_sign_no: agent_sign_no.unwrap_or_default(),
                    out_trade_no: r.try_get("out_trade_no")?,
                    order_no: r.try_get("order_no")?,
                    amount: r.try_get("amount")?,
                    status: PaymentStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("payment status {status:?}")))?,
                    version: r.try_get("version")?,
                    channel_trade_no: r.try_get("channel_trade_no")?,
                    failure_reason: r.try_get("failure_reason")?,
                })
            })
            .collect()
    }

    /// Keeps why a batch line failed, for the batch's view.
    pub async fn set_debit_failure_reason(
        &self,
        payment_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE mandate_debits SET failure_reason = $1 WHERE payment_id = $2")
            .bind(reason)
            .bind(payment_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The bank took the batch: how it names it, and when to ask about its lines.
    pub async fn record_debit_batch_accepted(
        &self,
        batch_id: &str,
        serial_number: &str,
        batch_date: &str,
        batch_time: &str,
        next_query_at: i64,
        message: Option<&InboundMessage<'_>>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(message) = message {
            keep_message(&mut tx, message).await?;
        }
        let step = BankBatchEvent::Accepted.step();
        let sql = format!(
            "UPDATE debit_batches SET status = '{}', serial_number = $1, batch_date = $2, batch_time = $3, \
             next_query_at = $4, updated_at = $5 WHERE id = $6 AND status IN ({})",
            step.to.as_str(),
            sql_states(step.from, DebitBatchStatus::as_str)
        );
        sqlx::query(&sql)
            .bind(serial_number)
            .bind(batch_date)
            .bind(batch_time)
            .bind(next_query_at)
            .bind(now_ms)
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a batch: `finished` (every line final) or `rejected` (the bank refused it whole).
    pub async fn end_debit_batch(
        &self,
        batch_id: &str,
        status: DebitBatchStatus,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE debit_batches SET status = $1, reason = $2, next_query_at = NULL, updated_at = $3, \
             finished_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(now_ms)
        .bind(batch_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn claim_due_debit_batches(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<DebitBatch>, StoreError> {
        self.lease_due(
            "debit_batches",
            "next_query_at",
            BATCH_COLUMNS,
            batch_from_row,
            now_ms,
            limit,
            lease_ms,
        )
        .await
    }

    pub async fn schedule_next_debit_batch_query(
        &self,
        batch_id: &str,
        next_query_at: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE debit_batches SET next_query_at = $1, query_attempts = query_attempts + 1 \
             WHERE id = $2 AND status IN ({})",
            sql_states(DebitBatchStatus::OPEN, DebitBatchStatus::as_str)
        );
        sqlx::query(&sql)
            .bind(next_query_at)
            .bind(batch_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

/// Which of `out_trade_nos` the app already used, and for which payment.
async fn taken_out_trade_nos(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    app_id: &str,
    out_trade_nos: &[&str],
) -> Result<HashMap<String, String>, StoreError> {
    let mut taken = HashMap::new();
    let unique: Vec<&str> = out_trade_nos
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in unique.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, out_trade_no FROM payments WHERE app_id = $1 AND out_trade_no IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(app_id);
        for no in chunk {
            query = query.bind(*no);
        }
        for row in query.fetch_all(&mut **tx).await? {
            taken.insert(row.try_get("out_trade_no")?, row.try_get("id")?);
        }
    }
    Ok(taken)
}

async fn insert_batch(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewDebitBatch,
) -> Result<DebitBatch, StoreError> {
    let total: i64 = new.lines.iter().map(|l| l.payment.amount).sum();
    let sql = format!(
        "INSERT INTO debit_batches (id, app_id, merchant_id, channel_account_id, out_batch_no, batch_no, status, \
         line_count, total_amount, next_query_at, query_attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, \
         $5, $6, 'created', $7, $8, $9, 0, $10, $10) RETURNING {BATCH_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(&new.id)
        .bind(&new.app_id)
        .bind(&new.merchant_id)
        .bind(&new.channel_account_id)
        .bind(&new.out_batch_no)
        .bind(&new.batch_no)
        .bind(i64::try_from(new.lines.len()).unwrap_or(i64::MAX))
        .bind(total)
        .bind(new.next_query_at)
        .bind(new.created_at)
        .fetch_one(&mut **tx)
        .await?;
    let batch = batch_from_row(&row)?;
    for (index, line) in new.lines.iter().enumerate() {
        let payment = match insert_payment(tx, &line.payment).await? {
            CreatePayment::Created(payment) => payment,
            CreatePayment::Duplicate(_) => return Err(StoreError::Conflict),
        };
        // Sent with the batch right after this commit: pending, as a cashier's payment is
        // once its PayReq is on its way.
        sqlx::query(
            "UPDATE payments SET status = 'pending', version = version + 1, payment_type = 'mandate', \
             next_query_at = $1 WHERE id = $2",
        )
        .bind(new.line_query_at)
        .bind(&payment.id)
        .execute(&mut **tx)
        .await?;
        insert_event_row(
            tx,
            &NewEvent {
                payment_id: &payment.id,
                kind: "request_sent",
                source: EventSource::Api,
                from: Some(PaymentStatus::Created),
                to: Some(PaymentStatus::Pending),
                detail: &batch.batch_no,
                raw_sha256: None,
                now_ms: new.created_at,
            },
        )
        .await?;
        let seq_no = i64::try_from(index + 1).unwrap_or(i64::MAX);
        link(
            tx,
            &payment.id,
            &line.mandate_id,
            Some(&batch.id),
            Some(seq_no),
        )
        .await?;
    }
    Ok(batch)
}
