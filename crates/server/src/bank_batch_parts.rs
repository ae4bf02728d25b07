//! A batch of ours (refunds or debits) goes to the bank as consecutive parts, each a bank
//! batch of its own within the bank's 8,000 bytes (see `unipay_store::bank_batch_parts`).
//! Here: the parts' numbers and lines from the channel's plan.

use unipay_store::bank_batch_parts::PlannedPart;

/// The bank batch number of part `part_no`: the batch's own number, cut to leave room for a
/// four-digit part number within `max_chars` (the batch's number is unique, and its first
/// characters already are: a time and random letters).
pub fn part_batch_no(batch_no: &str, part_no: usize, max_chars: usize) -> String {
    let keep = max_chars.saturating_sub(4);
    let head: String = batch_no.chars().take(keep).collect();
    format!("{head}{part_no:04}")
}

/// The plan as parts: `sizes` lines each, taken in order from `seq_nos` (the batch's line
/// numbers, in order). `None` when the sizes do not add up to the lines.
pub fn planned_parts(
    batch_no: &str,
    max_chars: usize,
    seq_nos: &[i64],
    sizes: &[usize],
) -> Option<Vec<PlannedPart>> {
    if sizes.iter().sum::<usize>() != seq_nos.len() || sizes.contains(&0) {
        return None;
    }
    let mut parts = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for (index, size) in sizes.iter().enumerate() {
        let lines = seq_nos.get(start..start + size)?;
        parts.push(PlannedPart {
            bank_batch_no: part_batch_no(batch_no, index + 1, max_chars),
            first_seq: *lines.first()?,
            last_seq: *lines.last()?,
        });
        start += size;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Proves part numbers fit the bank's limit and the parts cover the lines in order.
    #[test]
    fn parts_cover_the_lines_in_order() {
        assert_eq!(
            part_batch_no("ABCDEFGHIJKLMNOPQRSTUV", 3, 20),
            "ABCDEFGHIJKLMNOP0003"
        );
        assert_eq!(part_batch_no("AB", 12, 30), "AB0012");
        let parts = planned_parts("B1", 20, &[1, 2, 3, 4, 5], &[2, 2, 1]).unwrap();
        let ranges: Vec<_> = parts.iter().map(|p| (p.first_seq, p.last_seq)).collect();
        assert_eq!(ranges, vec![(1, 2), (3, 4), (5, 5)]);
        assert_eq!(parts[2].bank_batch_no, "B10003");
        assert!(planned_parts("B1", 20, &[1, 2], &[3]).is_none());
        assert!(planned_parts("B1", 20, &[1, 2], &[2, 0]).is_none());
    }
}
