//! Refund batches: checked whole, written in one go, and the bank's answers line by line.

use super::*;

/// Inserts `count` succeeded payments of `amount` fen quickly (no entries: benchmark rows).
pub(super) async fn bulk_paid(
    store: &Store,
    prefix: &str,
    count: usize,
    amount: i64,
) -> Vec<String> {
    let ids: Vec<String> = (0..count).map(|n| format!("pay_{prefix}{n:06}")).collect();
    let order_nos: Vec<String> = (0..count)
        .map(|_| unipay_core::ids::new_body(NOW))
        .collect();
    let payments: Vec<BenchPayment<'_>> = ids
        .iter()
        .zip(&order_nos)
        .map(|(id, order_no)| BenchPayment {
            id,
            order_no,
            amount,
            bank_fee: 0,
            status: "succeeded",
            accounting_date: Some(DAY),
        })
        .collect();
    store
        .insert_payments_for_benchmark(
            &BenchOwner {
                app_id: "app_1",
                merchant_id: "mch_1",
                channel_account_id: "cha_1",
                now_ms: NOW,
            },
            &payments,
        )
        .await
        .unwrap();
    ids
}

pub(super) fn batch_of(out_batch_no: &str, lines: Vec<NewBatchLine>) -> NewRefundBatch {
    NewRefundBatch {
        app_id: "app_1".into(),
        out_batch_no: out_batch_no.into(),
        channel_account_id: None,
        lines,
        notify_url: Some(NOTIFY.into()),
        next_query_at: Some(NOW + 60_000),
        created_at: NOW + 10,
    }
}

pub(super) fn line(payment: PaymentRef, out_refund_no: String, amount: i64) -> NewBatchLine {
    NewBatchLine {
        payment,
        out_refund_no,
        amount,
        reason: None,
    }
}

pub(super) async fn create_batch(store: &Store, new: &NewRefundBatch) -> CreateRefundBatch {
    match store
        .create_refund_batch(new, None, None, &render_batch_response)
        .await
        .unwrap()
    {
        Idempotent::Fresh(outcome) => outcome,
        other => panic!("unexpected {other:?}"),
    }
}

/// Proves a batch of 1,000 lines with 30 bad ones is refused whole, naming exactly the bad
/// lines, and writes no batch, refund, reservation or timeline entry.
pub(super) async fn a_batch_with_bad_lines_is_rejected_whole_and_writes_nothing(store: Store) {
    let ids = bulk_paid(&store, "bad", 1_000, 1_000).await;
    let other = create_payment(
        &store,
        &NewPayment {
            bank_choice: unipay_store::payments::BankChoice::Fixed,
            channel_account_id: "cha_2".into(),
            ..new_payment("OTHER-ACCOUNT", 1_000, CaptureMode::Immediate)
        },
    )
    .await;
    let mut lines: Vec<NewBatchLine> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            // Every other line names its payment by out_trade_no (the bulk rows use the id).
            let payment = if n % 2 == 0 {
                PaymentRef::Id(id.clone())
            } else {
                PaymentRef::OutTradeNo(id.clone())
            };
            line(payment, format!("B-{n}"), 500)
        })
        .collect();
    let mut expected = BTreeSet::new();
    for n in 0..6 {
        let index = n * 150 + 3;
        lines[index].amount = 0;
        expected.insert((index + 1) as i64);
        let index = n * 150 + 7;
        lines[index].payment = PaymentRef::Id(format!("pay_missing{n}"));
        expected.insert((index + 1) as i64);
        let index = n * 150 + 11;
        lines[index].out_refund_no = "B-0".into();
        expected.insert((index + 1) as i64);
        // A second line on the payment of the line before: 500 + 600 is over 1,000.
        let index = n * 150 + 21;
        lines[index].payment = lines[index - 1].payment.clone();
        lines[index].amount = 600;
        expected.insert((index + 1) as i64);
        let index = n * 150 + 31;
        lines[index].payment = PaymentRef::Id(other.id.clone());
        expected.insert((index + 1) as i64);
    }
    assert_eq!(expected.len(), 30, "3% of the lines are bad");
    let outcome = create_batch(&store, &batch_of("BATCH-BAD", lines)).await;
    let CreateRefundBatch::LinesRejected(errors) = outcome else {
        panic!("{outcome:?}")
    };
    let named: BTreeSet<i64> = errors.iter().map(|e| e.line).collect();
    assert_eq!(named, expected);
    assert!(
        errors
            .iter()
            .any(|e| e.problem == LineProblem::Refused(RefundRefusal::AmountNotPositive))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.problem == LineProblem::Refused(RefundRefusal::PaymentNotFound))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.problem == LineProblem::OutRefundNoRepeated { first_line: 1 })
    );
    assert!(errors.iter().any(|e| matches!(
        e.problem,
        LineProblem::Refused(RefundRefusal::ExceedsRefundable {
            requested: 600,
            remaining: 500
        })
    )));
    assert!(errors.iter().any(|e| e.problem
        == LineProblem::OtherChannelAccount {
            channel_account_id: "cha_2".into()
        }));
    assert!(
        store
            .get_refund_batch_by_out_batch_no("app_1", "BATCH-BAD")
            .await
            .unwrap()
            .is_none()
    );
    for id in ids.iter().step_by(97) {
        assert_eq!(payment(&store, id).await.refund_reserved, 0);
        assert!(store.list_refunds_for_payment(id).await.unwrap().is_empty());
        assert!(store.list_payment_events(id).await.unwrap().is_empty());
    }
    let page = store
        .list_transactions(&TransactionQuery {
            app_id: "app_1",
            from_ms: 0,
            to_ms: i64::MAX,
            status: None,
            kind: Some(TransactionKind::Refund),
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(page.rows.is_empty());
    // A batch with no lines, or too many, is refused as a whole.
    assert_eq!(
        create_batch(&store, &batch_of("BATCH-EMPTY", Vec::new())).await,
        CreateRefundBatch::Refused(BatchRefusal::NoLines)
    );
    let too_many = (0..10_001)
        .map(|n| line(PaymentRef::Id(ids[0].clone()), format!("T-{n}"), 1))
        .collect();
    assert_eq!(
        create_batch(&store, &batch_of("BATCH-BIG", too_many)).await,
        CreateRefundBatch::Refused(BatchRefusal::TooManyLines { lines: 10_001 })
    );
}

/// Proves 1,000 good lines make 1,000 pending refunds, their reservations and lines, in one
/// go; and that the same out_batch_no again reports the batch.
pub(super) async fn a_valid_batch_makes_one_pending_refund_per_line(store: Store) {
    let ids = bulk_paid(&store, "ok", 1_000, 1_000).await;
    let lines = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            line(
                PaymentRef::Id(id.clone()),
                format!("OK-{n}"),
                400 + n as i64 % 7,
            )
        })
        .collect();
    let new = batch_of("BATCH-OK", lines);
    let started = Instant::now();
    let outcome = create_batch(&store, &new).await;
    eprintln!("1,000-line batch written in {:?}", started.elapsed());
    let CreateRefundBatch::Created(batch) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(batch.status, RefundBatchStatus::Created);
    assert_eq!(batch.line_count, 1_000);
    let expected_total: i64 = (0..1_000).map(|n| 400 + n % 7).sum();
    assert_eq!(batch.total_amount, expected_total);
    assert_eq!(batch.channel_account_id, "cha_1");
    assert_eq!(batch.batch_no.len(), 22);
    let (stored, lines) = store
        .get_refund_batch_with_lines(&batch.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, batch);
    assert_eq!(lines.len(), 1_000);
    assert!(lines.iter().all(|l| l.status == RefundStatus::Pending));
    assert_eq!(
        lines.iter().map(|l| l.seq_no).collect::<Vec<_>>(),
        (1..=1_000).collect::<Vec<i64>>()
    );
    for (n, l) in lines.iter().enumerate().step_by(111) {
        assert_eq!(l.payment_id, ids[n]);
        assert_eq!(l.out_refund_no, format!("OK-{n}"));
        let p = payment(&store, &ids[n]).await;
        assert_eq!(p.refund_reserved, 400 + n as i64 % 7);
        assert_eq!(l.order_no, p.order_no);
        let r = store.get_refund(&l.refund_id).await.unwrap().unwrap();
        assert_eq!(r.batch_id.as_deref(), Some(batch.id.as_str()));
        assert_eq!(
            r.next_query_at, None,
            "a batch's refunds are queried with it"
        );
        assert_eq!(r.notify_url.as_deref(), Some(NOTIFY));
    }
    assert!(
        store
            .claim_due_refund_queries(NOW + 1_000_000_000, 10, 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        create_batch(&store, &new).await,
        CreateRefundBatch::Duplicate(batch.clone())
    );
    // A line taking an out_refund_no of the batch is refused in the next batch.
    let again = batch_of(
        "BATCH-OK-2",
        vec![line(PaymentRef::Id(ids[0].clone()), "OK-0".into(), 1)],
    );
    let CreateRefundBatch::LinesRejected(errors) = create_batch(&store, &again).await else {
        panic!("a taken number must be refused")
    };
    assert!(matches!(
        errors[0].problem,
        LineProblem::OutRefundNoTaken { .. }
    ));
    // A line's refund changed on its own (a single query) moves the batch's tallies too.
    succeed(&store, &lines[0].refund_id).await;
    let batch = store.get_refund_batch(&batch.id).await.unwrap().unwrap();
    assert_eq!((batch.succeeded_count, batch.succeeded_amount), (1, 400));
    assert_eq!(batch.status, RefundBatchStatus::Created);
}

/// Proves the bank's acceptance, a due claim, and per-line results (succeeded, failed, still
/// pending, then the rest) give exact tallies, payment sums, entries and notifications.
pub(super) async fn batch_results_give_exact_totals(store: Store) {
    let ids = bulk_paid(&store, "res", 1_000, 1_000).await;
    let lines = ids
        .iter()
        .enumerate()
        .map(|(n, id)| line(PaymentRef::Id(id.clone()), format!("RES-{n}"), 500))
        .collect();
    let CreateRefundBatch::Created(batch) =
        create_batch(&store, &batch_of("BATCH-RES", lines)).await
    else {
        panic!("not created")
    };
    let accepted = store
        .record_refund_batch_accepted(&BatchAcceptance {
            batch_id: &batch.id,
            serial_number: "SERIAL0001",
            batch_date: "2027-01-15",
            batch_time: "10:00:00",
            next_query_at: NOW + 5_000,
            message: None,
            now_ms: NOW + 20,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.status, RefundBatchStatus::Submitted);
    assert_eq!(accepted.serial_number.as_deref(), Some("SERIAL0001"));
    assert!(
        store
            .claim_due_refund_batches(NOW + 4_999, 10, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store
        .claim_due_refund_batches(NOW + 5_000, 10, 30_000)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .claim_due_refund_batches(NOW + 5_000, 10, 30_000)
            .await
            .unwrap()
            .is_empty()
    );
    let lines = store.refund_batch_lines(&batch.id).await.unwrap();
    let serials: Vec<String> = (0..1_000).map(|n| format!("SIM-B-{n}")).collect();
    let outcome = |n: usize, event| BatchLineOutcome {
        refund_no: &lines[n].refund_no,
        event,
        channel_refund_no: Some(&serials[n]),
        accounting_date: Some(DAY),
        detail: if event == RefundEvent::BankFailed {
            "2305"
        } else {
            ""
        },
    };
    // First answer: 900 succeeded, 50 failed, 50 not yet, and a line that is not ours.
    let mut first: Vec<BatchLineOutcome<'_>> = (0..1_000)
        .map(|n| {
            outcome(
                n,
                match n % 20 {
                    0 => RefundEvent::BankFailed,
                    1 => RefundEvent::BankPending,
                    _ => RefundEvent::BankSucceeded,
                },
            )
        })
        .collect();
    first.push(BatchLineOutcome {
        refund_no: "notalineofthisbatch000",
        ..outcome(2, RefundEvent::BankSucceeded)
    });
    let applied = store
        .apply_refund_batch_results(
            &results(&batch.id, &first, NOW + 6_000),
            &render_refund_event,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.changed, 950);
    assert_eq!(applied.events.len(), 950);
    assert_eq!(
        applied.unknown_lines,
        vec!["notalineofthisbatch000".to_string()]
    );
    assert_eq!(applied.batch.status, RefundBatchStatus::Submitted);
    assert_eq!(
        (applied.batch.succeeded_count, applied.batch.failed_count),
        (900, 50)
    );
    assert_eq!(applied.batch.next_query_at, Some(NOW + 66_000));
    // Second answer: everything again, the last 50 now succeeded. Only they move.
    let second: Vec<BatchLineOutcome<'_>> = (0..1_000)
        .map(|n| {
            outcome(
                n,
                if n % 20 == 0 {
                    RefundEvent::BankFailed
                } else {
                    RefundEvent::BankSucceeded
                },
            )
        })
        .collect();
    let applied = store
        .apply_refund_batch_results(
            &results(&batch.id, &second, NOW + 70_000),
            &render_refund_event,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.changed, 50);
    let batch = applied.batch;
    assert_eq!(batch.status, RefundBatchStatus::Finished);
    assert_eq!(
        (batch.succeeded_count, batch.succeeded_amount),
        (950, 950 * 500)
    );
    assert_eq!((batch.failed_count, batch.failed_amount), (50, 50 * 500));
    assert_eq!(batch.next_query_at, None);
    assert!(batch.finished_at.is_some());
    let (mut refunded, mut reserved) = (0, 0);
    for id in &ids {
        let p = payment(&store, id).await;
        refunded += p.refunded_amount;
        reserved += p.refund_reserved;
    }
    assert_eq!((refunded, reserved), (950 * 500, 0));
    let bank = store
        .ledger_balances(Some("bank_clearing:cha_1"), None)
        .await
        .unwrap();
    assert_eq!(bank[0].balance, -950 * 500);
    assert_eq!(bank[0].postings, 950);
    let check = store.check_ledger().await.unwrap();
    assert_eq!(check.total_debits, check.total_credits);
    assert!(check.unbalanced_entries.is_empty());
    let lines = store.refund_batch_lines(&batch.id).await.unwrap();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.status == RefundStatus::Succeeded)
            .count(),
        950
    );
    assert_eq!(lines[0].failure_reason.as_deref(), Some("2305"));
    assert_eq!(lines[2].channel_refund_no.as_deref(), Some("SIM-B-2"));
    let notified: usize = {
        let mut n = 0;
        for id in ids.iter().step_by(10) {
            n += store.list_events_for_payment(id).await.unwrap().len();
        }
        n
    };
    assert_eq!(notified, 100, "one notification per line");
}

pub(super) fn results<'a>(
    batch_id: &'a str,
    lines: &'a [BatchLineOutcome<'a>],
    now_ms: i64,
) -> BatchResults<'a> {
    BatchResults {
        batch_id,
        lines,
        source: EventSource::Query,
        message: None,
        next_query_at: Some(now_ms + 60_000),
        delivery_lease_ms: 0,
        now_ms,
    }
}

/// Proves a batch the bank refuses as a whole fails every line and releases every
/// reservation, and that an accepted batch cannot be rejected.
pub(super) async fn a_batch_the_bank_refuses_fails_every_line(store: Store) {
    let ids = bulk_paid(&store, "rej", 3, 1_000).await;
    let lines: Vec<NewBatchLine> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| line(PaymentRef::Id(id.clone()), format!("REJ-{n}"), 1_000))
        .collect();
    let CreateRefundBatch::Created(batch) =
        create_batch(&store, &batch_of("BATCH-REJ", lines.clone())).await
    else {
        panic!("not created")
    };
    let rejection = BatchRejection {
        batch_id: &batch.id,
        reason: "2320 totals do not match",
        source: EventSource::Api,
        message: None,
        delivery_lease_ms: 0,
        now_ms: NOW + 100,
    };
    let applied = store
        .reject_refund_batch(&rejection, &render_refund_event)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.changed, 3);
    assert_eq!(applied.batch.status, RefundBatchStatus::Rejected);
    assert_eq!(
        (applied.batch.failed_count, applied.batch.failed_amount),
        (3, 3_000)
    );
    assert_eq!(
        applied.batch.reason.as_deref(),
        Some("2320 totals do not match")
    );
    for id in &ids {
        assert_eq!(payment(&store, id).await.refund_reserved, 0);
    }
    // Rejecting again changes nothing.
    let again = store
        .reject_refund_batch(&rejection, &render_refund_event)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.changed, 0);
    // An accepted batch stays as it is.
    let relines = lines
        .into_iter()
        .map(|l| NewBatchLine {
            out_refund_no: format!("{}-2", l.out_refund_no),
            ..l
        })
        .collect();
    let CreateRefundBatch::Created(second) =
        create_batch(&store, &batch_of("BATCH-REJ-2", relines)).await
    else {
        panic!("the released money is refundable again")
    };
    store
        .record_refund_batch_accepted(&BatchAcceptance {
            batch_id: &second.id,
            serial_number: "SERIAL0002",
            batch_date: "2027-01-15",
            batch_time: "10:00:00",
            next_query_at: NOW + 5_000,
            message: None,
            now_ms: NOW + 200,
        })
        .await
        .unwrap();
    let refused = store
        .reject_refund_batch(
            &BatchRejection {
                batch_id: &second.id,
                ..rejection
            },
            &render_refund_event,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused.changed, 0);
    assert_eq!(refused.batch.status, RefundBatchStatus::Submitted);
    assert!(
        store
            .reject_refund_batch(
                &BatchRejection {
                    batch_id: "rfb_missing",
                    ..rejection
                },
                &render_refund_event
            )
            .await
            .unwrap()
            .is_none()
    );
}

/// Proves the largest batch the bank takes (10,000 lines) is checked and written quickly.
pub(super) async fn ten_thousand_lines_are_written_quickly(store: Store) {
    let ids = bulk_paid(&store, "big", 10_000, 1_000).await;
    let lines = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            line(
                PaymentRef::OutTradeNo(id.clone()),
                format!("BIG-{n}"),
                1_000,
            )
        })
        .collect();
    let started = Instant::now();
    let outcome = create_batch(&store, &batch_of("BATCH-BIG", lines)).await;
    let elapsed = started.elapsed();
    eprintln!(
        "{:?}: 10,000-line batch written in {elapsed:?}",
        store.backend()
    );
    let CreateRefundBatch::Created(batch) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(batch.line_count, 10_000);
    assert_eq!(batch.total_amount, 10_000_000);
    // A guard against anything growing faster than the lines, with room for an unoptimised
    // build on a busy machine (a release build on 2 cores: about 0.55 s on SQLite, 2.5 s on
    // PostgreSQL; see the printed time).
    let budget_s = match (store.backend(), cfg!(debug_assertions)) {
        (unipay_store::Backend::Sqlite, false) => 1.0,
        (unipay_store::Backend::Sqlite, true) => 4.0,
        (unipay_store::Backend::Postgres, false) => 10.0,
        (unipay_store::Backend::Postgres, true) => 20.0,
    };
    assert!(elapsed.as_secs_f64() < budget_s, "{elapsed:?}");
    assert_eq!(payment(&store, &ids[9_999]).await.refund_reserved, 1_000);
}
