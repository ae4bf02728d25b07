//! A payment's move on PostgreSQL as one statement: the version-checked update of the row, the
//! bank message, the timeline event, the ledger entry and the notification as the parts of one
//! `WITH`, each part writing only when the update did. One statement is one transaction: no
//! `BEGIN` and `COMMIT` round trips, and one round trip where the transaction of `change.rs`
//! takes four (`created → pending`) to eight (a success heard in a bank message).
//!
//! It writes exactly what `change.rs`'s `move_to`, with the message `apply_in` keeps, writes
//! (the conformance test `a_payment_moved_at_once_writes_what_a_transaction_writes` compares
//! the two), and it is tried only where that one would start from the caller's copy of the
//! row; when the copy is stale the statement writes nothing, and the change goes the
//! transaction's way.

use super::change::{NewEvent, collection_entry, event_kind, moved, payment_notification};
use super::{ApplyOutcome, EventRenderer, Payment, PaymentChange};
use crate::with_parts::{Beside, kept_message, run_move, timeline_event};
use crate::writer::Params;
use crate::{Store, StoreError};
use unipay_core::payment::PaymentStatus;

impl Store {
    /// Moves `known` to `next` in one statement if it is still at its version; `None` when it
    /// is not (nothing is written then). `change` is as it applies to `known` (`as_applied`).
    pub(super) async fn move_payment_at_once(
        &self,
        known: &Payment,
        next: PaymentStatus,
        change: &PaymentChange<'_>,
        render: EventRenderer<'_>,
    ) -> Result<Option<ApplyOutcome>, StoreError> {
        let after = moved(known, next, change);
        let kind = event_kind(change, "");
        let entry = match next {
            PaymentStatus::Succeeded => Some(collection_entry(&after, change)?),
            _ => None,
        };
        let event = payment_notification(&after, change, render);
        let beside = Beside::new(entry, event, change.now_ms);

        let mut p = Params::default();
        // Every part below is conditioned on this one: a stale copy writes nothing.
        let sql = format!(
            "WITH pay AS (UPDATE payments SET status = {}, version = {}, updated_at = {}, channel_trade_no = {}, \
             paid_at = {}, accounting_date = {}, payment_type = {}, next_query_at = {}, captured_amount = {}, \
             fee = {}, bank_fee = {} WHERE id = {} AND version = {} RETURNING id)",
            p.push(after.status.as_str()),
            p.push(after.version),
            p.push(after.updated_at),
            p.push(&after.channel_trade_no),
            p.push(after.paid_at),
            p.push(&after.accounting_date),
            p.push(&after.payment_type),
            p.push(after.next_query_at),
            p.push(after.captured_amount),
            p.push(after.fee),
            p.push(after.bank_fee),
            p.push(&after.id),
            p.push(known.version),
        );
        let only = "WHERE EXISTS (SELECT 1 FROM pay)";
        let mut parts = Vec::with_capacity(4);
        if let Some(message) = change.message {
            parts.push(kept_message(&mut p, message, &beside.message_id, only));
        }
        let timeline = NewEvent {
            payment_id: &after.id,
            kind: &kind,
            source: change.source,
            from: Some(known.status),
            to: Some(next),
            detail: change.detail,
            raw_sha256: change.raw_sha256,
            now_ms: change.now_ms,
        };
        parts.push(timeline_event(&mut p, &timeline, &beside.event_id, only));
        beside.push_books_and_notice(&mut p, &mut parts, only);
        let moved = run_move(self, sql, "pay", &parts, &p).await?;
        Ok(moved.then(|| ApplyOutcome::Changed {
            payment: after,
            event: beside.notification.map(Box::new),
        }))
    }
}
