//! One sign-in attempt's decision: the lock-out counted before the password check, the bounded
//! line of password checks, and the session opened only if the account is still unlocked. The
//! form around it is `signin.rs`.

use super::accounts::{decoy_hash, verify_password};
use super::roles::Role;
use super::session;
use crate::state::AppState;
use unipay_core::ids::random_token;
use unipay_store::audit::AuditEntry;
use unipay_store::console_sessions::NewConsoleSession;

/// Why a sign-in was refused, as the form shows it.
pub(super) enum Refusal {
    /// A catalogue key.
    Plain(&'static str),
    /// Locked for about this many more minutes.
    Locked { minutes: i64 },
    /// The password-check line is full: answered 429.
    Busy,
}

impl Refusal {
    pub(super) fn locked(locked_until: i64, now: i64) -> Refusal {
        let left_ms = locked_until.saturating_sub(now).max(1);
        Refusal::Locked {
            minutes: left_ms.saturating_add(59_999) / 60_000,
        }
    }
}

/// Checks the password and opens a session; `Err` says why not.
pub(super) async fn attempt(
    state: &AppState,
    username: &str,
    password: &str,
    from: &str,
) -> Result<String, Refusal> {
    let config = &state.config.console;
    let user = match state.store.get_console_user(username).await {
        Ok(user) => user,
        Err(error) => {
            tracing::error!(%error, "sign-in could not read the user");
            return Err(Refusal::Plain("flash.failed"));
        }
    };
    // A place in the password checks' line, before anything is counted: a flood is turned
    // away here rather than queueing in front of the real sign-ins.
    let Ok(place) = state.limits.password_check_queue.try_acquire() else {
        state.metrics.refused("signin", "busy");
        return Err(Refusal::Busy);
    };
    let now = state.now_ms();
    let Some(user) = user.filter(|u| Role::parse(&u.role).is_some()) else {
        // As slow as a wrong password, so that names cannot be told apart by timing.
        check(password, decoy_hash()).await;
        drop(place);
        state.metrics.refused("signin", "unknown_user");
        if state.limits.refused_samples.keep("signin", from) {
            audit(
                state,
                username,
                "console.signin",
                username,
                "unknown user",
                "failed",
                from,
            )
            .await;
        }
        tokio::time::sleep(config.failure_delay(1)).await;
        return Err(Refusal::Plain("flash.signin_failed"));
    };
    if !user.is_active() {
        check(password, decoy_hash()).await;
        drop(place);
        audit(
            state,
            username,
            "console.signin",
            username,
            "account disabled",
            "disabled",
            from,
        )
        .await;
        tokio::time::sleep(config.failure_delay(1)).await;
        return Err(Refusal::Plain("flash.signin_failed"));
    }
    let lock_until = now.saturating_add(config.lockout_s.saturating_mul(1000));
    let reserved = state
        .store
        .reserve_signin_attempt(username, config.max_failed_signins.max(1), lock_until, now)
        .await;
    let attempt = match reserved {
        Ok(Some(attempt)) => attempt,
        Ok(None) => {
            drop(place);
            state.metrics.refused("signin", "locked");
            if state.limits.refused_samples.keep("signin", from) {
                audit(
                    state,
                    username,
                    "console.signin",
                    username,
                    "account locked",
                    "locked",
                    from,
                )
                .await;
            }
            tokio::time::sleep(config.failure_delay(user.failed_signins)).await;
            // Locked meanwhile by another attempt if the row read before showed no lock.
            let until = if user.locked_until > now {
                user.locked_until
            } else {
                lock_until
            };
            return Err(Refusal::locked(until, now));
        }
        Err(error) => {
            tracing::error!(%error, "sign-in attempt not counted");
            return Err(Refusal::Plain("flash.failed"));
        }
    };
    let matches = check(password, &user.password_hash).await;
    state.metrics.password_checked();
    drop(place);
    if matches {
        return open_session(state, &user.username, from, attempt.locked_until).await;
    }
    let just_locked = attempt.locked_until > 0;
    let lock_detail = format!(
        "locked for {} s after {} failures",
        config.lockout_s, attempt.failed_signins
    );
    let failure = entry(
        username,
        "console.signin",
        username,
        "wrong password",
        "failed",
        from,
        now,
    );
    let lockout = entry(
        username,
        "console.signin.lockout",
        username,
        &lock_detail,
        "locked",
        from,
        now,
    );
    let recorded = state
        .store
        .record_signin_failure(&failure, just_locked.then_some(&lockout))
        .await;
    if let Err(error) = recorded {
        tracing::error!(%error, "failed sign-in not recorded");
        return Err(Refusal::Plain("flash.failed"));
    }
    if just_locked {
        tracing::warn!(username, "console account locked after failed sign-ins");
    }
    tokio::time::sleep(config.failure_delay(attempt.failed_signins)).await;
    if just_locked {
        Err(Refusal::locked(attempt.locked_until, now))
    } else {
        Err(Refusal::Plain("flash.signin_failed"))
    }
}

/// argon2 takes tens of milliseconds and ~19 MiB per check: a few at a time, so that sign-ins
/// never take the machine's memory and cores from the payments (the line in front of these
/// is bounded by `password_check_queue`).
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn check(password: &str, hash: &str) -> bool {
    let Ok(_permit) = PASSWORD_CHECKS.acquire().await else {
        return false;
    };
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// `own_lock`: the lock the attempt placed itself (it was the last one allowed), which the
/// right password lifts; any other lock refuses it.
async fn open_session(
    state: &AppState,
    username: &str,
    from: &str,
    own_lock: i64,
) -> Result<String, Refusal> {
    let config = &state.config.console;
    // The clock after the password check: the lock is judged at the decision.
    let now = state.now_ms();
    let token = random_token(43);
    let token_sha256 = session::token_hash(&token);
    let csrf = random_token(32);
    let session = NewConsoleSession {
        token_sha256: &token_sha256,
        username,
        csrf_token: &csrf,
        from_address: from,
        now_ms: now,
        expires_at: now.saturating_add(config.absolute_timeout_s.saturating_mul(1000)),
        own_lock,
    };
    let idle_since = now.saturating_sub(config.idle_timeout_s.saturating_mul(1000));
    let opened = entry(username, "console.signin", username, "", "ok", from, now);
    match state
        .store
        .open_console_session(&session, idle_since, &opened)
        .await
    {
        Ok(true) => Ok(token),
        Ok(false) => {
            state.metrics.refused("signin", "locked");
            let refused = entry(
                username,
                "console.signin",
                username,
                "right password while locked",
                "locked",
                from,
                now,
            );
            if let Err(error) = state.store.record_audit(&refused).await {
                tracing::error!(%error, "refused sign-in not audited");
            }
            let until = match state.store.get_console_user(username).await {
                Ok(Some(user)) => user.locked_until,
                _ => now.saturating_add(config.lockout_s.saturating_mul(1000)),
            };
            Err(Refusal::locked(until, now))
        }
        Err(error) => {
            tracing::error!(%error, "console session not opened");
            Err(Refusal::Plain("flash.failed"))
        }
    }
}

fn entry<'a>(
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    detail: &'a str,
    outcome: &'a str,
    from: &'a str,
    now_ms: i64,
) -> AuditEntry<'a> {
    AuditEntry {
        actor: if actor.is_empty() { "anonymous" } else { actor },
        action,
        target,
        detail,
        from_address: from,
        outcome,
        now_ms,
    }
}

pub(super) async fn audit(
    state: &AppState,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    outcome: &str,
    from: &str,
) {
    let entry = entry(actor, action, target, detail, outcome, from, state.now_ms());
    if let Err(error) = state.store.record_audit(&entry).await {
        tracing::error!(%error, action, "audit entry not written");
    }
}
