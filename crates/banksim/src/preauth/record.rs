//! The one confirmation or cancellation a pre-authorized order can get.

use crate::stamp::Stamp;
use std::sync::Arc;

/// `OperateType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperateType {
    /// Capture some or all of the authorized amount.
    Confirm,
    /// Release the authorization.
    Cancel,
}

impl OperateType {
    pub fn parse(text: &str) -> Option<OperateType> {
        match text {
            "Confirm" => Some(OperateType::Confirm),
            "Cancel" => Some(OperateType::Cancel),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OperateType::Confirm => "Confirm",
            OperateType::Cancel => "Cancel",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PreAuthOp {
    pub operate_type: OperateType,
    /// The operation's own OrderNo.
    pub order_no: Arc<str>,
    /// Captured (Confirm) or released (Cancel: the whole authorization).
    pub amount_fen: i64,
    /// OrderAmount as the request gave it (`None`: a Cancel without one), to recognise a
    /// repeat of the same request.
    pub requested_fen: Option<i64>,
    /// `Fee` as the request gave it; recorded, not charged.
    pub fee_fen: Option<i64>,
    pub stamp: Stamp,
}
