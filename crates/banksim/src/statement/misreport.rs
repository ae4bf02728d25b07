//! How a statement fault set on an order (`POST /sim/orders/{OrderNo}/statement`) changes the
//! bank's line for it. Applied before the statement picks its lines, so `next_day` moves a
//! line into the next day's statement rather than merely relabelling it.

use super::fee::fee_fen;
use super::line::Line;
use crate::faults::StatementFault;
use chrono::Days;

/// The line as the statement shows it; `None` when the bank leaves it out.
pub fn apply(mut line: Line, fault: Option<StatementFault>, fee_bps: u32) -> Option<Line> {
    match fault {
        None => {}
        Some(StatementFault::Omit) => return None,
        Some(StatementFault::NextDay) => {
            line.accounting_date = line.accounting_date.checked_add_days(Days::new(1))?;
        }
        Some(StatementFault::Amount { amount_fen }) => {
            // The bank's books believe the wrong amount, so its fee follows the wrong amount.
            line.amount_fen = amount_fen;
            line.fee_fen = fee_fen(amount_fen, fee_bps);
        }
        Some(StatementFault::Fee { fee_fen }) => line.fee_fen = fee_fen,
        Some(StatementFault::Corrupt) => line.corrupt = true,
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::statement::line::LineKind;
    use chrono::NaiveDate;

    fn line() -> Line {
        let date = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        Line {
            kind: LineKind::Payment,
            merchant_id: "M1".into(),
            order_no: "O1".into(),
            original_order_no: None,
            bank_time: date.and_hms_opt(23, 30, 0).unwrap(),
            amount_fen: 1000,
            fee_fen: 10,
            accounting_date: date,
            i_rsp_ref: "R".into(),
            voucher_no: "V".into(),
            corrupt: false,
        }
    }

    #[test]
    fn each_fault_changes_its_part_of_the_line() {
        assert!(apply(line(), Some(StatementFault::Omit), 100).is_none());
        let moved = apply(line(), Some(StatementFault::NextDay), 100).unwrap();
        assert_eq!(
            moved.accounting_date,
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(moved.bank_time, line().bank_time, "the host time stays");
        let amount = apply(
            line(),
            Some(StatementFault::Amount { amount_fen: 250 }),
            100,
        )
        .unwrap();
        assert_eq!(
            (amount.amount_fen, amount.fee_fen, amount.net_fen()),
            (250, 3, 247)
        );
        let fee = apply(line(), Some(StatementFault::Fee { fee_fen: 1 }), 100).unwrap();
        assert_eq!((fee.amount_fen, fee.net_fen()), (1000, 999));
        assert!(
            apply(line(), Some(StatementFault::Corrupt), 100)
                .unwrap()
                .corrupt
        );
        assert_eq!(apply(line(), None, 100).unwrap().fee_fen, 10);
    }
}
