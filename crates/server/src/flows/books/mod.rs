//! The books' flows, shared by the scheduled worker, the command line and the console: fetch a
//! statement, reconcile a day, decide a difference. Settlement lives in the store (it needs no
//! bank).

mod inflate;
pub mod recon;
pub mod statements;

use unipay_core::statement::StatementError;
use unipay_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum BooksError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Channel(#[from] unipay_core::channel::ChannelError),
    #[error(transparent)]
    Statement(#[from] StatementError),
    #[error("channel account {0} is not usable: {1}")]
    ChannelSetup(String, String),
    #[error("no statement of {1} for channel account {0}: fetch it first")]
    NoStatement(String, String),
    #[error("no reconciliation item {0}")]
    NoItem(String),
    #[error("{0}")]
    Refused(String),
}

impl From<crate::flows::FlowError> for BooksError {
    fn from(error: crate::flows::FlowError) -> BooksError {
        match error {
            crate::flows::FlowError::ChannelSetup(account, reason) => {
                BooksError::ChannelSetup(account, reason)
            }
            crate::flows::FlowError::Store(error) => BooksError::Store(error),
            crate::flows::FlowError::Channel(error) => BooksError::Channel(error),
        }
    }
}

pub use unipay_core::calendar::{add_days, is_date};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_add_across_months_and_years() {
        assert_eq!(add_days("2026-12-31", 1).as_deref(), Some("2027-01-01"));
        assert_eq!(add_days("2028-02-28", 1).as_deref(), Some("2028-02-29"));
        assert_eq!(add_days("2026-03-01", -1).as_deref(), Some("2026-02-28"));
        assert_eq!(add_days("2026-13-01", 1), None);
        assert!(is_date("2026-11-27"));
        assert!(!is_date("2026-11-7"));
        assert!(!is_date("2026/11/27"));
    }
}
