//! Console accounts: the rules for names and passwords, and argon2id hashing. The command line
//! (`unipay admin create-user`) and the users page both go through here.

use super::roles::Role;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use unipay_store::audit::AuditEntry;
use unipay_store::console_users::ConsoleUser;
use unipay_store::{Store, StoreError};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("user names are 2-64 letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("the role must be admin, operator, finance or auditor")]
    BadRole,
    #[error(
        "passwords are at least {MIN_PASSWORD_CHARS} characters (and at most {MAX_PASSWORD_BYTES} bytes)"
    )]
    BadPassword,
    #[error("a user named {0} exists already")]
    Taken(String),
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error("hashing the password failed")]
    Hashing,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccountError {
    /// The catalogue key that explains the error to a console user.
    pub fn message_key(&self) -> &'static str {
        match self {
            AccountError::BadUsername => "flash.user_bad_username",
            AccountError::BadRole => "flash.user_bad_role",
            AccountError::BadPassword => "flash.user_bad_password",
            AccountError::Taken(_) => "flash.user_taken",
            AccountError::NoSuchUser(_) => "flash.user_missing",
            AccountError::Hashing | AccountError::Store(_) => "flash.failed",
        }
    }
}

pub fn check_username(username: &str) -> Result<(), AccountError> {
    let ok = (2..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadUsername)
    }
}

pub fn check_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() >= MIN_PASSWORD_CHARS && password.len() <= MAX_PASSWORD_BYTES {
        Ok(())
    } else {
        Err(AccountError::BadPassword)
    }
}

/// argon2id with the crate's recommended parameters and a random salt, as a PHC string.
/// CPU-heavy on purpose: call it off the async threads (`spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| AccountError::Hashing)
}

/// Whether `password` matches the PHC string `hash`; a malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash of nothing anyone knows, verified against when the user does not exist so that an
/// unknown name takes as long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&unipay_core::ids::random_token(32)).unwrap_or_default())
}

/// Who is creating or changing an account, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub from_address: &'a str,
    pub now_ms: i64,
}

impl<'a> Actor<'a> {
    /// The audit entry of this actor having done `action` to `target`.
    fn did<'e>(&self, action: &'e str, target: &'e str, detail: &'e str) -> AuditEntry<'e>
    where
        'a: 'e,
    {
        AuditEntry {
            actor: self.name,
            action,
            target,
            detail,
            from_address: self.from_address,
            outcome: "ok",
            now_ms: self.now_ms,
        }
    }
}

/// A change the store made to one user, or the user it did not find.
fn changed(found: bool, username: &str) -> Result<(), AccountError> {
    if found {
        Ok(())
    } else {
        Err(AccountError::NoSuchUser(username.to_string()))
    }
}

/// A new password checked against the rules and hashed (argon2 off the async threads).
async fn hashed(password: &str) -> Result<String, AccountError> {
    check_password(password)?;
    let owned = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&owned))
        .await
        .map_err(|_| AccountError::Hashing)?
}

/// Creates an active user; the audit entry `console.user.create` is written with it.
pub async fn create_user(
    store: &Store,
    username: &str,
    role: &str,
    password: &str,
    actor: Actor<'_>,
) -> Result<ConsoleUser, AccountError> {
    check_username(username)?;
    let role = Role::parse(role).ok_or(AccountError::BadRole)?;
    let password_hash = hashed(password).await?;
    let user = ConsoleUser {
        username: username.to_string(),
        role: role.as_str().to_string(),
        password_hash,
        status: "active".into(),
        failed_signins: 0,
        locked_until: 0,
        created_at: actor.now_ms,
        updated_at: actor.now_ms,
    };
    let detail = format!("role={}", role.as_str());
    let entry = actor.did("console.user.create", username, &detail);
    if !store.insert_console_user(&user, &entry).await? {
        return Err(AccountError::Taken(username.to_string()));
    }
    Ok(user)
}

/// Disables (`active = false`) or re-enables a user; their sessions end either way.
pub async fn set_active(
    store: &Store,
    username: &str,
    active: bool,
    actor: Actor<'_>,
) -> Result<(), AccountError> {
    let (status, action) = if active {
        ("active", "console.user.enable")
    } else {
        ("disabled", "console.user.disable")
    };
    let entry = actor.did(action, username, "");
    changed(
        store
            .set_console_user_status(username, status, &entry)
            .await?,
        username,
    )
}

/// Gives a user another role; their sessions end, so it applies from their next sign-in.
pub async fn set_role(
    store: &Store,
    username: &str,
    role: &str,
    actor: Actor<'_>,
) -> Result<(), AccountError> {
    let role = Role::parse(role).ok_or(AccountError::BadRole)?;
    let detail = format!("role={}", role.as_str());
    let entry = actor.did("console.user.role", username, &detail);
    changed(
        store
            .set_console_user_role(username, role.as_str(), &entry)
            .await?,
        username,
    )
}

/// Sets a new password: `console.user.password` when users change their own (after proving
/// the current one), `console.user.reset` when an admin sets one for them. The user's
/// sessions end with it (the one that asked too), and a lock-out is lifted.
pub async fn set_password(
    store: &Store,
    username: &str,
    password: &str,
    action: &'static str,
    actor: Actor<'_>,
) -> Result<(), AccountError> {
    let password_hash = hashed(password).await?;
    let entry = actor.did(action, username, "");
    changed(
        store
            .set_console_user_password(username, &password_hash, &entry)
            .await?,
        username,
    )
}

/// Whether `password` is the user's current one (argon2 off the async threads); an unknown
/// user takes as long as a wrong password.
pub async fn password_matches(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<bool, AccountError> {
    let hash = store
        .get_console_user(username)
        .await?
        .map(|user| user.password_hash)
        .unwrap_or_else(|| decoy_hash().to_string());
    let owned = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&owned, &hash))
        .await
        .map_err(|_| AccountError::Hashing)
}

/// Lifts a lock-out after failed sign-ins before it runs out (`console.user.unlock`). The
/// user stays what they were otherwise; only an active user is unlocked this way (a disabled
/// one is enabled instead).
pub async fn unlock(store: &Store, username: &str, actor: Actor<'_>) -> Result<(), AccountError> {
    let entry = actor.did("console.user.unlock", username, "");
    changed(store.unlock_console_user(username, &entry).await?, username)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert!(!decoy_hash().is_empty());
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_username("ops.li-na_2").is_ok());
        assert!(check_username("a").is_err());
        assert!(check_username("有人").is_err());
        assert!(check_username("a b").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough password").is_ok());
    }
}
