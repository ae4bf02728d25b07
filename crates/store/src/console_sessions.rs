//! The console's server-side sessions. Only the SHA-256 of a session's token is stored, so the
//! table signs nobody in; the CSRF token of the session's forms lives beside it.

use crate::audit::{self, AuditEntry};
use crate::console_users::ConsoleUser;
use crate::{Store, StoreError};
use sqlx::Row;

#[derive(Clone, PartialEq, Eq)]
pub struct NewConsoleSession<'a> {
    pub token_sha256: &'a str,
    pub username: &'a str,
    pub csrf_token: &'a str,
    pub from_address: &'a str,
    pub now_ms: i64,
    pub expires_at: i64,
    /// The lock the sign-in attempt placed itself, if it was the last one allowed (else 0):
    /// the session opens only if the account is unlocked or locked by this lock alone.
    pub own_lock: i64,
}

/// A live session and its user, as one read finds them.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub token_sha256: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user: ConsoleUser,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSession")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A successful sign-in: resets the user's failure count, opens the session, writes the
    /// audit entry, and drops sessions that have ended (absolutely, or idle before
    /// `idle_since`) while it is at it. `false` (nothing written) when the account was locked
    /// by another attempt meanwhile, or is not active.
    pub async fn open_console_session(
        &self,
        session: &NewConsoleSession<'_>,
        idle_since: i64,
        entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at < $2")
            .bind(session.now_ms)
            .bind(idle_since)
            .execute(&mut *tx)
            .await?;
        // The attempt's own lock (if it was the one that reached the limit) is lifted; a lock
        // another attempt placed meanwhile refuses even the right password.
        let unlocked = sqlx::query(
            "UPDATE console_users SET failed_signins = 0, locked_until = 0 WHERE username = $1 \
             AND status = 'active' AND (locked_until <= $2 OR locked_until = $3)",
        )
        .bind(session.username)
        .bind(session.now_ms)
        .bind(session.own_lock)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !unlocked {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO console_sessions (token_sha256, username, csrf_token, from_address, \
             created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(session.token_sha256)
        .bind(session.username)
        .bind(session.csrf_token)
        .bind(session.from_address)
        .bind(session.now_ms)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        audit::record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The session with this token hash and its user, whatever their state (the caller judges
    /// expiry and the user's status).
    pub async fn console_session(
        &self,
        token_sha256: &str,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let row = sqlx::query(
            "SELECT s.token_sha256, s.csrf_token, s.created_at AS session_created_at, \
             s.last_seen_at, s.expires_at, u.username, u.role, u.password_hash, u.status, \
             u.failed_signins, u.locked_until, u.created_at, u.updated_at \
             FROM console_sessions s JOIN console_users u ON u.username = s.username \
             WHERE s.token_sha256 = $1",
        )
        .bind(token_sha256)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(ConsoleSession {
            token_sha256: row.try_get("token_sha256")?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: row.try_get("session_created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
            user: ConsoleUser {
                username: row.try_get("username")?,
                role: row.try_get("role")?,
                // Not needed past sign-in, and so not carried around.
                password_hash: String::new(),
                status: row.try_get("status")?,
                failed_signins: row.try_get("failed_signins")?,
                locked_until: row.try_get("locked_until")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            },
        }))
    }

    /// Marks the session as used now (for its idle expiry).
    pub async fn touch_console_session(
        &self,
        token_sha256: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE console_sessions SET last_seen_at = $2 WHERE token_sha256 = $1")
            .bind(token_sha256)
            .bind(now_ms)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Ends a session (sign-out, or found expired); the entry is written only when a session
    /// was there to end.
    pub async fn close_console_session(
        &self,
        token_sha256: &str,
        entry: Option<&AuditEntry<'_>>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let closed = sqlx::query("DELETE FROM console_sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if closed && let Some(entry) = entry {
            audit::record(&mut tx, entry).await?;
        }
        tx.commit().await?;
        Ok(closed)
    }
}
