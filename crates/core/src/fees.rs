//! Fee arithmetic: a rate in basis points of each transaction, rounded half-up to the fen per
//! transaction, then held within an optional minimum and maximum.

use serde::{Deserialize, Serialize};

/// What a refund does to the fee its payment was charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFeePolicy {
    /// The fee is kept: refunds return only the refunded amount. The default, as most banks
    /// do not return their own fee on a refund either.
    #[default]
    Kept,
    /// The refunded share of the fee goes back to the merchant.
    Proportional,
}

impl RefundFeePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundFeePolicy::Kept => "kept",
            RefundFeePolicy::Proportional => "proportional",
        }
    }

    pub fn parse(text: &str) -> Option<RefundFeePolicy> {
        match text {
            "kept" => Some(RefundFeePolicy::Kept),
            "proportional" => Some(RefundFeePolicy::Proportional),
            _ => None,
        }
    }
}

/// A fee plan: `rate_bps` of the amount, at least `min_fen` and at most `max_fen` when set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeePlan {
    pub rate_bps: i64,
    pub min_fen: Option<i64>,
    pub max_fen: Option<i64>,
    #[serde(default)]
    pub refund: RefundFeePolicy,
}

impl FeePlan {
    /// No fee at all.
    pub const FREE: FeePlan = FeePlan {
        rate_bps: 0,
        min_fen: None,
        max_fen: None,
        refund: RefundFeePolicy::Kept,
    };

    /// The fee on one transaction of `amount_fen`, never more than the amount itself.
    pub fn fee_for(&self, amount_fen: i64) -> i64 {
        let mut fee = rate_half_up(amount_fen, self.rate_bps);
        if let Some(min) = self.min_fen {
            fee = fee.max(min);
        }
        if let Some(max) = self.max_fen {
            fee = fee.min(max);
        }
        fee.clamp(0, amount_fen.max(0))
    }

    /// The share of `payment_fee_fen` a refund of `refund_fen` out of `payment_fen` returns.
    pub fn refund_fee(&self, payment_fen: i64, payment_fee_fen: i64, refund_fen: i64) -> i64 {
        match self.refund {
            RefundFeePolicy::Kept => 0,
            RefundFeePolicy::Proportional => {
                share_half_up(payment_fee_fen, refund_fen, payment_fen)
            }
        }
    }
}

/// `amount × bps / 10000`, rounded half-up (amounts are positive; computed in i128 so no
/// product can overflow).
pub fn rate_half_up(amount_fen: i64, bps: i64) -> i64 {
    share_half_up(amount_fen, bps, 10_000)
}

/// `value × numerator / denominator`, rounded half-up; 0 for a zero denominator.
pub fn share_half_up(value: i64, numerator: i64, denominator: i64) -> i64 {
    if denominator == 0 {
        return 0;
    }
    let product = i128::from(value) * i128::from(numerator);
    let denominator = i128::from(denominator);
    let rounded = (2 * product + denominator) / (2 * denominator);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_up_to_the_fen() {
        // 0.6% of 12.50 yuan is 7.5 fen: rounds up to 8.
        assert_eq!(rate_half_up(1250, 60), 8);
        // 0.6% of 12.49 yuan is 7.494 fen: rounds down to 7.
        assert_eq!(rate_half_up(1249, 60), 7);
        assert_eq!(rate_half_up(0, 60), 0);
        assert_eq!(rate_half_up(10_000_000_000, 10_000), 10_000_000_000);
    }

    #[test]
    fn minimum_and_maximum_hold_the_fee() {
        let plan = FeePlan {
            rate_bps: 60,
            min_fen: Some(10),
            max_fen: Some(500),
            refund: RefundFeePolicy::Kept,
        };
        assert_eq!(plan.fee_for(100), 10);
        assert_eq!(plan.fee_for(10_000), 60);
        assert_eq!(plan.fee_for(1_000_000), 500);
        // A minimum never takes more than the payment itself.
        assert_eq!(plan.fee_for(5), 5);
        assert_eq!(FeePlan::FREE.fee_for(123_456), 0);
    }

    #[test]
    fn refunds_return_the_fee_by_policy() {
        let kept = FeePlan {
            rate_bps: 60,
            ..FeePlan::FREE
        };
        assert_eq!(kept.refund_fee(10_000, 60, 5_000), 0);
        let proportional = FeePlan {
            refund: RefundFeePolicy::Proportional,
            ..kept
        };
        assert_eq!(proportional.refund_fee(10_000, 60, 5_000), 30);
        assert_eq!(proportional.refund_fee(10_000, 60, 10_000), 60);
        assert_eq!(proportional.refund_fee(3, 1, 1), 0);
        assert_eq!(proportional.refund_fee(0, 0, 0), 0);
    }
}
