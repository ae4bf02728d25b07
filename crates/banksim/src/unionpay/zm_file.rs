//! The ZM file (全渠道商户一般交易明细) written from the gateway's book: one 607-byte line
//! per money-moving transaction, 42 fixed-width fields separated by one space, CR LF, widths
//! in GBK bytes (§6 of the protocol page). The summary report declares the same totals.

use super::book::{COMPLETION, CONSUME, Transaction};

/// The 42 widths, in order.
pub const WIDTHS: [usize; 42] = [
    3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21,
    15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98,
];

/// Consume and completion pay the merchant; refunds and voids take money back.
pub fn pays_merchant(transaction: &Transaction) -> bool {
    matches!(transaction.txn_type.as_str(), CONSUME | COMPLETION)
}

/// `D` or `C` and 12 digits of fen.
fn signed_fen(credit: bool, fen: u64) -> String {
    format!("{}{fen:012}", if credit { 'C' } else { 'D' })
}

/// One line without its CR LF. `original_order_id` is the original's orderId for an
/// operation on one; `fee_fen` the fee taken from a line that pays the merchant (none is
/// given back on one that takes money back).
pub fn line(transaction: &Transaction, original_order_id: Option<&str>, fee_fen: u64) -> Vec<u8> {
    let credit = pays_merchant(transaction);
    let fee_fen = if credit { fee_fen } else { 0 };
    let settlement = signed_fen(credit, transaction.amount_fen.saturating_sub(fee_fen));
    // The sample's transaction code for a consume; the simulator's own choice for the rest.
    let code = if credit { "S56" } else { "S30" };
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let columns: [String; 42] = [
        code.to_string(),
        "00049993".to_string(),
        "00049993".to_string(),
        text(&transaction.trace_no),
        text(&transaction.trace_time),
        "622609******0048".to_string(),
        format!("{:012}", transaction.amount_fen),
        "4899".to_string(),
        transaction
            .channel_type
            .clone()
            .unwrap_or_else(|| "07".to_string()),
        transaction.query_id.clone(),
        "01".to_string(),
        transaction.order_id.clone(),
        "01".to_string(),
        String::new(),
        String::new(),
        // A fee is taken (D) from a line that pays the merchant: the net is the rest.
        signed_fen(!credit, fee_fen),
        settlement.clone(),
        "0001".to_string(),
        String::new(),
        transaction.txn_type.clone(),
        transaction.txn_sub_type.clone(),
        transaction.biz_type.clone(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        text(&transaction.orig_query_id),
        transaction.mer_id.clone(),
        String::new(),
        "000000000000000".to_string(),
        String::new(),
        " 000000000000".to_string(),
        settlement,
        "00000000".to_string(),
        String::new(),
        " 000000000000".to_string(),
        " 000000000000".to_string(),
        " 00000000000".to_string(),
        String::new(),
        "7".to_string(),
        original_order_id.unwrap_or_default().to_string(),
        String::new(),
    ];
    let mut out = Vec::with_capacity(607);
    for (index, (value, width)) in columns.iter().zip(WIDTHS).enumerate() {
        if index > 0 {
            out.push(b' ');
        }
        // Every value here is ASCII, so a byte is a GBK byte; longer values are cut.
        let bytes: Vec<u8> = value.bytes().filter(u8::is_ascii).take(width).collect();
        out.extend_from_slice(&bytes);
        out.resize(out.len() + width - bytes.len(), b' ');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_is_607_bytes() {
        assert_eq!(super::WIDTHS.iter().sum::<usize>() + 41, 607);
    }
}
