//! The demo's console users: one per role, made on the first run with random passwords that
//! are kept (owner-only) beside the database and shown at every start, so the console can be
//! tried at once.

use anyhow::Context;
use std::path::Path;
use unipay_server::http::console::accounts::{self, Actor};
use unipay_store::Store;

const ROLES: [&str; 4] = ["admin", "operator", "finance", "auditor"];
const FILE_NAME: &str = "console-users.txt";

/// `(username, password)` of each demo user; each username is its role.
pub async fn ensure(store: &Store, data_dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let path = data_dir.join(FILE_NAME);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return Ok(text
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(user, password)| (user.to_string(), password.to_string()))
            .collect());
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut users = Vec::with_capacity(ROLES.len());
    for role in ROLES {
        let password = unipay_core::ids::random_token(16);
        let actor = Actor {
            name: "demo",
            from_address: "cli",
            now_ms,
        };
        accounts::create_user(store, role, role, &password, actor)
            .await
            .with_context(|| format!("creating the demo's {role} user"))?;
        users.push((role.to_string(), password));
    }
    let text: String = users
        .iter()
        .map(|(user, password)| format!("{user} {password}\n"))
        .collect();
    super::super::owner_only::write_private(&path, text.as_bytes())?;
    Ok(users)
}
