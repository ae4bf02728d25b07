#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::fees::FeePlan;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn collected_payment<'a>(id: &'a str, amount: i64, fee: i64, bank_fee: i64) -> Collected<'a> {
    Collected {
        id,
        merchant_id: "mch_1",
        channel_account_id: "ca_1",
        amount,
        fee,
        bank_fee,
        accounting_date: "2026-11-27",
    }
}

#[test]
fn a_payment_posts_the_bank_the_merchant_and_both_fees() {
    let entry = payment_succeeded(&collected_payment("pay_1", 10_000, 60, 25)).unwrap();
    let mut balances = Balances::default();
    balances.post(&entry);
    assert_eq!(balances.of(&Account::bank_clearing("ca_1")), 9_975);
    assert_eq!(balances.of(&Account::bank_fees("ca_1")), 25);
    assert_eq!(balances.of(&Account::merchant_payable("mch_1")), -9_940);
    assert_eq!(balances.of(&Account::fee_income()), -60);
    assert_eq!(balances.trial_balance(), 0);
    assert_eq!(entry.debits(), 10_000);
}

#[test]
fn zero_fees_leave_no_zero_postings() {
    let entry = payment_succeeded(&collected_payment("pay_1", 100, 0, 0)).unwrap();
    assert_eq!(entry.postings.len(), 2);
    assert!(entry.postings.iter().all(|p| p.amount != 0));
}

#[test]
fn nothing_moves_without_two_postings_or_with_negative_amounts() {
    assert_eq!(
        payment_succeeded(&collected_payment("pay_1", 0, 0, 0)),
        Err(LedgerError::TooFewPostings)
    );
    assert_eq!(
        payment_succeeded(&collected_payment("pay_1", -5, 0, 0)),
        Err(LedgerError::Negative(-5))
    );
    assert_eq!(
        recon_adjustment("itm", "ca_1", 0, 0, "2026-11-27", "none"),
        Err(LedgerError::TooFewPostings)
    );
}

#[test]
fn a_reversal_undoes_an_entry() {
    let entry = payment_succeeded(&collected_payment("pay_1", 10_000, 60, 25)).unwrap();
    let reversal = entry.reversal("jnl_1", "2026-11-28").unwrap();
    assert_eq!(reversal.reason, EntryReason::Reversal);
    assert_eq!(reversal.cause_id, "jnl_1");
    let mut balances = Balances::default();
    balances.post(&entry);
    balances.post(&reversal);
    assert!(balances.by_account.values().all(|balance| *balance == 0));
}

#[test]
fn adjustments_move_the_bank_side_to_the_banks_figures() {
    // The bank shows 2 fen less and a fee 3 fen higher than we expected.
    let entry = recon_adjustment("itm_1", "ca_1", -2, 3, "2026-11-27", "bank wins").unwrap();
    let mut balances = Balances::default();
    balances.post(&entry);
    assert_eq!(balances.of(&Account::bank_clearing("ca_1")), -5);
    assert_eq!(balances.of(&Account::bank_fees("ca_1")), 3);
    assert_eq!(balances.of(&Account::recon_differences("ca_1")), 2);
    assert_eq!(balances.trial_balance(), 0);
}

#[test]
fn account_and_reason_names_round_trip() {
    for kind in AccountKind::ALL {
        let account = Account::new(kind, "owner_1");
        assert_eq!(Account::parse(&account.id()), Some(account));
    }
    for reason in EntryReason::ALL {
        assert_eq!(EntryReason::parse(reason.as_str()), Some(reason));
    }
    assert_eq!(Account::parse("cash:x"), None);
    assert_eq!(Account::parse("bank_clearing"), None);
}

/// What each account must hold, kept by plain arithmetic beside the ledger.
#[derive(Default)]
struct Model {
    bank: BTreeMap<String, i64>,
    bank_fees: BTreeMap<String, i64>,
    payable: BTreeMap<String, i64>,
    settling: BTreeMap<String, i64>,
    fee_income: i64,
    suspense: BTreeMap<String, i64>,
}

struct Paid {
    merchant: String,
    account: String,
    amount: i64,
    fee: i64,
    refunded: i64,
}

/// Random payments, captures, refunds, late successes and settlements: the trial balance holds
/// after every entry, and every account ends where the model says.
#[test]
fn random_sequences_balance_and_match_the_model() {
    for seed in 0..200u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let plan = FeePlan {
            rate_bps: rng.random_range(0..100),
            min_fen: Some(rng.random_range(0..5)),
            max_fen: Some(rng.random_range(50..500)),
            refund: if rng.random() {
                crate::fees::RefundFeePolicy::Kept
            } else {
                crate::fees::RefundFeePolicy::Proportional
            },
        };
        let mut balances = Balances::default();
        let mut model = Model::default();
        let mut paid: Vec<Paid> = Vec::new();
        for step in 0..300 {
            let id = format!("c{seed}_{step}");
            let merchant = format!("mch_{}", rng.random_range(0..3));
            let account = format!("ca_{}", rng.random_range(0..2));
            let entry = match rng.random_range(0..10) {
                0..=3 => {
                    let amount = rng.random_range(1..1_000_000);
                    let fee = plan.fee_for(amount);
                    let bank_fee = crate::fees::rate_half_up(amount, 25);
                    let c = Collected {
                        id: &id,
                        merchant_id: &merchant,
                        channel_account_id: &account,
                        amount,
                        fee,
                        bank_fee,
                        accounting_date: "2026-11-27",
                    };
                    let entry = if rng.random() {
                        payment_succeeded(&c)
                    } else {
                        capture(&c)
                    }
                    .unwrap();
                    *model.bank.entry(account.clone()).or_default() += amount - bank_fee;
                    *model.bank_fees.entry(account.clone()).or_default() += bank_fee;
                    *model.payable.entry(merchant.clone()).or_default() -= amount - fee;
                    model.fee_income -= fee;
                    paid.push(Paid {
                        merchant,
                        account,
                        amount,
                        fee,
                        refunded: 0,
                    });
                    entry
                }
                4..=6 if !paid.is_empty() => {
                    let index = rng.random_range(0..paid.len());
                    let payment = &mut paid[index];
                    let left = payment.amount - payment.refunded;
                    if left == 0 {
                        continue;
                    }
                    let amount = rng.random_range(1..=left);
                    let fee_returned = plan.refund_fee(payment.amount, payment.fee, amount);
                    payment.refunded += amount;
                    let entry = refund_succeeded(&Refunded {
                        id: &id,
                        merchant_id: &payment.merchant,
                        channel_account_id: &payment.account,
                        amount,
                        fee_returned,
                        accounting_date: "2026-11-27",
                    })
                    .unwrap();
                    *model.bank.entry(payment.account.clone()).or_default() -= amount;
                    *model.payable.entry(payment.merchant.clone()).or_default() +=
                        amount - fee_returned;
                    model.fee_income += fee_returned;
                    entry
                }
                7 => {
                    let amount = rng.random_range(1..10_000);
                    *model.bank.entry(account.clone()).or_default() += amount;
                    *model.suspense.entry(account.clone()).or_default() -= amount;
                    late_success(&id, &account, amount, "2026-11-27").unwrap()
                }
                _ => {
                    // Settle what the merchant is owed, paid from one bank account.
                    let owed = -model.payable.get(&merchant).copied().unwrap_or(0);
                    if owed <= 0 {
                        continue;
                    }
                    let approved = settlement_approved(&id, &merchant, owed, "2026-11-27").unwrap();
                    balances.post(&approved);
                    assert_eq!(balances.trial_balance(), 0);
                    *model.payable.entry(merchant.clone()).or_default() += owed;
                    *model.settling.entry(merchant.clone()).or_default() -= owed;
                    let paid_out =
                        settlement_paid(&id, &merchant, &[(account.clone(), owed)], "2026-11-27")
                            .unwrap();
                    *model.settling.entry(merchant.clone()).or_default() += owed;
                    *model.bank.entry(account.clone()).or_default() -= owed;
                    paid_out
                }
            };
            balances.post(&entry);
            assert_eq!(balances.trial_balance(), 0, "seed {seed} step {step}");
        }
        let expected = [
            (AccountKind::BankClearing, &model.bank),
            (AccountKind::BankFees, &model.bank_fees),
            (AccountKind::MerchantPayable, &model.payable),
            (AccountKind::SettlementPayable, &model.settling),
            (AccountKind::Suspense, &model.suspense),
        ];
        for (kind, by_owner) in expected {
            for (owner, balance) in by_owner {
                assert_eq!(
                    balances.of(&Account::new(kind, owner)),
                    *balance,
                    "seed {seed}: {kind:?} {owner}"
                );
            }
        }
        assert_eq!(balances.of(&Account::fee_income()), model.fee_income);
    }
}
