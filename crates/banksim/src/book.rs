//! The simulated platform's order book: every order a merchant registered with PayReq, what the
//! consumer did with it, the refunds and the pre-authorization operation the merchant asked for
//! on it, every notification sent about it, and the batch refunds in the bank. In memory and
//! bounded.

pub mod numbers;

use crate::faults::{FaultCounter, StatementFault};
use crate::preauth::record::PreAuthOp;
use crate::refunds::batch_book::Batches;
use crate::refunds::record::{Refund, RefundStatus};
use numbers::NumberIndex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Where the consumer's side of an order stands; Query's `Status` follows from it and from the
/// refunds (see [`Order::status_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Unpaid,
    Paid,
    Failed,
    /// A PreAuthPay order the consumer authorized; the merchant has neither confirmed nor
    /// cancelled it yet.
    Authorized,
    /// Pre-authorization confirmed (captured), wholly or in part.
    Confirmed,
    /// Pre-authorization cancelled (released).
    Cancelled,
}

impl Status {
    /// Query's `Status` before refunds. The protocol has no code for an authorization that is
    /// neither confirmed (`07`) nor cancelled (`00`); **assumed**: `04`, with the order's
    /// PayTypeID `PreAuthPay` telling it apart from a payment (see [`crate::preauth`]).
    pub fn code(self) -> &'static str {
        match self {
            Status::Unpaid => "01",
            Status::Paid | Status::Authorized => "04",
            Status::Failed => "99",
            Status::Confirmed => "07",
            Status::Cancelled => "00",
        }
    }

    /// The consumer has acted: the order can no longer be paid.
    pub fn is_final(self) -> bool {
        self != Status::Unpaid
    }
}

/// Query's `Status` of a fully refunded order.
pub const REFUNDED_CODE: &str = "05";

/// The PayReq's NotifyType: how the merchant asked to hear the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyType {
    /// `0`: the consumer's browser carries the result.
    Page,
    /// `1`: the platform posts it server to server, with retries.
    Server,
    /// Nobody is notified: a K-code payment, told by its answer and by Query only.
    None,
}

impl NotifyType {
    pub fn code(self) -> &'static str {
        match self {
            NotifyType::Page => "0",
            NotifyType::Server => "1",
            NotifyType::None => "",
        }
    }
}

/// What the bank stamped on the order when the consumer acted.
#[derive(Debug, Clone)]
pub struct Payment {
    pub i_rsp_ref: String,
    pub voucher_no: String,
    pub batch_no: String,
    pub host_date: String,
    pub host_time: String,
    /// `YYYY/MM/DD`, after the cut-over hour the next day.
    pub accounting_date: String,
    pub pay_type: &'static str,
}

/// One delivery of a result notification to the merchant, as seen from the bank.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotifyRecord {
    /// `server` (NotifyType 1) or `page` (NotifyType 0, posted as the browser would).
    pub mode: &'static str,
    /// 1-based attempt of the server schedule; 0 for page deliveries.
    pub attempt: u32,
    /// RFC 3339, UTC+8.
    pub at: String,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    /// The `<URL>` the merchant answered (server mode), when it answered one.
    pub url: Option<String>,
    pub acknowledged: bool,
    /// The `notify: "drop"` fault or `notify_drop_pct` swallowed this attempt: nothing was
    /// sent.
    pub dropped: bool,
}

/// A request about an order that a fault left unanswered: held, then cut.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LostCallRecord {
    pub trx_type: String,
    /// RFC 3339, UTC+8.
    pub at: String,
    /// Whether the bank did the work and only the answer was lost, or never saw the request.
    pub processed: bool,
    /// `call_timeout` (the `call_timeout_pct` draw) or `refund_lost`.
    pub fault: &'static str,
}

/// Log entries kept per order; the counters keep counting past it.
const MAX_LOG: usize = 64;

#[derive(Debug)]
pub struct Order {
    pub merchant_id: Arc<str>,
    pub order_no: Arc<str>,
    pub amount_fen: i64,
    pub pay_type_id: String,
    pub order_date: String,
    pub order_time: String,
    pub payment_type: String,
    pub notify_type: NotifyType,
    pub notify_url: Arc<str>,
    pub merchant_remarks: String,
    pub token: Arc<str>,
    pub status: Status,
    pub payment: Option<Payment>,
    /// Queries seen for this order.
    pub query_count: u32,
    /// The count the `query` fault goes by (the first K queries under a fault set).
    pub query_faults: FaultCounter,
    /// The count the `refund` fault goes by (the first K Refund requests naming this order).
    pub refund_faults: FaultCounter,
    /// Notifications actually sent (both modes).
    pub notify_attempts: u32,
    /// A server notification got `200` with `<URL>…</URL>`.
    pub notify_acknowledged: bool,
    pub notify_log: Vec<NotifyRecord>,
    /// Requests about the order a fault left unanswered, the first [`MAX_LOG`] of them.
    pub lost_calls: Vec<LostCallRecord>,
    /// Set through the sim API; stays until cleared, whatever else happens to the order.
    pub statement_fault: Option<StatementFault>,
    /// Refunds in the order they were taken in; a NewOrderNo appears once. Bounded by
    /// [`MAX_REFUNDS_PER_ORDER`].
    pub refunds: Vec<Refund>,
    /// The confirmation or cancellation of a pre-authorization.
    pub preauth: Option<PreAuthOp>,
}

/// Refunds (done or failed) one order can hold: far more than any real order sees.
pub const MAX_REFUNDS_PER_ORDER: usize = 1_000;

impl Order {
    /// Counts a query; returns its 1-based number under the fault set of `generation`.
    pub fn count_query(&mut self, generation: u64) -> u32 {
        self.query_count = self.query_count.saturating_add(1);
        self.query_faults.count(generation)
    }

    /// Counts a Refund request naming this order; its 1-based number under `generation`.
    pub fn count_refund(&mut self, generation: u64) -> u32 {
        self.refund_faults.count(generation)
    }

    /// What the bank took and may give back: the paid amount, or the captured amount of a
    /// confirmed pre-authorization. `None` when nothing was taken.
    pub fn refundable_base_fen(&self) -> Option<i64> {
        match self.status {
            Status::Paid => Some(self.amount_fen),
            Status::Confirmed => self.preauth.as_ref().map(|op| op.amount_fen),
            _ => None,
        }
    }

    /// Done refunds, reported or not: what can no longer be refunded.
    pub fn refunded_fen(&self) -> i64 {
        self.refunds
            .iter()
            .map(Refund::reserved_fen)
            .fold(0, i64::saturating_add)
    }

    /// Query's `Status`: `05` once the refunds the bank reports cover what it took; before
    /// that the consumer's side decides (a partly refunded payment is still `04`).
    pub fn status_code(&self, now_ms: i64) -> &'static str {
        let reported = self
            .refunds
            .iter()
            .filter(|refund| refund.status(now_ms) == RefundStatus::Succeeded)
            .map(|refund| refund.amount_fen)
            .fold(0, i64::saturating_add);
        match self.refundable_base_fen() {
            Some(base) if base > 0 && reported >= base => REFUNDED_CODE,
            _ => self.status.code(),
        }
    }

    pub fn refund(&self, new_order_no: &str) -> Option<&Refund> {
        self.refunds
            .iter()
            .find(|refund| &*refund.new_order_no == new_order_no)
    }

    pub fn refund_mut(&mut self, new_order_no: &str) -> Option<&mut Refund> {
        self.refunds
            .iter_mut()
            .find(|refund| &*refund.new_order_no == new_order_no)
    }

    pub fn record(&mut self, record: NotifyRecord) {
        if !record.dropped {
            self.notify_attempts = self.notify_attempts.saturating_add(1);
        }
        if record.acknowledged {
            self.notify_acknowledged = true;
        }
        if self.notify_log.len() < MAX_LOG {
            self.notify_log.push(record);
        }
    }

    pub fn record_lost_call(&mut self, record: LostCallRecord) {
        if self.lost_calls.len() < MAX_LOG {
            self.lost_calls.push(record);
        }
    }
}

pub type OrderId = u64;

/// Why a lookup by order number alone failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    NotFound,
    /// Several merchants use this order number: name the merchant.
    Ambiguous,
}

pub struct OrderBook {
    orders: HashMap<OrderId, Order>,
    /// OrderNo → the orders using it (one per merchant; order numbers are per merchant).
    by_no: NumberIndex,
    /// A refund's NewOrderNo → the order it refunds.
    by_refund_no: NumberIndex,
    /// A pre-authorization operation's OrderNo → the order it confirmed or cancelled.
    by_operation_no: NumberIndex,
    by_token: HashMap<Arc<str>, OrderId>,
    /// Batch refunds, under the same lock: processing a batch changes its lines and the orders
    /// together.
    pub batches: Batches,
    /// Insertion order, for eviction.
    age: VecDeque<OrderId>,
    next_id: OrderId,
    capacity: usize,
}

impl OrderBook {
    pub fn new(capacity: usize) -> OrderBook {
        OrderBook {
            orders: HashMap::new(),
            by_no: NumberIndex::default(),
            by_refund_no: NumberIndex::default(),
            by_operation_no: NumberIndex::default(),
            by_token: HashMap::new(),
            batches: Batches::default(),
            age: VecDeque::new(),
            next_id: 1,
            capacity: capacity.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    pub fn get(&self, id: OrderId) -> Option<&Order> {
        self.orders.get(&id)
    }

    pub fn get_mut(&mut self, id: OrderId) -> Option<&mut Order> {
        self.orders.get_mut(&id)
    }

    pub fn find(&self, merchant_id: &str, order_no: &str) -> Option<OrderId> {
        self.merchants_order(&self.by_no, merchant_id, order_no)
    }

    /// The order holding the merchant's refund numbered `new_order_no`.
    pub fn find_refund(&self, merchant_id: &str, new_order_no: &str) -> Option<OrderId> {
        self.merchants_order(&self.by_refund_no, merchant_id, new_order_no)
    }

    /// The order the merchant's pre-authorization operation numbered `order_no` acted on.
    pub fn find_operation(&self, merchant_id: &str, order_no: &str) -> Option<OrderId> {
        self.merchants_order(&self.by_operation_no, merchant_id, order_no)
    }

    /// Whether the merchant already used `number` for an order, a refund or an operation:
    /// one namespace, so that Query by number is never ambiguous.
    pub fn number_taken(&self, merchant_id: &str, number: &str) -> bool {
        self.find(merchant_id, number).is_some()
            || self.find_refund(merchant_id, number).is_some()
            || self.find_operation(merchant_id, number).is_some()
    }

    fn merchants_order(
        &self,
        index: &NumberIndex,
        merchant_id: &str,
        number: &str,
    ) -> Option<OrderId> {
        index.ids(number).iter().copied().find(|id| {
            self.orders
                .get(id)
                .is_some_and(|order| &*order.merchant_id == merchant_id)
        })
    }

    /// Adds a refund to an order (the caller checked its number is free); `false` when the
    /// order is gone.
    pub fn add_refund(&mut self, id: OrderId, refund: Refund) -> bool {
        let Some(order) = self.orders.get_mut(&id) else {
            return false;
        };
        self.by_refund_no.add(refund.new_order_no.clone(), id);
        order.refunds.push(refund);
        true
    }

    /// Records an order's pre-authorization operation (the caller checked its number is free
    /// and the order has none); `false` when the order is gone.
    pub fn set_operation(&mut self, id: OrderId, operation: PreAuthOp) -> bool {
        let Some(order) = self.orders.get_mut(&id) else {
            return false;
        };
        self.by_operation_no.add(operation.order_no.clone(), id);
        order.preauth = Some(operation);
        true
    }

    /// For the sim API, which names orders by number and optionally by merchant.
    pub fn find_by_no(&self, order_no: &str, merchant_id: Option<&str>) -> Result<OrderId, Lookup> {
        if let Some(merchant_id) = merchant_id {
            return self.find(merchant_id, order_no).ok_or(Lookup::NotFound);
        }
        match self.by_no.ids(order_no) {
            [] => Err(Lookup::NotFound),
            [id] => Ok(*id),
            _ => Err(Lookup::Ambiguous),
        }
    }

    /// Every order, in no particular order (statements sort what they pick).
    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.orders.values()
    }

    pub fn find_by_token(&self, token: &str) -> Option<OrderId> {
        self.by_token.get(token).copied()
    }

    /// Adds an order (the caller checked it is new), evicting old ones beyond the capacity.
    pub fn insert(&mut self, order: Order) -> OrderId {
        let id = self.next_id;
        self.next_id += 1;
        self.by_no.add(order.order_no.clone(), id);
        self.by_token.insert(order.token.clone(), id);
        self.orders.insert(id, order);
        self.age.push_back(id);
        self.evict();
        id
    }

    /// Drops the oldest final orders beyond the capacity. An unpaid order may still be paid, so
    /// it is kept, unless the book has grown a quarter beyond the capacity with unpaid orders:
    /// then the oldest go regardless, so memory stays bounded. The work per call is bounded too.
    fn evict(&mut self) {
        let hard_limit = self.capacity.saturating_add(self.capacity / 4);
        let mut budget = 16;
        while self.orders.len() > self.capacity && budget > 0 {
            budget -= 1;
            let Some(id) = self.age.pop_front() else {
                break;
            };
            let removable = match self.orders.get(&id) {
                None => continue,
                Some(order) => order.status.is_final() || self.orders.len() > hard_limit,
            };
            if removable {
                self.remove(id);
            } else {
                self.age.push_back(id);
            }
        }
    }

    fn remove(&mut self, id: OrderId) {
        let Some(order) = self.orders.remove(&id) else {
            return;
        };
        self.by_token.remove(&order.token);
        self.by_no.remove(&order.order_no, id);
        for refund in &order.refunds {
            self.by_refund_no.remove(&refund.new_order_no, id);
        }
        if let Some(operation) = &order.preauth {
            self.by_operation_no.remove(&operation.order_no, id);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn order(merchant: &str, no: &str) -> Order {
        Order {
            merchant_id: merchant.into(),
            order_no: no.into(),
            amount_fen: 100,
            pay_type_id: "ImmediatePay".into(),
            order_date: "2026/11/27".into(),
            order_time: "09:00:00".into(),
            payment_type: "A".into(),
            notify_type: NotifyType::Server,
            notify_url: "http://m/n".into(),
            merchant_remarks: String::new(),
            token: format!("t-{merchant}-{no}").into(),
            status: Status::Unpaid,
            payment: None,
            query_count: 0,
            query_faults: FaultCounter::default(),
            refund_faults: FaultCounter::default(),
            notify_attempts: 0,
            notify_acknowledged: false,
            notify_log: Vec::new(),
            lost_calls: Vec::new(),
            statement_fault: None,
            refunds: Vec::new(),
            preauth: None,
        }
    }

    #[test]
    fn finds_orders_per_merchant() {
        let mut book = OrderBook::new(10);
        let a = book.insert(order("M1", "O1"));
        let b = book.insert(order("M2", "O1"));
        assert_eq!(book.find("M1", "O1"), Some(a));
        assert_eq!(book.find("M2", "O1"), Some(b));
        assert_eq!(book.find_by_no("O1", None), Err(Lookup::Ambiguous));
        assert_eq!(book.find_by_no("O1", Some("M2")), Ok(b));
        assert_eq!(book.find_by_no("O2", None), Err(Lookup::NotFound));
        assert_eq!(book.find_by_token("t-M1-O1"), Some(a));
    }

    #[test]
    fn refund_and_operation_numbers_share_the_namespace_and_leave_with_their_order() {
        use crate::refunds::record::RefundOutcome;
        let mut book = OrderBook::new(1);
        let id = book.insert(order("M1", "O1"));
        book.get_mut(id).unwrap().status = Status::Paid;
        let refund = Refund {
            new_order_no: "R1".into(),
            amount_fen: 10,
            order_date: String::new(),
            order_time: String::new(),
            outcome: RefundOutcome::Failed {
                code: crate::codes::OVER_REFUND,
            },
            batch_serial: None,
            query_count: 0,
            query_faults: FaultCounter::default(),
        };
        assert!(book.add_refund(id, refund));
        assert_eq!(book.find_refund("M1", "R1"), Some(id));
        assert_eq!(book.find_refund("M2", "R1"), None);
        assert!(book.number_taken("M1", "R1") && book.number_taken("M1", "O1"));
        assert!(!book.number_taken("M2", "R1"));
        // A second final order pushes the first out, with its refund's number.
        let other = book.insert(order("M1", "O2"));
        book.get_mut(other).unwrap().status = Status::Paid;
        book.insert(order("M1", "O3"));
        assert!(book.get(id).is_none());
        assert!(!book.number_taken("M1", "R1"));
        assert!(book.by_refund_no.is_empty());
    }

    #[test]
    fn evicts_final_orders_first_and_stays_bounded() {
        let mut book = OrderBook::new(4);
        let first = book.insert(order("M", "unpaid"));
        for n in 0..10 {
            let id = book.insert(order("M", &format!("paid{n}")));
            book.get_mut(id).unwrap().status = Status::Paid;
        }
        assert!(book.len() <= 5);
        assert!(book.get(first).is_some(), "the unpaid order is kept");
        for n in 0..20 {
            book.insert(order("M", &format!("more{n}")));
        }
        assert!(
            book.len() <= 5,
            "unpaid orders beyond the hard limit go too"
        );
        assert_eq!(book.by_token.len(), book.len());
    }
}
