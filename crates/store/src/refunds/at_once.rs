//! A refund's move on PostgreSQL as one statement: the version-checked update of the row, the
//! payment's sums, the bank message, the timeline event, the ledger entry and the notification
//! as the parts of one `WITH`, each part writing only when the update did. One statement is
//! one transaction: no `BEGIN` and `COMMIT` round trips, and one round trip where the
//! transaction of `change.rs` takes nine.
//!
//! It writes exactly what `change.rs`'s `move_refund` writes (the conformance test
//! `a_refund_moved_at_once_writes_what_a_transaction_writes` compares the two), and it is tried
//! only where that one would start from the caller's copy of the row; when the copy is stale
//! the statement writes nothing, and the change goes the transaction's way.

use super::change::{moved, refund_entry, refund_event_text, refund_notification, refunded_by};
use super::{Refund, RefundChange, RefundEventRenderer, RefundOutcome};
use crate::writer::{Params, RowGet, Writer};
use crate::{Store, StoreError};
use unipay_core::ids::new_id;
use unipay_core::refund::RefundStatus;

impl Store {
    /// Moves `known` to `next` in one statement if it is still at its version; `None` when it
    /// is not (nothing is written then).
    pub(super) async fn move_refund_at_once(
        &self,
        known: &Refund,
        next: RefundStatus,
        change: &RefundChange<'_>,
        render: RefundEventRenderer<'_>,
    ) -> Result<Option<RefundOutcome>, StoreError> {
        let after = moved(known, next, change);
        let (kind, detail) = refund_event_text(&after, change, "");
        let entry = refund_entry(&after)?;
        let event = refund_notification(&after, change, render);
        let event_id = new_id("pev", change.now_ms);
        let entry_id = new_id("jnl", change.now_ms);
        let message_id = new_id("msg", change.now_ms);
        let accounts: Vec<String> = entry
            .iter()
            .flat_map(|entry| entry.postings.iter().map(|p| p.account.id()))
            .collect();

        let mut p = Params::default();
        // Every part below is conditioned on this one: a stale copy writes nothing.
        let mut sql = format!(
            "WITH r AS (UPDATE refunds SET status = {}, version = {}, updated_at = {}, next_query_at = {}, \
             finished_at = {}, channel_refund_no = {}, accounting_date = {}, failure_reason = {} \
             WHERE id = {} AND version = {} RETURNING id)",
            p.push(after.status.as_str()),
            p.push(after.version),
            p.push(after.updated_at),
            p.push(after.next_query_at),
            p.push(after.finished_at),
            p.push(&after.channel_refund_no),
            p.push(&after.accounting_date),
            p.push(&after.failure_reason),
            p.push(&after.id),
            p.push(known.version),
        );
        let moved_only = "WHERE EXISTS (SELECT 1 FROM r)";
        sql.push_str(&format!(
            ", pay AS (UPDATE payments SET refunded_amount = refunded_amount + {}, \
             refund_reserved = refund_reserved - {} WHERE id = {} AND EXISTS (SELECT 1 FROM r))",
            p.push(refunded_by(&after)),
            p.push(after.amount.fen()),
            p.push(&after.payment_id),
        ));
        if let Some(message) = change.message {
            // `keep_message` in one statement: the same bytes again count as seen once more.
            sql.push_str(&format!(
                ", msg AS (INSERT INTO bank_messages (id, channel_account_id, sha256, payment_id, order_no, \
                 source, verdict, reason, raw_masked, seen_count, first_seen_at, last_seen_at) \
                 SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, 1, {now}, {now} {moved_only} \
                 ON CONFLICT (channel_account_id, sha256) DO UPDATE SET \
                 seen_count = bank_messages.seen_count + 1, last_seen_at = EXCLUDED.last_seen_at)",
                p.push(message_id.as_str()),
                p.push(message.channel_account_id),
                p.push(message.sha256),
                p.push(message.payment_id),
                p.push(message.order_no),
                p.push(message.source),
                p.push(message.verdict),
                p.push(message.reason),
                p.push(message.raw_masked),
                now = p.push(message.now_ms),
            ));
        }
        sql.push_str(&format!(
            ", ev AS (INSERT INTO payment_events (id, payment_id, kind, source, from_status, to_status, detail, \
             raw_sha256, created_at) SELECT {}, {}, {}, {}, NULL, NULL, {}, {}, {} {moved_only})",
            p.push(event_id.as_str()),
            p.push(&after.payment_id),
            p.push(kind.as_str()),
            p.push(change.source.as_str()),
            p.push(detail.as_str()),
            p.push(change.message.map(|m| m.sha256)),
            p.push(change.now_ms),
        ));
        if let Some(entry) = &entry {
            // `ledger::post` in one statement: the postings follow only a new entry.
            sql.push_str(&format!(
                ", je AS (INSERT INTO journal_entries (id, reason, cause_id, accounting_date, memo, created_at) \
                 SELECT {}, {}, {}, {date}, {}, {now} {moved_only} \
                 ON CONFLICT (reason, cause_id) DO NOTHING RETURNING id)",
                p.push(entry_id.as_str()),
                p.push(entry.reason.as_str()),
                p.push(&entry.cause_id),
                p.push(&entry.memo),
                date = p.push(&entry.accounting_date),
                now = p.push(change.now_ms),
            ));
            let values: Vec<String> = entry
                .postings
                .iter()
                .zip(&accounts)
                .map(|(posting, account)| {
                    format!("({}, {})", p.push(account), p.push(posting.amount))
                })
                .collect();
            sql.push_str(&format!(
                ", po AS (INSERT INTO postings (entry_id, account, amount, currency, accounting_date, created_at) \
                 SELECT je.id, v.account, v.amount, 'CNY', {}, {} FROM je CROSS JOIN (VALUES {}) AS v(account, amount))",
                p.push(&entry.accounting_date),
                p.push(change.now_ms),
                values.join(", "),
            ));
        }
        if let Some(event) = &event {
            sql.push_str(&format!(
                ", ob AS (INSERT INTO outbox (id, app_id, payment_id, event_type, url, body, status, attempts, \
                 next_attempt_at, created_at) SELECT {}, {}, {}, {}, {}, {}, 'pending', 0, {}, {} {moved_only})",
                p.push(&event.id),
                p.push(&event.app_id),
                p.push(&event.payment_id),
                p.push(&event.event_type),
                p.push(&event.url),
                p.push(&event.body),
                p.push(event.next_attempt_at),
                p.push(event.created_at),
            ));
        }
        sql.push_str(" SELECT COUNT(*) AS moved FROM r");

        let mut connection = self.write.acquire().await?;
        let row = Writer::fetch_optional(&mut *connection, &sql, &p.args).await?;
        let moved: i64 = match row {
            Some(row) => row.try_get("moved")?,
            None => 0,
        };
        Ok((moved == 1).then(|| RefundOutcome::Changed {
            refund: after,
            event: event.map(Box::new),
        }))
    }
}
