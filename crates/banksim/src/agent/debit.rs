//! `AgentPay`: one debit of a signed mandate, judged and answered at once. The debit is an
//! order in the order book (paid, or failed with the reason), so that `Query` and the
//! statements know it like any payment.

use super::book::{MandateBook, SignStatus};
use super::{INSUFFICIENT_BALANCE, MANDATE_CANCELLED, MANDATE_EXPIRED, NO_MANDATE};
use crate::answer;
use crate::book::{NotifyType, Order, Payment, Status};
use crate::clock::{new_token, now_china, protocol_date, protocol_time};
use crate::codes;
use crate::faults::FaultCounter;
use crate::fields::{is_date, is_time};
use crate::ids::is_order_no;
use crate::settle::{Outcome, settle};
use crate::state::{Inner, SimState};
use crate::trx::text;
use crate::wire::names;
use serde_json::Value;
use unipay_core::money::{format_yuan, parse_yuan_to_fen};

pub type Refusal = (&'static str, &'static str);

/// Whether the mandate `agent_sign_no` may be debited today (a mandate has no amount limit:
/// AgentSign carries none).
pub fn judge(book: &MandateBook, merchant_id: &str, agent_sign_no: &str) -> Result<(), Refusal> {
    let signing = book
        .signing_by_sign_no(merchant_id, agent_sign_no)
        .ok_or(NO_MANDATE)?;
    match signing.status {
        SignStatus::Active => {}
        SignStatus::Cancelled => return Err(MANDATE_CANCELLED),
        SignStatus::Pending | SignStatus::Failed => return Err(NO_MANDATE),
    }
    // Both `YYYY/MM/DD`: they compare as text.
    if protocol_date(now_china().date_naive()) > signing.expired_date {
        return Err(MANDATE_EXPIRED);
    }
    if book.poor_cards.contains(&signing.card_no) {
        return Err(INSUFFICIENT_BALANCE);
    }
    Ok(())
}

/// Books a judged debit as an order (paid, or failed); the order's stamp, or why it failed.
/// The caller checked the number is free.
pub fn book_debit(
    sim: &Inner,
    merchant_id: &str,
    order_no: &str,
    amount_fen: i64,
    judged: Result<(), Refusal>,
) -> Result<Payment, Refusal> {
    let now = now_china();
    let id = sim.orders().insert(Order {
        merchant_id: merchant_id.into(),
        order_no: order_no.into(),
        amount_fen,
        pay_type_id: "ImmediatePay".into(),
        order_date: protocol_date(now.date_naive()),
        order_time: protocol_time(now),
        payment_type: "1".into(),
        notify_type: NotifyType::Server,
        notify_url: "".into(),
        merchant_remarks: String::new(),
        // Never shown to anyone: a debit has no payment page.
        token: new_token().into(),
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
    });
    let outcome = if judged.is_ok() {
        Outcome::Success
    } else {
        Outcome::Decline
    };
    let (notice, _) = settle(sim, id, outcome).map_err(|_| codes::ORDER_NOT_FOUND)?;
    judged.map(|()| notice.payment)
}

pub fn agent_pay(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    let order_no = field("OrderNo");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    let agent_sign_no = field("AgentSignNo");
    if !is_order_no(agent_sign_no) {
        return answer::bad_field(merchant_id, "AgentSignNo");
    }
    if !is_date(field("OrderDate")) {
        return answer::bad_field(merchant_id, "OrderDate");
    }
    if !is_time(field("OrderTime")) {
        return answer::bad_field(merchant_id, "OrderTime");
    }
    // The SDK's AgentPay names the amount `Amount` (not OrderAmount) and requires 156.
    if field("CurrencyCode") != "156" {
        return answer::bad_field(merchant_id, "CurrencyCode");
    }
    let Some(amount_fen) = parse_yuan_to_fen(field("Amount"))
        .ok()
        .filter(|fen| *fen > 0)
    else {
        return answer::bad_field(merchant_id, "Amount");
    };
    if let Some(name) = bad_sdk_field(request) {
        return answer::bad_field(merchant_id, name);
    }
    // The mandates' lock first, then the order book's (inside `book_debit`).
    let book = sim.mandates();
    let repeat = {
        let orders = sim.orders();
        orders.find(merchant_id, order_no).map(|id| {
            orders
                .get(id)
                .filter(|order| order.amount_fen == amount_fen && order.status == Status::Paid)
                .and_then(|order| order.payment.clone())
        })
    };
    let booked = match repeat {
        // Sent again after a lost answer: the first answer again.
        Some(Some(payment)) => Ok(payment),
        Some(None) => return answer::refusal(merchant_id, codes::DUPLICATE_ORDER),
        None if sim.orders().number_taken(merchant_id, order_no) => {
            return answer::refusal(merchant_id, codes::DUPLICATE_ORDER);
        }
        None => {
            let judged = judge(&book, merchant_id, agent_sign_no);
            book_debit(sim, merchant_id, order_no, amount_fen, judged)
        }
    };
    let answer_unknown = book.faults.unknown_pay_answers;
    drop(book);
    if answer_unknown {
        return answer::refusal(merchant_id, codes::UNKNOWN);
    }
    match booked {
        Ok(payment) => answer::object(
            merchant_id,
            answer::head(merchant_id, "AgentPay", codes::SUCCESS)
                .s(names::ORDER_NO, order_no)
                .s(names::AGENT_SIGN_NO, agent_sign_no)
                .s(names::AMOUNT, &format_yuan(amount_fen))
                .s(names::BATCH_NO, &payment.batch_no)
                .s(names::VOUCHER_NO, &payment.voucher_no)
                .s(names::HOST_DATE, &payment.host_date)
                .s(names::HOST_TIME, &payment.host_time)
                .s(names::I_RSP_REF, &payment.i_rsp_ref),
        ),
        Err(code) => answer::refusal(merchant_id, code),
    }
}

/// The SDK's own checks on AgentPay's other keys (InstallmentMark, CommodityType,
/// IsBreakAccount, the items' ProductName): what it would never send is refused by name.
fn bad_sdk_field(request: &Value) -> Option<&'static str> {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    if !matches!(field("InstallmentMark"), "0" | "1") {
        return Some("InstallmentMark");
    }
    if field("CommodityType").chars().count() != 4 {
        return Some("CommodityType");
    }
    if !matches!(field("IsBreakAccount"), "0" | "1") {
        return Some("IsBreakAccount");
    }
    match request.get("OrderItems") {
        None => None,
        Some(Value::Array(items)) => items
            .iter()
            .any(|item| text(item, &["ProductName"]).is_none_or(str::is_empty))
            .then_some("OrderItems"),
        Some(_) => Some("OrderItems"),
    }
}
