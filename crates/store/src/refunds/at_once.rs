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

use super::change::{
    moved, refund_entry, refund_event, refund_event_text, refund_notification, refunded_by,
};
use super::{Refund, RefundChange, RefundEventRenderer, RefundOutcome};
use crate::with_parts::{Beside, kept_message, run_move, timeline_event};
use crate::writer::Params;
use crate::{Store, StoreError};
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
        let beside = Beside::new(entry, event, change.now_ms);

        let mut p = Params::default();
        // Every part below is conditioned on this one: a stale copy writes nothing.
        let sql = format!(
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
        let mut parts = Vec::with_capacity(5);
        parts.push(format!(
            "pay AS (UPDATE payments SET refunded_amount = refunded_amount + {}, \
             refund_reserved = refund_reserved - {} WHERE id = {} AND EXISTS (SELECT 1 FROM r))",
            p.push(refunded_by(&after)),
            p.push(after.amount.fen()),
            p.push(&after.payment_id),
        ));
        if let Some(message) = change.message {
            parts.push(kept_message(
                &mut p,
                message,
                &beside.message_id,
                moved_only,
            ));
        }
        let timeline = refund_event(&after, change, &kind, &detail);
        parts.push(timeline_event(
            &mut p,
            &timeline,
            &beside.event_id,
            moved_only,
        ));
        beside.push_books_and_notice(&mut p, &mut parts, moved_only);
        let moved = run_move(self, sql, "r", &parts, &p).await?;
        Ok(moved.then(|| RefundOutcome::Changed {
            refund: after,
            event: beside.notification.map(Box::new),
        }))
    }
}
