//! Keeping a run: the day's summary and its differences, in one transaction on the store's
//! writer (on SQLite, one call on its own writer connection: a day of thousands of differences
//! is kept without a trip between threads per statement).

use super::{DAY_COLUMNS, ITEM_COLUMNS, NewReconItem, ReconDay};
use crate::writer::{Arg, Finish, Writer, args, write_transaction};
use crate::{Store, StoreError};

/// Bound values per item row (all columns but the four shared by every row and the two that
/// start empty).
const ITEM_PARAMS: usize = 16;
/// Item rows per statement: a day with thousands of differences is kept in a few statements.
const ITEMS_PER_STATEMENT: usize = 32;

impl Store {
    /// Keeps a run's summary and its differences in one transaction. An item already known
    /// (same channel account, date, kind and number) is left as it is, whatever became of it:
    /// re-running a day changes nothing that was found or decided before. Returns how many
    /// items are new.
    pub async fn save_recon(
        &self,
        day: &ReconDay,
        items: &[NewReconItem],
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let ids: Vec<String> = items
            .iter()
            .map(|_| unipay_core::ids::new_id("rci", now_ms))
            .collect();
        write_transaction!(self, |tx| save_in(tx, day, items, &ids, now_ms))
    }
}

async fn save_in<W: Writer>(
    tx: &mut W,
    day: &ReconDay,
    items: &[NewReconItem],
    ids: &[String],
    now_ms: i64,
) -> Result<Finish<u64>, StoreError> {
    tx.execute(
        &format!(
            "INSERT INTO recon_days ({DAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, 1, $17) ON CONFLICT (channel_account_id, accounting_date) DO UPDATE SET statement_id = $3, \
             bank_payments = $4, bank_payments_fen = $5, bank_refunds = $6, bank_refunds_fen = $7, bank_fees_fen = $8, \
             platform_payments = $9, platform_payments_fen = $10, platform_refunds = $11, platform_refunds_fen = $12, \
             platform_fees_fen = $13, matched = $14, matched_fen = $15, unreadable_lines = $16, \
             runs = recon_days.runs + 1, ran_at = $17"
        ),
        args![
            &day.channel_account_id,
            &day.accounting_date,
            &day.statement_id,
            day.bank_payments,
            day.bank_payments_fen,
            day.bank_refunds,
            day.bank_refunds_fen,
            day.bank_fees_fen,
            day.platform_payments,
            day.platform_payments_fen,
            day.platform_refunds,
            day.platform_refunds_fen,
            day.platform_fees_fen,
            day.matched,
            day.matched_fen,
            day.unreadable_lines,
            now_ms,
        ],
    )
    .await?;
    let mut inserted = 0;
    for (chunk, ids) in items
        .chunks(ITEMS_PER_STATEMENT)
        .zip(ids.chunks(ITEMS_PER_STATEMENT))
    {
        let mut args: Vec<Arg<'_>> = Vec::with_capacity(4 + chunk.len() * ITEM_PARAMS);
        args.extend_from_slice(args![
            &day.channel_account_id,
            &day.accounting_date,
            now_ms,
            now_ms
        ]);
        for (item, id) in chunk.iter().zip(ids) {
            args.extend_from_slice(args![
                id,
                &item.class,
                item.kind.as_str(),
                &item.order_no,
                &item.payment_id,
                item.bank_amount,
                item.bank_fee,
                &item.bank_serial,
                item.bank_line_no,
                item.platform_amount,
                item.platform_fee,
                &item.platform_status,
                item.status.as_str(),
                &item.hold_until,
                &item.resolution,
                &item.note,
            ]);
        }
        inserted += tx.execute(&items_statement(chunk.len()), &args).await?;
    }
    Ok(Finish::Commit(inserted))
}

/// The insert of `rows` items: `$1`–`$4` are shared, each row's own values follow.
fn items_statement(rows: usize) -> String {
    let mut sql = format!("INSERT INTO recon_items ({ITEM_COLUMNS}) VALUES ");
    for index in 0..rows {
        let p = 5 + index * ITEM_PARAMS;
        if index > 0 {
            sql.push_str(", ");
        }
        let params: Vec<String> = (p..p + ITEM_PARAMS).map(|n| format!("${n}")).collect();
        sql.push_str(&format!(
            "({}, $1, $2, {}, NULL, NULL, $3, $4)",
            params[0],
            params[1..].join(", ")
        ));
    }
    sql.push_str(" ON CONFLICT (channel_account_id, accounting_date, kind, order_no) DO NOTHING");
    sql
}
