//! The file's form of the mandate book: signings (with their page tokens and AgentSignNos) and
//! debit batches with each line's outcome. Codes come back as the simulator's own constants.

use super::{PaymentRecord, payment_from, payment_record};
use crate::agent::book::{BatchLine, DebitBatch, MandateBook, SignStatus, Signing};
use crate::agent::{
    INSUFFICIENT_BALANCE, MANDATE_CANCELLED, MANDATE_EXPIRED, NO_MANDATE, SIGN_REFUSED,
};
use crate::codes;
use anyhow::Context;
use serde::{Deserialize, Serialize};

type Code = (&'static str, &'static str);

/// Every code a signing or a debit line can fail with.
const CODES: [Code; 7] = [
    SIGN_REFUSED,
    NO_MANDATE,
    MANDATE_CANCELLED,
    MANDATE_EXPIRED,
    INSUFFICIENT_BALANCE,
    codes::DUPLICATE_ORDER,
    codes::ORDER_NOT_FOUND,
];

fn code_from(code: &str) -> anyhow::Result<Code> {
    CODES
        .into_iter()
        .find(|known| known.0 == code)
        .with_context(|| format!("unknown code {code:?}"))
}

fn status_from(code: &str) -> anyhow::Result<SignStatus> {
    [
        SignStatus::Pending,
        SignStatus::Active,
        SignStatus::Failed,
        SignStatus::Cancelled,
    ]
    .into_iter()
    .find(|status| status.code() == code)
    .with_context(|| format!("unknown signing status {code:?}"))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandatesRecord {
    signings: Vec<SigningRecord>,
    batches: Vec<BatchRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SigningRecord {
    merchant_id: String,
    order_no: String,
    token: String,
    card_type: String,
    certificate_type: String,
    certificate_masked: String,
    certificate_no: String,
    expired_date: String,
    payment_link_type: String,
    mer_custom_no: String,
    unsign_date: String,
    unsign_time: String,
    notify_type: String,
    notify_url: String,
    status: String,
    agent_sign_no: String,
    card_no: String,
    host_date: String,
    host_time: String,
    failure: Option<String>,
    notify_attempts: u32,
    notify_acknowledged: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRecord {
    merchant_id: String,
    batch_no: String,
    batch_date: String,
    batch_time: String,
    serial_number: String,
    host_date: String,
    host_time: String,
    total_fen: i64,
    lines: Vec<LineRecord>,
    due_ms: i64,
    processed: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineRecord {
    seq_no: String,
    agent_sign_no: String,
    order_no: String,
    amount_fen: i64,
    paid: Option<PaymentRecord>,
    failure: Option<String>,
}

fn signing_record(s: &Signing) -> SigningRecord {
    SigningRecord {
        merchant_id: s.merchant_id.clone(),
        order_no: s.order_no.clone(),
        token: s.token.clone(),
        card_type: s.card_type.clone(),
        certificate_type: s.certificate_type.clone(),
        certificate_masked: s.certificate_masked.clone(),
        certificate_no: s.certificate_no.clone(),
        expired_date: s.expired_date.clone(),
        payment_link_type: s.payment_link_type.clone(),
        mer_custom_no: s.mer_custom_no.clone(),
        unsign_date: s.unsign_date.clone(),
        unsign_time: s.unsign_time.clone(),
        notify_type: s.notify_type.clone(),
        notify_url: s.notify_url.clone(),
        status: s.status.code().to_string(),
        agent_sign_no: s.agent_sign_no.clone(),
        card_no: s.card_no.clone(),
        host_date: s.host_date.clone(),
        host_time: s.host_time.clone(),
        failure: s.failure.map(|code| code.0.to_string()),
        notify_attempts: s.notify_attempts,
        notify_acknowledged: s.notify_acknowledged,
    }
}

fn signing(r: SigningRecord) -> anyhow::Result<Signing> {
    Ok(Signing {
        status: status_from(&r.status)?,
        failure: r.failure.as_deref().map(code_from).transpose()?,
        merchant_id: r.merchant_id,
        order_no: r.order_no,
        token: r.token,
        card_type: r.card_type,
        certificate_type: r.certificate_type,
        certificate_masked: r.certificate_masked,
        certificate_no: r.certificate_no,
        expired_date: r.expired_date,
        payment_link_type: r.payment_link_type,
        mer_custom_no: r.mer_custom_no,
        unsign_date: r.unsign_date,
        unsign_time: r.unsign_time,
        notify_type: r.notify_type,
        notify_url: r.notify_url,
        agent_sign_no: r.agent_sign_no,
        card_no: r.card_no,
        host_date: r.host_date,
        host_time: r.host_time,
        notify_attempts: r.notify_attempts,
        notify_acknowledged: r.notify_acknowledged,
    })
}

fn batch_record(b: &DebitBatch) -> BatchRecord {
    BatchRecord {
        merchant_id: b.merchant_id.clone(),
        batch_no: b.batch_no.clone(),
        batch_date: b.batch_date.clone(),
        batch_time: b.batch_time.clone(),
        serial_number: b.serial_number.clone(),
        host_date: b.host_date.clone(),
        host_time: b.host_time.clone(),
        total_fen: b.total_fen,
        lines: b
            .lines
            .iter()
            .map(|line| LineRecord {
                seq_no: line.seq_no.clone(),
                agent_sign_no: line.agent_sign_no.clone(),
                order_no: line.order_no.clone(),
                amount_fen: line.amount_fen,
                paid: match &line.outcome {
                    Some(Ok(payment)) => Some(payment_record(payment)),
                    _ => None,
                },
                failure: match &line.outcome {
                    Some(Err(code)) => Some(code.0.to_string()),
                    _ => None,
                },
            })
            .collect(),
        due_ms: b.due_ms,
        processed: b.processed,
    }
}

fn batch(r: BatchRecord) -> anyhow::Result<DebitBatch> {
    let lines = r
        .lines
        .into_iter()
        .map(|line| {
            let outcome = match (line.paid, line.failure) {
                (Some(paid), None) => Some(Ok(payment_from(paid))),
                (None, Some(code)) => Some(Err(code_from(&code)?)),
                (None, None) => None,
                (Some(_), Some(_)) => anyhow::bail!("line {}: paid and failed", line.seq_no),
            };
            Ok(BatchLine {
                seq_no: line.seq_no,
                agent_sign_no: line.agent_sign_no,
                order_no: line.order_no,
                amount_fen: line.amount_fen,
                outcome,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(DebitBatch {
        merchant_id: r.merchant_id,
        batch_no: r.batch_no,
        batch_date: r.batch_date,
        batch_time: r.batch_time,
        serial_number: r.serial_number,
        host_date: r.host_date,
        host_time: r.host_time,
        total_fen: r.total_fen,
        lines,
        due_ms: r.due_ms,
        processed: r.processed,
    })
}

impl MandatesRecord {
    /// A stable order, so that an unchanged book gives the same text.
    pub fn of(book: &MandateBook) -> MandatesRecord {
        let mut signings: Vec<SigningRecord> = book.signings.values().map(signing_record).collect();
        signings.sort_by(|a, b| (&a.merchant_id, &a.order_no).cmp(&(&b.merchant_id, &b.order_no)));
        let mut batches: Vec<BatchRecord> = book.batches.values().map(batch_record).collect();
        batches.sort_by(|a, b| {
            (&a.merchant_id, &a.batch_date, &a.batch_no).cmp(&(
                &b.merchant_id,
                &b.batch_date,
                &b.batch_no,
            ))
        });
        MandatesRecord { signings, batches }
    }

    /// Puts the signings (with their indexes) and batches back into a fresh book.
    pub fn restore(self, book: &mut MandateBook) -> anyhow::Result<()> {
        for record in self.signings {
            let signing = signing(record).context("a signing")?;
            let key = (signing.merchant_id.clone(), signing.order_no.clone());
            book.by_token.insert(signing.token.clone(), key.clone());
            if !signing.agent_sign_no.is_empty() {
                book.by_sign_no.insert(
                    (signing.merchant_id.clone(), signing.agent_sign_no.clone()),
                    signing.order_no.clone(),
                );
            }
            book.signings.insert(key, signing);
        }
        for record in self.batches {
            let batch = batch(record).context("a debit batch")?;
            let key = (
                batch.merchant_id.clone(),
                batch.batch_no.clone(),
                batch.batch_date.clone(),
            );
            book.batches.insert(key, batch);
        }
        Ok(())
    }
}
