//! Settlement batches: the day's sums, approval, payment, cancellation, races and the file.

use super::*;

/// Proves each merchant with successful payments on the date gets one batch whose lines and
/// totals are exactly those payments (per channel account: count, amount, our fee), that
/// other dates and unpaid payments are left out, and that the net is what the ledger owes the
/// merchant for that date.
pub(super) async fn batches_sum_the_day_and_match_the_ledger(store: Store) {
    let run = settle(&store, false).await;
    assert!(!run.refused());
    assert!(run.existing.is_empty());
    assert_eq!(run.created.len(), 2, "mch_3 has no payment on {DAY}");
    for merchant in ["mch_1", "mch_2"] {
        let batch = only(&run.created, merchant);
        assert_eq!(batch.status, BatchStatus::PendingReview);
        assert_eq!(batch.generation, 1);
        assert_eq!(batch.accounting_date, DAY);
        let payments = paid_on(&store, merchant, DAY).await;
        assert_eq!(batch.payments, payments.len() as i64);
        assert_eq!(
            batch.payments_fen,
            payments.iter().map(|p| p.amount.fen()).sum::<i64>()
        );
        assert_eq!(batch.fees_fen, payments.iter().map(|p| p.fee).sum::<i64>());
        assert_eq!((batch.refunds, batch.refunds_fen), (0, 0));
        assert_eq!(batch.net_fen, batch.payments_fen - batch.fees_fen);
        let lines = store.batch_lines(&batch.id).await.unwrap();
        for line in &lines {
            let through: Vec<_> = payments
                .iter()
                .filter(|p| p.channel_account_id == line.channel_account_id)
                .collect();
            assert_eq!(line.payments, through.len() as i64);
            assert_eq!(
                line.payments_fen,
                through.iter().map(|p| p.amount.fen()).sum::<i64>()
            );
            assert_eq!(line.fees_fen, through.iter().map(|p| p.fee).sum::<i64>());
            assert_eq!(line.net_fen, line.payments_fen - line.fees_fen);
        }
        assert_eq!(lines.iter().map(|l| l.net_fen).sum::<i64>(), batch.net_fen);
        // The merchant_payable postings of exactly these payments' entries owe the net.
        let mut owed = 0;
        for p in &payments {
            for entry in store.entries_for(&p.id).await.unwrap() {
                owed += entry
                    .postings
                    .iter()
                    .filter(|posting| {
                        posting.account.id() == format!("merchant_payable:{merchant}")
                    })
                    .map(|posting| posting.amount)
                    .sum::<i64>();
            }
        }
        assert_eq!(owed, -batch.net_fen);
        assert_eq!(
            balance(&store, &format!("merchant_payable:{merchant}")).await,
            -batch.net_fen
        );
        assert_eq!(
            store.get_batch(&batch.id).await.unwrap().as_ref(),
            Some(batch)
        );
        assert_eq!(
            audit_actions(&store, &batch.id).await,
            vec![("settlement.create".into(), "ok".into())]
        );
    }
    let mch_1 = only(&run.created, "mch_1");
    assert_eq!(mch_1.payments, 5);
    assert_eq!(mch_1.payments_fen, 1234 + 1250 + 100 + 20_000 + 999);
    // 0.6% (at least 5 fen) through cha_1, 0.3% (at most 50 fen) through cha_2.
    assert_eq!(mch_1.fees_fen, (7 + 8 + 5) + (50 + 3));
    let lines = store.batch_lines(&mch_1.id).await.unwrap();
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.channel_account_id.as_str(), l.payments, l.net_fen))
            .collect::<Vec<_>>(),
        vec![
            ("cha_1", 3, 1234 + 1250 + 100 - 20),
            ("cha_2", 2, 20_000 + 999 - 53)
        ]
    );
    assert!(store.check_ledger().await.unwrap().holds());
    assert_eq!(
        store.list_batches(Some(NEXT_DAY), None).await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.list_batches(Some(DAY), Some("mch_2")).await.unwrap(),
        vec![only(&run.created, "mch_2").clone()]
    );
}

/// Proves approval moves the net from merchant_payable to settlement_payable and payment moves
/// it out of each channel account's bank_clearing by its line: the merchant's accounts for the
/// day end at zero, the banks keep only our fee less theirs, and the books balance.
pub(super) async fn approval_and_payment_clear_the_merchant_balances(store: Store) {
    let run = settle(&store, false).await;
    let batch = only(&run.created, "mch_1").clone();
    let (approved, entry) = changed(
        store
            .approve_batch(&batch.id, ACTOR, FROM, Some("checked"), NOW + 20_000)
            .await
            .unwrap(),
    );
    assert_eq!(approved.status, BatchStatus::Approved);
    assert_eq!(approved.approved_by.as_deref(), Some(ACTOR));
    assert_eq!(approved.approved_at, Some(NOW + 20_000));
    assert!(entry.is_some());
    assert_eq!(balance(&store, "merchant_payable:mch_1").await, 0);
    assert_eq!(
        balance(&store, "settlement_payable:mch_1").await,
        -batch.net_fen
    );
    let (paid, entry) = changed(
        store
            .mark_batch_paid(&batch.id, ACTOR, FROM, None, NOW + 30_000, false)
            .await
            .unwrap(),
    );
    assert_eq!(paid.status, BatchStatus::Paid);
    assert_eq!(paid.paid_by.as_deref(), Some(ACTOR));
    assert!(entry.is_some());
    assert_eq!(balance(&store, "merchant_payable:mch_1").await, 0);
    assert_eq!(balance(&store, "settlement_payable:mch_1").await, 0);
    // What stays with each bank account of DAY is our fee less the bank's.
    for account in ["cha_1", "cha_2"] {
        let payments: Vec<_> = paid_on(&store, "mch_1", DAY)
            .await
            .into_iter()
            .filter(|p| p.channel_account_id == account)
            .collect();
        assert_eq!(
            balance(&store, &format!("bank_clearing:{account}")).await,
            payments.iter().map(|p| p.fee - p.bank_fee).sum::<i64>()
        );
    }
    let entries = store.entries_for(&batch.id).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| e.reason).collect::<Vec<_>>(),
        vec![EntryReason::SettlementApproved, EntryReason::SettlementPaid]
    );
    assert!(entries.iter().all(|e| e.accounting_date == DAY));
    let check = store.check_ledger().await.unwrap();
    assert!(check.holds(), "{check:?}");
    assert_eq!(
        audit_actions(&store, &batch.id).await,
        vec![
            ("settlement.create".into(), "ok".into()),
            ("settlement.approve".into(), "ok".into()),
            ("settlement.mark_paid".into(), "ok".into()),
        ]
    );
    // Paid is final.
    for refused in [
        store
            .approve_batch(&batch.id, ACTOR, FROM, None, NOW + 40_000)
            .await
            .unwrap(),
        store
            .cancel_batch(&batch.id, ACTOR, FROM, Some("too late"), NOW + 40_000)
            .await
            .unwrap(),
    ] {
        assert!(matches!(refused, BatchChange::Refused(ref b) if b.status == BatchStatus::Paid));
    }
    assert_eq!(store.entries_for(&batch.id).await.unwrap().len(), 2);
}

/// Proves a second run for the same date makes nothing and reports the batches it found.
pub(super) async fn settling_twice_creates_nothing(store: Store) {
    let first = settle(&store, false).await;
    let second = settle(&store, false).await;
    assert!(second.created.is_empty(), "{second:?}");
    let mut found = second.existing.clone();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let mut made = first.created.clone();
    made.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(found, made);
    // Approved or paid, it stays the one batch of the date.
    let batch = only(&first.created, "mch_2");
    changed(
        store
            .approve_batch(&batch.id, ACTOR, FROM, None, NOW + 20_000)
            .await
            .unwrap(),
    );
    let third = settle(&store, false).await;
    assert!(third.created.is_empty());
    assert_eq!(store.list_batches(Some(DAY), None).await.unwrap().len(), 2);
}

/// Proves two settle runs at once make one batch per merchant between them.
pub(super) async fn concurrent_runs_make_one_batch_per_merchant(store: Store) {
    let (a, b) = tokio::join!(settle(&store, false), settle(&store, false));
    assert_eq!(a.created.len() + b.created.len(), 2, "{a:?} {b:?}");
    assert_eq!(a.existing.len() + b.existing.len(), 2);
    assert_eq!(store.list_batches(Some(DAY), None).await.unwrap().len(), 2);
}

/// Proves two operators approving the same batch at once: one wins, the other is refused, and
/// one approval entry is posted.
pub(super) async fn racing_approvals_have_one_winner(store: Store) {
    let run = settle(&store, false).await;
    let batch_id = only(&run.created, "mch_1").id.clone();
    let tasks: Vec<_> = (0..2)
        .map(|i| {
            let store = store.clone();
            let batch_id = batch_id.clone();
            tokio::spawn(async move {
                store
                    .approve_batch(&batch_id, ACTOR, FROM, None, NOW + 20_000 + i)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let won = outcomes
        .iter()
        .filter(|o| matches!(o, BatchChange::Changed { .. }))
        .count();
    let lost = outcomes
        .iter()
        .filter(|o| matches!(o, BatchChange::Refused(b) if b.status == BatchStatus::Approved))
        .count();
    assert_eq!((won, lost), (1, 1), "{outcomes:?}");
    let entries = store.entries_for(&batch_id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].reason, EntryReason::SettlementApproved);
    let again = store
        .approve_batch(&batch_id, ACTOR, FROM, None, NOW + 30_000)
        .await
        .unwrap();
    assert!(matches!(again, BatchChange::Refused(_)));
    assert_eq!(store.entries_for(&batch_id).await.unwrap().len(), 1);
    let audit = audit_actions(&store, &batch_id).await;
    assert_eq!(
        audit
            .iter()
            .filter(|(action, outcome)| action == "settlement.approve" && outcome == "ok")
            .count(),
        1
    );
    assert_eq!(
        audit
            .iter()
            .filter(|(action, outcome)| action == "settlement.approve" && outcome == "refused")
            .count(),
        2
    );
    assert!(store.check_ledger().await.unwrap().holds());
}

/// Proves a batch cannot be paid before it is approved, and an unknown batch is not found.
pub(super) async fn paying_before_approval_is_refused(store: Store) {
    let run = settle(&store, false).await;
    let batch = only(&run.created, "mch_2");
    let refused = store
        .mark_batch_paid(&batch.id, ACTOR, FROM, None, NOW + 20_000, false)
        .await
        .unwrap();
    let BatchChange::Refused(as_is) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(as_is.status, BatchStatus::PendingReview);
    assert_eq!(as_is.paid_at, None);
    assert!(store.entries_for(&batch.id).await.unwrap().is_empty());
    assert_eq!(
        audit_actions(&store, &batch.id).await,
        vec![
            ("settlement.create".into(), "ok".into()),
            ("settlement.mark_paid".into(), "refused".into()),
        ]
    );
    assert_eq!(
        store
            .approve_batch("stl_none", ACTOR, FROM, None, NOW)
            .await
            .unwrap(),
        BatchChange::NotFound
    );
}

/// Proves cancelling an approved batch posts the reversal of its approval (the merchant is
/// owed the net again), that a new run then makes generation 2, and that cancelling a batch
/// under review posts nothing.
pub(super) async fn cancelling_an_approved_batch_reverses_it_and_allows_a_new_generation(
    store: Store,
) {
    let run = settle(&store, false).await;
    let first = only(&run.created, "mch_1").clone();
    let (_, approval) = changed(
        store
            .approve_batch(&first.id, ACTOR, FROM, None, NOW + 20_000)
            .await
            .unwrap(),
    );
    let approval = approval.unwrap();
    let (cancelled, reversal) = changed(
        store
            .cancel_batch(&first.id, ACTOR, FROM, Some("wrong bank"), NOW + 30_000)
            .await
            .unwrap(),
    );
    assert_eq!(cancelled.status, BatchStatus::Cancelled);
    assert_eq!(cancelled.cancelled_by.as_deref(), Some(ACTOR));
    let reversal_id = reversal.unwrap();
    let reversals = store.entries_for(&approval).await.unwrap();
    assert_eq!(reversals.len(), 1);
    assert_eq!(reversals[0].id, reversal_id);
    assert_eq!(reversals[0].reason, EntryReason::Reversal);
    assert_eq!(reversals[0].accounting_date, DAY);
    assert_eq!(
        balance(&store, "merchant_payable:mch_1").await,
        -first.net_fen
    );
    assert_eq!(balance(&store, "settlement_payable:mch_1").await, 0);
    let audit = audit_actions(&store, &first.id).await;
    assert_eq!(
        audit.last(),
        Some(&("settlement.cancel".into(), "ok".into()))
    );

    let again = settle(&store, false).await;
    let second = only(&again.created, "mch_1");
    assert_eq!(second.generation, 2);
    assert_eq!(second.net_fen, first.net_fen);
    assert_ne!(second.id, first.id);
    assert_eq!(only(&again.existing, "mch_2").generation, 1);
    // A batch under review is cancelled without touching the ledger.
    let (_, nothing) = changed(
        store
            .cancel_batch(&second.id, ACTOR, FROM, Some("redo"), NOW + 40_000)
            .await
            .unwrap(),
    );
    assert_eq!(nothing, None);
    assert!(store.entries_for(&second.id).await.unwrap().is_empty());
    let third = settle(&store, false).await;
    assert_eq!(only(&third.created, "mch_1").generation, 3);
    let (_, _) = changed(
        store
            .approve_batch(
                &only(&third.created, "mch_1").id,
                ACTOR,
                FROM,
                None,
                NOW + 50_000,
            )
            .await
            .unwrap(),
    );
    assert_eq!(balance(&store, "merchant_payable:mch_1").await, 0);
    assert!(store.check_ledger().await.unwrap().holds());
}

/// Proves an open (or held) reconciliation item of the date on one of a merchant's channel
/// accounts holds that merchant's settlement back, leaves the others alone, is audited, and
/// is overridden on request; resolved items and other dates do not count.
pub(super) async fn open_differences_hold_settlement_unless_overridden(store: Store) {
    for (id, date, status) in [
        ("itm_1", DAY, "open"),
        ("itm_2", DAY, "held"),
        ("itm_3", DAY, "resolved"),
        ("itm_4", NEXT_DAY, "open"),
    ] {
        store
            .execute_for_test(&format!(
                "INSERT INTO recon_items (id, channel_account_id, accounting_date, class, kind, order_no, \
                 status, created_at, updated_at) VALUES ('{id}', 'cha_2', '{date}', 'difference', \
                 'amount_mismatch', 'o-{id}', '{status}', {NOW}, {NOW})"
            ))
            .await
            .unwrap();
    }
    let refused = settle(&store, false).await;
    assert!(refused.refused());
    assert_eq!(refused.blocking_items(), 2);
    assert_eq!(refused.blocked.len(), 1);
    assert_eq!(refused.blocked[0].merchant_id, "mch_1");
    assert_eq!(refused.created.len(), 1, "mch_2 is settled all the same");
    assert_eq!(refused.created[0].merchant_id, "mch_2");
    assert!(
        store
            .list_batches(Some(DAY), Some("mch_1"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        audit_actions(&store, "mch_1").await,
        vec![("settlement.create".into(), "refused".into())]
    );
    let allowed = settle(&store, true).await;
    assert!(!allowed.refused());
    assert_eq!(only(&allowed.created, "mch_1").generation, 1);
    assert_eq!(only(&allowed.existing, "mch_2").generation, 1);
}

/// Proves the settlement file has one line per channel account and a TOTAL line equal to the
/// batch, with yuan to exactly two decimals, and its stored hash is the hash of its bytes.
pub(super) async fn the_file_total_equals_the_batch(store: Store) {
    let run = settle(&store, false).await;
    for batch in &run.created {
        let stored = store.get_batch(&batch.id).await.unwrap().unwrap();
        assert_eq!(
            stored.file_sha256,
            hex::encode(Sha256::digest(stored.file_csv.as_bytes()))
        );
        let rows: Vec<&str> = stored.file_csv.lines().collect();
        assert_eq!(rows[0], CSV_HEADER);
        let lines = store.batch_lines(&batch.id).await.unwrap();
        assert_eq!(rows.len(), lines.len() + 2);
        for (row, line) in rows[1..].iter().zip(&lines) {
            assert_eq!(
                *row,
                format!(
                    "{},{DAY},{},{},{},0,0.00,{},{}",
                    batch.merchant_id,
                    line.channel_account_id,
                    line.payments,
                    format_yuan(line.payments_fen),
                    format_yuan(line.fees_fen),
                    format_yuan(line.net_fen)
                )
            );
        }
        let total: Vec<&str> = rows[rows.len() - 1].split(',').collect();
        assert_eq!(total[2], "TOTAL");
        assert_eq!(total[3].parse::<i64>().unwrap(), batch.payments);
        for (field, fen) in [
            (total[4], batch.payments_fen),
            (total[6], batch.refunds_fen),
            (total[7], batch.fees_fen),
            (total[8], batch.net_fen),
        ] {
            assert_eq!(field.split_once('.').unwrap().1.len(), 2, "{field}");
            assert_eq!(unipay_core::money::parse_yuan_to_fen(field).unwrap(), fen);
        }
        // The lines add up to the total.
        let net: i64 = rows[1..rows.len() - 1]
            .iter()
            .map(|r| unipay_core::money::parse_yuan_to_fen(r.rsplit(',').next().unwrap()).unwrap())
            .sum();
        assert_eq!(net, batch.net_fen);
    }
    assert_eq!(
        only(&run.created, "mch_2").file_csv,
        format!(
            "{CSV_HEADER}\nmch_2,{DAY},cha_3,1,33.33,0,0.00,0.00,33.33\nmch_2,{DAY},TOTAL,1,33.33,0,0.00,0.00,33.33\n"
        )
    );
}
