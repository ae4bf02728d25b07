//! Reconciliation's storage: our side of a day read into the engine's compact table, each day's
//! summary, and the differences (items) with their workflow: `open` for an operator, `held`
//! while a cross-day record may still turn up, `fixed` when unipay settled it itself, and
//! `resolved` when an operator decided it (with the ledger adjustment and the audit entry in
//! the same transaction).

mod save;

use crate::audit::{self, AuditEntry};
use crate::day_reader::{DayPart, DayQuery, read_day};
use crate::{Store, StoreError, ledger};
use sqlx::Row;
use sqlx::any::AnyRow;
use unipay_core::ledger::JournalEntry;
use unipay_core::recon::{PlatformStatus, PlatformTable};
use unipay_core::statement::TxnKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Open,
    Held,
    Fixed,
    Resolved,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::Held => "held",
            ItemStatus::Fixed => "fixed",
            ItemStatus::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<ItemStatus> {
        [
            ItemStatus::Open,
            ItemStatus::Held,
            ItemStatus::Fixed,
            ItemStatus::Resolved,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// Still waiting for something: blocks settlement of its date.
    pub fn is_pending(self) -> bool {
        matches!(self, ItemStatus::Open | ItemStatus::Held)
    }
}

/// A difference as the reconciler hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReconItem {
    pub class: String,
    pub kind: TxnKind,
    pub order_no: String,
    pub payment_id: Option<String>,
    pub bank_amount: Option<i64>,
    pub bank_fee: Option<i64>,
    pub bank_serial: Option<String>,
    pub bank_line_no: Option<i64>,
    pub platform_amount: Option<i64>,
    pub platform_fee: Option<i64>,
    pub platform_status: Option<String>,
    pub status: ItemStatus,
    pub hold_until: Option<String>,
    pub resolution: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconItem {
    pub id: String,
    pub channel_account_id: String,
    pub accounting_date: String,
    pub class: String,
    pub kind: String,
    pub order_no: String,
    pub payment_id: Option<String>,
    pub bank_amount: Option<i64>,
    pub bank_fee: Option<i64>,
    pub bank_serial: Option<String>,
    pub bank_line_no: Option<i64>,
    pub platform_amount: Option<i64>,
    pub platform_fee: Option<i64>,
    pub platform_status: Option<String>,
    pub status: ItemStatus,
    pub hold_until: Option<String>,
    pub resolution: Option<String>,
    pub note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Both sides' figures of one channel account's day, as the last run found them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconDay {
    pub channel_account_id: String,
    pub accounting_date: String,
    pub statement_id: String,
    pub bank_payments: i64,
    pub bank_payments_fen: i64,
    pub bank_refunds: i64,
    pub bank_refunds_fen: i64,
    pub bank_fees_fen: i64,
    pub platform_payments: i64,
    pub platform_payments_fen: i64,
    pub platform_refunds: i64,
    pub platform_refunds_fen: i64,
    pub platform_fees_fen: i64,
    pub matched: i64,
    pub matched_fen: i64,
    pub unreadable_lines: i64,
    pub runs: i64,
    pub ran_at: i64,
}

/// Which items to list; every field narrows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemFilter<'a> {
    pub accounting_date: Option<&'a str>,
    pub channel_account_id: Option<&'a str>,
    /// Only `open` and `held` items.
    pub pending_only: bool,
}

/// An operator's decision on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Our books move to the bank's figures (an adjustment entry).
    BankWins,
    /// The bank is wrong; our books stand (no entry), the bank is to be chased.
    PlatformWins,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::BankWins => "bank_wins",
            Decision::PlatformWins => "platform_wins",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Resolve<'a> {
    pub item_id: &'a str,
    pub decision: Decision,
    pub note: &'a str,
    pub actor: &'a str,
    pub from_address: &'a str,
    /// The adjustment a bank-wins decision posts (none when there is nothing to move).
    pub entry: Option<&'a JournalEntry>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveOutcome {
    Resolved(ReconItem),
    /// Already fixed or resolved: nothing changed.
    NotPending(ReconItem),
    NotFound,
}

/// Our side of a day: (kind, the number the bank knows it by, amount, the fee we expect the
/// bank to charge). A captured pre-authorization is a payment of its captured amount (its
/// `bank_fee` is that of the capture); a successful refund is a record of its own under its
/// own bank number (`refund_no`), dated by its own accounting date, with no bank fee (the
/// bank's fee is never returned).
const PLATFORM_DAY: [DayPart<'static>; 2] = [
    DayPart {
        kind: "payment",
        table: "payments",
        number: "order_no",
        amount: "COALESCE(captured_amount, amount)",
        fee: "bank_fee",
        filter: "status = 'succeeded'",
    },
    DayPart {
        kind: "refund",
        table: "refunds",
        number: "refund_no",
        amount: "amount",
        fee: "0",
        filter: "status = 'succeeded'",
    },
];

pub(crate) const ITEM_COLUMNS: &str = "id, channel_account_id, accounting_date, class, kind, order_no, payment_id, bank_amount, \
     bank_fee, bank_serial, bank_line_no, platform_amount, platform_fee, platform_status, status, hold_until, \
     resolution, note, resolved_by, resolved_at, created_at, updated_at";

fn item_from_row(r: &AnyRow) -> Result<ReconItem, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(ReconItem {
        id: r.try_get("id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        accounting_date: r.try_get("accounting_date")?,
        class: r.try_get("class")?,
        kind: r.try_get("kind")?,
        order_no: r.try_get("order_no")?,
        payment_id: r.try_get("payment_id")?,
        bank_amount: r.try_get("bank_amount")?,
        bank_fee: r.try_get("bank_fee")?,
        bank_serial: r.try_get("bank_serial")?,
        bank_line_no: r.try_get("bank_line_no")?,
        platform_amount: r.try_get("platform_amount")?,
        platform_fee: r.try_get("platform_fee")?,
        platform_status: r.try_get("platform_status")?,
        status: ItemStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("recon item status {status:?}")))?,
        hold_until: r.try_get("hold_until")?,
        resolution: r.try_get("resolution")?,
        note: r.try_get("note")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) const DAY_COLUMNS: &str = "channel_account_id, accounting_date, statement_id, bank_payments, bank_payments_fen, \
     bank_refunds, bank_refunds_fen, bank_fees_fen, platform_payments, platform_payments_fen, platform_refunds, \
     platform_refunds_fen, platform_fees_fen, matched, matched_fen, unreadable_lines, runs, ran_at";

fn day_from_row(r: &AnyRow) -> Result<ReconDay, StoreError> {
    Ok(ReconDay {
        channel_account_id: r.try_get("channel_account_id")?,
        accounting_date: r.try_get("accounting_date")?,
        statement_id: r.try_get("statement_id")?,
        bank_payments: r.try_get("bank_payments")?,
        bank_payments_fen: r.try_get("bank_payments_fen")?,
        bank_refunds: r.try_get("bank_refunds")?,
        bank_refunds_fen: r.try_get("bank_refunds_fen")?,
        bank_fees_fen: r.try_get("bank_fees_fen")?,
        platform_payments: r.try_get("platform_payments")?,
        platform_payments_fen: r.try_get("platform_payments_fen")?,
        platform_refunds: r.try_get("platform_refunds")?,
        platform_refunds_fen: r.try_get("platform_refunds_fen")?,
        platform_fees_fen: r.try_get("platform_fees_fen")?,
        matched: r.try_get("matched")?,
        matched_fen: r.try_get("matched_fen")?,
        unreadable_lines: r.try_get("unreadable_lines")?,
        runs: r.try_get("runs")?,
        ran_at: r.try_get("ran_at")?,
    })
}

impl Store {
    /// Streams our successful payments and refunds of one channel account's accounting date
    /// into `table` (one compact row each, no object per row); returns how many were read.
    pub async fn load_platform_day(
        &self,
        channel_account_id: &str,
        accounting_date: &str,
        table: &mut PlatformTable,
    ) -> Result<u64, StoreError> {
        let query = DayQuery {
            parts: &PLATFORM_DAY,
            channel_account_id,
            accounting_date,
        };
        read_day(self, &query, |kind, number, amount, fee| {
            let kind = TxnKind::parse(kind)
                .ok_or_else(|| StoreError::Corrupt(format!("record kind {kind:?}")))?;
            table
                .push(kind, number, amount, fee, PlatformStatus::Succeeded)
                .map(|_| ())
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .await
    }

    pub async fn recon_day(
        &self,
        channel_account_id: &str,
        accounting_date: &str,
    ) -> Result<Option<ReconDay>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DAY_COLUMNS} FROM recon_days WHERE channel_account_id = $1 AND accounting_date = $2"
        ))
        .bind(channel_account_id)
        .bind(accounting_date)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| day_from_row(&r)).transpose()
    }

    pub async fn list_recon_days(
        &self,
        accounting_date: Option<&str>,
    ) -> Result<Vec<ReconDay>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DAY_COLUMNS} FROM recon_days WHERE ($1 = '' OR accounting_date = $1) \
             ORDER BY accounting_date DESC, channel_account_id"
        ))
        .bind(accounting_date.unwrap_or(""))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(day_from_row).collect()
    }

    pub async fn list_recon_items(
        &self,
        filter: &ItemFilter<'_>,
    ) -> Result<Vec<ReconItem>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM recon_items WHERE ($1 = '' OR accounting_date = $1) \
             AND ($2 = '' OR channel_account_id = $2) AND ($3 = 0 OR status IN ('open', 'held')) \
             ORDER BY accounting_date, channel_account_id, class, bank_line_no, order_no"
        ))
        .bind(filter.accounting_date.unwrap_or(""))
        .bind(filter.channel_account_id.unwrap_or(""))
        .bind(i64::from(filter.pending_only))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(item_from_row).collect()
    }

    pub async fn get_recon_item(&self, id: &str) -> Result<Option<ReconItem>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM recon_items WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| item_from_row(&r)).transpose()
    }

    /// Marks a pending item fixed by unipay itself (a success confirmed by query, a record
    /// found in a later statement). `false` when it was not pending.
    pub async fn fix_recon_item(
        &self,
        id: &str,
        resolution: &str,
        note: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recon_items SET status = 'fixed', resolution = $1, note = $2, resolved_by = 'system', \
             resolved_at = $3, updated_at = $3 WHERE id = $4 AND status IN ('open', 'held')",
        )
        .bind(resolution)
        .bind(note)
        .bind(now_ms)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The held (cross-day) item of a channel account for a record, from any date.
    pub async fn held_item_for(
        &self,
        channel_account_id: &str,
        kind: TxnKind,
        order_no: &str,
    ) -> Result<Option<ReconItem>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM recon_items WHERE channel_account_id = $1 AND kind = $2 AND order_no = $3 \
             AND class = 'platform_only' ORDER BY accounting_date DESC LIMIT 1"
        ))
        .bind(channel_account_id)
        .bind(kind.as_str())
        .bind(order_no)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| item_from_row(&r)).transpose()
    }

    /// Held items whose last day to turn up has come without them: now differences for an
    /// operator. Returns how many were opened.
    pub async fn open_expired_holds(
        &self,
        channel_account_id: &str,
        through_date: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE recon_items SET status = 'open', updated_at = $1 \
             WHERE channel_account_id = $2 AND status = 'held' AND hold_until <= $3",
        )
        .bind(now_ms)
        .bind(channel_account_id)
        .bind(through_date)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected())
    }

    /// An operator's decision: the item, its adjustment entry and the audit record commit
    /// together, and only if the item is still pending (two operators cannot both decide).
    pub async fn resolve_recon_item(
        &self,
        resolve: &Resolve<'_>,
    ) -> Result<ResolveOutcome, StoreError> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE recon_items SET status = 'resolved', resolution = $1, note = $2, resolved_by = $3, \
             resolved_at = $4, updated_at = $4 WHERE id = $5 AND status IN ('open', 'held')",
        )
        .bind(resolve.decision.as_str())
        .bind(resolve.note)
        .bind(resolve.actor)
        .bind(resolve.now_ms)
        .bind(resolve.item_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM recon_items WHERE id = $1"
        ))
        .bind(resolve.item_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(ResolveOutcome::NotFound);
        };
        let item = item_from_row(&row)?;
        if updated.rows_affected() == 0 {
            return Ok(ResolveOutcome::NotPending(item));
        }
        let mut detail = format!(
            "{} on {} {} ({}): {}",
            resolve.decision.as_str(),
            item.class,
            item.order_no,
            item.accounting_date,
            resolve.note
        );
        if let Some(entry) = resolve.entry
            && let Some(entry_id) = ledger::post(&mut tx, entry, resolve.now_ms).await?
        {
            detail.push_str(&format!("; adjustment entry {entry_id}"));
        }
        audit::record(
            &mut tx,
            &AuditEntry {
                actor: resolve.actor,
                action: "recon.resolve",
                target: &item.id,
                detail: &detail,
                from_address: resolve.from_address,
                outcome: "ok",
                now_ms: resolve.now_ms,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ResolveOutcome::Resolved(item))
    }
}
