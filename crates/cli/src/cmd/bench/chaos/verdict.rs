//! The end of the chaos run: once everything is quiet, what the platform holds is compared
//! with what the bank holds and what the business system heard.

use super::Kill;
use anyhow::Context;
use serde_json::Value;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use unipay_client::receiver::ReceivedEvent;
use unipay_server::{AppState, ServerConfig};
use unipay_store::Store;

/// A redelivery is explained by a kill of the node life that delivered the first copy, in this
/// window around its acknowledgment (the kill may be seen a moment before the business
/// system's clock records the acknowledgment).
const EXPLAINS_BEFORE_MS: i64 = 500;
const EXPLAINS_AFTER_MS: i64 = 3_000;
/// How many examples of each kind of problem are printed.
const EXAMPLES: usize = 5;

#[derive(Default, Debug)]
pub struct Verdict {
    pub lost: u64,
    pub double_notified: u64,
    pub redelivered_after_ack: u64,
    pub unexplained_redeliveries: u64,
    pub wrong_state: u64,
    pub over_refunded: u64,
    pub ledger_off: u64,
    pub unexplained_differences: u64,
    /// Payments closed at the business system's request while the consumer paid at the bank:
    /// the bank took the money of a closed order (ABC has no way to withdraw an order), which
    /// the platform keeps as a `late_success` anomaly for an operator and reconciliation holds
    /// in suspense. Explained, and counted apart.
    pub late_successes: u64,
    /// Of those, the ones the platform had not heard of when the run went quiet: the bank's
    /// notification of the payment found no node up to acknowledge it (its retry comes a
    /// minute later), so reconciliation is where the platform learns of it, and it must hold
    /// it there. Its money reaches the bank clearing account only then.
    pub unheard_late_successes: u64,
    pub payments: u64,
    pub refunds: u64,
    pub notifications: u64,
    examples: Vec<String>,
}

impl Verdict {
    fn problem(&mut self, text: String) {
        if self.examples.len() < EXAMPLES * 6 {
            self.examples.push(text);
        }
    }

    pub fn print_examples(&self) {
        for example in &self.examples {
            println!("problem: {example}");
        }
    }

    pub fn passed(&self) -> bool {
        self.lost == 0
            && self.double_notified == 0
            && self.unexplained_redeliveries == 0
            && self.wrong_state == 0
            && self.over_refunded == 0
            && self.ledger_off == 0
            && self.unexplained_differences == 0
    }
}

pub struct Inputs<'a> {
    pub database_url: &'a str,
    pub channel_account_id: &'a str,
    pub bank_url: &'a str,
    /// Opens the channel account's key, for fetching the statement as the nodes would.
    pub keyring: Arc<unipay_core::secrets::Keyring>,
    pub events: &'a [ReceivedEvent],
    pub kills: &'a [Kill],
}

struct OurPayment {
    id: String,
    order_no: String,
    status: String,
    amount: i64,
    captured: Option<i64>,
    refunded: i64,
}

struct OurRefund {
    id: String,
    payment_id: String,
    refund_no: String,
    status: String,
}

/// Payments and refunds not yet final, and notifications not yet delivered: zero when the
/// platform is quiet.
pub async fn open_work(database_url: &str) -> anyhow::Result<i64> {
    let pool = sqlx::AnyPool::connect(database_url).await?;
    let open: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM payments WHERE status IN ('created', 'pending')) + \
         (SELECT COUNT(*) FROM refunds WHERE status = 'pending') + \
         (SELECT COUNT(*) FROM outbox WHERE status = 'pending') AS n",
    )
    .fetch_one(&pool)
    .await?
    .try_get("n")?;
    pool.close().await;
    Ok(open)
}

pub async fn judge(inputs: &Inputs<'_>) -> anyhow::Result<Verdict> {
    let mut verdict = Verdict::default();
    let pool = sqlx::AnyPool::connect(inputs.database_url).await?;
    let payments = load_payments(&pool).await?;
    let refunds = load_refunds(&pool).await?;
    let outbox = load_outbox(&pool).await?;
    let late: HashSet<String> =
        sqlx::query("SELECT payment_id FROM anomalies WHERE kind = 'late_success'")
            .fetch_all(&pool)
            .await?
            .iter()
            .map(|row| row.try_get("payment_id"))
            .collect::<Result<_, _>>()?;
    // Every accounting date the run touched is reconciled.
    let dates: Vec<String> = sqlx::query(
        "SELECT DISTINCT accounting_date FROM payments WHERE accounting_date IS NOT NULL",
    )
    .fetch_all(&pool)
    .await?
    .iter()
    .map(|row| row.try_get("accounting_date"))
    .collect::<Result<_, _>>()?;
    pool.close().await;
    verdict.payments = payments.len() as u64;
    verdict.refunds = refunds.len() as u64;
    verdict.notifications = outbox.len() as u64;

    let http = reqwest::Client::new();
    let mut bank_orders = HashMap::new();
    let mut unheard = HashSet::new();
    for payment in &payments {
        let answer = http
            .get(format!(
                "{}/sim/orders/{}",
                inputs.bank_url, payment.order_no
            ))
            .send()
            .await?;
        let order = if answer.status().as_u16() == 404 {
            Value::Null
        } else {
            answer.error_for_status()?.json::<Value>().await?
        };
        if compare_payment(&mut verdict, payment, &order, late.contains(&payment.id)) {
            unheard.insert(payment.id.clone());
        }
        bank_orders.insert(payment.id.clone(), order);
    }
    for refund in &refunds {
        let order = bank_orders.get(&refund.payment_id).unwrap_or(&Value::Null);
        compare_refund(&mut verdict, refund, order);
    }
    judge_notifications(&mut verdict, inputs, &payments, &refunds, &outbox);
    let books = Books {
        payments: &payments,
        bank_orders: &bank_orders,
        late: &late,
        unheard: &unheard,
        dates: &dates,
    };
    judge_books(&mut verdict, inputs, &books).await?;
    Ok(verdict)
}

async fn load_payments(pool: &sqlx::AnyPool) -> anyhow::Result<Vec<OurPayment>> {
    let rows = sqlx::query(
        "SELECT id, order_no, status, amount, captured_amount, refunded_amount FROM payments",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OurPayment {
                id: row.try_get("id")?,
                order_no: row.try_get("order_no")?,
                status: row.try_get("status")?,
                amount: row.try_get("amount")?,
                captured: row.try_get("captured_amount")?,
                refunded: row.try_get("refunded_amount")?,
            })
        })
        .collect()
}

async fn load_refunds(pool: &sqlx::AnyPool) -> anyhow::Result<Vec<OurRefund>> {
    let rows = sqlx::query("SELECT id, payment_id, refund_no, status FROM refunds")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OurRefund {
                id: row.try_get("id")?,
                payment_id: row.try_get("payment_id")?,
                refund_no: row.try_get("refund_no")?,
                status: row.try_get("status")?,
            })
        })
        .collect()
}

/// (event id, object id, type, status) of every business notification written.
async fn load_outbox(
    pool: &sqlx::AnyPool,
) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let rows = sqlx::query("SELECT id, payment_id, event_type, status FROM outbox")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("payment_id")?,
                row.try_get("event_type")?,
                row.try_get("status")?,
            ))
        })
        .collect()
}

/// The state the platform must show for what the bank's book says of the order.
fn expected_status(order: &Value) -> &'static str {
    match order["state"].as_str() {
        Some("paid" | "refunded" | "confirmed") => "succeeded",
        Some("failed") => "failed",
        Some("authorized") => "authorized",
        Some("cancelled") => "cancelled",
        // Never paid, or never reached the bank: closed once expired.
        _ => "closed",
    }
}

/// Compares one payment with the bank's order; answers whether it is a late success the
/// platform has not heard of yet (see [`Verdict::unheard_late_successes`]).
fn compare_payment(verdict: &mut Verdict, payment: &OurPayment, order: &Value, late: bool) -> bool {
    if matches!(payment.status.as_str(), "created" | "pending") {
        verdict.lost += 1;
        verdict.problem(format!(
            "payment {} still {} (bank: {})",
            payment.id, payment.status, order["state"]
        ));
        return false;
    }
    let expected = expected_status(order);
    let bank_refunded = order["refunded_fen"].as_i64().unwrap_or(0);
    let bank_captured = order["preauth"]["captured_fen"].as_i64();
    let closed_but_paid = payment.status == "closed" && expected == "succeeded";
    // Never acknowledged: no node took the bank's word, so none can have lost it.
    let unheard = closed_but_paid && !late && order["notify_acknowledged"] == Value::Bool(false);
    let late_success = closed_but_paid && (late || unheard);
    if late_success {
        verdict.late_successes += 1;
    }
    if unheard {
        verdict.unheard_late_successes += 1;
    }
    let mut wrong = payment.status != expected && !late_success;
    if !order.is_null() && order["amount_fen"].as_i64() != Some(payment.amount) {
        wrong = true;
    }
    if payment.refunded != bank_refunded {
        wrong = true;
    }
    if order["state"] == "confirmed" && payment.captured != bank_captured {
        wrong = true;
    }
    if wrong {
        verdict.wrong_state += 1;
        verdict.problem(format!(
            "payment {} is {} (amount {}, captured {:?}, refunded {}); the bank has {} (amount {}, captured {:?}, refunded {bank_refunded}, notification acknowledged {})",
            payment.id,
            payment.status,
            payment.amount,
            payment.captured,
            payment.refunded,
            order["state"],
            order["amount_fen"],
            bank_captured,
            order["notify_acknowledged"],
        ));
    }
    let base = payment.captured.unwrap_or(payment.amount);
    if payment.refunded > base || bank_refunded > base {
        verdict.over_refunded += 1;
        verdict.problem(format!(
            "payment {} over-refunded: {} (bank {bank_refunded}) of {base}",
            payment.id, payment.refunded
        ));
    }
    unheard
}

fn compare_refund(verdict: &mut Verdict, refund: &OurRefund, order: &Value) {
    let at_bank = order["refunds"].as_array().and_then(|refunds| {
        refunds
            .iter()
            .find(|r| r["new_order_no"].as_str() == Some(refund.refund_no.as_str()))
    });
    let bank_state = at_bank
        .and_then(|r| r["state"].as_str())
        .unwrap_or("absent");
    let agrees = match refund.status.as_str() {
        "succeeded" => bank_state == "succeeded",
        "failed" => matches!(bank_state, "failed" | "absent"),
        _ => {
            verdict.lost += 1;
            verdict.problem(format!(
                "refund {} still {} (bank: {bank_state})",
                refund.id, refund.status
            ));
            return;
        }
    };
    if !agrees {
        verdict.wrong_state += 1;
        verdict.problem(format!(
            "refund {} is {}; the bank has it {bank_state}",
            refund.id, refund.status
        ));
    }
}

fn notification_type(kind: &str, status: &str) -> Option<String> {
    match (kind, status) {
        ("payment", "created" | "pending") | ("refund", "pending") => None,
        _ => Some(format!("{kind}.{status}")),
    }
}

fn judge_notifications(
    verdict: &mut Verdict,
    inputs: &Inputs<'_>,
    payments: &[OurPayment],
    refunds: &[OurRefund],
    outbox: &[(String, String, String, String)],
) {
    let mut acknowledged: HashMap<&str, Vec<&ReceivedEvent>> = HashMap::new();
    for event in inputs.events {
        acknowledged
            .entry(event.id.as_str())
            .or_default()
            .push(event);
    }
    // Every notification written was delivered and acknowledged.
    let mut written: HashSet<(&str, &str)> = HashSet::new();
    for (id, object, event_type, status) in outbox {
        written.insert((event_type.as_str(), object.as_str()));
        if status != "delivered" || !acknowledged.contains_key(id.as_str()) {
            verdict.lost += 1;
            verdict.problem(format!(
                "notification {id} ({event_type} of {object}) is {status}, acknowledged: {}",
                acknowledged.contains_key(id.as_str())
            ));
        }
    }
    // Every final state the business system must hear of was written for it. The outbox names
    // a refund's events by the refund or by its payment, depending on the event's table: the
    // acknowledged bodies say which object each is about.
    let mut heard: HashSet<(&str, &str)> = HashSet::new();
    for event in inputs.events {
        heard.insert((event.event_type.as_str(), event.payment_id.as_str()));
    }
    let finals = payments
        .iter()
        .map(|p| ("payment", p.id.as_str(), p.status.as_str()))
        .chain(
            refunds
                .iter()
                .map(|r| ("refund", r.id.as_str(), r.status.as_str())),
        );
    for (kind, id, status) in finals {
        if let Some(event_type) = notification_type(kind, status)
            && !heard.contains(&(event_type.as_str(), id))
        {
            verdict.lost += 1;
            verdict.problem(format!(
                "{kind} {id} is {status} but {event_type} was never heard"
            ));
        }
    }
    // No fact under two event ids.
    let mut ids_per_fact: HashMap<(&str, &str), HashSet<&str>> = HashMap::new();
    for event in inputs.events {
        ids_per_fact
            .entry((event.payment_id.as_str(), event.event_type.as_str()))
            .or_default()
            .insert(event.id.as_str());
    }
    for ((object, event_type), ids) in &ids_per_fact {
        if ids.len() > 1 {
            verdict.double_notified += 1;
            verdict.problem(format!(
                "{event_type} of {object} under {} event ids",
                ids.len()
            ));
        }
    }
    // Deliveries after an acknowledgment, each explained by the death of the node life that
    // delivered the first copy before it could record it.
    for (id, deliveries) in &acknowledged {
        let Some(first) = deliveries.iter().min_by_key(|e| e.received_at_ms) else {
            continue;
        };
        let again = deliveries.len() as u64 - 1;
        if again == 0 {
            continue;
        }
        verdict.redelivered_after_ack += again;
        let explanation = inputs.kills.iter().find(|kill| {
            kill.abrupt
                && kill.node == first.delivered_by
                && kill.at_ms >= first.received_at_ms - EXPLAINS_BEFORE_MS
                && kill.at_ms <= first.received_at_ms + EXPLAINS_AFTER_MS
        });
        match explanation {
            Some(kill) => println!(
                "redelivered: {id} ({} of {}) x{again}: first acknowledged from {} at {}, which was killed at {} ({})",
                first.event_type,
                first.payment_id,
                first.delivered_by,
                first.received_at_ms,
                kill.at_ms,
                kill.how
            ),
            None => {
                verdict.unexplained_redeliveries += again;
                verdict.problem(format!(
                    "notification {id} ({} of {}) delivered {} times after acknowledgment by {} at {}: no kill explains it",
                    first.event_type, first.payment_id, deliveries.len(), first.delivered_by, first.received_at_ms
                ));
            }
        }
    }
}

/// What the books are judged against.
struct Books<'a> {
    payments: &'a [OurPayment],
    bank_orders: &'a HashMap<String, Value>,
    late: &'a HashSet<String>,
    /// Late successes the platform learns of only by reconciling (see `compare_payment`).
    unheard: &'a HashSet<String>,
    dates: &'a [String],
}

async fn judge_books(
    verdict: &mut Verdict,
    inputs: &Inputs<'_>,
    books: &Books<'_>,
) -> anyhow::Result<()> {
    let Books {
        payments,
        bank_orders,
        late,
        unheard,
        dates,
    } = *books;
    let store = Store::connect(inputs.database_url)
        .await?
        .with_keyring(inputs.keyring.clone());
    let check = store.check_ledger().await?;
    if !check.holds() {
        verdict.ledger_off +=
            (check.unbalanced_entries.len() + check.payment_problems.len()).max(1) as u64;
        verdict.problem(format!(
            "ledger: debits {} credits {}, unbalanced {:?}, payments {:?}",
            check.total_debits,
            check.total_credits,
            check
                .unbalanced_entries
                .iter()
                .take(EXAMPLES)
                .collect::<Vec<_>>(),
            check
                .payment_problems
                .iter()
                .take(EXAMPLES)
                .collect::<Vec<_>>()
        ));
    }
    let clearing = format!("bank_clearing:{}", inputs.channel_account_id);
    let ours: i64 = store
        .ledger_balances(Some(&clearing), None)
        .await?
        .iter()
        .map(|b| b.balance)
        .sum();
    // The money of a success not yet heard of reaches our books when reconciliation hears it.
    let bank: i64 = payments
        .iter()
        .filter(|p| !unheard.contains(&p.id))
        .filter_map(|p| bank_orders.get(&p.id))
        .map(|order| {
            let collected = match order["state"].as_str() {
                Some("paid" | "refunded") => order["amount_fen"].as_i64().unwrap_or(0),
                Some("confirmed") => order["preauth"]["captured_fen"].as_i64().unwrap_or(0),
                _ => 0,
            };
            collected - order["refunded_fen"].as_i64().unwrap_or(0)
        })
        .sum();
    if ours != bank {
        verdict.ledger_off += 1;
        verdict.problem(format!(
            "bank clearing holds {ours} fen; the bank's book says {bank} fen"
        ));
    }

    let mut config = ServerConfig::default();
    config.notifier.deliver_at_once = false;
    let state = AppState::new(store, config, Arc::new(unipay_core::SystemClock))?;
    let mut classes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut held = HashSet::new();
    for date in dates {
        unipay_server::flows::books::statements::fetch_statement(
            &state,
            inputs.channel_account_id,
            date,
        )
        .await
        .with_context(|| format!("fetching the statement of {date}"))?;
        let report = unipay_server::flows::books::recon::reconcile_day(
            &state,
            inputs.channel_account_id,
            date,
        )
        .await
        .with_context(|| format!("reconciling {date}"))?;
        for (class, count) in &report.classes {
            *classes.entry(class).or_default() += count;
        }
        // A late success's status difference is the one reconciliation must hold for an
        // operator; every other difference is unexplained.
        let unexplained: Vec<_> = report
            .items
            .iter()
            .filter(|item| {
                !(item.class == "status_mismatch"
                    && item
                        .payment_id
                        .as_ref()
                        .is_some_and(|id| late.contains(id) || unheard.contains(id)))
            })
            .collect();
        for item in &report.items {
            if let Some(id) = item.payment_id.as_ref().filter(|id| unheard.contains(*id))
                && item.class == "status_mismatch"
            {
                held.insert(id.clone());
            }
        }
        for item in unexplained.iter().take(EXAMPLES) {
            verdict.problem(format!("reconciliation {date}: {item:?}"));
        }
        verdict.unexplained_differences += unexplained.len() as u64;
    }
    // Each success not heard of during the run must be one reconciliation held.
    for id in unheard.difference(&held) {
        verdict.wrong_state += 1;
        verdict.problem(format!(
            "payment {id}: closed, paid at the bank unheard, and not held by reconciliation"
        ));
    }
    println!("reconciliation: dates={dates:?} classes={classes:?}");
    state.store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed() -> OurPayment {
        OurPayment {
            id: "pay_1".into(),
            order_no: "o1".into(),
            status: "closed".into(),
            amount: 100,
            captured: None,
            refunded: 0,
        }
    }

    fn paid_at_the_bank(acknowledged: bool) -> Value {
        serde_json::json!({
            "state": "paid",
            "amount_fen": 100,
            "refunded_fen": 0,
            "notify_acknowledged": acknowledged,
        })
    }

    /// A closed payment the bank took money for is explained only as a late success: one the
    /// platform recorded, or one whose notification no node ever acknowledged. A notification
    /// acknowledged and not recorded is a lost result.
    #[test]
    fn a_closed_payment_paid_at_the_bank_is_late_only_if_recorded_or_never_heard() {
        let mut recorded = Verdict::default();
        assert!(!compare_payment(
            &mut recorded,
            &closed(),
            &paid_at_the_bank(true),
            true
        ));
        assert_eq!((recorded.wrong_state, recorded.late_successes), (0, 1));

        let mut unheard = Verdict::default();
        assert!(compare_payment(
            &mut unheard,
            &closed(),
            &paid_at_the_bank(false),
            false
        ));
        assert_eq!(unheard.wrong_state, 0);
        assert_eq!(
            (unheard.late_successes, unheard.unheard_late_successes),
            (1, 1)
        );

        let mut lost = Verdict::default();
        assert!(!compare_payment(
            &mut lost,
            &closed(),
            &paid_at_the_bank(true),
            false
        ));
        assert_eq!((lost.wrong_state, lost.late_successes), (1, 0));
    }
}
