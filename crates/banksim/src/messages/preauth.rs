//! `PreAuthCancelConfirm` (预授权确认/取消).

use serde::{Deserialize, Serialize};

/// The request's `Order{…}`, in the order ABC's client writes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreAuthRequest {
    /// `Confirm` or `Cancel`.
    pub operate_type: String,
    /// `YYYY/MM/DD` and `HH:MM:SS`.
    pub order_date: String,
    pub order_time: String,
    /// The operation's own number (new).
    pub order_no: String,
    /// The authorized order.
    pub original_order_no: String,
    /// `156`.
    pub currency_code: String,
    /// Yuan: Confirm captures this much (> 0, at most the authorized amount); a Cancel names
    /// the amount held and releases it.
    pub order_amount: String,
    /// Empty, or yuan > 0; recorded, not charged.
    pub fee: String,
    pub merchant_remarks: String,
}
