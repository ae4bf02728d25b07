//! The statement text: records separated by `^^`, fields by `|`, the header first, no trailing
//! separator; and the totals of the lines actually written.

use super::line::{Line, LineKind};

/// The published header of the variant in the protocol page ("Statement records").
pub const HEADER: &str = "商户号|交易类型|订单编号|交易时间|交易金额|商户账号|商户动账金额|客户账号|账户类型|商户回佣手续费|商户分期手续费|会计日期|主机流水号|9014流水号|原订单号";
pub const RECORD_SEPARATOR: &str = "^^";

/// NumOfPayments, SumOfPayAmount, NumOfRefunds, SumOfRefundAmount (amounts positive, in fen).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub payments: u64,
    pub pay_fen: i64,
    pub refunds: u64,
    pub refund_fen: i64,
}

#[derive(Debug)]
pub struct Statement {
    pub text: String,
    pub totals: Totals,
}

/// The text of `lines` in their order, and their totals. A corrupt line is written but not
/// counted: the bank's own totals do not include what it could not book.
pub fn render(lines: &[Line]) -> Statement {
    let mut text = String::from(HEADER);
    let mut totals = Totals::default();
    for line in lines {
        text.push_str(RECORD_SEPARATOR);
        text.push_str(&line.record());
        if line.corrupt {
            continue;
        }
        let (count, sum) = match line.kind {
            LineKind::Payment => (&mut totals.payments, &mut totals.pay_fen),
            LineKind::Refund => (&mut totals.refunds, &mut totals.refund_fen),
        };
        *count = count.saturating_add(1);
        *sum = sum.saturating_add(line.amount_fen);
    }
    Statement { text, totals }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::NaiveDate;

    fn line(kind: LineKind, amount_fen: i64, corrupt: bool) -> Line {
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        Line {
            kind,
            merchant_id: "M1".into(),
            order_no: "O1".into(),
            original_order_no: None,
            bank_time: date.and_hms_opt(10, 0, 0).unwrap(),
            amount_fen,
            fee_fen: 0,
            accounting_date: date,
            i_rsp_ref: "R".into(),
            voucher_no: "V".into(),
            corrupt,
        }
    }

    #[test]
    fn an_empty_statement_is_the_header_alone() {
        let statement = render(&[]);
        assert_eq!(statement.text, HEADER);
        assert_eq!(statement.totals, Totals::default());
        assert_eq!(HEADER.split('|').count(), 15);
    }

    #[test]
    fn totals_count_what_was_written_and_readable() {
        let statement = render(&[
            line(LineKind::Payment, 100, false),
            line(LineKind::Payment, 250, false),
            line(LineKind::Payment, 999, true),
            line(LineKind::Refund, 40, false),
        ]);
        let records: Vec<&str> = statement.text.split(RECORD_SEPARATOR).collect();
        assert_eq!(records.len(), 5);
        assert_eq!(records[0], HEADER);
        assert!(!statement.text.ends_with(RECORD_SEPARATOR));
        assert_eq!(
            statement.totals,
            Totals {
                payments: 2,
                pay_fen: 350,
                refunds: 1,
                refund_fen: 40
            }
        );
    }
}
