//! The workers' one way to wait between rounds.

use tokio::sync::watch;

/// Waits `ms` or until shutdown; true when it is time to stop.
pub(crate) async fn pause(shutdown: &mut watch::Receiver<bool>, ms: u64) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(std::time::Duration::from_millis(ms)) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}
