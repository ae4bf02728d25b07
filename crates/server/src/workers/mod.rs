//! Background workers. Each runs at its own pace, claims its work with leases, and stops when
//! the shutdown signal fires.

pub mod books;
pub mod identity_janitor;
pub mod janitor;
pub mod mandate_janitor;
pub mod notifier;
pub mod pause;
pub mod pruner;
pub mod refund_janitor;

use crate::state::AppState;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub fn spawn_all(state: &AppState, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let mut workers = vec![
        tokio::spawn(notifier::run(state.clone(), shutdown.clone())),
        tokio::spawn(janitor::run(state.clone(), shutdown.clone())),
        tokio::spawn(mandate_janitor::run(state.clone(), shutdown.clone())),
    ];
    if state.config.books.scheduled {
        workers.push(tokio::spawn(books::run(state.clone(), shutdown.clone())));
    }
    workers.push(tokio::spawn(pruner::run(state.clone(), shutdown)));
    workers
}
