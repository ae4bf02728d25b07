//! The double-entry rules: which accounts exist, and which balanced entry each money movement
//! posts. The store writes an entry in the same transaction as the state change that causes it;
//! this module only decides what the entry is. The chart of accounts is in docs/LEDGER.md.
//!
//! A posting's amount is signed: positive is a debit, negative a credit, so an entry balances
//! when its postings sum to zero and the trial balance is one sum.

use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKind {
    /// Asset, per channel account: the money the bank holds for us.
    BankClearing,
    /// Expense, per channel account: what the bank charges us.
    BankFees,
    /// Liability, per merchant: collected for the merchant and not yet settled.
    MerchantPayable,
    /// Liability, per merchant: settled (approved for payout) but not yet paid out.
    SettlementPayable,
    /// Income, platform-wide: the fees merchants pay us.
    FeeIncome,
    /// Liability, per channel account: money the bank took that belongs to no open order
    /// (a success for a closed payment, a bank-only record the bank won): to be returned.
    Suspense,
    /// Expense (or income when credit), per channel account: differences with the bank that an
    /// operator decided in the bank's favour.
    ReconDifferences,
}

impl AccountKind {
    pub const ALL: [AccountKind; 7] = [
        AccountKind::BankClearing,
        AccountKind::BankFees,
        AccountKind::MerchantPayable,
        AccountKind::SettlementPayable,
        AccountKind::FeeIncome,
        AccountKind::Suspense,
        AccountKind::ReconDifferences,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::BankClearing => "bank_clearing",
            AccountKind::BankFees => "bank_fees",
            AccountKind::MerchantPayable => "merchant_payable",
            AccountKind::SettlementPayable => "settlement_payable",
            AccountKind::FeeIncome => "fee_income",
            AccountKind::Suspense => "suspense",
            AccountKind::ReconDifferences => "recon_differences",
        }
    }

    pub fn parse(text: &str) -> Option<AccountKind> {
        AccountKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// Assets and expenses grow with debits; liabilities and income with credits.
    pub fn debit_normal(self) -> bool {
        matches!(
            self,
            AccountKind::BankClearing | AccountKind::BankFees | AccountKind::ReconDifferences
        )
    }
}

/// One account: a kind and its owner (a channel account, a merchant, or `platform`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account {
    pub kind: AccountKind,
    pub owner: String,
}

pub const PLATFORM: &str = "platform";

impl Account {
    pub fn new(kind: AccountKind, owner: &str) -> Account {
        Account {
            kind,
            owner: owner.to_string(),
        }
    }

    pub fn bank_clearing(channel_account_id: &str) -> Account {
        Account::new(AccountKind::BankClearing, channel_account_id)
    }

    pub fn bank_fees(channel_account_id: &str) -> Account {
        Account::new(AccountKind::BankFees, channel_account_id)
    }

    pub fn merchant_payable(merchant_id: &str) -> Account {
        Account::new(AccountKind::MerchantPayable, merchant_id)
    }

    pub fn settlement_payable(merchant_id: &str) -> Account {
        Account::new(AccountKind::SettlementPayable, merchant_id)
    }

    pub fn fee_income() -> Account {
        Account::new(AccountKind::FeeIncome, PLATFORM)
    }

    pub fn suspense(channel_account_id: &str) -> Account {
        Account::new(AccountKind::Suspense, channel_account_id)
    }

    pub fn recon_differences(channel_account_id: &str) -> Account {
        Account::new(AccountKind::ReconDifferences, channel_account_id)
    }

    /// `kind:owner`, the form stored with each posting.
    pub fn id(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.owner)
    }

    pub fn parse(id: &str) -> Option<Account> {
        let (kind, owner) = id.split_once(':')?;
        Some(Account::new(AccountKind::parse(kind)?, owner))
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.owner)
    }
}

/// Why an entry was posted; with the cause's id it names the entry uniquely, so the same cause
/// can never post twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryReason {
    PaymentSucceeded,
    Capture,
    LateSuccess,
    RefundSucceeded,
    ReconAdjustment,
    SettlementApproved,
    SettlementPaid,
    Reversal,
}

impl EntryReason {
    pub const ALL: [EntryReason; 8] = [
        EntryReason::PaymentSucceeded,
        EntryReason::Capture,
        EntryReason::LateSuccess,
        EntryReason::RefundSucceeded,
        EntryReason::ReconAdjustment,
        EntryReason::SettlementApproved,
        EntryReason::SettlementPaid,
        EntryReason::Reversal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryReason::PaymentSucceeded => "payment_succeeded",
            EntryReason::Capture => "capture",
            EntryReason::LateSuccess => "late_success",
            EntryReason::RefundSucceeded => "refund_succeeded",
            EntryReason::ReconAdjustment => "recon_adjustment",
            EntryReason::SettlementApproved => "settlement_approved",
            EntryReason::SettlementPaid => "settlement_paid",
            EntryReason::Reversal => "reversal",
        }
    }

    pub fn parse(text: &str) -> Option<EntryReason> {
        EntryReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    /// Fen; positive debits, negative credits.
    pub amount: i64,
}

/// A balanced journal entry, ready to be written. Only the rules below make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub reason: EntryReason,
    /// What caused it: a payment, refund, settlement batch, reconciliation item or entry id.
    pub cause_id: String,
    /// `YYYY-MM-DD`: the accounting date the movement belongs to.
    pub accounting_date: String,
    pub memo: String,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("entry does not balance: postings sum to {0} fen")]
    Unbalanced(i64),
    #[error("entry needs at least two non-zero postings")]
    TooFewPostings,
    #[error("amount {0} is negative where the rule needs a positive amount")]
    Negative(i64),
}

impl JournalEntry {
    /// Drops zero postings and checks the rest balance.
    fn balanced(
        reason: EntryReason,
        cause_id: &str,
        accounting_date: &str,
        memo: String,
        postings: Vec<(Account, i64)>,
    ) -> Result<JournalEntry, LedgerError> {
        let postings: Vec<Posting> = postings
            .into_iter()
            .filter(|(_, amount)| *amount != 0)
            .map(|(account, amount)| Posting { account, amount })
            .collect();
        let sum: i64 = postings.iter().map(|posting| posting.amount).sum();
        if sum != 0 {
            return Err(LedgerError::Unbalanced(sum));
        }
        if postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        Ok(JournalEntry {
            reason,
            cause_id: cause_id.to_string(),
            accounting_date: accounting_date.to_string(),
            memo,
            postings,
        })
    }

    pub fn debits(&self) -> i64 {
        self.postings.iter().map(|p| p.amount.max(0)).sum()
    }

    /// The entry that undoes this one: every posting negated, caused by `entry_id` (this one's).
    pub fn reversal(
        &self,
        entry_id: &str,
        accounting_date: &str,
    ) -> Result<JournalEntry, LedgerError> {
        JournalEntry::balanced(
            EntryReason::Reversal,
            entry_id,
            accounting_date,
            format!("reverses {entry_id}"),
            self.postings
                .iter()
                .map(|p| (p.account.clone(), -p.amount))
                .collect(),
        )
    }
}

/// What the ledger needs to know about a collected payment (or a capture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collected<'a> {
    pub id: &'a str,
    pub merchant_id: &'a str,
    pub channel_account_id: &'a str,
    pub amount: i64,
    /// Our fee on it, charged to the merchant.
    pub fee: i64,
    /// The bank's fee on it, as we expect the bank to charge.
    pub bank_fee: i64,
    pub accounting_date: &'a str,
}

fn non_negative(values: &[i64]) -> Result<(), LedgerError> {
    match values.iter().find(|value| **value < 0) {
        Some(value) => Err(LedgerError::Negative(*value)),
        None => Ok(()),
    }
}

/// The bank holds the amount less its fee; the merchant is owed the amount less our fee.
pub fn collected(reason: EntryReason, c: &Collected<'_>) -> Result<JournalEntry, LedgerError> {
    non_negative(&[c.amount, c.fee, c.bank_fee])?;
    JournalEntry::balanced(
        reason,
        c.id,
        c.accounting_date,
        format!("{} collected {} fen", c.id, c.amount),
        vec![
            (
                Account::bank_clearing(c.channel_account_id),
                c.amount - c.bank_fee,
            ),
            (Account::bank_fees(c.channel_account_id), c.bank_fee),
            (
                Account::merchant_payable(c.merchant_id),
                -(c.amount - c.fee),
            ),
            (Account::fee_income(), -c.fee),
        ],
    )
}

pub fn payment_succeeded(c: &Collected<'_>) -> Result<JournalEntry, LedgerError> {
    collected(EntryReason::PaymentSucceeded, c)
}

pub fn capture(c: &Collected<'_>) -> Result<JournalEntry, LedgerError> {
    collected(EntryReason::Capture, c)
}

/// A refund leaves the bank; the merchant bears it, less the share of our fee it gets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refunded<'a> {
    pub id: &'a str,
    pub merchant_id: &'a str,
    pub channel_account_id: &'a str,
    pub amount: i64,
    pub fee_returned: i64,
    pub accounting_date: &'a str,
}

pub fn refund_succeeded(r: &Refunded<'_>) -> Result<JournalEntry, LedgerError> {
    non_negative(&[r.amount, r.fee_returned])?;
    JournalEntry::balanced(
        EntryReason::RefundSucceeded,
        r.id,
        r.accounting_date,
        format!("{} refunded {} fen", r.id, r.amount),
        vec![
            (
                Account::merchant_payable(r.merchant_id),
                r.amount - r.fee_returned,
            ),
            (Account::fee_income(), r.fee_returned),
            (Account::bank_clearing(r.channel_account_id), -r.amount),
        ],
    )
}

/// The bank took money for a payment we had already closed: it is not the merchant's.
pub fn late_success(
    payment_id: &str,
    channel_account_id: &str,
    amount: i64,
    accounting_date: &str,
) -> Result<JournalEntry, LedgerError> {
    non_negative(&[amount])?;
    JournalEntry::balanced(
        EntryReason::LateSuccess,
        payment_id,
        accounting_date,
        format!("{payment_id}: bank took {amount} fen for a closed payment"),
        vec![
            (Account::bank_clearing(channel_account_id), amount),
            (Account::suspense(channel_account_id), -amount),
        ],
    )
}

/// A reconciliation difference decided in the bank's favour: our books move to the bank's
/// figures. `amount_delta` is the bank's amount minus ours, `fee_delta` the bank's fee minus ours.
pub fn recon_adjustment(
    item_id: &str,
    channel_account_id: &str,
    amount_delta: i64,
    fee_delta: i64,
    accounting_date: &str,
    memo: &str,
) -> Result<JournalEntry, LedgerError> {
    JournalEntry::balanced(
        EntryReason::ReconAdjustment,
        item_id,
        accounting_date,
        memo.to_string(),
        vec![
            (
                Account::bank_clearing(channel_account_id),
                amount_delta - fee_delta,
            ),
            (Account::bank_fees(channel_account_id), fee_delta),
            (
                Account::recon_differences(channel_account_id),
                -amount_delta,
            ),
        ],
    )
}

/// A settlement batch approved: the merchant's net is set aside for payout.
pub fn settlement_approved(
    batch_id: &str,
    merchant_id: &str,
    net: i64,
    accounting_date: &str,
) -> Result<JournalEntry, LedgerError> {
    JournalEntry::balanced(
        EntryReason::SettlementApproved,
        batch_id,
        accounting_date,
        format!("{batch_id}: {net} fen approved for {merchant_id}"),
        vec![
            (Account::merchant_payable(merchant_id), net),
            (Account::settlement_payable(merchant_id), -net),
        ],
    )
}

/// A settlement batch paid out of the bank accounts that collected it.
pub fn settlement_paid(
    batch_id: &str,
    merchant_id: &str,
    per_channel_account: &[(String, i64)],
    accounting_date: &str,
) -> Result<JournalEntry, LedgerError> {
    let net: i64 = per_channel_account.iter().map(|(_, fen)| fen).sum();
    let mut postings = vec![(Account::settlement_payable(merchant_id), net)];
    postings.extend(
        per_channel_account
            .iter()
            .map(|(account, fen)| (Account::bank_clearing(account), -fen)),
    );
    JournalEntry::balanced(
        EntryReason::SettlementPaid,
        batch_id,
        accounting_date,
        format!("{batch_id}: {net} fen paid to {merchant_id}"),
        postings,
    )
}

/// Balances by account, in memory: what the trial balance and tests compare against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balances {
    pub by_account: BTreeMap<Account, i64>,
}

impl Balances {
    pub fn post(&mut self, entry: &JournalEntry) {
        for posting in &entry.postings {
            *self.by_account.entry(posting.account.clone()).or_insert(0) += posting.amount;
        }
    }

    /// Debit-positive balance of one account.
    pub fn of(&self, account: &Account) -> i64 {
        self.by_account.get(account).copied().unwrap_or(0)
    }

    /// Total debits minus total credits: zero when the books balance.
    pub fn trial_balance(&self) -> i64 {
        self.by_account.values().sum()
    }
}

#[cfg(test)]
mod tests;
