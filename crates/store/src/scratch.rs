//! Throwaway PostgreSQL databases: created on a server for one test or one benchmark run and
//! dropped at its end, so that runs never see each other's rows.

use crate::StoreError;
use sqlx::{AnyConnection, Connection, Executor};

/// PostgreSQL's identifier limit (NAMEDATALEN - 1); a longer name would be silently truncated
/// and then not match the URL.
const MAX_NAME_LEN: usize = 63;

/// Creates the database `name` on the server `admin_url` connects to, and returns the URL of the
/// new database (the same server, credentials and parameters).
///
/// `name` must be lower case letters, digits and `_`, starting with a letter or `_`: it is
/// written into the SQL unquoted, and PostgreSQL folds unquoted names to lower case, which the
/// URL must match.
pub async fn create_database(admin_url: &str, name: &str) -> Result<String, StoreError> {
    let admin = connect(admin_url).await?;
    create_on(admin, admin_url, name).await
}

/// Drops the database `name` on the server `admin_url` connects to, if it exists.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), StoreError> {
    check_name(name)?;
    let mut admin = connect(admin_url).await?;
    // FORCE: a killed server's connections may not be gone yet.
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    admin.close().await?;
    Ok(())
}

/// The same server, credentials and parameters with another database name.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base.get(scheme_end..).and_then(|rest| rest.find('/')) {
        Some(slash) => base.get(..scheme_end + slash).unwrap_or(base),
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The admin connection on its own, for a caller that treats "no server" apart from "could
/// not create" (the tests skip on the first).
pub(crate) async fn connect(admin_url: &str) -> Result<AnyConnection, StoreError> {
    sqlx::any::install_default_drivers();
    Ok(AnyConnection::connect(admin_url).await?)
}

/// [`create_database`] on a connection already made to `admin_url`; closes it.
pub(crate) async fn create_on(
    mut admin: AnyConnection,
    admin_url: &str,
    name: &str,
) -> Result<String, StoreError> {
    check_name(name)?;
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    admin.close().await?;
    Ok(replace_database(admin_url, name))
}

fn check_name(name: &str) -> Result<(), StoreError> {
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if starts_well && rest_ok && name.len() <= MAX_NAME_LEN {
        Ok(())
    } else {
        Err(StoreError::Database(sqlx::Error::Configuration(
            format!("invalid scratch database name {name:?}: use [a-z_][a-z0-9_]{{0,62}}").into(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h", "x"), "postgres://u@h/x");
    }

    #[test]
    fn only_plain_lower_case_names_reach_the_sql() {
        assert!(check_name("unipay_t_0a9z").is_ok());
        assert!(check_name("_x").is_ok());
        for bad in [
            "",
            "Upper",
            "1starts_with_digit",
            "x; DROP DATABASE y",
            "a-b",
            "quo\"te",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(MAX_NAME_LEN)).is_ok());
        assert!(check_name(&"a".repeat(MAX_NAME_LEN + 1)).is_err());
    }
}
