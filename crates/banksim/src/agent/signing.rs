//! `AgentSign` (register a signing, answer the page's URL), `QueryAgentSign` and `AgentUnSign`,
//! read as ABC's client sends them: AgentSign carries TrxType, CertificateNo, CertificateType,
//! NotifyType, ResultNotifyURL, OrderNo, PaymentLinkType, MerCustomNo, CardType (`1` debit,
//! `3` credit, `A` either), RequestDate, RequestTime, InvaidDate (sic) and IsSign = `Sign`.

use super::NO_MANDATE;
use super::book::{SignStatus, Signing};
use super::notify::last4;
use super::page::SIGN_PAGE_PATH;
use crate::answer;
use crate::clock::{new_token, now_china, protocol_date, protocol_time};
use crate::codes;
use crate::fields::{chars_at_most, is_date, is_time};
use crate::ids::{CERTIFICATE_TYPES, is_certificate, is_order_no};
use crate::state::SimState;
use crate::trx::text;
use crate::wire::names;
use serde_json::Value;
use unipay_core::masking::mask_id;

const CARD_TYPES: &[&str] = &["1", "3", "A"];
/// The SDK's limit on ResultNotifyURL.
const MAX_URL: usize = 200;

/// A short plain text the merchant chose (echoed in answers): safe characters only.
fn is_plain(text: &str, max: usize) -> bool {
    chars_at_most(text, max)
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The first field of an AgentSign the SDK would never send so, by name.
fn bad_sign_field(request: &Value) -> Option<&'static str> {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    let notify_url = field("ResultNotifyURL");
    let url_ok = chars_at_most(notify_url, MAX_URL)
        && reqwest::Url::parse(notify_url)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
    let checks = [
        (
            "CertificateType",
            CERTIFICATE_TYPES.contains(&field("CertificateType")),
        ),
        (
            "CertificateNo",
            is_certificate(field("CertificateType"), field("CertificateNo")),
        ),
        ("NotifyType", matches!(field("NotifyType"), "0" | "1")),
        ("ResultNotifyURL", url_ok),
        ("OrderNo", is_order_no(field("OrderNo"))),
        ("PaymentLinkType", is_plain(field("PaymentLinkType"), 2)),
        ("MerCustomNo", is_plain(field("MerCustomNo"), 60)),
        ("CardType", CARD_TYPES.contains(&field("CardType"))),
        ("RequestDate", is_date(field("RequestDate"))),
        ("RequestTime", is_time(field("RequestTime"))),
        ("InvaidDate", is_date(field("InvaidDate"))),
        ("IsSign", field("IsSign") == "Sign"),
    ];
    checks.iter().find(|(_, ok)| !ok).map(|(name, _)| *name)
}

pub fn agent_sign(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    if let Some(name) = bad_sign_field(request) {
        return answer::bad_field(merchant_id, name);
    }
    let order_no = field("OrderNo");
    let certificate_no = field("CertificateNo");
    let expired_date = field("InvaidDate");
    let notify_type = field("NotifyType");
    let notify_url = field("ResultNotifyURL");
    let key = (merchant_id.to_string(), order_no.to_string());
    let mut book = sim.mandates();
    let token = match book.signings.get(&key) {
        // Sent again (a lost answer): the same page, while the customer has not decided.
        Some(existing) if existing.status == SignStatus::Pending => existing.token.clone(),
        Some(_) => return answer::refusal(merchant_id, codes::ORDER_FINAL),
        None => {
            if sim.orders().number_taken(merchant_id, order_no) {
                return answer::refusal(merchant_id, codes::DUPLICATE_ORDER);
            }
            let token = new_token();
            book.by_token.insert(token.clone(), key.clone());
            book.signings.insert(
                key,
                Signing {
                    merchant_id: merchant_id.to_string(),
                    order_no: order_no.to_string(),
                    token: token.clone(),
                    card_type: field("CardType").to_string(),
                    certificate_type: field("CertificateType").to_string(),
                    certificate_masked: mask_id(certificate_no),
                    certificate_no: certificate_no.to_string(),
                    expired_date: expired_date.to_string(),
                    payment_link_type: field("PaymentLinkType").to_string(),
                    mer_custom_no: field("MerCustomNo").to_string(),
                    unsign_date: String::new(),
                    unsign_time: String::new(),
                    notify_type: notify_type.to_string(),
                    notify_url: notify_url.to_string(),
                    status: SignStatus::Pending,
                    agent_sign_no: String::new(),
                    card_no: String::new(),
                    host_date: String::new(),
                    host_time: String::new(),
                    failure: None,
                    notify_attempts: 0,
                    notify_acknowledged: false,
                },
            );
            token
        }
    };
    drop(book);
    let url = format!("{}{SIGN_PAGE_PATH}?TOKEN={token}", sim.public_url);
    answer::object(
        merchant_id,
        answer::head(merchant_id, "AgentSign", codes::SUCCESS)
            .s(names::ORDER_NO, order_no)
            .s("B2CAgentSignContractURL", &url),
    )
}

pub fn query_agent_sign(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let order_no = text(request, &["OrderNo"]).unwrap_or("");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    let book = sim.mandates();
    let Some(signing) = book
        .signings
        .get(&(merchant_id.to_string(), order_no.to_string()))
    else {
        return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND);
    };
    let (reason_code, reason) = signing.failure.unwrap_or(("", ""));
    let status = match signing.status {
        SignStatus::Pending => names::SIGN_STATUS_PENDING,
        SignStatus::Active => names::SIGN_STATUS_SIGNED,
        SignStatus::Failed => names::SIGN_STATUS_REFUSED,
        SignStatus::Cancelled => names::SIGN_STATUS_UNSIGNED,
    };
    // SignDate is the day the customer signed; a refused signing has none.
    let sign_date = match signing.status {
        SignStatus::Active | SignStatus::Cancelled => signing.host_date.as_str(),
        SignStatus::Pending | SignStatus::Failed => "",
    };
    answer::object(
        merchant_id,
        answer::head(merchant_id, "QueryAgentSign", codes::SUCCESS)
            .s(names::ORDER_NO, order_no)
            .s(names::AGENT_SIGN_NO, &signing.agent_sign_no)
            .s("AgentSignStatus", status)
            .s("Last4CardNo", last4(&signing.card_no))
            .s("SignDate", sign_date)
            .s("UnSignDate", &signing.unsign_date)
            .s("InvaidDate", &signing.expired_date)
            .s("CertificateNo", &signing.certificate_no)
            .s("CertificateType", &signing.certificate_type)
            .s("AccountType", &signing.card_type)
            .s("PaymentLinkType", &signing.payment_link_type)
            .s("MerchantNo", merchant_id)
            .s(names::REASON_CODE, reason_code)
            .s(names::REASON, reason),
    )
}

pub fn agent_unsign(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let order_no = text(request, &["OrderNo"]).unwrap_or("");
    let agent_sign_no = text(request, &["AgentSignNo"]).unwrap_or("");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    if !is_order_no(agent_sign_no) {
        return answer::bad_field(merchant_id, "AgentSignNo");
    }
    if !is_date(text(request, &["RequestDate"]).unwrap_or("")) {
        return answer::bad_field(merchant_id, "RequestDate");
    }
    if !is_time(text(request, &["RequestTime"]).unwrap_or("")) {
        return answer::bad_field(merchant_id, "RequestTime");
    }
    let mut book = sim.mandates();
    let Some(signing) = book
        .signings
        .get_mut(&(merchant_id.to_string(), order_no.to_string()))
        .filter(|s| s.agent_sign_no == agent_sign_no)
    else {
        return answer::refusal(merchant_id, NO_MANDATE);
    };
    match signing.status {
        // Unsigning twice is done twice.
        SignStatus::Active => {
            let now = now_china();
            signing.status = SignStatus::Cancelled;
            signing.unsign_date = protocol_date(now.date_naive());
            signing.unsign_time = protocol_time(now);
        }
        SignStatus::Cancelled => {}
        SignStatus::Pending | SignStatus::Failed => {
            return answer::refusal(merchant_id, NO_MANDATE);
        }
    }
    drop(book);
    answer::object(
        merchant_id,
        answer::head(merchant_id, "AgentUnSign", codes::SUCCESS)
            .s(names::ORDER_NO, order_no)
            .s(names::AGENT_SIGN_NO, agent_sign_no),
    )
}
