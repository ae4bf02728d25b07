//! The simulated platform's order book: every order a merchant registered with PayReq, what the
//! consumer did with it, and every notification sent about it. In memory and bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Query's `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Unpaid,
    Paid,
    Failed,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Unpaid => "01",
            Status::Paid => "04",
            Status::Failed => "99",
        }
    }
    pub fn is_final(self) -> bool {
        self != Status::Unpaid
    }
}

/// The PayReq's NotifyType: how the merchant asked to hear the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyType {
    /// `0`: the consumer's browser carries the result.
    Page,
    /// `1`: the platform posts it server to server, with retries.
    Server,
}

impl NotifyType {
    pub fn code(self) -> &'static str {
        match self {
            NotifyType::Page => "0",
            NotifyType::Server => "1",
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
    /// The `notify: "drop"` fault swallowed this attempt: nothing was sent.
    pub dropped: bool,
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
    /// Queries seen since the fault set of generation `fault_generation` was set: the `query`
    /// fault applies to the first K of them.
    pub fault_queries: u32,
    pub fault_generation: u64,
    /// Notifications actually sent (both modes).
    pub notify_attempts: u32,
    /// A server notification got `200` with `<URL>…</URL>`.
    pub notify_acknowledged: bool,
    pub notify_log: Vec<NotifyRecord>,
}

impl Order {
    /// Counts a query; returns its 1-based number under the fault set of `generation`.
    pub fn count_query(&mut self, generation: u64) -> u32 {
        self.query_count = self.query_count.saturating_add(1);
        if self.fault_generation != generation {
            self.fault_generation = generation;
            self.fault_queries = 0;
        }
        self.fault_queries = self.fault_queries.saturating_add(1);
        self.fault_queries
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
    by_no: HashMap<Arc<str>, Vec<OrderId>>,
    by_token: HashMap<Arc<str>, OrderId>,
    /// Insertion order, for eviction.
    age: VecDeque<OrderId>,
    next_id: OrderId,
    capacity: usize,
}

impl OrderBook {
    pub fn new(capacity: usize) -> OrderBook {
        OrderBook {
            orders: HashMap::new(),
            by_no: HashMap::new(),
            by_token: HashMap::new(),
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
        self.by_no.get(order_no)?.iter().copied().find(|id| {
            self.orders
                .get(id)
                .is_some_and(|order| &*order.merchant_id == merchant_id)
        })
    }

    /// For the sim API, which names orders by number and optionally by merchant.
    pub fn find_by_no(&self, order_no: &str, merchant_id: Option<&str>) -> Result<OrderId, Lookup> {
        if let Some(merchant_id) = merchant_id {
            return self.find(merchant_id, order_no).ok_or(Lookup::NotFound);
        }
        match self.by_no.get(order_no).map(Vec::as_slice) {
            None | Some([]) => Err(Lookup::NotFound),
            Some([id]) => Ok(*id),
            Some(_) => Err(Lookup::Ambiguous),
        }
    }

    pub fn find_by_token(&self, token: &str) -> Option<OrderId> {
        self.by_token.get(token).copied()
    }

    /// Adds an order (the caller checked it is new), evicting old ones beyond the capacity.
    pub fn insert(&mut self, order: Order) -> OrderId {
        let id = self.next_id;
        self.next_id += 1;
        self.by_no
            .entry(order.order_no.clone())
            .or_default()
            .push(id);
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
        if let Some(ids) = self.by_no.get_mut(&order.order_no) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.by_no.remove(&order.order_no);
            }
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
            fault_queries: 0,
            fault_generation: 0,
            notify_attempts: 0,
            notify_acknowledged: false,
            notify_log: Vec::new(),
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
