//! The ledger's storage: journal entries and their postings, written inside the transaction of
//! the change that causes them, and the read side (balances, trial balance, checks).
//! Entries are never updated or deleted (the database refuses it too); a correction is a new
//! reversing entry.

use crate::writer::{Arg, Writer, args};
use crate::{Store, StoreError};
use sqlx::Row;
use unipay_core::ids::new_id;
use unipay_core::ledger::{Account, EntryReason, JournalEntry, Posting};

/// Writes `entry` unless an entry with the same reason and cause exists: a cause posts once.
/// Returns the new entry's id, or `None` when it was posted before.
pub(crate) async fn post<W: Writer>(
    tx: &mut W,
    entry: &JournalEntry,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    let id = new_id("jnl", now_ms);
    let inserted = tx
        .execute(
            "INSERT INTO journal_entries (id, reason, cause_id, accounting_date, memo, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (reason, cause_id) DO NOTHING",
            args![
                &id,
                entry.reason.as_str(),
                &entry.cause_id,
                &entry.accounting_date,
                &entry.memo,
                now_ms,
            ],
        )
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    // One statement for all postings: an entry is written in two round trips, whatever its size.
    let mut sql = String::with_capacity(120 + entry.postings.len() * 40);
    sql.push_str(
        "INSERT INTO postings (entry_id, account, amount, currency, accounting_date, created_at) VALUES ",
    );
    let accounts: Vec<String> = entry.postings.iter().map(|p| p.account.id()).collect();
    let mut values: Vec<Arg<'_>> = args![&id, "CNY", &entry.accounting_date, now_ms].to_vec();
    for (index, (posting, account)) in entry.postings.iter().zip(&accounts).enumerate() {
        if index > 0 {
            sql.push_str(", ");
        }
        let base = index * 2 + 5;
        sql.push_str(&format!("($1, ${base}, ${}, $2, $3, $4)", base + 1));
        values.push(Arg::from(account));
        values.push(Arg::from(posting.amount));
    }
    tx.execute(&sql, &values).await?;
    Ok(Some(id))
}

/// A stored journal entry with its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub id: String,
    pub reason: EntryReason,
    pub cause_id: String,
    pub accounting_date: String,
    pub memo: String,
    pub created_at: i64,
    pub postings: Vec<Posting>,
}

/// One account's balance, debit-positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountBalance {
    pub account: String,
    pub balance: i64,
    pub debits: i64,
    pub credits: i64,
    pub postings: i64,
}

/// What `ledger check` found; empty problem lists mean the books hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerCheck {
    pub entries: i64,
    pub postings: i64,
    pub total_debits: i64,
    pub total_credits: i64,
    /// Entries whose postings do not sum to zero: (entry id, sum).
    pub unbalanced_entries: Vec<(String, i64)>,
    /// Successful payments whose postings do not match them: (payment id, what is wrong).
    pub payment_problems: Vec<(String, String)>,
}

impl LedgerCheck {
    pub fn holds(&self) -> bool {
        self.total_debits == self.total_credits
            && self.unbalanced_entries.is_empty()
            && self.payment_problems.is_empty()
    }
}

impl Store {
    /// Posts an entry on its own (an adjustment, a settlement step), once per reason and cause.
    pub async fn post_entry(
        &self,
        entry: &JournalEntry,
        now_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.write.begin().await?;
        let id = post(&mut tx, entry, now_ms).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every entry caused by `cause_id` (a payment, refund, batch or item), oldest first.
    pub async fn entries_for(&self, cause_id: &str) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.reason, e.cause_id, e.accounting_date, e.memo, e.created_at, p.account, p.amount \
             FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
             WHERE e.cause_id = $1 ORDER BY e.created_at, e.id, p.id",
        )
        .bind(cause_id)
        .fetch_all(&self.read)
        .await?;
        let mut entries: Vec<StoredEntry> = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let account: String = row.try_get("account")?;
            let posting = Posting {
                account: Account::parse(&account)
                    .ok_or_else(|| StoreError::Corrupt(format!("ledger account {account:?}")))?,
                amount: row.try_get("amount")?,
            };
            match entries.last_mut() {
                Some(last) if last.id == id => last.postings.push(posting),
                _ => {
                    let reason: String = row.try_get("reason")?;
                    entries.push(StoredEntry {
                        id,
                        reason: EntryReason::parse(&reason).ok_or_else(|| {
                            StoreError::Corrupt(format!("entry reason {reason:?}"))
                        })?,
                        cause_id: row.try_get("cause_id")?,
                        accounting_date: row.try_get("accounting_date")?,
                        memo: row.try_get("memo")?,
                        created_at: row.try_get("created_at")?,
                        postings: vec![posting],
                    });
                }
            }
        }
        Ok(entries)
    }

    /// Balances of every account (or those whose id starts with `prefix`), counting postings
    /// of accounting dates up to `as_of` (`YYYY-MM-DD`) when given.
    pub async fn ledger_balances(
        &self,
        prefix: Option<&str>,
        as_of: Option<&str>,
    ) -> Result<Vec<AccountBalance>, StoreError> {
        let rows = sqlx::query(
            "SELECT account, CAST(SUM(amount) AS BIGINT) AS balance, \
             CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT) AS debits, \
             CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT) AS credits, COUNT(*) AS postings \
             FROM postings WHERE substr(account, 1, CAST($3 AS INTEGER)) = $1 AND accounting_date <= $2 \
             GROUP BY account ORDER BY account",
        )
        .bind(prefix.unwrap_or(""))
        .bind(as_of.unwrap_or("9999-12-31"))
        .bind(prefix.map_or(0, |p| p.chars().count() as i64))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AccountBalance {
                    account: row.try_get("account")?,
                    balance: row.try_get("balance")?,
                    debits: row.try_get("debits")?,
                    credits: row.try_get("credits")?,
                    postings: row.try_get("postings")?,
                })
            })
            .collect()
    }

    /// The trial balance and the payment cross-check: every entry sums to zero, debits equal
    /// credits overall, and every successful payment has exactly one collection entry that
    /// debits the bank with its amount less the bank's fee and credits its merchant with its
    /// amount less our fee.
    pub async fn check_ledger(&self) -> Result<LedgerCheck, StoreError> {
        let mut check = LedgerCheck::default();
        let totals = sqlx::query(
            "SELECT COUNT(*) AS postings, CAST(COALESCE(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0) AS BIGINT) AS debits, \
             CAST(COALESCE(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END), 0) AS BIGINT) AS credits FROM postings",
        )
        .fetch_one(&self.read)
        .await?;
        check.postings = totals.try_get("postings")?;
        check.total_debits = totals.try_get("debits")?;
        check.total_credits = totals.try_get("credits")?;
        check.entries = sqlx::query("SELECT COUNT(*) AS n FROM journal_entries")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        let unbalanced = sqlx::query(
            "SELECT e.id, CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS total, COUNT(p.id) AS n FROM journal_entries e \
             LEFT JOIN postings p ON p.entry_id = e.id GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2",
        )
        .fetch_all(&self.read)
        .await?;
        for row in unbalanced {
            check
                .unbalanced_entries
                .push((row.try_get("id")?, row.try_get("total")?));
        }
        let payments = sqlx::query(
            "SELECT pay.id, COALESCE(pay.captured_amount, pay.amount) AS amount, pay.fee, pay.bank_fee, pay.merchant_id, pay.channel_account_id, \
             (SELECT COUNT(*) FROM journal_entries e WHERE e.cause_id = pay.id AND e.reason IN ('payment_succeeded', 'capture')) AS entries, \
             (SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
                WHERE e.cause_id = pay.id AND e.reason IN ('payment_succeeded', 'capture') AND p.account = 'bank_clearing:' || pay.channel_account_id) AS bank, \
             (SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
                WHERE e.cause_id = pay.id AND e.reason IN ('payment_succeeded', 'capture') AND p.account = 'merchant_payable:' || pay.merchant_id) AS merchant \
             FROM payments pay WHERE pay.status = 'succeeded'",
        )
        .fetch_all(&self.read)
        .await?;
        for row in payments {
            let id: String = row.try_get("id")?;
            let amount: i64 = row.try_get("amount")?;
            let fee: i64 = row.try_get("fee")?;
            let bank_fee: i64 = row.try_get("bank_fee")?;
            let entries: i64 = row.try_get("entries")?;
            let bank: i64 = row.try_get("bank")?;
            let merchant: i64 = row.try_get("merchant")?;
            if entries != 1 {
                check
                    .payment_problems
                    .push((id, format!("{entries} collection entries, expected 1")));
            } else if bank != amount - bank_fee || merchant != -(amount - fee) {
                check.payment_problems.push((
                    id,
                    format!(
                        "bank {bank} (expected {}), merchant {merchant} (expected {})",
                        amount - bank_fee,
                        -(amount - fee)
                    ),
                ));
            }
        }
        Ok(check)
    }
}
