//! Order numbers as exact 128-bit keys.
//!
//! Our own order numbers (`ids::new_body`) are 22 characters of a 32-letter alphabet, so each
//! character is 5 bits and a whole number fits in a `u128` together with its length and the
//! transaction kind: comparing two keys is one integer comparison, and two different numbers can
//! never share a key. The length is part of the key because `'0'` is the digit 0: without it
//! `"a"` and `"0a"` would pack alike.
//!
//! Numbers that do not fit (other formats, upper case, more than 24 characters, any other
//! script) keep their text in the table's arena; their key then holds a hash of the text and the
//! arena index, and a lookup that meets the hash confirms it by comparing the text itself.
//!
//! Bit layout, high to low: 127 fallback tag, 126 status (stored rows only, see
//! [`super::table`]), 125 kind, then for a packed number 120..125 the length and 0..120 the
//! characters (the last character lowest, where our numbers keep their random part), or for a
//! fallback number 32..96 the text's hash and 0..32 the arena index.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use crate::statement::TxnKind;

/// The alphabet of `ids::new_body`: a character's value is its position.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const NOT_IN_ALPHABET: u8 = 0xFF;
const DECODE: [u8; 256] = {
    let mut table = [NOT_IN_ALPHABET; 256];
    let mut value = 0;
    while value < ALPHABET.len() {
        table[ALPHABET[value] as usize] = value as u8;
        value += 1;
    }
    table
};

/// The longest number that packs: 24 × 5 = 120 bits leaves room for length, kind and tags.
pub(super) const MAX_PACKED_LEN: usize = 24;
const LEN_SHIFT: u32 = 120;
const CHARS_MASK: u128 = (1 << LEN_SHIFT) - 1;
const KIND_BIT: u128 = 1 << 125;
/// Set on stored rows whose status is not `Succeeded`; never part of what is compared.
pub(super) const STATUS_BIT: u128 = 1 << 126;
const FALLBACK_BIT: u128 = 1 << 127;
const FALLBACK_HASH_SHIFT: u32 = 32;
const FALLBACK_INDEX_MASK: u128 = 0xFFFF_FFFF;

fn kind_bit(kind: TxnKind) -> u128 {
    match kind {
        TxnKind::Payment => 0,
        TxnKind::Refund => KIND_BIT,
    }
}

/// The exact key of `text`, or `None` when it does not fit the alphabet or the length.
pub(super) fn pack(kind: TxnKind, text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() > MAX_PACKED_LEN {
        return None;
    }
    // Two halves of at most 12 characters (60 bits) each, so that each is a u64 and the two
    // chains of shifts run side by side; a character outside the alphabet decodes to 0xFF,
    // whose high bits are caught once at the end instead of by a branch per character.
    let split = bytes.len().saturating_sub(12);
    let (head, tail) = bytes.split_at(split);
    let mut invalid = 0u8;
    let mut decode = |acc: u64, byte: &u8| {
        let value = DECODE[*byte as usize];
        invalid |= value;
        (acc << 5) | u64::from(value & 0x1F)
    };
    let high = head.iter().fold(0u64, &mut decode);
    let low = tail.iter().fold(0u64, &mut decode);
    if invalid & !0x1F != 0 {
        return None;
    }
    let chars = (u128::from(high) << (5 * tail.len())) | u128::from(low);
    Some(kind_bit(kind) | ((bytes.len() as u128) << LEN_SHIFT) | chars)
}

/// The text of a packed key; `None` for a fallback key, whose text is in the arena.
pub(super) fn unpack(key: u128) -> Option<String> {
    if is_fallback(key) {
        return None;
    }
    let len = ((key >> LEN_SHIFT) & 0x1F) as usize;
    let chars = key & CHARS_MASK;
    let text = (0..len)
        .rev()
        .map(|position| {
            let value = (chars >> (position * 5)) & 0x1F;
            ALPHABET
                .get(value as usize)
                .map_or('?', |byte| char::from(*byte))
        })
        .collect();
    Some(text)
}

/// What a fallback number is found by: tag, kind and the text's hash, without the arena index.
pub(super) fn fallback_identity(kind: TxnKind, text: &str) -> u128 {
    // A fixed-key hasher: the same text hashes alike in the table and in every probe.
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(text);
    FALLBACK_BIT | kind_bit(kind) | (u128::from(hash) << FALLBACK_HASH_SHIFT)
}

pub(super) fn with_fallback_index(identity: u128, index: u32) -> u128 {
    identity | u128::from(index)
}

pub(super) fn is_fallback(key: u128) -> bool {
    key & FALLBACK_BIT != 0
}

pub(super) fn fallback_index(key: u128) -> u32 {
    (key & FALLBACK_INDEX_MASK) as u32
}

pub(super) fn kind(key: u128) -> TxnKind {
    if key & KIND_BIT == 0 {
        TxnKind::Payment
    } else {
        TxnKind::Refund
    }
}

/// A stored key reduced to what a probe can compute from a statement line: no status and, for a
/// fallback key, no arena index.
pub(super) fn identity(stored: u128) -> u128 {
    let index_mask = if is_fallback(stored) {
        FALLBACK_INDEX_MASK
    } else {
        0
    };
    stored & !(STATUS_BIT | index_mask)
}

/// Where an identity lives in the index: the high bits of the result are well mixed.
///
/// Our numbers end in 60 random bits, but other formats (sequential digits) do not, so the two
/// halves are folded and multiplied rather than trusted as they are.
pub(super) fn slot_hash(identity: u128) -> u64 {
    let low = identity as u64;
    let high = (identity >> 64) as u64;
    let mut x = low ^ high.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 32;
    x = x.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    x ^ (x >> 29)
}
