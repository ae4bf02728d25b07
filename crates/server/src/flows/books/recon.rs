//! Reconciling one channel account's accounting date: our side read into the engine's compact
//! table, the kept statement streamed through it, and each difference handled:
//!
//! - the bank lists a success we do not hold as succeeded → confirmed by `Query` and recorded
//!   through the normal state change (补单: ledger, business notification, source
//!   `reconciliation`);
//! - the bank lists a success we hold under another accounting date → the cross-day record a
//!   held item was waiting for: that item is fixed, the line counts as matched;
//! - we hold a success the bank does not list → held for `hold_days` later statements (the
//!   cut-over moves records to the next date), then a difference for an operator;
//! - everything else → a difference for an operator.
//!
//! Re-running a day finds the same differences and changes nothing already found or decided.

use super::statements::channel_of;
use super::{BooksError, add_days};
use crate::flows::{self, payments::QueryConclusion};
use crate::state::AppState;
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use unipay_core::event::EventSource;
use unipay_core::ledger::{LedgerError, recon_adjustment};
use unipay_core::payment::PaymentStatus;
use unipay_core::recon::{DiffClass, Difference, PlatformTable, ReconOutcome, Reconciler};
use unipay_core::statement::TxnKind;
use unipay_store::payments::{ApplyOutcome, Payment};
use unipay_store::recon::{
    Decision, ItemFilter, ItemStatus, NewReconItem, ReconDay, ReconItem, Resolve, ResolveOutcome,
};
use unipay_store::statements::StoredStatement;

#[derive(Debug, Clone)]
pub struct ReconReport {
    pub statement: StoredStatement,
    pub day: ReconDay,
    /// How many records ended in each class in this run (`matched` included).
    pub classes: BTreeMap<&'static str, u64>,
    /// Statement lines that were records held from an earlier date.
    pub cross_day_matched: u64,
    /// Successes confirmed by query and recorded (补单) in this run.
    pub recorded_by_query: u64,
    pub new_items: u64,
    /// Every item of the date and channel account after the run.
    pub items: Vec<ReconItem>,
    /// Platform rows read, and the seconds each phase took: reading our side, parsing and
    /// matching the statement, handling the differences (queries included) and keeping them.
    pub platform_rows: u64,
    pub seconds_loading: f64,
    pub seconds_matching: f64,
    pub seconds_handling: f64,
    /// Of `seconds_handling`: the bank confirmations, and keeping the day and its items.
    pub seconds_confirming: f64,
    pub seconds_keeping: f64,
}

impl ReconReport {
    /// Differences this run found that are not fixed: what an operator must look at.
    pub fn differences(&self) -> u64 {
        self.classes
            .iter()
            .filter(|(class, _)| **class != DiffClass::Matched.as_str())
            .map(|(_, count)| *count)
            .sum()
    }
}

/// Successes confirmed with the bank at once during a run.
const CONFIRMATIONS_IN_FLIGHT: usize = 32;

pub async fn reconcile_day(
    state: &AppState,
    channel_account_id: &str,
    accounting_date: &str,
) -> Result<ReconReport, BooksError> {
    let store = &state.store;
    let statement = store
        .latest_statement(channel_account_id, accounting_date)
        .await?
        .ok_or_else(|| {
            BooksError::NoStatement(channel_account_id.to_string(), accounting_date.to_string())
        })?;
    let channel = channel_of(state, channel_account_id).await?;
    let started = Instant::now();
    let bytes = store
        .statement_bytes(&statement.id)
        .await?
        .ok_or_else(|| BooksError::Refused(format!("statement {} has no file", statement.id)))?;
    // A compressed file is inflated on its own thread from now on, beside our side's load.
    let file: Box<dyn std::io::Read + Send> = if statement.gzip {
        Box::new(super::inflate::start(bytes))
    } else {
        Box::new(std::io::Cursor::new(bytes))
    };
    // Sized by the statement's lines (ours are about as many) rather than by counting ours,
    // which is a second pass over the day's index.
    let lines = statement.read.payments + statement.read.refunds;
    let mut table = PlatformTable::with_capacity(usize::try_from(lines + lines / 64).unwrap_or(0));
    let platform_rows = store
        .load_platform_day(channel_account_id, accounting_date, &mut table)
        .await?;
    let seconds_loading = started.elapsed().as_secs_f64();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut file = file;
        let mut reconciler = Reconciler::new(table);
        channel
            .parse_statement(&mut file, false, &mut reconciler)
            .map(|_| reconciler.finish())
    })
    .await
    .map_err(|e| BooksError::Refused(format!("reconciliation stopped: {e}")))??;
    let seconds_matching = started.elapsed().as_secs_f64() - seconds_loading;
    let handling = Instant::now();
    let mut run = Run::new(state, channel_account_id, accounting_date);
    run.handle(&outcome).await?;
    let keeping = Instant::now();
    let now = state.now_ms();
    let day = summary(&statement, &outcome, run.cross_day_matched);
    let new_items = store.save_recon(&day, &run.items, now).await?;
    // Records held from earlier dates whose last day has come without them.
    store
        .open_expired_holds(channel_account_id, accounting_date, now)
        .await?;
    let items = store
        .list_recon_items(&ItemFilter {
            accounting_date: Some(accounting_date),
            channel_account_id: Some(channel_account_id),
            pending_only: false,
        })
        .await?;
    let day = store
        .recon_day(channel_account_id, accounting_date)
        .await?
        .unwrap_or(day);
    Ok(ReconReport {
        statement,
        day,
        classes: run.classes,
        cross_day_matched: run.cross_day_matched,
        recorded_by_query: run.recorded_by_query,
        new_items,
        items,
        platform_rows,
        seconds_loading,
        seconds_matching,
        seconds_handling: handling.elapsed().as_secs_f64(),
        seconds_confirming: run.seconds_confirming,
        seconds_keeping: keeping.elapsed().as_secs_f64(),
    })
}

fn summary(statement: &StoredStatement, outcome: &ReconOutcome, cross_day: u64) -> ReconDay {
    let fen = |value: i128| i64::try_from(value).unwrap_or(i64::MAX);
    let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let matched = outcome.matched.payment.count + outcome.matched.refund.count + cross_day;
    ReconDay {
        channel_account_id: statement.channel_account_id.clone(),
        accounting_date: statement.accounting_date.clone(),
        statement_id: statement.id.clone(),
        bank_payments: count(outcome.bank.payment.count),
        bank_payments_fen: fen(outcome.bank.payment.amount_fen),
        bank_refunds: count(outcome.bank.refund.count),
        bank_refunds_fen: fen(outcome.bank.refund.amount_fen),
        bank_fees_fen: fen(outcome.bank.payment.fee_fen + outcome.bank.refund.fee_fen),
        platform_payments: count(outcome.platform.payment.count),
        platform_payments_fen: fen(outcome.platform.payment.amount_fen),
        platform_refunds: count(outcome.platform.refund.count),
        platform_refunds_fen: fen(outcome.platform.refund.amount_fen),
        platform_fees_fen: fen(outcome.platform.payment.fee_fen + outcome.platform.refund.fee_fen),
        matched: count(matched),
        matched_fen: fen(outcome.matched.payment.amount_fen + outcome.matched.refund.amount_fen),
        unreadable_lines: count(outcome.unreadable.len() as u64),
        runs: 1,
        ran_at: 0,
    }
}

/// One run's handling of the engine's differences.
struct Run<'a> {
    state: &'a AppState,
    channel_account_id: &'a str,
    accounting_date: &'a str,
    items: Vec<NewReconItem>,
    classes: BTreeMap<&'static str, u64>,
    cross_day_matched: u64,
    recorded_by_query: u64,
    seconds_confirming: f64,
}

impl<'a> Run<'a> {
    fn new(state: &'a AppState, channel_account_id: &'a str, accounting_date: &'a str) -> Run<'a> {
        Run {
            state,
            channel_account_id,
            accounting_date,
            items: Vec::new(),
            classes: BTreeMap::new(),
            cross_day_matched: 0,
            recorded_by_query: 0,
            seconds_confirming: 0.0,
        }
    }

    fn count(&mut self, class: DiffClass, by: u64) {
        *self.classes.entry(class.as_str()).or_insert(0) += by;
    }

    async fn handle(&mut self, outcome: &ReconOutcome) -> Result<(), BooksError> {
        self.count(
            DiffClass::Matched,
            outcome.matched.payment.count + outcome.matched.refund.count,
        );
        let payments = self.our_payments(&outcome.differences).await?;
        let mut to_confirm = Vec::new();
        for difference in &outcome.differences {
            let payment = (difference.kind == TxnKind::Payment)
                .then(|| payments.get(difference.order_no.as_str()))
                .flatten();
            if let Some(payment) = self.handle_one(difference, payment).await? {
                to_confirm.push((difference, payment));
            }
        }
        // Each confirmation is a bank round trip: a few at a time, not one after another.
        let confirming = Instant::now();
        let state = self.state;
        // In the order of the differences, a new query starting as soon as any one ends.
        let mut waiting = to_confirm.iter();
        let mut in_flight = futures_util::stream::FuturesOrdered::new();
        for (difference, payment) in waiting.by_ref().take(CONFIRMATIONS_IN_FLIGHT) {
            in_flight.push_back(record_by_query(state, difference, payment));
        }
        let mut confirmed = Vec::with_capacity(to_confirm.len());
        while let Some(item) = in_flight.next().await {
            confirmed.push(item);
            if let Some((difference, payment)) = waiting.next() {
                in_flight.push_back(record_by_query(state, difference, payment));
            }
        }
        self.seconds_confirming = confirming.elapsed().as_secs_f64();
        for item in confirmed {
            if item.status == ItemStatus::Fixed {
                self.recorded_by_query += 1;
            }
            self.count(DiffClass::StatusMismatch, 1);
            self.items.push(item);
        }
        Ok(())
    }

    /// Our payments named by the differences, in a few queries rather than one each.
    async fn our_payments(
        &self,
        differences: &[Difference],
    ) -> Result<HashMap<String, Payment>, BooksError> {
        let order_nos: Vec<&str> = differences
            .iter()
            .filter(|d| d.kind == TxnKind::Payment)
            .map(|d| d.order_no.as_str())
            .collect();
        let found = self
            .state
            .store
            .payments_by_order_nos(self.channel_account_id, &order_nos)
            .await?;
        Ok(found.into_iter().map(|p| (p.order_no.clone(), p)).collect())
    }

    /// Handles a difference, or hands back the payment whose success must be confirmed.
    async fn handle_one<'p>(
        &mut self,
        difference: &Difference,
        payment: Option<&'p Payment>,
    ) -> Result<Option<&'p Payment>, BooksError> {
        let bank_only = difference.class == DiffClass::BankOnly && !difference.duplicate;
        match payment {
            Some(payment) if bank_only && payment.status == PaymentStatus::Succeeded => {
                let bank_amount = difference.bank.as_ref().map(|b| b.amount_fen);
                if bank_amount == Some(payment.amount.fen()) {
                    self.cross_day(difference, payment).await?;
                } else {
                    self.keep(difference, DiffClass::AmountMismatch, Some(payment));
                }
            }
            Some(payment) if bank_only || difference.class == DiffClass::StatusMismatch => {
                return Ok(Some(payment));
            }
            _ => self.keep(difference, difference.class, payment),
        }
        Ok(None)
    }

    /// A line for a success we hold under another date: the record a held item waits for.
    async fn cross_day(
        &mut self,
        difference: &Difference,
        payment: &Payment,
    ) -> Result<(), BooksError> {
        let store = &self.state.store;
        if let Some(held) = store
            .held_item_for(
                self.channel_account_id,
                difference.kind,
                &difference.order_no,
            )
            .await?
        {
            let line = difference.bank.as_ref().map_or(0, |b| b.line_no);
            let note = format!(
                "found in the statement of {} (line {line})",
                self.accounting_date
            );
            store
                .fix_recon_item(&held.id, "matched_cross_day", &note, self.state.now_ms())
                .await?;
        }
        tracing::debug!(payment_id = %payment.id, "cross-day record matched");
        self.cross_day_matched += 1;
        self.count(DiffClass::Matched, 1);
        Ok(())
    }

    fn keep(&mut self, difference: &Difference, class: DiffClass, payment: Option<&Payment>) {
        let mut item = new_item(difference, class, payment);
        if class == DiffClass::PlatformOnly {
            let hold_days = i64::from(self.state.config.books.hold_days);
            if hold_days > 0 {
                item.status = ItemStatus::Held;
                item.hold_until = add_days(self.accounting_date, hold_days);
            }
        }
        self.count(class, 1);
        self.items.push(item);
    }
}

/// 补单: the bank lists a success we do not hold as succeeded. Believed only when a query
/// confirms it, and then recorded through the one state change every source uses.
async fn record_by_query(
    state: &AppState,
    difference: &Difference,
    payment: &Payment,
) -> NewReconItem {
    let conclusion =
        flows::payments::query_and_record(state, payment, EventSource::Reconciliation, false).await;
    let (status, note) = match conclusion {
        Ok(QueryConclusion::Applied(outcome)) => match *outcome {
            ApplyOutcome::Changed { payment, .. } if payment.status == PaymentStatus::Succeeded => {
                (
                    ItemStatus::Fixed,
                    "bank confirmed the success by query; recorded".to_string(),
                )
            }
            ApplyOutcome::LateSuccess(_) => (
                ItemStatus::Open,
                "bank confirmed a success for a closed payment: held in suspense".to_string(),
            ),
            other => (
                ItemStatus::Open,
                format!(
                    "query did not confirm a success (payment now {})",
                    other
                        .into_payment()
                        .map_or("unknown", |p| p.status.as_str())
                ),
            ),
        },
        Ok(QueryConclusion::StillUnpaid) => (
            ItemStatus::Open,
            "bank says unpaid when queried".to_string(),
        ),
        Ok(QueryConclusion::Unknown(reason)) => (
            ItemStatus::Open,
            format!("query could not confirm: {reason}"),
        ),
        Err(error) => (ItemStatus::Open, format!("query failed: {error}")),
    };
    let mut item = new_item(difference, DiffClass::StatusMismatch, Some(payment));
    item.status = status;
    if status == ItemStatus::Fixed {
        item.resolution = Some("query_confirmed".to_string());
    }
    item.note = Some(note);
    item
}

fn new_item(difference: &Difference, class: DiffClass, payment: Option<&Payment>) -> NewReconItem {
    let bank = difference.bank.as_ref();
    let platform = difference.platform.as_ref();
    NewReconItem {
        class: class.as_str().to_string(),
        kind: difference.kind,
        order_no: difference.order_no.clone(),
        payment_id: payment.map(|p| p.id.clone()),
        bank_amount: bank.map(|b| b.amount_fen),
        bank_fee: bank.map(|b| b.fee_fen),
        bank_serial: bank.map(|b| b.bank_serial.clone()),
        bank_line_no: bank.map(|b| i64::try_from(b.line_no).unwrap_or(i64::MAX)),
        platform_amount: platform
            .map(|p| p.amount_fen)
            .or(payment.map(|p| p.amount.fen())),
        platform_fee: platform.map(|p| p.fee_fen).or(payment.map(|p| p.bank_fee)),
        platform_status: payment.map(|p| p.status.as_str().to_string()),
        status: ItemStatus::Open,
        hold_until: None,
        resolution: None,
        note: difference
            .duplicate
            .then(|| "repeats an earlier line".to_string()),
    }
}

/// An operator's decision on an item. Bank wins moves our books to the bank's figures with an
/// adjustment entry; platform wins posts nothing. Either way the decision is audited.
pub async fn resolve_item(
    state: &AppState,
    item_id: &str,
    decision: Decision,
    note: &str,
    actor: &str,
    from_address: &str,
) -> Result<ResolveOutcome, BooksError> {
    if note.trim().is_empty() {
        return Err(BooksError::Refused(
            "a decision needs a note saying why".into(),
        ));
    }
    let item = state
        .store
        .get_recon_item(item_id)
        .await?
        .ok_or_else(|| BooksError::NoItem(item_id.to_string()))?;
    let entry = match decision {
        Decision::BankWins => adjustment(&item, note)?,
        Decision::PlatformWins => None,
    };
    Ok(state
        .store
        .resolve_recon_item(&Resolve {
            item_id,
            decision,
            note,
            actor,
            from_address,
            entry: entry.as_ref(),
            now_ms: state.now_ms(),
        })
        .await?)
}

/// The entry that moves our books to the bank's figures for an item (none when they agree).
fn adjustment(
    item: &ReconItem,
    note: &str,
) -> Result<Option<unipay_core::ledger::JournalEntry>, BooksError> {
    // A refund takes money out of the bank account: its figures count the other way.
    let direction = if item.kind == TxnKind::Refund.as_str() {
        -1
    } else {
        1
    };
    let amount_delta =
        direction * (item.bank_amount.unwrap_or(0) - item.platform_amount.unwrap_or(0));
    let fee_delta = item.bank_fee.unwrap_or(0) - item.platform_fee.unwrap_or(0);
    let memo = format!(
        "{} {} {} bank wins: {note}",
        item.class, item.kind, item.order_no
    );
    match recon_adjustment(
        &item.id,
        &item.channel_account_id,
        amount_delta,
        fee_delta,
        &item.accounting_date,
        &memo,
    ) {
        Ok(entry) => Ok(Some(entry)),
        Err(LedgerError::TooFewPostings) => Ok(None),
        Err(error) => Err(BooksError::Refused(error.to_string())),
    }
}
