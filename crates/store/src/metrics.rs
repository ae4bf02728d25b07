//! The counts `/metrics` reports. Most are tallies the database keeps as rows change
//! (migration `0012_tallies`), so a scrape reads a few rows whatever the size of the tables;
//! only the janitor's due count depends on the clock, and it is counted over the index of
//! the payments the janitor watches, which holds just those.

use crate::{Backend, Store, StoreError};
use sqlx::Row;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlogs {
    pub payments_by_status: Vec<(String, i64)>,
    /// Open payments whose next bank query is due.
    pub janitor_due: i64,
    /// Open payments the janitor still watches.
    pub janitor_watching: i64,
    pub notifications_pending: i64,
    pub notifications_dead: i64,
    pub anomalies: i64,
}

/// Any value of `pg_advisory_xact_lock`'s key space, fixed so that every node folding the
/// tallies takes the same lock.
const FOLD_LOCK_KEY: i64 = 0x0074_616c_6c69_6573; // "tallies" in ASCII

impl Store {
    pub async fn backlogs(&self, now_ms: i64) -> Result<Backlogs, StoreError> {
        if self.backend == Backend::Postgres {
            self.fold_tallies_of_gone_connections().await?;
        }
        let rows = sqlx::query(
            "SELECT name, CAST(SUM(n) AS BIGINT) AS n FROM tallies GROUP BY name ORDER BY name",
        )
        .fetch_all(&self.read)
        .await?;
        let mut backlogs = Backlogs::default();
        for row in &rows {
            let name: String = row.try_get("name")?;
            let n: i64 = row.try_get("n")?;
            match name.as_str() {
                "payments.watched" => backlogs.janitor_watching = n,
                "outbox.status:pending" => backlogs.notifications_pending = n,
                "outbox.status:dead" => backlogs.notifications_dead = n,
                "anomalies" => backlogs.anomalies = n,
                _ => {
                    if let Some(status) = name.strip_prefix("payments.status:") {
                        backlogs.payments_by_status.push((status.to_string(), n));
                    }
                }
            }
        }
        let due = sqlx::query(
            "SELECT COUNT(*) AS n FROM payments \
             WHERE next_query_at IS NOT NULL AND next_query_at <= $1",
        )
        .bind(now_ms)
        .fetch_one(&self.read)
        .await?;
        backlogs.janitor_due = due.try_get("n")?;
        Ok(backlogs)
    }

    /// On PostgreSQL each connection keeps tallies of its own (see the migration); those of
    /// connections that have closed are added into shard 0 and removed, so the table holds
    /// a row per count and live connection. One node folds at a time; the others skip.
    async fn fold_tallies_of_gone_connections(&self) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let locked: bool = sqlx::query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind(FOLD_LOCK_KEY)
            .fetch_one(&mut *tx)
            .await?
            .try_get("locked")?;
        if locked {
            sqlx::query(
                "WITH gone AS ( \
                   DELETE FROM tallies \
                   WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity) \
                   RETURNING name, n) \
                 INSERT INTO tallies (name, shard, n) \
                 SELECT name, 0, SUM(n) FROM gone GROUP BY name ORDER BY name \
                 ON CONFLICT (name, shard) DO UPDATE SET n = tallies.n + EXCLUDED.n",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[cfg(feature = "testing")]
    /// The same counts as [`Store::backlogs`], counted from the tables themselves: what the
    /// tallies must always equal.
    pub async fn backlogs_counted_for_test(&self, now_ms: i64) -> Result<Backlogs, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM payments GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.read)
        .await?;
        let payments_by_status = rows
            .iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect::<Result<Vec<(String, i64)>, StoreError>>()?;
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM payments WHERE next_query_at <= $1) AS janitor_due, \
               (SELECT COUNT(*) FROM payments WHERE next_query_at IS NOT NULL) AS janitor_watching, \
               (SELECT COUNT(*) FROM outbox WHERE status = 'pending') AS notifications_pending, \
               (SELECT COUNT(*) FROM outbox WHERE status = 'dead') AS notifications_dead, \
               (SELECT COUNT(*) FROM anomalies) AS anomalies",
        )
        .bind(now_ms)
        .fetch_one(&self.read)
        .await?;
        Ok(Backlogs {
            payments_by_status,
            janitor_due: row.try_get("janitor_due")?,
            janitor_watching: row.try_get("janitor_watching")?,
            notifications_pending: row.try_get("notifications_pending")?,
            notifications_dead: row.try_get("notifications_dead")?,
            anomalies: row.try_get("anomalies")?,
        })
    }

    #[cfg(feature = "testing")]
    /// The shards the tallies table holds, other than shard 0, each with whether its
    /// connection is still open (by `pg_stat_activity`): for the test that proves the shards
    /// of closed connections are folded away.
    pub async fn tally_shards_for_test(&self) -> Result<Vec<(String, i64, i64, bool)>, StoreError> {
        let alive = match self.backend {
            Backend::Postgres => "shard IN (SELECT pid FROM pg_stat_activity)",
            Backend::Sqlite => "FALSE",
        };
        let rows = sqlx::query(&format!(
            "SELECT name, CAST(shard AS BIGINT) AS shard, n, ({alive}) AS alive FROM tallies \
             WHERE shard <> 0 ORDER BY shard, name"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("name")?,
                    r.try_get("shard")?,
                    r.try_get("n")?,
                    r.try_get("alive")?,
                ))
            })
            .collect()
    }

    #[cfg(feature = "testing")]
    /// Ends the PostgreSQL connections with these backend pids (`pg_terminate_backend`), as
    /// an administrator would: for the test that proves the shards of gone connections fold.
    pub async fn end_connections_for_test(&self, pids: &[i64]) -> Result<(), StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        for pid in pids {
            sqlx::query("SELECT pg_terminate_backend(CAST($1 AS INTEGER))")
                .bind(*pid)
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }
}
