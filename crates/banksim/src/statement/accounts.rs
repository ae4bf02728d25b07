//! The account numbers a statement shows. The simulator has no real accounts, so they are made
//! up, but stable: the same merchant always has the same account, the same order the same card.

/// The merchant's settlement account (商户账号): 19 digits, fixed per MerchantID.
pub fn merchant_account(merchant_id: &str) -> String {
    format!("1{:018}", fnv1a(&[merchant_id]) % 1_000_000_000_000_000_000)
}

/// The consumer's card (客户账号), masked as the bank prints it: an ABC debit card BIN, six
/// stars, and four digits fixed per order.
pub fn masked_card(merchant_id: &str, order_no: &str) -> String {
    format!(
        "622848******{:04}",
        fnv1a(&[merchant_id, order_no]) % 10_000
    )
}

/// FNV-1a: unlike std's hasher it is the same in every build, so numbers stay the same across
/// runs and versions.
fn fnv1a(parts: &[&str]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    parts
        .iter()
        .flat_map(|part| part.bytes().chain(std::iter::once(0)))
        .fold(OFFSET, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_and_shaped() {
        let account = merchant_account("103881234560099");
        assert_eq!(account.len(), 19);
        assert!(account.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(account, merchant_account("103881234560099"));
        assert_ne!(account, merchant_account("103881234560010"));
        let card = masked_card("M", "O1");
        assert_eq!(card.len(), 16);
        assert!(card.starts_with("622848******"));
        assert_eq!(card, masked_card("M", "O1"));
    }
}
