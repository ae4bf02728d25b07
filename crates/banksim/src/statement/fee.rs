//! The bank's fee on a payment (商户回佣手续费).

/// `amount_fen × bps / 10000`, rounded half-up to the fen. Amounts are never negative here;
/// the arithmetic is wide enough that no amount can overflow it.
pub fn fee_fen(amount_fen: i64, bps: u32) -> i64 {
    let scaled = i128::from(amount_fen) * i128::from(bps);
    let fee = (scaled + 5_000).div_euclid(10_000);
    i64::try_from(fee).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_up_to_the_fen() {
        assert_eq!(fee_fen(1234, 0), 0);
        assert_eq!(fee_fen(100, 50), 1); // 0.5 fen
        assert_eq!(fee_fen(99, 50), 0); // 0.495 fen
        assert_eq!(fee_fen(300, 50), 2); // 1.5 fen
        assert_eq!(fee_fen(1234, 60), 7); // 7.404 fen
        assert_eq!(fee_fen(1234, 10_000), 1234);
        assert_eq!(fee_fen(i64::MAX, 10_000), i64::MAX);
    }
}
