//! Properties: keys are exact, and the engine finds exactly the differences put into a
//! statement derived from the table.

use std::collections::HashSet;

use proptest::prelude::*;

use super::{P, R, Statement};
use crate::recon::{DiffClass, PlatformStatus, PlatformTable, Reconciler, key};
use crate::statement::TxnKind;

const BASE32: &str = "[0-9a-hjkmnp-tv-z]{0,24}";

fn kind() -> impl Strategy<Value = TxnKind> {
    prop_oneof![Just(P), Just(R)]
}

/// Our own numbers, other formats, other scripts.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => BASE32,
        1 => "[0-9a-zA-Z\\-_]{0,30}",
        1 => "[0-9a-z订单号]{0,10}",
        1 => "[0-9]{25,32}",
    ]
}

/// What the statement does with a record of ours.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Matches,
    AmountDiffers,
    FeeDiffers,
    AmountAndFeeDiffer,
    NotSucceeded,
    NotSucceededAndAmountDiffers,
    NotSucceededAndFeeDiffers,
    Missing,
    Repeated,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        Just(Fate::Matches),
        Just(Fate::AmountDiffers),
        Just(Fate::FeeDiffers),
        Just(Fate::AmountAndFeeDiffer),
        Just(Fate::NotSucceeded),
        Just(Fate::NotSucceededAndAmountDiffers),
        Just(Fate::NotSucceededAndFeeDiffers),
        Just(Fate::Missing),
        Just(Fate::Repeated),
    ]
}

type Record = (TxnKind, String, i64, i64, Fate);
/// A bank line: kind, number, amount, fee.
type Line = (TxnKind, String, i64, i64);
type Found = (DiffClass, TxnKind, String, bool);

fn case() -> impl Strategy<Value = (Vec<Record>, Vec<(TxnKind, String, bool)>, u64)> {
    let records = prop::collection::vec(
        (kind(), number(), 1..1_000_000_000i64, 0..1000i64, fate()),
        0..80,
    );
    let strangers = prop::collection::vec((kind(), number(), any::<bool>()), 0..10);
    (records, strangers, any::<u64>())
}

/// The table, the statement lines (unshuffled) and the differences expected.
fn derive(
    records: Vec<Record>,
    strangers: Vec<(TxnKind, String, bool)>,
) -> (PlatformTable, Vec<Line>, Vec<Found>, u64) {
    let mut seen = HashSet::new();
    let mut table = PlatformTable::new();
    let mut lines = Vec::new();
    let mut expected = Vec::new();
    let mut matched = 0;
    for (kind, number, amount, fee, fate) in records {
        if !seen.insert((kind, number.clone())) {
            continue;
        }
        let not_succeeded = matches!(
            fate,
            Fate::NotSucceeded
                | Fate::NotSucceededAndAmountDiffers
                | Fate::NotSucceededAndFeeDiffers
        );
        let status = if not_succeeded {
            PlatformStatus::NotSucceeded
        } else {
            PlatformStatus::Succeeded
        };
        table.push(kind, &number, amount, fee, status).unwrap();
        let (bank_amount, bank_fee, class) = match fate {
            Fate::Matches | Fate::Repeated => (amount, fee, DiffClass::Matched),
            Fate::AmountDiffers => (amount + 1, fee, DiffClass::AmountMismatch),
            Fate::FeeDiffers => (amount, fee + 1, DiffClass::FeeMismatch),
            Fate::AmountAndFeeDiffer => (amount + 1, fee + 1, DiffClass::AmountMismatch),
            Fate::NotSucceeded => (amount, fee, DiffClass::StatusMismatch),
            Fate::NotSucceededAndAmountDiffers => (amount + 1, fee, DiffClass::StatusMismatch),
            Fate::NotSucceededAndFeeDiffers => (amount, fee + 1, DiffClass::StatusMismatch),
            Fate::Missing => {
                expected.push((DiffClass::PlatformOnly, kind, number, false));
                continue;
            }
        };
        lines.push((kind, number.clone(), bank_amount, bank_fee));
        if let Fate::Repeated = fate {
            lines.push((kind, number.clone(), bank_amount, bank_fee));
            expected.push((DiffClass::BankOnly, kind, number.clone(), true));
        }
        if class == DiffClass::Matched {
            matched += 1;
        } else {
            expected.push((class, kind, number, false));
        }
    }
    for (kind, number, twice) in strangers {
        if !seen.insert((kind, number.clone())) {
            continue;
        }
        lines.push((kind, number.clone(), 77, 1));
        expected.push((DiffClass::BankOnly, kind, number.clone(), false));
        if twice {
            lines.push((kind, number.clone(), 77, 1));
            expected.push((DiffClass::BankOnly, kind, number, true));
        }
    }
    (table, lines, expected, matched)
}

/// A deterministic shuffle (Fisher–Yates on a splitmix sequence).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        items.swap(i, (z % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn packed_keys_round_trip(kind in kind(), text in BASE32) {
        let packed = key::pack(kind, &text).unwrap();
        prop_assert_eq!(key::unpack(packed), Some(text));
        prop_assert_eq!(key::kind(packed), kind);
        prop_assert!(!key::is_fallback(packed));
    }

    #[test]
    fn different_numbers_never_share_a_key(a in BASE32, b in BASE32, zeros in 0usize..24) {
        prop_assert_eq!(key::pack(P, &a) == key::pack(P, &b), a == b);
        prop_assert_ne!(key::pack(P, &a), key::pack(R, &a));
        // The same digits behind more leading zeros are another number.
        let padded = format!("{}{a}", "0".repeat(zeros + 1));
        if padded.len() <= key::MAX_PACKED_LEN {
            prop_assert_ne!(key::pack(P, &padded), key::pack(P, &a));
        }
    }

    #[test]
    fn other_numbers_do_not_pack(text in "[^0-9a-hjkmnp-tv-z]{1,3}|[0-9a-z]{25,40}") {
        prop_assert_eq!(key::pack(P, &text), None);
    }

    #[test]
    fn the_engine_finds_exactly_the_differences_put_in((records, strangers, seed) in case()) {
        let (table, mut lines, mut expected, matched) = derive(records, strangers);
        shuffle(&mut lines, seed);
        let mut statement = Statement::default();
        for (kind, number, amount, fee) in &lines {
            statement.line(*kind, number, *amount, *fee);
        }
        let mut reconciler = Reconciler::new(table);
        statement.stream_into(&mut reconciler);
        let outcome = reconciler.finish();

        let mut found: Vec<Found> = outcome
            .differences
            .iter()
            .map(|d| (d.class, d.kind, d.order_no.clone(), d.duplicate))
            .collect();
        found.sort();
        expected.sort();
        prop_assert_eq!(found, expected);
        prop_assert_eq!(outcome.classes.get(DiffClass::Matched), matched);

        // Line differences in line order, then records in table order.
        let lines: Vec<u64> = outcome.differences.iter().filter_map(|d| d.bank.as_ref().map(|b| b.line_no)).collect();
        prop_assert!(lines.windows(2).all(|pair| pair[0] < pair[1]));
        let rows: Vec<u32> = outcome
            .differences
            .iter()
            .filter(|d| d.class == DiffClass::PlatformOnly)
            .filter_map(|d| d.platform.map(|p| p.row))
            .collect();
        prop_assert!(rows.windows(2).all(|pair| pair[0] < pair[1]));
        let first_platform_only = outcome.differences.iter().position(|d| d.bank.is_none());
        if let Some(first) = first_platform_only {
            prop_assert!(outcome.differences[first..].iter().all(|d| d.bank.is_none()));
        }
    }
}
