//! `unipay admin create-user` and `disable-user`: console accounts from the command line,
//! through the same rules and audit entries as the console's users page.

use super::{DatabaseArgs, cli_actor};
use anyhow::{Context, bail};
use serde_json::json;
use std::io::Read;
use unipay_server::http::console::accounts::{self, Actor};

/// Reads the password from standard input: the first line, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .take(accounts::MAX_PASSWORD_BYTES as u64 + 2)
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

pub async fn create(
    db: DatabaseArgs,
    username: &str,
    role: &str,
    json: bool,
) -> anyhow::Result<()> {
    let password = read_password()?;
    let store = db.store().await?;
    let actor_name = cli_actor();
    let actor = Actor {
        name: &actor_name,
        from_address: "cli",
        now_ms: chrono::Utc::now().timestamp_millis(),
    };
    let user = accounts::create_user(&store, username, role, &password, actor).await?;
    if json {
        println!(
            "{}",
            json!({"username": user.username, "role": user.role, "status": user.status})
        );
    } else {
        println!("console user {} ({}) created", user.username, user.role);
    }
    Ok(())
}

pub async fn disable(db: DatabaseArgs, username: &str, json: bool) -> anyhow::Result<()> {
    let store = db.store().await?;
    let actor_name = cli_actor();
    let actor = Actor {
        name: &actor_name,
        from_address: "cli",
        now_ms: chrono::Utc::now().timestamp_millis(),
    };
    accounts::set_active(&store, username, false, actor).await?;
    if json {
        println!("{}", json!({"username": username, "status": "disabled"}));
    } else {
        println!("console user {username} disabled; their sessions have ended");
    }
    Ok(())
}
