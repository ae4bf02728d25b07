//! Scenarios of the reconciliation; properties in `tests/props.rs`, the 10-million-row
//! measurement in `tests/throughput.rs`.

mod props;
mod throughput;

use super::*;
use crate::money::Amount;
use crate::statement::{OwnedStatementLine, StatementLine, StatementSink, TxnKind, UnreadableLine};

const P: TxnKind = TxnKind::Payment;
const R: TxnKind = TxnKind::Refund;
const OK: PlatformStatus = PlatformStatus::Succeeded;
const NOT_OK: PlatformStatus = PlatformStatus::NotSucceeded;

/// Order numbers shaped like `ids::new_body`.
const A: &str = "0h2k3m4n5p6aaaaaaaaaaa";
const B: &str = "0h2k3m4n5p6bbbbbbbbbbb";
const C: &str = "0h2k3m4n5p6ccccccccccc";
const D: &str = "0h2k3m4n5p6ddddddddddd";
const E: &str = "0h2k3m4n5p6eeeeeeeeeee";
const F: &str = "0h2k3m4n5p6fffffffffff";
const G: &str = "0h2k3m4n5p6ggggggggggg";

/// A statement being written: line numbers follow the header (line 1).
#[derive(Default)]
struct Statement {
    lines: Vec<OwnedStatementLine>,
}

impl Statement {
    fn line(&mut self, kind: TxnKind, order_no: &str, amount_fen: i64, fee_fen: i64) -> &mut Self {
        let line_no = self.lines.len() as u64 + 2;
        self.lines.push(OwnedStatementLine {
            line_no,
            kind,
            order_no: order_no.to_owned(),
            original_order_no: if kind == R {
                A.to_owned()
            } else {
                String::new()
            },
            amount: Amount::from_fen(amount_fen).unwrap(),
            fee_fen,
            accounting_date: "2026-05-01".to_owned(),
            bank_serial: format!("serial{line_no}"),
            traded_at: "2026-05-01 10:00:00".to_owned(),
        });
        self
    }

    fn stream_into(&self, sink: &mut impl StatementSink) {
        for line in &self.lines {
            sink.line(&StatementLine {
                line_no: line.line_no,
                kind: line.kind,
                order_no: &line.order_no,
                original_order_no: &line.original_order_no,
                amount: line.amount,
                fee_fen: line.fee_fen,
                accounting_date: &line.accounting_date,
                bank_serial: &line.bank_serial,
                traded_at: &line.traded_at,
            });
        }
    }
}

fn table(rows: &[(TxnKind, &str, i64, i64, PlatformStatus)]) -> PlatformTable {
    let mut table = PlatformTable::new();
    for &(kind, order_no, amount_fen, fee_fen, status) in rows {
        table
            .push(kind, order_no, amount_fen, fee_fen, status)
            .unwrap();
    }
    table
}

fn reconcile(table: PlatformTable, statement: &Statement) -> ReconOutcome {
    let mut reconciler = Reconciler::new(table);
    statement.stream_into(&mut reconciler);
    reconciler.finish()
}

/// (class, kind, order number, duplicate) of each difference, in order.
fn summary(outcome: &ReconOutcome) -> Vec<(DiffClass, TxnKind, String, bool)> {
    outcome
        .differences
        .iter()
        .map(|d| (d.class, d.kind, d.order_no.clone(), d.duplicate))
        .collect()
}

fn counts(outcome: &ReconOutcome) -> Vec<(DiffClass, u64)> {
    DiffClass::ALL
        .iter()
        .map(|class| (*class, outcome.classes.get(*class)))
        .filter(|(_, count)| *count > 0)
        .collect()
}

#[test]
fn every_class_is_found_once_and_nothing_else() {
    let platform = table(&[
        (P, A, 1000, 6, OK),
        (P, B, 2000, 12, OK),
        (P, C, 3000, 18, NOT_OK),
        (P, D, 4000, 24, OK),
        (P, E, 5000, 30, OK),
        (R, F, 500, 0, OK),
    ]);
    let mut statement = Statement::default();
    statement
        .line(P, A, 1000, 6)
        .line(P, B, 2001, 12)
        .line(P, C, 3000, 18)
        .line(P, D, 4000, 25)
        .line(P, G, 7000, 42)
        .line(R, F, 500, 0);
    let mut reconciler = Reconciler::new(platform);
    statement.stream_into(&mut reconciler);
    let unreadable = UnreadableLine {
        line_no: 8,
        text: "garbage|line".to_owned(),
        reason: "too few columns".to_owned(),
    };
    reconciler.unreadable(unreadable.clone());
    let outcome = reconciler.finish();

    let bank = |line_no: u64, amount_fen: i64, fee_fen: i64| {
        Some(BankFacts {
            line_no,
            amount_fen,
            fee_fen,
            accounting_date: "2026-05-01".to_owned(),
            bank_serial: format!("serial{line_no}"),
            original_order_no: String::new(),
        })
    };
    let ours = |row: u32, amount_fen: i64, fee_fen: i64, status: PlatformStatus| {
        Some(PlatformFacts {
            row,
            amount_fen,
            fee_fen,
            status,
        })
    };
    let difference = |class, order_no: &str, bank, platform| Difference {
        class,
        kind: P,
        order_no: order_no.to_owned(),
        bank,
        platform,
        duplicate: false,
    };
    assert_eq!(
        outcome.differences,
        vec![
            difference(
                DiffClass::AmountMismatch,
                B,
                bank(3, 2001, 12),
                ours(1, 2000, 12, OK)
            ),
            difference(
                DiffClass::StatusMismatch,
                C,
                bank(4, 3000, 18),
                ours(2, 3000, 18, NOT_OK)
            ),
            difference(
                DiffClass::FeeMismatch,
                D,
                bank(5, 4000, 25),
                ours(3, 4000, 24, OK)
            ),
            difference(DiffClass::BankOnly, G, bank(6, 7000, 42), None),
            difference(DiffClass::PlatformOnly, E, None, ours(4, 5000, 30, OK)),
        ]
    );
    assert_eq!(
        counts(&outcome),
        vec![
            (DiffClass::Matched, 2),
            (DiffClass::BankOnly, 1),
            (DiffClass::PlatformOnly, 1),
            (DiffClass::AmountMismatch, 1),
            (DiffClass::StatusMismatch, 1),
            (DiffClass::FeeMismatch, 1),
        ]
    );
    assert_eq!(outcome.unreadable, vec![unreadable]);
}

#[test]
fn totals_are_exact_per_side_and_kind() {
    let platform = table(&[
        (P, A, 1000, 6, OK),
        (P, B, 2000, 12, OK),
        (P, C, 3000, 18, NOT_OK),
        (R, F, 500, 1, OK),
    ]);
    let mut statement = Statement::default();
    statement
        .line(P, A, 1000, 6)
        .line(P, B, 2001, 12)
        .line(P, G, 7000, 42)
        .line(R, F, 500, 1)
        .line(R, F, 500, 1);
    let outcome = reconcile(platform, &statement);

    let totals = |count, amount_fen, fee_fen| Totals {
        count,
        amount_fen,
        fee_fen,
    };
    assert_eq!(outcome.bank.payment, totals(3, 10_001, 60));
    assert_eq!(outcome.bank.refund, totals(2, 1000, 2));
    assert_eq!(outcome.platform.payment, totals(3, 6000, 36));
    assert_eq!(outcome.platform.refund, totals(1, 500, 1));
    assert_eq!(outcome.matched.payment, totals(1, 1000, 6));
    assert_eq!(outcome.matched.refund, totals(1, 500, 1));
    assert_eq!(outcome.matched.of(R), outcome.matched.refund);
    // Every line and every record ends in exactly one class.
    let lines = outcome.bank.payment.count + outcome.bank.refund.count;
    let records = outcome.platform.payment.count + outcome.platform.refund.count;
    let paired: u64 = [
        DiffClass::Matched,
        DiffClass::AmountMismatch,
        DiffClass::StatusMismatch,
        DiffClass::FeeMismatch,
    ]
    .iter()
    .map(|class| outcome.classes.get(*class))
    .sum();
    assert_eq!(paired + outcome.classes.get(DiffClass::BankOnly), lines);
    assert_eq!(
        paired + outcome.classes.get(DiffClass::PlatformOnly),
        records
    );
}

#[test]
fn status_outranks_amount_which_outranks_fee() {
    let platform = table(&[
        (P, A, 1000, 6, NOT_OK),
        (P, B, 1000, 6, NOT_OK),
        (P, C, 1000, 6, OK),
        (P, D, 1000, 6, NOT_OK),
        (P, E, 1000, 6, OK),
    ]);
    let mut statement = Statement::default();
    statement
        .line(P, A, 1001, 7) // status, amount and fee differ
        .line(P, B, 1001, 6) // status and amount
        .line(P, C, 1001, 7) // amount and fee
        .line(P, D, 1000, 7) // status and fee
        .line(P, E, 1000, 7); // fee alone
    let outcome = reconcile(platform, &statement);
    let classes: Vec<DiffClass> = outcome.differences.iter().map(|d| d.class).collect();
    assert_eq!(
        classes,
        vec![
            DiffClass::StatusMismatch,
            DiffClass::StatusMismatch,
            DiffClass::AmountMismatch,
            DiffClass::StatusMismatch,
            DiffClass::FeeMismatch,
        ]
    );
}

#[test]
fn a_repeated_statement_line_is_bank_only_and_marked_duplicate() {
    let platform = table(&[(P, A, 1000, 6, OK), (P, B, 2000, 12, OK)]);
    let mut statement = Statement::default();
    statement
        .line(P, A, 1000, 6)
        .line(P, A, 1000, 6) // repeats a matched line
        .line(P, B, 2001, 12)
        .line(P, B, 2000, 12) // repeats a mismatched line, this time right
        .line(P, G, 500, 0)
        .line(P, G, 500, 0) // repeats a line that met no record
        .line(R, G, 500, 0); // the same number as a refund is another key
    let outcome = reconcile(platform, &statement);
    assert_eq!(
        summary(&outcome),
        vec![
            (DiffClass::BankOnly, P, A.to_owned(), true),
            (DiffClass::AmountMismatch, P, B.to_owned(), false),
            (DiffClass::BankOnly, P, B.to_owned(), true),
            (DiffClass::BankOnly, P, G.to_owned(), false),
            (DiffClass::BankOnly, P, G.to_owned(), true),
            (DiffClass::BankOnly, R, G.to_owned(), false),
        ]
    );
    let lines: Vec<u64> = outcome
        .differences
        .iter()
        .filter_map(|d| d.bank.as_ref().map(|bank| bank.line_no))
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8]);
}

#[test]
fn a_record_pushed_twice_leaves_the_second_platform_only_and_duplicate() {
    let platform = table(&[
        (P, A, 1000, 6, OK),
        (P, A, 1000, 6, OK),
        (P, B, 2000, 12, OK),
    ]);
    let mut statement = Statement::default();
    statement.line(P, A, 1000, 6).line(P, A, 1000, 6);
    let outcome = reconcile(platform, &statement);
    assert_eq!(
        summary(&outcome),
        vec![
            (DiffClass::BankOnly, P, A.to_owned(), true),
            (DiffClass::PlatformOnly, P, A.to_owned(), true),
            (DiffClass::PlatformOnly, P, B.to_owned(), false),
        ]
    );
    let rows: Vec<u32> = outcome
        .differences
        .iter()
        .filter_map(|d| d.platform.map(|platform| platform.row))
        .collect();
    assert_eq!(rows, vec![1, 2]);
}

#[test]
fn a_refund_and_a_payment_with_the_same_number_are_different_records() {
    let platform = table(&[(P, A, 1000, 6, OK), (R, B, 300, 0, OK)]);
    let mut statement = Statement::default();
    statement.line(R, A, 1000, 6).line(P, B, 300, 0);
    let outcome = reconcile(platform, &statement);
    assert_eq!(
        summary(&outcome),
        vec![
            (DiffClass::BankOnly, R, A.to_owned(), false),
            (DiffClass::BankOnly, P, B.to_owned(), false),
            (DiffClass::PlatformOnly, P, A.to_owned(), false),
            (DiffClass::PlatformOnly, R, B.to_owned(), false),
        ]
    );

    let both = table(&[(P, A, 1000, 6, OK), (R, A, 300, 0, OK)]);
    let mut statement = Statement::default();
    statement.line(R, A, 300, 0).line(P, A, 1000, 6);
    let outcome = reconcile(both, &statement);
    assert!(outcome.differences.is_empty(), "{:?}", outcome.differences);
    assert_eq!(outcome.classes.get(DiffClass::Matched), 2);
}

#[test]
fn numbers_of_other_formats_match_exactly() {
    let foreign = [
        "ORDER-2024-000001",
        "AbC123",
        "订单12345",
        "0h2k3m4n5p6aaaaaaaaaaaaaaaaaaaa",
        "0123456789abcdefghjkmnpqrstvwxyz",
        "0h2k3m4n5p6aaaaaaaaaaa ",
        "o1l1i1u1",
    ];
    let mut rows: Vec<(TxnKind, &str, i64, i64, PlatformStatus)> = foreign
        .iter()
        .map(|number| (P, *number, 100, 0, OK))
        .collect();
    rows.push((R, "订单12345", 50, 0, OK));
    rows.push((P, A, 100, 0, OK));
    let platform = table(&rows);
    for (row, number) in foreign.iter().enumerate() {
        assert_eq!(platform.key_of(row as u32).as_deref(), Some(*number));
    }
    assert_eq!(platform.key_of(foreign.len() as u32 + 2), None);

    let mut statement = Statement::default();
    for number in foreign {
        statement.line(P, number, 100, 0);
    }
    statement
        .line(R, "订单12345", 50, 0)
        .line(P, A, 100, 0)
        // Near misses: another case, another character, a prefix, the packable twin.
        .line(P, "order-2024-000001", 100, 0)
        .line(P, "ABC123", 100, 0)
        .line(P, "订单12346", 100, 0)
        .line(P, "0h2k3m4n5p6aaaaaaaaaaaaaaaaaaa", 100, 0)
        .line(P, "0h2k3m4n5p6aaaaaaaaaaa", 100, 0);
    let outcome = reconcile(platform, &statement);
    assert_eq!(
        outcome.classes.get(DiffClass::Matched),
        foreign.len() as u64 + 2
    );
    assert_eq!(
        summary(&outcome),
        vec![
            (
                DiffClass::BankOnly,
                P,
                "order-2024-000001".to_owned(),
                false
            ),
            (DiffClass::BankOnly, P, "ABC123".to_owned(), false),
            (DiffClass::BankOnly, P, "订单12346".to_owned(), false),
            (
                DiffClass::BankOnly,
                P,
                "0h2k3m4n5p6aaaaaaaaaaaaaaaaaaa".to_owned(),
                false
            ),
            (
                DiffClass::BankOnly,
                P,
                "0h2k3m4n5p6aaaaaaaaaaa".to_owned(),
                true
            ),
        ]
    );
}

#[test]
fn leading_zeros_and_length_keep_numbers_apart() {
    let numbers: Vec<String> = (0..=key::MAX_PACKED_LEN)
        .map(|len| "0".repeat(len))
        .chain(["a", "0a", "00a", "a0", "a00"].map(str::to_owned))
        .collect();
    let keys: std::collections::HashSet<u128> = numbers
        .iter()
        .map(|number| key::pack(P, number).unwrap())
        .collect();
    assert_eq!(keys.len(), numbers.len());
    for number in &numbers {
        let packed = key::pack(P, number).unwrap();
        assert_eq!(key::unpack(packed).as_deref(), Some(number.as_str()));
        assert_ne!(key::pack(R, number), Some(packed));
    }
    assert_eq!(key::pack(P, &"0".repeat(key::MAX_PACKED_LEN + 1)), None);

    // Through the engine: every length of zeros is its own record.
    let rows: Vec<(TxnKind, &str, i64, i64, PlatformStatus)> = numbers
        .iter()
        .map(|number| (P, number.as_str(), 1, 0, OK))
        .collect();
    let mut statement = Statement::default();
    for number in &numbers {
        statement.line(P, number, 1, 0);
    }
    let outcome = reconcile(table(&rows), &statement);
    assert!(outcome.differences.is_empty(), "{:?}", outcome.differences);
}

#[test]
fn class_names_round_trip() {
    let names: Vec<&str> = DiffClass::ALL.iter().map(|class| class.as_str()).collect();
    assert_eq!(
        names,
        [
            "matched",
            "bank_only",
            "platform_only",
            "amount_mismatch",
            "status_mismatch",
            "fee_mismatch"
        ]
    );
    for class in DiffClass::ALL {
        assert_eq!(DiffClass::parse(class.as_str()), Some(class));
    }
    assert_eq!(DiffClass::parse("Matched"), None);
}

#[test]
fn an_empty_table_and_an_empty_statement() {
    let outcome = reconcile(PlatformTable::new(), &Statement::default());
    assert_eq!(outcome, ReconOutcome::default());

    let mut statement = Statement::default();
    statement.line(P, A, 1, 0);
    let outcome = reconcile(PlatformTable::new(), &statement);
    assert_eq!(
        summary(&outcome),
        vec![(DiffClass::BankOnly, P, A.to_owned(), false)]
    );
}

/// Enough rows for the index to be built on several threads.
fn large_case(rows: u32) -> (PlatformTable, Statement) {
    let mut platform = PlatformTable::with_capacity(rows as usize);
    let mut statement = Statement::default();
    for row in 0..rows {
        let number = format!("0h2k3m4n5p{row:012}");
        let status = if row % 97 == 3 { NOT_OK } else { OK };
        platform
            .push(P, &number, 1000 + i64::from(row), 6, status)
            .unwrap();
        match row % 101 {
            0 => {}
            1 => {
                statement.line(P, &number, 1000 + i64::from(row), 7);
            }
            _ => {
                statement.line(P, &number, 1000 + i64::from(row), 6);
            }
        }
        if row % 211 == 0 {
            statement.line(R, &number, 5, 0);
        }
    }
    (platform, statement)
}

#[test]
fn the_same_inputs_give_the_same_outcome_on_any_number_of_threads() {
    let (platform, statement) = large_case(70_000);
    let outcomes: Vec<ReconOutcome> = [1, 2, 4, 1]
        .iter()
        .map(|threads| {
            let mut reconciler = Reconciler::with_threads(platform.clone(), *threads);
            statement.stream_into(&mut reconciler);
            reconciler.finish()
        })
        .collect();
    for outcome in &outcomes[1..] {
        assert_eq!(outcome, &outcomes[0]);
    }
    let outcome = &outcomes[0];
    let rows = |keep: fn(u32) -> bool| (0..70_000u32).filter(|row| keep(*row)).count() as u64;
    assert_eq!(
        outcome.classes.get(DiffClass::PlatformOnly),
        rows(|r| r % 101 == 0)
    );
    assert_eq!(
        outcome.classes.get(DiffClass::BankOnly),
        rows(|r| r % 211 == 0)
    );
    assert_eq!(
        outcome.classes.get(DiffClass::StatusMismatch),
        rows(|r| r % 97 == 3 && r % 101 != 0)
    );
    assert_eq!(
        outcome.classes.get(DiffClass::FeeMismatch),
        rows(|r| r % 101 == 1 && r % 97 != 3)
    );
    assert_eq!(outcome.classes.get(DiffClass::AmountMismatch), 0);
}

#[test]
fn a_crowded_shard_falls_back_to_one_shard() {
    let rows = 1usize << 16;
    // Three rows in four hash to the first of two shards, more than its slots can take.
    let crowded = |row: usize| {
        let spread = (row as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1;
        if row % 4 == 3 {
            spread | 1 << 63
        } else {
            spread
        }
    };
    let built = index::Index::build(rows, &crowded, 2);
    for row in (0..rows).step_by(257).chain([rows - 1]) {
        let hash = crowded(row);
        assert_eq!(
            built.find(hash, built.home(hash), |found| found as usize == row),
            Some(row as u32)
        );
    }
    assert_eq!(built.find(u64::MAX, built.home(u64::MAX), |_| false), None);
}

#[test]
fn memory_is_32_bytes_a_record_plus_the_index() {
    let (platform, _) = large_case(100_000);
    assert_eq!(platform.heap_bytes(), 100_000 * 32);
    let reconciler = Reconciler::with_threads(platform, 1);
    // 1.4 slots of 8 bytes a record, and one bit a record.
    let slots = (100_000 / 10 + 1) * 14;
    let bits = 100_000usize.div_ceil(64) * 8;
    assert_eq!(reconciler.heap_bytes(), 100_000 * 32 + slots * 8 + bits);
}
