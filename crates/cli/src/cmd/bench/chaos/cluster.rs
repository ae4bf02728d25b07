//! The chaos run's unipay nodes: child processes of this binary on one database, each started
//! with a name that changes at every restart (`n2.5`: node 2, fifth life), so that a business
//! notification can be traced to the life of the node that delivered it.

use super::balancer::Backend;
use crate::cmd::bench::world::{LogTail, spawn_listening, unipay_command};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::process::Child;

/// How long a node may take to exit after SIGTERM (its drain and in-flight requests).
const TERM_TIMEOUT: Duration = Duration::from_secs(20);

pub struct NodeSettings {
    pub database_url: String,
    pub public_url: String,
    pub config_path: PathBuf,
    pub privacy_key: String,
    pub kek_file: PathBuf,
}

pub struct Node {
    pub index: usize,
    life: u32,
    pub name: String,
    child: Option<Child>,
    backend: Arc<Backend>,
    pub log: Arc<LogTail>,
}

impl Node {
    pub fn new(index: usize, backend: Arc<Backend>) -> Node {
        Node {
            index,
            life: 0,
            name: String::new(),
            child: None,
            backend,
            log: Arc::default(),
        }
    }

    /// Starts the node's next life and hands it to the balancer.
    pub async fn start(&mut self, settings: &NodeSettings) -> anyhow::Result<()> {
        self.life += 1;
        self.name = format!("n{}.{}", self.index + 1, self.life);
        let mut command = unipay_command()?;
        command
            .arg("serve")
            .arg("--config")
            .arg(&settings.config_path)
            .args(["--listen", "127.0.0.1:0"])
            .args(["--database-url", &settings.database_url])
            .args(["--public-url", &settings.public_url])
            .args(["--log-format", "json"])
            .env("UNIPAY_NODE_NAME", &self.name)
            .env("UNIPAY_PRIVACY_HMAC_KEY", &settings.privacy_key)
            .env("UNIPAY_SECRETS_KEK_FILE", &settings.kek_file);
        let (child, url) = spawn_listening(command, self.log.clone())
            .await
            .with_context(|| format!("starting node {}", self.name))?;
        self.child = Some(child);
        self.backend
            .set_url(Some(url.trim_end_matches('/').to_string()));
        Ok(())
    }

    /// Where this life of the node listens, while it lives.
    pub fn url(&self) -> Option<String> {
        self.child.as_ref()?;
        self.backend.current_url()
    }

    /// SIGKILL from outside, and the wait for the process to be gone.
    pub async fn kill(&mut self) {
        self.backend.mark_down();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
        self.backend.set_url(None);
    }

    /// Waits up to `patience` for the node to die by itself (an armed crash point); true if it
    /// did.
    pub async fn wait_for_death(&mut self, patience: Duration) -> bool {
        let Some(child) = self.child.as_mut() else {
            return true;
        };
        let died = tokio::time::timeout(patience, child.wait()).await.is_ok();
        if died {
            self.backend.mark_down();
            self.child = None;
            self.backend.set_url(None);
        }
        died
    }

    /// SIGTERM and the wait for a graceful exit (SIGKILL if it does not come).
    pub async fn terminate(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(pid)?);
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
        }
        let exited = tokio::time::timeout(TERM_TIMEOUT, child.wait()).await;
        self.backend.set_url(None);
        if exited.is_err() {
            let _ = child.kill().await;
            anyhow::bail!(
                "node {} did not stop within {TERM_TIMEOUT:?} of SIGTERM",
                self.name
            );
        }
        Ok(())
    }
}
