//! Faults a test or benchmark switches on: the misbehaviour of the real platform that the
//! merchant must survive ("What the platform does that the merchant must survive" in the protocol
//! page). [`Faults`] is the simulator-wide set of `/sim/faults`; [`StatementFault`] is kept on one
//! order (`/sim/orders/{OrderNo}/statement`) and changes how statements show it;
//! [`batch::BatchFaults`] (`/sim/batches/fault`) marks lines of batch refunds.
//!
//! Besides the modes that hit every request of a kind, [`Faults`] holds percentages that hit a
//! share of them (`notify_*_pct`, `call_timeout_pct`), drawn from [`chance::Chance`]: a PRNG
//! seeded by `seed` (or from entropy) and reset whenever the set is replaced, so that a chaos
//! run with a seed makes the same draws when its requests come in the same order.

pub mod batch;
pub mod chance;

use chance::Chance;

use serde::{Deserialize, Serialize};

/// How long a `query: "timeout"` holds the request when `query_timeout_ms` is not given: longer
/// than any sensible client waits. `refund: "timeout"` and `"lost"` hold as long unless
/// `refund_timeout_ms` says otherwise, and `call_timeout_pct` unless `call_timeout_ms` does.
pub const DEFAULT_QUERY_HOLD_MS: u64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyFault {
    /// Server notifications are never sent (each scheduled attempt is swallowed).
    Drop,
    /// Each server notification attempt is sent twice.
    Duplicate,
    /// Each server notification attempt waits `notify_delay_ms` first.
    Delay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryFault {
    /// Answer ReturnCode `EUNKWN`.
    #[serde(rename = "EUNKWN")]
    Unknown,
    /// Answer `0000` with Status `02` (no response).
    #[serde(rename = "02")]
    NoResponse,
    /// Hold the request, then cut the connection without an answer.
    #[serde(rename = "timeout")]
    Timeout,
}

/// What happens to a `Refund` request. `timeout` and `EUNKWN` lose only the answer: the bank
/// has done whatever the request asked (a later Query of the NewOrderNo tells), which is the
/// case a merchant must resolve. `lost` loses the request itself: nothing is done, and a Query
/// of the NewOrderNo answers `2308`. `reject` is the bank saying no: nothing is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefundFault {
    /// Process the refund, then answer ReturnCode `EUNKWN`.
    #[serde(rename = "EUNKWN")]
    Unknown,
    /// Process the refund, hold the request, then cut the connection without an answer.
    #[serde(rename = "timeout")]
    Timeout,
    /// Refuse a new refund with `2313` (商户账户余额不足) and process nothing. A repeat of a
    /// refund already done still gets its first answer: the bank does not take back money
    /// it gave.
    #[serde(rename = "reject")]
    Reject,
    /// The request never reaches the bank: nothing is processed (its number stays unknown,
    /// `2308`), the request is held like `timeout`, then the connection is cut. The merchant
    /// cannot tell it from `timeout`; only sending the same refund again settles it.
    #[serde(rename = "lost")]
    Lost,
}

/// The whole fault set; `POST /sim/faults` replaces it, every field optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    #[serde(default)]
    pub notify: Option<NotifyFault>,
    #[serde(default)]
    pub notify_delay_ms: Option<u64>,
    #[serde(default)]
    pub query: Option<QueryFault>,
    /// The query fault applies to the first K queries of each order made after this fault set
    /// was set; absent = every query.
    #[serde(default)]
    pub query_first: Option<u32>,
    /// How long `timeout` holds a query (default 30 s).
    #[serde(default)]
    pub query_timeout_ms: Option<u64>,
    /// Unix ms: while the simulator's clock is before it, every Query answers `EUNKWN`, whatever
    /// `query` says — an outage window. With `notify: "drop"` it leaves the merchant with a
    /// payment it never heard of until the statement shows it.
    #[serde(default)]
    pub query_unknown_until_ms: Option<i64>,
    /// Fen: every Query of an order answers this OrderAmount instead of the order's own (its
    /// status and serial unchanged), signed as usual — a bank answering about another order, or
    /// an answer altered before it was signed. The merchant must not believe such an answer.
    /// Refunds read as orders are not affected.
    #[serde(default)]
    pub query_amount_fen: Option<i64>,
    /// What happens to Refund requests (single refunds; batch lines have their own faults).
    #[serde(default)]
    pub refund: Option<RefundFault>,
    /// The refund fault applies to the first K `Refund` requests naming each original order
    /// (counted per order, like `query_first`) made after this fault set was set; absent =
    /// every one. A request for an order the bank does not know counts as a first.
    #[serde(default)]
    pub refund_first: Option<u32>,
    /// How long `refund: "timeout"` or `"lost"` holds a Refund (default 30 s).
    #[serde(default)]
    pub refund_timeout_ms: Option<u64>,
    /// Percent (0–100) of server-notification attempts swallowed, drawn per attempt and on top
    /// of `notify` (either one drops it).
    #[serde(default)]
    pub notify_drop_pct: Option<u32>,
    /// Percent (0–100) of server-notification attempts sent twice, drawn like `notify_drop_pct`.
    #[serde(default)]
    pub notify_duplicate_pct: Option<u32>,
    /// Percent (0–100) of server-notification attempts that wait `notify_delay_ms` first, drawn
    /// like `notify_drop_pct`.
    #[serde(default)]
    pub notify_delay_pct: Option<u32>,
    /// Percent (0–100) of signed requests to the transaction endpoint, whatever their TrxType,
    /// that get no answer: held `call_timeout_ms`, then the connection is cut. Of those, half
    /// (drawn again) are processed first — the bank did the work and only its answer is lost —
    /// and half are not processed at all — the request never reached the bank. Which one is
    /// recorded in `lost_calls` on the order the request names, when there is one.
    #[serde(default)]
    pub call_timeout_pct: Option<u32>,
    /// How long `call_timeout_pct` holds a request (default 30 s).
    #[serde(default)]
    pub call_timeout_ms: Option<u64>,
    /// Of the requests `call_timeout_pct` leaves unanswered, the share the bank processed
    /// before the answer was lost (default 50); the rest never reached it.
    #[serde(default)]
    pub call_timeout_processed_pct: Option<u32>,
    /// Seeds the draws of the `*_pct` faults; absent, they are seeded from entropy.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// What the `notify_*_pct` faults drew for one server-notification attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotifyDraw {
    pub drop: bool,
    pub duplicate: bool,
    pub delay: bool,
}

/// A request `call_timeout_pct` leaves unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostCall {
    /// Processed; only the answer is lost.
    AnswerLost,
    /// Never reached the bank: nothing is processed.
    NeverArrived,
}

impl LostCall {
    pub fn processed(self) -> bool {
        self == LostCall::AnswerLost
    }
}

impl Faults {
    /// The fault for the `nth` (1-based) query of an order, if any.
    pub fn query_fault(&self, nth: u32) -> Option<QueryFault> {
        let applies = self.query_first.is_none_or(|first| nth <= first);
        self.query.filter(|_| applies)
    }

    /// The fault for the `nth` (1-based) Refund request on an order, if any.
    pub fn refund_fault(&self, nth: u32) -> Option<RefundFault> {
        let applies = self.refund_first.is_none_or(|first| nth <= first);
        self.refund.filter(|_| applies)
    }

    /// Whether a Query at `now_ms` (Unix ms) falls in the `query_unknown_until_ms` window.
    pub fn query_unknown_at(&self, now_ms: i64) -> bool {
        self.query_unknown_until_ms
            .is_some_and(|until| now_ms < until)
    }

    /// Refuses a set that cannot be meant: a percentage over 100, a negative amount.
    pub fn check(&self) -> Result<(), String> {
        if let Some(fen) = self.query_amount_fen.filter(|fen| *fen < 0) {
            return Err(format!("query_amount_fen is an amount in fen, not {fen}"));
        }
        let percentages = [
            ("notify_drop_pct", self.notify_drop_pct),
            ("notify_duplicate_pct", self.notify_duplicate_pct),
            ("notify_delay_pct", self.notify_delay_pct),
            ("call_timeout_pct", self.call_timeout_pct),
            (
                "call_timeout_processed_pct",
                self.call_timeout_processed_pct,
            ),
        ];
        for (name, pct) in percentages {
            if let Some(pct) = pct.filter(|pct| *pct > 100) {
                return Err(format!("{name} is a percentage, 0 to 100, not {pct}"));
            }
        }
        Ok(())
    }

    /// The `notify_*_pct` draws for one server-notification attempt. All three are drawn
    /// whatever the first ones gave, so that each attempt takes the same number of draws.
    pub fn draw_notify(&self, chance: &mut Chance) -> NotifyDraw {
        NotifyDraw {
            drop: chance.happens(self.notify_drop_pct),
            duplicate: chance.happens(self.notify_duplicate_pct),
            delay: chance.happens(self.notify_delay_pct),
        }
    }

    /// The `call_timeout_pct` draw for one request to the transaction endpoint.
    pub fn draw_call(&self, chance: &mut Chance) -> Option<LostCall> {
        if !chance.happens(self.call_timeout_pct) {
            return None;
        }
        Some(
            if chance.happens(Some(self.call_timeout_processed_pct.unwrap_or(50))) {
                LostCall::AnswerLost
            } else {
                LostCall::NeverArrived
            },
        )
    }

    /// How long a request `call_timeout_pct` leaves unanswered is held.
    pub fn call_hold_ms(&self) -> u64 {
        self.call_timeout_ms.unwrap_or(DEFAULT_QUERY_HOLD_MS)
    }
}

/// Requests of one kind seen for one order (or refund) under the fault set of `generation`:
/// the `*_first` faults apply to the first K of them, counted again from zero under a new set.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FaultCounter {
    generation: u64,
    count: u32,
}

impl FaultCounter {
    /// Counts one request; returns its 1-based number under the fault set of `generation`.
    pub fn count(&mut self, generation: u64) -> u32 {
        if self.generation != generation {
            self.generation = generation;
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count
    }
}

/// How the bank's statements (Settle, QueryTrnxRecords) misreport one paid order. The JSON shape
/// of `POST /sim/orders/{OrderNo}/statement`: `{"fault": "omit"}`, `{"fault": "amount",
/// "amount_fen": 999}`, `{"fault": "fee", "fee_fen": 12}`, … Read through [`StatementFaultBody`],
/// so a missing, stray or out-of-range number is refused rather than ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "fault",
    rename_all = "snake_case",
    try_from = "StatementFaultBody"
)]
pub enum StatementFault {
    /// The line is missing from every statement.
    Omit,
    /// The bank books the payment a day late: the line is in the statement of the accounting
    /// date after its own (with that date in 会计日期), not in its own.
    NextDay,
    /// 交易金额 shows this amount; the fee and 商户动账金额 follow from it.
    Amount { amount_fen: i64 },
    /// 商户回佣手续费 shows this fee; 商户动账金额 follows from it.
    Fee { fee_fen: i64 },
    /// 交易金额 is unreadable (`12.3x`): a parser must report the line. Totals leave it out.
    Corrupt,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StatementFaultName {
    Omit,
    NextDay,
    Amount,
    Fee,
    Corrupt,
}

/// The flat JSON body; serde's tagged enums would let `{"fault":"omit","fee_fen":5}` through.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementFaultBody {
    fault: StatementFaultName,
    #[serde(default)]
    amount_fen: Option<i64>,
    #[serde(default)]
    fee_fen: Option<i64>,
}

/// Amounts and fees a statement may show: not negative, and small enough that totals over a
/// whole book cannot overflow.
const MAX_STATEMENT_FEN: i64 = 1_000_000_000_000;

impl TryFrom<StatementFaultBody> for StatementFault {
    type Error = &'static str;

    fn try_from(body: StatementFaultBody) -> Result<StatementFault, &'static str> {
        let in_range = |fen: i64| (0..=MAX_STATEMENT_FEN).contains(&fen);
        match (body.fault, body.amount_fen, body.fee_fen) {
            (StatementFaultName::Amount, Some(amount_fen), None) if in_range(amount_fen) => {
                Ok(StatementFault::Amount { amount_fen })
            }
            (StatementFaultName::Amount, ..) => {
                Err("amount needs amount_fen (0 to 10^12) and nothing else")
            }
            (StatementFaultName::Fee, None, Some(fee_fen)) if in_range(fee_fen) => {
                Ok(StatementFault::Fee { fee_fen })
            }
            (StatementFaultName::Fee, ..) => Err("fee needs fee_fen (0 to 10^12) and nothing else"),
            (_, Some(_), _) | (_, _, Some(_)) => {
                Err("amount_fen and fee_fen go only with amount and fee")
            }
            (StatementFaultName::Omit, None, None) => Ok(StatementFault::Omit),
            (StatementFaultName::NextDay, None, None) => Ok(StatementFault::NextDay),
            (StatementFaultName::Corrupt, None, None) => Ok(StatementFault::Corrupt),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let faults: Faults =
            serde_json::from_str(r#"{"notify":"duplicate","query":"EUNKWN","query_first":2}"#)
                .unwrap();
        assert_eq!(faults.notify, Some(NotifyFault::Duplicate));
        assert_eq!(faults.query_fault(1), Some(QueryFault::Unknown));
        assert_eq!(faults.query_fault(2), Some(QueryFault::Unknown));
        assert_eq!(faults.query_fault(3), None);
        let faults: Faults = serde_json::from_str(r#"{"query":"02","notify":null}"#).unwrap();
        assert_eq!(faults.query_fault(1000), Some(QueryFault::NoResponse));
        assert!(serde_json::from_str::<Faults>(r#"{"notfy":"drop"}"#).is_err());
        assert!(serde_json::from_str::<Faults>(r#"{"query":"03"}"#).is_err());
        let faults: Faults = serde_json::from_str(r#"{"query_amount_fen":1}"#).unwrap();
        assert_eq!(faults.query_amount_fen, Some(1));
        assert_eq!(faults.check(), Ok(()));
        let negative: Faults = serde_json::from_str(r#"{"query_amount_fen":-1}"#).unwrap();
        assert!(negative.check().unwrap_err().contains("query_amount_fen"));
        let faults: Faults = serde_json::from_str(r#"{"query_unknown_until_ms":1000}"#).unwrap();
        assert!(faults.query_unknown_at(999));
        assert!(!faults.query_unknown_at(1000));
        assert!(!Faults::default().query_unknown_at(0));
    }

    #[test]
    fn parses_refund_faults_and_counts_per_generation() {
        let faults: Faults =
            serde_json::from_str(r#"{"refund":"timeout","refund_first":1,"refund_timeout_ms":5}"#)
                .unwrap();
        assert_eq!(faults.refund_fault(1), Some(RefundFault::Timeout));
        assert_eq!(faults.refund_fault(2), None);
        for (text, fault) in [
            ("EUNKWN", RefundFault::Unknown),
            ("reject", RefundFault::Reject),
            ("lost", RefundFault::Lost),
        ] {
            let faults: Faults =
                serde_json::from_str(&format!(r#"{{"refund":"{text}"}}"#)).unwrap();
            assert_eq!(faults.refund_fault(99), Some(fault));
        }
        assert!(serde_json::from_str::<Faults>(r#"{"refund":"02"}"#).is_err());

        let mut counter = FaultCounter::default();
        assert_eq!(counter.count(0), 1);
        assert_eq!(counter.count(0), 2);
        assert_eq!(counter.count(1), 1, "a new fault set counts from zero");
    }

    #[test]
    fn percentages_over_a_hundred_are_refused() {
        let faults: Faults = serde_json::from_str(
            r#"{"notify_drop_pct":0,"notify_duplicate_pct":100,"notify_delay_pct":7,
                "call_timeout_pct":50,"call_timeout_ms":20,"seed":42}"#,
        )
        .unwrap();
        assert_eq!(faults.check(), Ok(()));
        assert_eq!(faults.call_hold_ms(), 20);
        assert_eq!(Faults::default().call_hold_ms(), DEFAULT_QUERY_HOLD_MS);
        let over: Faults = serde_json::from_str(r#"{"call_timeout_pct":101}"#).unwrap();
        let error = over.check().unwrap_err();
        assert!(
            error.contains("call_timeout_pct") && error.contains("101"),
            "{error}"
        );
        let over: Faults = serde_json::from_str(r#"{"notify_delay_pct":1000}"#).unwrap();
        assert!(over.check().unwrap_err().contains("notify_delay_pct"));
        assert!(serde_json::from_str::<Faults>(r#"{"call_timeout_pct":-1}"#).is_err());
        assert!(serde_json::from_str::<Faults>(r#"{"notify_drop_percent":5}"#).is_err());
    }

    #[test]
    fn zero_percent_never_and_a_hundred_always() {
        let mut chance = Chance::new(None);
        let never = Faults {
            notify_drop_pct: Some(0),
            call_timeout_pct: Some(0),
            ..Faults::default()
        };
        let always = Faults {
            notify_drop_pct: Some(100),
            notify_duplicate_pct: Some(100),
            notify_delay_pct: Some(100),
            call_timeout_pct: Some(100),
            ..Faults::default()
        };
        for _ in 0..1_000 {
            assert_eq!(never.draw_notify(&mut chance), NotifyDraw::default());
            assert_eq!(never.draw_call(&mut chance), None);
            assert_eq!(Faults::default().draw_call(&mut chance), None);
            let all = NotifyDraw {
                drop: true,
                duplicate: true,
                delay: true,
            };
            assert_eq!(always.draw_notify(&mut chance), all);
            assert!(always.draw_call(&mut chance).is_some());
        }
    }

    #[test]
    fn a_seeded_sequence_repeats_and_lost_calls_split_both_ways() {
        let faults = Faults {
            notify_drop_pct: Some(30),
            notify_duplicate_pct: Some(30),
            notify_delay_pct: Some(30),
            call_timeout_pct: Some(40),
            seed: Some(7),
            ..Faults::default()
        };
        let run = |seed| {
            let mut chance = Chance::new(Some(seed));
            (0..2_000)
                .map(|_| {
                    (
                        faults.draw_notify(&mut chance),
                        faults.draw_call(&mut chance),
                    )
                })
                .collect::<Vec<_>>()
        };
        let first = run(7);
        assert_eq!(first, run(7), "the same seed, the same draws");
        assert_ne!(first, run(8), "another seed, other draws");
        let lost: Vec<LostCall> = first.iter().filter_map(|(_, call)| *call).collect();
        let processed = lost.iter().filter(|call| call.processed()).count();
        // 40 % of 2,000 and half of those, with room for chance.
        assert!((600..1_000).contains(&lost.len()), "{}", lost.len());
        assert!(processed > lost.len() / 4 && processed < lost.len() * 3 / 4);
        let drops = first.iter().filter(|(draw, _)| draw.drop).count();
        assert!((400..800).contains(&drops), "{drops}");
    }

    #[test]
    fn parses_statement_faults() {
        let parse = |text| serde_json::from_str::<StatementFault>(text);
        assert_eq!(parse(r#"{"fault":"omit"}"#).unwrap(), StatementFault::Omit);
        assert_eq!(
            parse(r#"{"fault":"next_day"}"#).unwrap(),
            StatementFault::NextDay
        );
        assert_eq!(
            parse(r#"{"fault":"amount","amount_fen":5}"#).unwrap(),
            StatementFault::Amount { amount_fen: 5 }
        );
        assert_eq!(
            parse(r#"{"fault":"fee","fee_fen":7}"#).unwrap(),
            StatementFault::Fee { fee_fen: 7 }
        );
        assert!(parse(r#"{"fault":"amount"}"#).is_err());
        assert!(parse(r#"{"fault":"late"}"#).is_err());
        assert!(parse(r#"{"fault":"omit","amount_fen":5}"#).is_err());
        assert!(parse(r#"{"fault":"fee","fee_fen":-1}"#).is_err());
        assert!(parse(r#"{"fault":"fee","amount_fen":1,"fee_fen":1}"#).is_err());
        assert!(parse(r#"{"fault":"corrupt","typo":1}"#).is_err());
        assert_eq!(
            serde_json::to_value(StatementFault::Amount { amount_fen: 5 }).unwrap(),
            serde_json::json!({"fault": "amount", "amount_fen": 5})
        );
    }
}
