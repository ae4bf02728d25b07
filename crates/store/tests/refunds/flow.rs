//! The transaction flow's paging, and refunds in reconciliation and settlement.

use super::*;

/// Proves paging the transaction flow by cursor while rows are inserted concurrently skips
/// and repeats none of the rows that existed when the first page was read.
pub(super) async fn transactions_page_without_skips_or_repeats_under_inserts(store: Store) {
    let mut existing = HashSet::new();
    for n in 0..25 {
        let p = paid_payment(&store, &format!("FLOW-{n}"), 1_000).await;
        existing.insert(p.id.clone());
        if n % 3 == 0 {
            let r = refund(&store, &refund_of(&p.id, &format!("R-FLOW-{n}"), 100)).await;
            existing.insert(r.id);
        }
    }
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut made = Vec::new();
            for n in 0..30 {
                let p = create_payment(
                    &store,
                    &new_payment(&format!("LATE-{n}"), 100, CaptureMode::Immediate),
                )
                .await;
                made.push(p.id);
                tokio::task::yield_now().await;
            }
            made
        })
    };
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store
            .list_transactions(&TransactionQuery {
                app_id: "app_1",
                from_ms: NOW,
                to_ms: NOW + 1_000,
                status: None,
                kind: None,
                cursor: cursor.as_ref(),
                limit: 7,
            })
            .await
            .unwrap();
        assert!(page.rows.len() <= 7);
        seen.extend(page.rows.iter().map(|r| r.id.clone()));
        match page.next_cursor {
            // Round-trips through its opaque form, as a client would send it back.
            Some(next) => cursor = Some(Cursor::parse(&next.encode()).unwrap()),
            None => break,
        }
        tokio::task::yield_now().await;
    }
    let late = writer.await.unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row repeated");
    for id in &existing {
        assert!(unique.contains(id), "{id} was skipped");
    }
    assert!(
        seen.iter()
            .all(|id| existing.contains(id) || late.contains(id))
    );
    // Filters: refunds only, by status, and a bad cursor is recognised.
    let refunds = store
        .list_transactions(&TransactionQuery {
            app_id: "app_1",
            from_ms: NOW,
            to_ms: NOW + 1_000,
            status: Some("pending"),
            kind: Some(TransactionKind::Refund),
            cursor: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(refunds.rows.len(), 9);
    assert!(refunds.next_cursor.is_none());
    let row = &refunds.rows[0];
    assert_eq!(row.kind, TransactionKind::Refund);
    assert_eq!(row.amount, 100);
    assert!(row.out_no.starts_with("R-FLOW-"));
    assert!(existing.contains(&row.payment_id));
    let payments = store
        .list_transactions(&TransactionQuery {
            app_id: "app_1",
            from_ms: NOW,
            to_ms: NOW + 1_000,
            status: Some("succeeded"),
            kind: Some(TransactionKind::Payment),
            cursor: None,
            limit: 1_000,
        })
        .await
        .unwrap();
    assert_eq!(payments.rows.len(), 25);
    assert!(payments.rows.iter().all(|r| r.payment_id == r.id));
    let other_app = store
        .list_transactions(&TransactionQuery {
            app_id: "app_2",
            from_ms: 0,
            to_ms: i64::MAX,
            status: None,
            kind: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(other_app.rows.is_empty());
    assert!(Cursor::parse("not a cursor").is_none());
    assert!(Cursor::parse(&hex_of("12:")).is_none());
}

pub(super) fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Proves a day's successful refunds reach the reconciliation table under their own bank
/// number (a captured pre-authorization as a payment of its captured amount), and settlement
/// takes them and the fee they returned off the merchant's net.
pub(super) async fn refunds_reach_reconciliation_and_settlement(store: Store) {
    let p = paid_payment(&store, "RECON", 10_000).await;
    let r = refund(&store, &refund_of(&p.id, "R-RECON", 4_000)).await;
    succeed(&store, &r.id).await;
    let pending = refund(&store, &refund_of(&p.id, "R-RECON-2", 1_000)).await;
    let pre = authorized(&store, "RECON-PRE").await;
    let capture = bank_paid(600, "CAPTURE-R", DAY);
    apply(
        &store,
        &payment_change(&pre.id, captured(600), Some(&capture), NOW + 10),
    )
    .await;
    let mut table = unipay_core::recon::PlatformTable::new();
    let rows = store
        .load_platform_day("cha_1", DAY, &mut table)
        .await
        .unwrap();
    assert_eq!(
        rows, 3,
        "two payments and one refund; the pending refund is not in"
    );
    let totals = table.totals();
    assert_eq!(totals.payment.count, 2);
    assert_eq!(totals.payment.amount_fen, 10_000 + 600);
    assert_eq!(totals.refund.count, 1);
    assert_eq!(totals.refund.amount_fen, 4_000);
    assert_eq!(totals.refund.fee_fen, 0);
    let keys: Vec<String> = (0..3).map(|row| table.key_of(row).unwrap()).collect();
    assert!(keys.contains(&r.refund_no));
    assert!(!keys.contains(&pending.refund_no));
    assert_eq!(
        table.kind(keys.iter().position(|k| *k == r.refund_no).unwrap() as u32),
        Some(TxnKind::Refund)
    );
    let run = store
        .settle_day(DAY, "ops", "127.0.0.1", true, NOW + 1_000)
        .await
        .unwrap();
    assert_eq!(run.created.len(), 1);
    let batch = &run.created[0];
    assert_eq!((batch.refunds, batch.refunds_fen), (1, 4_000));
    // Fees: 60 on the payment and 4 on the capture, less the 24 the refund returned.
    assert_eq!(batch.fees_fen, 60 + 4 - 24);
}
