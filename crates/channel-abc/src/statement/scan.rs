//! Finding the delimiters `|` and `^` in GBK text, and with them the records and their fields.
//!
//! In GBK the second byte of a two-byte character may be 0x7C (`|`) or 0x5E (`^`), so a byte is
//! a delimiter only where a character starts. Every byte from 0x81 up starts a two-byte
//! character and takes the next byte with it; anything below stands for itself.
//!
//! Most of a statement is ASCII digits between delimiters a few bytes apart, so the scan looks
//! at 64 bytes at a time: one branch-free pass marks every byte that may matter (`|`, `^`,
//! 0x80 and up) in a bit mask, and only the marked bytes are looked at one by one.

const ONES: u64 = 0x0101_0101_0101_0101;
const LOWS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const BLOCK: usize = 64;

/// The high bit of each byte of `x` that is not zero (exact: no carry crosses bytes).
fn nonzero_bytes(x: u64) -> u64 {
    ((x & LOWS).wrapping_add(LOWS) | x) & HIGHS
}

/// The high bit of each byte of `word` that is `|`, `^` or 0x80 and above.
fn special_bytes(word: u64) -> u64 {
    let pipe = nonzero_bytes(word ^ (ONES * u64::from(b'|')));
    let caret = nonzero_bytes(word ^ (ONES * u64::from(b'^')));
    (!(pipe & caret) | word) & HIGHS
}

/// The eight high bits of `high` (one per byte) as the low eight bits, byte 0 first.
fn gather(high: u64) -> u64 {
    (high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Two masks of the 64 bytes from `base` (bytes past the end count as plain): bit `i` of the
/// first is set when `bytes[base + i]` is `|`, `^` or 0x80 and above; of the second, when it
/// is `|` (most of those marked, told apart without reading the byte again).
fn special_masks(bytes: &[u8], base: usize) -> (u64, u64) {
    let mut padded = [0u8; BLOCK];
    let block: &[u8] = match bytes.get(base..base + BLOCK) {
        Some(block) => block,
        None => {
            let rest = bytes.get(base..).unwrap_or_default();
            if let Some(start) = padded.get_mut(..rest.len()) {
                start.copy_from_slice(rest);
            }
            &padded
        }
    };
    let (words, _) = block.as_chunks::<8>();
    words
        .iter()
        .enumerate()
        .fold((0, 0), |(special, pipes), (i, word)| {
            let word = u64::from_le_bytes(*word);
            let pipe = !nonzero_bytes(word ^ (ONES * u64::from(b'|'))) & HIGHS;
            (
                special | gather(special_bytes(word)) << (8 * i),
                pipes | gather(pipe) << (8 * i),
            )
        })
}

/// What [`find_record`] found from a starting point.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Found {
    /// A whole record ends at `end` (its separator excluded); the next one starts at `next`.
    /// It has `fields` fields (the first [`MAX_FIELDS`] of them in the caller's `ends`). Bit `i`
    /// of `non_ascii` is set when field `i` holds a byte from 0x80 up (bit 63: some field from
    /// the 63rd on does).
    Record {
        end: usize,
        next: usize,
        fields: usize,
        non_ascii: u64,
    },
    /// The record runs past the end of the bytes read so far.
    NeedMore,
}

/// The most fields whose places are kept; a record with more is counted, not split.
pub(super) const MAX_FIELDS: usize = 256;

/// Walks one buffer record by record, each block of it marked once: a record does not start
/// a block of its own, it goes on where the one before it stopped.
pub(super) struct Scanner {
    /// Where the block whose marks are in `mask` starts.
    block: usize,
    /// The marks of that block not yet looked at.
    mask: u64,
    /// Which of the block's marks are `|`.
    pipes: u64,
    /// Bytes before this are taken: trail bytes of two-byte characters, and what earlier
    /// records used (their separators included).
    skip_to: usize,
}

impl Scanner {
    pub fn new(bytes: &[u8]) -> Scanner {
        let (mask, pipes) = special_masks(bytes, 0);
        Scanner {
            block: 0,
            mask,
            pipes,
            skip_to: 0,
        }
    }

    /// Finds the record starting at `start` (where the previous one ended, or 0), writing
    /// where each field ends into `ends` (field `i` runs from just after the end of field
    /// `i - 1`, or from `start`, to `ends[i]`). Records end at `^^`; a single `^` is part of a
    /// field. At the end of the input (`at_eof`) the last record needs no separator. After
    /// [`Found::NeedMore`] the scanner is spent.
    pub fn find_record(
        &mut self,
        bytes: &[u8],
        start: usize,
        at_eof: bool,
        ends: &mut [usize; MAX_FIELDS],
    ) -> Found {
        // A count in a register and stores into a fixed array: the loop below runs once per
        // field, and a `Vec::push` there costs more than the rest of it.
        let mut count = 0;
        let mut end_field = |at: usize, count: &mut usize| {
            if let Some(slot) = ends.get_mut(*count) {
                *slot = at;
            }
            *count += 1;
        };
        let mut non_ascii = 0u64;
        self.skip_to = self.skip_to.max(start);
        loop {
            while self.mask != 0 {
                let bit = self.mask.trailing_zeros();
                let at = self.block + bit as usize;
                self.mask &= self.mask - 1;
                if at < self.skip_to {
                    continue;
                }
                if self.pipes >> bit & 1 == 1 {
                    end_field(at, &mut count);
                    continue;
                }
                match bytes.get(at) {
                    Some(b'^') => match bytes.get(at + 1) {
                        Some(b'^') => {
                            end_field(at, &mut count);
                            self.skip_to = at + 2;
                            return Found::Record {
                                end: at,
                                next: at + 2,
                                fields: count,
                                non_ascii,
                            };
                        }
                        // A `^` of its own, or the very last byte: part of the field.
                        Some(_) => {}
                        None if at_eof => {}
                        // The next read may bring the second `^`.
                        None => return Found::NeedMore,
                    },
                    Some(0x81..=0xFF) => {
                        self.skip_to = at + 2;
                        non_ascii |= 1 << count.min(63);
                    }
                    _ => non_ascii |= 1 << count.min(63),
                }
            }
            self.block += BLOCK;
            if self.block >= bytes.len() {
                break;
            }
            (self.mask, self.pipes) = special_masks(bytes, self.block);
        }
        if !at_eof {
            return Found::NeedMore;
        }
        end_field(bytes.len(), &mut count);
        self.skip_to = bytes.len();
        Found::Record {
            end: bytes.len(),
            next: bytes.len(),
            fields: count,
            non_ascii,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::ops::Range;

    /// The same split, one byte at a time: the definition the fast scan must match.
    fn reference(bytes: &[u8], start: usize, at_eof: bool) -> (Found, Vec<Range<usize>>) {
        let mut fields = Vec::new();
        let mut field_start = start;
        let mut at = start;
        let mut non_ascii = 0u64;
        while let Some(&b) = bytes.get(at) {
            if b >= 0x80 {
                non_ascii |= 1 << fields.len().min(63);
            }
            match b {
                b'|' => {
                    fields.push(field_start..at);
                    field_start = at + 1;
                }
                b'^' => match bytes.get(at + 1) {
                    Some(b'^') => {
                        fields.push(field_start..at);
                        let (next, count) = (at + 2, fields.len());
                        let found = Found::Record {
                            end: at,
                            next,
                            fields: count,
                            non_ascii,
                        };
                        return (found, fields);
                    }
                    None if !at_eof => return (Found::NeedMore, fields),
                    _ => {}
                },
                0x81..=0xFF => at += 1,
                _ => {}
            }
            at += 1;
        }
        if !at_eof {
            return (Found::NeedMore, fields);
        }
        fields.push(field_start..bytes.len());
        let count = fields.len();
        (
            Found::Record {
                end: bytes.len(),
                next: bytes.len(),
                fields: count,
                non_ascii,
            },
            fields,
        )
    }

    /// Proves the 64-byte scan splits exactly as the byte-at-a-time definition does, on
    /// random mixes of delimiters, GBK lead and trail bytes and digits, across block edges.
    #[test]
    fn the_block_scan_matches_the_bytewise_definition() {
        let alphabet = [
            b'|', b'^', b'1', b'2', 0x81, 0xB6, 0xFE, 0x80, 0x7C, 0x5E, b' ',
        ];
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        let mut ends = [0; MAX_FIELDS];
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 300) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let pick = seed.rotate_left(i as u32 * 5) ^ (i as u64 * 0x9e37);
                    alphabet[(pick % alphabet.len() as u64) as usize]
                })
                .collect();
            for at_eof in [false, true] {
                let mut scanner = Scanner::new(&bytes);
                let mut start = 0;
                while start < bytes.len() {
                    let found = scanner.find_record(&bytes, start, at_eof, &mut ends);
                    let (expected, expected_fields) = reference(&bytes, start, at_eof);
                    assert_eq!(found, expected, "{bytes:?} from {start}");
                    let Found::Record { next, .. } = found else {
                        break;
                    };
                    let fields: Vec<Range<usize>> = (0..expected_fields.len())
                        .map(|i| if i == 0 { start } else { ends[i - 1] + 1 }..ends[i])
                        .collect();
                    assert_eq!(fields, expected_fields, "{bytes:?} from {start}");
                    start = next;
                }
            }
        }
    }
}
