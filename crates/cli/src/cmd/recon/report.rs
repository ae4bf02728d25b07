//! The reconciliation report of a date: both sides' counts and sums, what matched, and every
//! difference with its class and state, as a table, JSON or CSV.

use crate::cmd::table::render as table;
use serde_json::json;
use std::collections::BTreeMap;
use unipay_core::csv;
use unipay_core::money::format_yuan;
use unipay_store::recon::{ReconDay, ReconItem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

pub fn render(format: Format, days: &[ReconDay], items: &[ReconItem]) -> String {
    match format {
        Format::Table => as_table(days, items),
        Format::Json => format!("{}\n", as_json(days, items)),
        Format::Csv => as_csv(items),
    }
}

fn yuan(value: Option<i64>) -> String {
    value.map(format_yuan).unwrap_or_default()
}

/// Items per class, every class named (zero included) so a report always has the same shape.
fn classes(days: &[ReconDay], items: &[ReconItem]) -> BTreeMap<&'static str, i64> {
    let mut counts: BTreeMap<&'static str, i64> = [
        "matched",
        "bank_only",
        "platform_only",
        "amount_mismatch",
        "status_mismatch",
        "fee_mismatch",
    ]
    .into_iter()
    .map(|class| (class, 0))
    .collect();
    if let Some(matched) = counts.get_mut("matched") {
        *matched = days.iter().map(|d| d.matched).sum();
    }
    for item in items {
        if let Some(count) = counts.get_mut(item.class.as_str()) {
            *count += 1;
        }
    }
    counts
}

fn as_table(days: &[ReconDay], items: &[ReconItem]) -> String {
    let mut out = String::new();
    if !days.is_empty() {
        let rows: Vec<Vec<String>> = days
            .iter()
            .map(|d| {
                vec![
                    d.accounting_date.clone(),
                    d.channel_account_id.clone(),
                    format!("{} / {}", d.bank_payments, format_yuan(d.bank_payments_fen)),
                    format!(
                        "{} / {}",
                        d.platform_payments,
                        format_yuan(d.platform_payments_fen)
                    ),
                    format!("{} / {}", d.bank_refunds, format_yuan(d.bank_refunds_fen)),
                    format!(
                        "{} / {}",
                        d.platform_refunds,
                        format_yuan(d.platform_refunds_fen)
                    ),
                    format_yuan(d.bank_fees_fen),
                    format_yuan(d.platform_fees_fen),
                    format!("{} / {}", d.matched, format_yuan(d.matched_fen)),
                    d.unreadable_lines.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "date",
                "channel_account",
                "bank payments",
                "our payments",
                "bank refunds",
                "our refunds",
                "bank fees",
                "expected fees",
                "matched",
                "unreadable lines",
            ],
            &rows,
        ));
        out.push('\n');
        let counts: Vec<Vec<String>> = classes(days, items)
            .into_iter()
            .map(|(class, count)| vec![class.to_string(), count.to_string()])
            .collect();
        out.push_str(&table(&["class", "records"], &counts));
        out.push('\n');
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            vec![
                i.id.clone(),
                i.accounting_date.clone(),
                i.class.clone(),
                i.status.as_str().to_string(),
                i.kind.clone(),
                i.order_no.clone(),
                yuan(i.bank_amount),
                yuan(i.platform_amount),
                yuan(i.bank_fee),
                yuan(i.platform_fee),
                i.resolution.clone().unwrap_or_default(),
                i.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "item",
            "date",
            "class",
            "status",
            "kind",
            "order_no",
            "bank",
            "ours",
            "bank fee",
            "our fee",
            "resolution",
            "note",
        ],
        &rows,
    ));
    out
}

fn item_json(i: &ReconItem) -> serde_json::Value {
    json!({
        "id": i.id, "channel_account_id": i.channel_account_id, "accounting_date": i.accounting_date,
        "class": i.class, "kind": i.kind, "order_no": i.order_no, "payment_id": i.payment_id,
        "bank_amount_fen": i.bank_amount, "bank_fee_fen": i.bank_fee, "bank_serial": i.bank_serial,
        "bank_line_no": i.bank_line_no, "platform_amount_fen": i.platform_amount,
        "platform_fee_fen": i.platform_fee, "platform_status": i.platform_status,
        "status": i.status.as_str(), "hold_until": i.hold_until, "resolution": i.resolution,
        "note": i.note, "resolved_by": i.resolved_by, "resolved_at": i.resolved_at,
    })
}

fn as_json(days: &[ReconDay], items: &[ReconItem]) -> serde_json::Value {
    let counts = classes(days, items);
    let days: Vec<_> = days
        .iter()
        .map(|d| {
            json!({
                "accounting_date": d.accounting_date, "channel_account_id": d.channel_account_id,
                "statement_id": d.statement_id,
                "bank": {"payments": d.bank_payments, "payments_fen": d.bank_payments_fen,
                         "refunds": d.bank_refunds, "refunds_fen": d.bank_refunds_fen, "fees_fen": d.bank_fees_fen},
                "platform": {"payments": d.platform_payments, "payments_fen": d.platform_payments_fen,
                             "refunds": d.platform_refunds, "refunds_fen": d.platform_refunds_fen,
                             "fees_fen": d.platform_fees_fen},
                "matched": d.matched, "matched_fen": d.matched_fen,
                "unreadable_lines": d.unreadable_lines, "runs": d.runs, "ran_at": d.ran_at,
            })
        })
        .collect();
    json!({
        "days": days,
        "classes": counts,
        "items": items.iter().map(item_json).collect::<Vec<_>>(),
    })
}

fn as_csv(items: &[ReconItem]) -> String {
    let mut out = String::from(
        "item,accounting_date,channel_account_id,class,status,kind,order_no,bank_amount_yuan,platform_amount_yuan,\
         bank_fee_yuan,platform_fee_yuan,bank_serial,bank_line_no,payment_id,resolution,note\n",
    );
    for i in items {
        let fields = [
            i.id.clone(),
            i.accounting_date.clone(),
            i.channel_account_id.clone(),
            i.class.clone(),
            i.status.as_str().to_string(),
            i.kind.clone(),
            i.order_no.clone(),
            yuan(i.bank_amount),
            yuan(i.platform_amount),
            yuan(i.bank_fee),
            yuan(i.platform_fee),
            i.bank_serial.clone().unwrap_or_default(),
            i.bank_line_no.map(|n| n.to_string()).unwrap_or_default(),
            i.payment_id.clone().unwrap_or_default(),
            i.resolution.clone().unwrap_or_default(),
            i.note.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv::field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}
