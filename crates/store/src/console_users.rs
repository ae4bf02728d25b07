//! The console's users and their sign-in state. Every change is written with its audit entry in
//! the same transaction. The rules (which roles exist, how passwords are hashed, how many
//! failures lock an account) belong to the server's console module; this file only stores.

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleUser {
    pub username: String,
    /// `admin`, `operator`, `finance` or `auditor`.
    pub role: String,
    /// argon2id, PHC string.
    pub password_hash: String,
    /// `active` or `disabled`.
    pub status: String,
    pub failed_signins: i64,
    /// Until when sign-ins are refused (ms); 0 or past: not locked.
    pub locked_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for ConsoleUser {
    // The hash never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("status", &self.status)
            .field("failed_signins", &self.failed_signins)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

impl ConsoleUser {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

const USER_COLUMNS: &str = "username, role, password_hash, status, failed_signins, locked_until, \
                            created_at, updated_at";

fn user_from_row(row: &AnyRow) -> Result<ConsoleUser, StoreError> {
    Ok(ConsoleUser {
        username: row.try_get("username")?,
        role: row.try_get("role")?,
        password_hash: row.try_get("password_hash")?,
        status: row.try_get("status")?,
        failed_signins: row.try_get("failed_signins")?,
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Adds a user; `false` (and nothing written) when the name is taken.
    pub async fn insert_console_user(
        &self,
        user: &ConsoleUser,
        entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO console_users (username, role, password_hash, status, failed_signins, \
             locked_until, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 0, $5, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&user.username)
        .bind(&user.role)
        .bind(&user.password_hash)
        .bind(&user.status)
        .bind(user.created_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            audit::record(&mut tx, entry).await?;
            tx.commit().await?;
        }
        Ok(inserted)
    }

    pub async fn get_console_user(
        &self,
        username: &str,
    ) -> Result<Option<ConsoleUser>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM console_users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every user, by name (the console has dozens, not thousands).
    pub async fn list_console_users(&self) -> Result<Vec<ConsoleUser>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM console_users ORDER BY username"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Changes a user's role; `false` when there is no such user. Their sessions end, so the
    /// new role applies from their next sign-in on.
    pub async fn set_console_user_role(
        &self,
        username: &str,
        role: &str,
        entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        self.change_console_user(
            "UPDATE console_users SET role = $2, updated_at = $3 WHERE username = $1",
            username,
            role,
            entry,
        )
        .await
    }

    /// `active` or `disabled`; `false` when there is no such user. Their sessions end.
    pub async fn set_console_user_status(
        &self,
        username: &str,
        status: &str,
        entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        self.change_console_user(
            "UPDATE console_users SET status = $2, failed_signins = 0, locked_until = 0, \
             updated_at = $3 WHERE username = $1",
            username,
            status,
            entry,
        )
        .await
    }

    /// Lifts a lock-out from an active user, in the one statement that checks they are still
    /// active (an unlock racing a disable cannot enable them again); `false` when there is no
    /// such active user.
    pub async fn unlock_console_user(
        &self,
        username: &str,
        entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        self.change_console_user(
            "UPDATE console_users SET failed_signins = 0, locked_until = 0, updated_at = $3 \
             WHERE username = $1 AND status = $2",
            username,
            "active",
            entry,
        )
        .await
    }

    /// Replaces a user's password hash and ends their sessions; `false` when no such user.
    pub async fn set_console_user_password(
        &self,
        username: &str,
        password_hash: &str,
        entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        self.change_console_user(
            "UPDATE console_users SET password_hash = $2, failed_signins = 0, locked_until = 0, \
             updated_at = $3 WHERE username = $1",
            username,
            password_hash,
            entry,
        )
        .await
    }

    async fn change_console_user(
        &self,
        update: &str,
        username: &str,
        value: &str,
        entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let changed = sqlx::query(update)
            .bind(username)
            .bind(value)
            .bind(entry.now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !changed {
            return Ok(false);
        }
        sqlx::query("DELETE FROM console_sessions WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Counts a sign-in attempt of an active user before its password is checked, so that no
    /// more than `max_failures` checks can run before the account locks, however many arrive at
    /// once: the count and the lock are one conditional update. The attempt counts as a failure
    /// until [`Store::open_console_session`] proves it was not; the one that reaches
    /// `max_failures` locks the account until `lock_until` at once. A lock that has run out
    /// starts the count over. `None`: refused, the account is locked (or not active).
    pub async fn reserve_signin_attempt(
        &self,
        username: &str,
        max_failures: i64,
        lock_until: i64,
        now_ms: i64,
    ) -> Result<Option<SigninAttempt>, StoreError> {
        let row = sqlx::query(
            "UPDATE console_users SET failed_signins = CASE WHEN locked_until BETWEEN 1 AND $4 \
             THEN 1 ELSE failed_signins + 1 END, \
             locked_until = CASE WHEN (CASE WHEN locked_until BETWEEN 1 AND $4 THEN 1 \
             ELSE failed_signins + 1 END) >= $2 THEN $3 ELSE 0 END, updated_at = $4 \
             WHERE username = $1 AND status = 'active' AND locked_until <= $4 \
             RETURNING failed_signins, locked_until",
        )
        .bind(username)
        .bind(max_failures)
        .bind(lock_until)
        .bind(now_ms)
        .fetch_optional(&self.write)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(SigninAttempt {
            failed_signins: row.try_get("failed_signins")?,
            locked_until: row.try_get("locked_until")?,
        }))
    }

    /// Records an attempt [`Store::reserve_signin_attempt`] counted whose password was wrong:
    /// `failure`, and `lockout` when that attempt is the one that locked the account.
    pub async fn record_signin_failure(
        &self,
        failure: &AuditEntry<'_>,
        lockout: Option<&AuditEntry<'_>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        audit::record(&mut tx, failure).await?;
        if let Some(lockout) = lockout {
            audit::record(&mut tx, lockout).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A sign-in attempt counted before its password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigninAttempt {
    /// Attempts in a row not (yet) proven right, this one included.
    pub failed_signins: i64,
    /// Non-zero when this attempt locked the account: until when.
    pub locked_until: i64,
}
