//! ABC order status codes (Query → `Order.Status`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// `01` 未支付.
    Unpaid,
    /// `02` no response from the host: unknown, ask again.
    NoResponse,
    /// `03` 已请款: the money is taken.
    Requested,
    /// `04` 成功.
    Success,
    /// `05` 已退款: it was paid, then refunded.
    Refunded,
    /// `07` pre-authorization confirmed.
    PreAuthConfirmed,
    /// `00` pre-authorization cancelled.
    PreAuthCancelled,
    /// `99` 失败.
    Failed,
}

impl OrderStatus {
    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::Unpaid => "01",
            OrderStatus::NoResponse => "02",
            OrderStatus::Requested => "03",
            OrderStatus::Success => "04",
            OrderStatus::Refunded => "05",
            OrderStatus::PreAuthConfirmed => "07",
            OrderStatus::PreAuthCancelled => "00",
            OrderStatus::Failed => "99",
        }
    }

    pub fn parse(code: &str) -> Option<OrderStatus> {
        Some(match code {
            "01" => OrderStatus::Unpaid,
            "02" => OrderStatus::NoResponse,
            "03" => OrderStatus::Requested,
            "04" => OrderStatus::Success,
            "05" => OrderStatus::Refunded,
            "07" => OrderStatus::PreAuthConfirmed,
            "00" => OrderStatus::PreAuthCancelled,
            "99" => OrderStatus::Failed,
            _ => return None,
        })
    }

    /// Whether the money reached the merchant at some point (a refund comes later, separately).
    pub fn money_taken(self) -> bool {
        matches!(
            self,
            OrderStatus::Requested
                | OrderStatus::Success
                | OrderStatus::Refunded
                | OrderStatus::PreAuthConfirmed
        )
    }
}
