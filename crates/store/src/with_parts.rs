//! The rows a state change writes beside its own, as the parts of one PostgreSQL `WITH`
//! statement (`payments/at_once.rs`, `refunds/at_once.rs`). Each part writes what its
//! transaction's statement writes (`keep_message`, `insert_event_row`, `ledger::post`,
//! `insert_outbox`), and only where `only` (a `WHERE` on the statement's version-checked
//! update) holds: a stale copy of the row writes nothing at all.

use crate::messages::InboundMessage;
use crate::outbox::OutboxEvent;
use crate::payments::NewEvent;
use crate::writer::{Params, RowGet, Writer};
use crate::{Store, StoreError};
use unipay_core::ids::new_id;
use unipay_core::ledger::JournalEntry;

/// The bank message (`msg`): the same bytes again count as seen once more.
pub(crate) fn kept_message<'a>(
    p: &mut Params<'a>,
    message: &InboundMessage<'a>,
    id: &'a str,
    only: &str,
) -> String {
    format!(
        "msg AS (INSERT INTO bank_messages (id, channel_account_id, sha256, payment_id, order_no, \
         source, verdict, reason, raw_masked, seen_count, first_seen_at, last_seen_at) \
         SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, 1, {now}, {now} {only} \
         ON CONFLICT (channel_account_id, sha256) DO UPDATE SET \
         seen_count = bank_messages.seen_count + 1, last_seen_at = EXCLUDED.last_seen_at)",
        p.push(id),
        p.push(message.channel_account_id),
        p.push(message.sha256),
        p.push(message.payment_id),
        p.push(message.order_no),
        p.push(message.source),
        p.push(message.verdict),
        p.push(message.reason),
        p.push(message.raw_masked),
        now = p.push(message.now_ms),
    )
}

/// The timeline entry on the payment (`ev`).
pub(crate) fn timeline_event<'a>(
    p: &mut Params<'a>,
    event: &NewEvent<'a>,
    id: &'a str,
    only: &str,
) -> String {
    format!(
        "ev AS (INSERT INTO payment_events (id, payment_id, kind, source, from_status, to_status, detail, \
         raw_sha256, created_at) SELECT {}, {}, {}, {}, {}, {}, {}, {}, {} {only})",
        p.push(id),
        p.push(event.payment_id),
        p.push(event.kind),
        p.push(event.source.as_str()),
        p.push(event.from.map(|s| s.as_str())),
        p.push(event.to.map(|s| s.as_str())),
        p.push(event.detail),
        p.push(event.raw_sha256),
        p.push(event.now_ms),
    )
}

/// The ledger entry and its postings (`je`, `po`): a cause posts once, and the postings follow
/// only an entry this statement wrote. `accounts` are the postings' account ids, in order.
fn posted_entry<'a>(
    p: &mut Params<'a>,
    entry: &'a JournalEntry,
    accounts: &'a [String],
    id: &'a str,
    now_ms: i64,
    only: &str,
) -> String {
    let mut sql = format!(
        "je AS (INSERT INTO journal_entries (id, reason, cause_id, accounting_date, memo, created_at) \
         SELECT {}, {}, {}, {}, {}, {} {only} ON CONFLICT (reason, cause_id) DO NOTHING RETURNING id)",
        p.push(id),
        p.push(entry.reason.as_str()),
        p.push(&entry.cause_id),
        p.push(&entry.accounting_date),
        p.push(&entry.memo),
        p.push(now_ms),
    );
    let values: Vec<String> = entry
        .postings
        .iter()
        .zip(accounts)
        .map(|(posting, account)| format!("({}, {})", p.push(account), p.push(posting.amount)))
        .collect();
    sql.push_str(&format!(
        ", po AS (INSERT INTO postings (entry_id, account, amount, currency, accounting_date, created_at) \
         SELECT je.id, v.account, v.amount, 'CNY', {}, {} FROM je CROSS JOIN (VALUES {}) AS v(account, amount))",
        p.push(&entry.accounting_date),
        p.push(now_ms),
        values.join(", "),
    ));
    sql
}

/// The business notification (`ob`), due at its `next_attempt_at`.
fn outbox_event<'a>(p: &mut Params<'a>, event: &'a OutboxEvent, only: &str) -> String {
    format!(
        "ob AS (INSERT INTO outbox (id, app_id, payment_id, event_type, url, body, status, attempts, \
         next_attempt_at, created_at) SELECT {}, {}, {}, {}, {}, {}, 'pending', 0, {}, {} {only})",
        p.push(&event.id),
        p.push(&event.app_id),
        p.push(&event.payment_id),
        p.push(&event.event_type),
        p.push(&event.url),
        p.push(&event.body),
        p.push(event.next_attempt_at),
        p.push(event.created_at),
    )
}

/// What a move writes beside its own row, with the ids its parts take: the timeline entry, the
/// bank message, and the ledger entry with its postings and the business notification where the
/// move has them.
pub(crate) struct Beside {
    pub(crate) event_id: String,
    pub(crate) message_id: String,
    entry_id: String,
    entry: Option<JournalEntry>,
    /// The entry's postings' account ids, in order: bound by reference, so held here.
    accounts: Vec<String>,
    pub(crate) notification: Option<OutboxEvent>,
    now_ms: i64,
}

impl Beside {
    pub(crate) fn new(
        entry: Option<JournalEntry>,
        notification: Option<OutboxEvent>,
        now_ms: i64,
    ) -> Beside {
        let accounts = entry
            .iter()
            .flat_map(|entry| entry.postings.iter().map(|p| p.account.id()))
            .collect();
        Beside {
            event_id: new_id("pev", now_ms),
            message_id: new_id("msg", now_ms),
            entry_id: new_id("jnl", now_ms),
            entry,
            accounts,
            notification,
            now_ms,
        }
    }

    /// Appends the ledger entry's and the notification's parts to `parts`.
    pub(crate) fn push_books_and_notice<'a>(
        &'a self,
        p: &mut Params<'a>,
        parts: &mut Vec<String>,
        only: &str,
    ) {
        if let Some(entry) = &self.entry {
            parts.push(posted_entry(
                p,
                entry,
                &self.accounts,
                &self.entry_id,
                self.now_ms,
                only,
            ));
        }
        if let Some(event) = &self.notification {
            parts.push(outbox_event(p, event, only));
        }
    }
}

/// Runs `with_update` (a `WITH` holding only the version-checked update, named `update`)
/// followed by `parts` as one statement; whether the update matched (nothing is written when
/// it did not).
pub(crate) async fn run_move(
    store: &Store,
    mut with_update: String,
    update: &str,
    parts: &[String],
    p: &Params<'_>,
) -> Result<bool, StoreError> {
    for part in parts {
        with_update.push_str(", ");
        with_update.push_str(part);
    }
    with_update.push_str(&format!(" SELECT COUNT(*) AS moved FROM {update}"));
    let mut connection = store.write.acquire().await?;
    let row = Writer::fetch_optional(&mut *connection, &with_update, &p.args).await?;
    let moved: i64 = match row {
        Some(row) => row.try_get("moved")?,
        None => 0,
    };
    Ok(moved == 1)
}
