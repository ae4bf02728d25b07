//! Identifiers: a short type prefix, then a time-ordered body of lowercase base32, so that ids
//! sort by creation and can be told apart at a glance (`pay_...`, `evt_...`).

use rand::RngExt;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// 10 characters of time (ms, good until the year 36812) and 12 random characters (60 bits).
pub fn new_id(prefix: &str, now_ms: i64) -> String {
    let mut out = String::with_capacity(prefix.len() + 23);
    out.push_str(prefix);
    out.push('_');
    push_body(&mut out, now_ms);
    out
}

/// The same body without a prefix: used where a bank limits order numbers to letters and digits.
pub fn new_body(now_ms: i64) -> String {
    let mut out = String::with_capacity(22);
    push_body(&mut out, now_ms);
    out
}

fn push_body(out: &mut String, now_ms: i64) {
    let time = now_ms.max(0) as u64;
    for shift in (0..10).rev() {
        out.push(symbol((time >> (shift * 5)) & 31));
    }
    let random: u64 = rand::rng().random();
    for shift in 0..12 {
        out.push(symbol((random >> (shift * 5)) & 31));
    }
}

fn symbol(index: u64) -> char {
    ALPHABET
        .get(index as usize)
        .map(|b| *b as char)
        .unwrap_or('0')
}

/// A random token of `len` lowercase base32 characters (secrets, nonces).
pub fn random_token(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| symbol(rng.random_range(0..32u64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_are_unique() {
        let a = new_id("pay", 1_700_000_000_000);
        let b = new_id("pay", 1_700_000_000_001);
        assert!(a < b);
        assert_eq!(a.len(), 26);
        assert_ne!(new_id("pay", 5), new_id("pay", 5));
        assert!(new_body(5).bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
